//go:build !(js && wasm)

package provenance_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
)

// FuzzReadKeys reads mutations of a synthetic practice key, armored and
// binary. It must not panic, and a key ring that reads has keys that
// write out and read back with the same fingerprints.
func FuzzReadKeys(f *testing.F) {
	e, err := seal.NewKey("Riverside Test Surgery", "", signedAt, rand.NewChaCha8([32]byte{1}))
	if err != nil {
		f.Fatal(err)
	}
	var bin, armored bytes.Buffer
	if err := e.Serialize(&bin); err != nil {
		f.Fatal(err)
	}
	w, _ := armor.Encode(&armored, openpgp.PublicKeyType, nil)
	w.Write(bin.Bytes())
	w.Close()
	f.Add(bin.Bytes())
	f.Add(armored.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		ring, err := provenance.ReadKeys(data)
		if err != nil {
			if ring != nil {
				t.Fatal("a key ring and an error")
			}
			return
		}
		if len(ring) == 0 {
			t.Fatal("no keys and no error")
		}
		var out bytes.Buffer
		for _, k := range ring {
			if err := k.Serialize(&out); err != nil {
				return // a key go-crypto reads but will not write: nothing to compare
			}
		}
		again, err := provenance.ReadKeys(out.Bytes())
		if err != nil || len(again) != len(ring) {
			t.Fatalf("the keys read do not read back: %v", err)
		}
		for i := range ring {
			if !bytes.Equal(again[i].PrimaryKey.Fingerprint, ring[i].PrimaryKey.Fingerprint) {
				t.Fatalf("key %d reads back with another fingerprint", i)
			}
		}
	})
}
