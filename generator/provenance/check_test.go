package provenance_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
)

var signedAt = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

const pass = "7K3M-Q9XR-2B4D-6F8H-JKMN-PQRS-TVW0"

func newKey(t *testing.T, seed byte) (*openpgp.Entity, []byte) {
	t.Helper()
	e, err := seal.NewKey("Riverside Test Surgery", "", signedAt, rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return e, buf.Bytes()
}

func fpr(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

// sealBundle makes a bundle holding a document and innerKey (if any),
// signed by signer (if any).
func sealBundle(t *testing.T, signer *openpgp.Entity, innerKey []byte) []byte {
	t.Helper()
	files := []bundle.File{{Name: bundle.Document, Data: []byte("<p>record</p>")}}
	if innerKey != nil {
		files = append(files, bundle.File{Name: bundle.PracticeKey, Data: innerKey})
	}
	info := provenance.Info{Practice: "Riverside Test Surgery", Exported: signedAt, CurrentUntil: signedAt.AddDate(0, 0, 90), ApprovedBy: "Dr Test", Approved: "2026-03-12"}
	data, err := info.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, bundle.File{Name: provenance.FileName, Data: data})
	zipped, err := bundle.Pack(files, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	err = seal.Encrypt(&msg, zipped, seal.Options{Passphrases: [][]byte{[]byte(pass)}, Signer: signer, Time: signedAt, Rand: rand.NewChaCha8([32]byte{9})})
	if err != nil {
		t.Fatal(err)
	}
	return msg.Bytes()
}

func TestCheckAcceptsOnlyAGoodSignatureAndReturnsItsKey(t *testing.T) {
	t.Parallel()
	practice, practicePub := newKey(t, 1)
	forger, forgerPub := newKey(t, 2)
	practiceRing, _ := provenance.ReadKeys(practicePub)

	for _, tc := range []struct {
		name   string
		msg    []byte
		pinned openpgp.EntityList
		want   error  // nil: opens
		signer string // fingerprint expected when it opens
	}{
		{"signed, key inside", sealBundle(t, practice, practicePub), nil, nil, fpr(practice)},
		{"signed, pinned key", sealBundle(t, practice, practicePub), practiceRing, nil, fpr(practice)},
		{"unsigned", sealBundle(t, nil, practicePub), nil, seal.ErrUnsigned, ""},
		{"unsigned, pinned key", sealBundle(t, nil, practicePub), practiceRing, seal.ErrUnsigned, ""},
		{"forged, practice key inside", sealBundle(t, forger, practicePub), nil, seal.ErrBadSignature, ""},
		{"forged, forger's key inside, pinned", sealBundle(t, forger, forgerPub), practiceRing, seal.ErrBadSignature, ""},
		{"signed, no key inside", sealBundle(t, practice, nil), nil, provenance.ErrNoPracticeKey, ""},
		// Consistent but not the practice's: Check says whose it is, and
		// the fingerprint differs from the one on the card.
		{"forged, forger's key inside", sealBundle(t, forger, forgerPub), nil, nil, fpr(forger)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := provenance.Check(tc.msg, []byte(pass), tc.pinned)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if res != nil {
					t.Error("a refused bundle returned its files")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Fingerprint != tc.signer {
				t.Errorf("fingerprint %s, want %s", res.Fingerprint, tc.signer)
			}
			if !res.SignedAt.Equal(signedAt) {
				t.Errorf("signed at %v", res.SignedAt)
			}
			if res.Pinned != (tc.pinned != nil) {
				t.Error("Pinned does not say how the signature was checked")
			}
			info, err := provenance.ReadInfo(res.Files)
			if err != nil || info.ApprovedBy != "Dr Test" || info.Approved != "2026-03-12" {
				t.Errorf("bundle.json did not read back: %v", err)
			}
		})
	}
}

func TestCheckPassesOnWrongKeyAndDamage(t *testing.T) {
	t.Parallel()
	practice, pub := newKey(t, 1)
	msg := sealBundle(t, practice, pub)
	if _, err := provenance.Check(msg, []byte("0000-0000-0000-0000-0000-0000-0000"), nil); !errors.Is(err, seal.ErrWrongKey) {
		t.Errorf("wrong key: %v", err)
	}
	bad := bytes.Clone(msg)
	bad[len(bad)/2] ^= 1
	if _, err := provenance.Check(bad, []byte(pass), nil); !errors.Is(err, seal.ErrDamaged) {
		t.Errorf("flipped byte: %v", err)
	}
}

func TestMessageFindsTheArmoredMessageInAPage(t *testing.T) {
	t.Parallel()
	practice, pub := newKey(t, 1)
	msg := sealBundle(t, practice, pub)
	armored, err := seal.Armor(msg)
	if err != nil {
		t.Fatal(err)
	}
	page := append(append([]byte("<html><script>"), armored...), "</script></html>"...)
	if _, err := provenance.Check(provenance.Message(page), []byte(pass), nil); err != nil {
		t.Errorf("the message in a page does not open: %v", err)
	}
	if got := provenance.Message(msg); !bytes.Equal(got, msg) {
		t.Error("a binary message is not returned as is")
	}
}

func TestShortFingerprintIsTheLongKeyIDInGroups(t *testing.T) {
	t.Parallel()
	fp := "367C0E366BDA9542801F0238163F89D695D26420"
	if got, want := provenance.ShortFingerprint(fp), "163F 89D6 95D2 6420"; got != want {
		t.Errorf("short %q, want %q", got, want)
	}
	if got := provenance.ShortFingerprint(provenance.GroupFingerprint(strings.ToLower(fp))); got != "163F 89D6 95D2 6420" {
		t.Errorf("short of a grouped lower-case fingerprint %q", got)
	}
	if got, want := provenance.GroupFingerprint(fp), "367C 0E36 6BDA 9542 801F 0238 163F 89D6 95D2 6420"; got != want {
		t.Errorf("grouped %q", got)
	}
}

func TestOutOfDateOnlyAfterCurrentUntil(t *testing.T) {
	t.Parallel()
	info := provenance.Info{CurrentUntil: signedAt}
	if info.OutOfDate(signedAt) || !info.OutOfDate(signedAt.Add(time.Second)) {
		t.Error("OutOfDate is wrong at the boundary")
	}
	if (&provenance.Info{}).OutOfDate(signedAt) {
		t.Error("a record with no current-until date is out of date")
	}
}
