package seal

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// TestArmorIsGoCryptos checks Armor against go-crypto's armor.Encode
// (with a final newline): the same bytes for every length around the
// line and base64 boundaries, and for a message of a record's size.
func TestArmorIsGoCryptos(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{300_001}
	for n := 0; n <= 200; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		var want bytes.Buffer
		aw, err := armor.Encode(&want, openpgp.MessageType, nil)
		if err != nil {
			t.Fatal(err)
		}
		aw.Write(msg)
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
		want.WriteByte('\n')
		got, err := Armor(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%d bytes: Armor gives\n%q\nwant\n%q", n, got[max(0, len(got)-80):], want.Bytes()[max(0, want.Len()-80):])
		}
	}
}
