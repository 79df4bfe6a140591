package seal

import (
	"errors"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// FuzzOpen opens mutations of a sealed, signed synthetic record, armored
// and binary, with the right card secret and the practice key. It must not
// panic; it fails only with Satchel's own errors, which quote nothing of
// the message; and what opens is signed by the practice key and verified.
func FuzzOpen(f *testing.F) {
	key := practiceKey(f, 1)
	pw := cardSecrets(1)[0]
	msg := seal(f, samplePlaintext(300), Options{Passphrases: cardSecrets(1), Signer: key})
	armored, err := Armor(msg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Add(armored)
	f.Add(seal(f, samplePlaintext(10), Options{Passphrases: [][]byte{pw}}))
	ring := openpgp.EntityList{key}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Open(data, pw, ring)
		if err != nil {
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrUnsigned) {
				t.Fatalf("not one of Satchel's errors: %v", err)
			}
			return
		}
		if res.Signed && !res.Verified {
			t.Fatal("opened with a signature that did not verify")
		}
		if res.Verified && res.Fingerprint == "" {
			t.Fatal("verified with no fingerprint")
		}
	})
}
