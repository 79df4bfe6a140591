// Package provenance says where a record bundle comes from and whether to
// trust it: which practice key signed it, when, for which practice, who
// approved the record and when, and until when it is current.
//
// The build puts an Info (bundle.json) and the practice's public key
// (practice-key.asc) inside every bundle, beside the record document, and
// signs the whole zip, so all of it is covered by the signature. Check is
// the one verification that the satchel command and the browser decryptor
// share: nothing is returned unless decryption, integrity and a good
// signature all succeeded.
//
// The key inside a bundle proves only that the bundle is consistent: a
// forger who can open the bundle can re-sign it with a key of their own and
// put that key inside. What proves the practice signed it is the
// fingerprint: Check returns it for the reader to compare with the one
// printed on the key card (ShortFingerprint), or checks it against a key
// the reader already trusts (pinned).
//
// The viewer's JavaScript decryptor (generator/viewer/js) makes the same
// decisions in the same order; a differential test in package viewer holds
// the two to the same verdicts.
package provenance

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/seal"
)

// FileName is the name of the signed metadata file inside a bundle.
const FileName = bundle.Info

// ErrNoPracticeKey means a signed bundle carries no practice key to check
// its signature with, and the reader gave none: the signature cannot be
// checked, so the record must not be shown. It is also a seal.ErrBadSignature.
var ErrNoPracticeKey error = &keyError{}

type keyError struct{}

func (*keyError) Error() string {
	return "this record is signed, but carries no practice key to check the signature with: do not rely on it"
}
func (*keyError) Unwrap() error { return seal.ErrBadSignature }

// Result is a bundle that opened and whose signature checked good.
type Result struct {
	// Files are the bundle's files; the caller clears them when done.
	Files []bundle.File
	// Fingerprint is the signing key's fingerprint in upper-case hex.
	Fingerprint string
	// SignedAt is when the bundle was signed.
	SignedAt time.Time
	// Pinned says the signature was checked against a key the caller
	// gave, not only against the key inside the bundle.
	Pinned bool
}

// Check decrypts msg (record.pgp, armored or binary) with passphrase,
// unpacks it, and verifies its signature: against pinned when the caller
// trusts a practice key already (e.g. public/practice-key.asc, or the key
// record.html carries), otherwise against the practice key inside the
// bundle. An unsigned bundle is seal.ErrUnsigned, a signature that does
// not verify seal.ErrBadSignature (ErrNoPracticeKey when there is nothing
// to verify it with); wrong keys and damage are seal's errors. On error
// nothing of the plaintext is returned.
func Check(msg, passphrase []byte, pinned openpgp.EntityList) (*Result, error) {
	o, err := seal.Open(msg, passphrase, nil)
	if err != nil {
		return nil, err
	}
	defer clear(o.Plaintext)
	if !o.Signed {
		return nil, seal.ErrUnsigned
	}
	files, err := bundle.Unpack(o.Plaintext)
	if err != nil {
		return nil, err
	}
	res := &Result{Files: files, Pinned: pinned != nil}
	keys := pinned
	if keys == nil {
		k := bundle.Find(files, bundle.PracticeKey)
		if k == nil {
			wipe(files)
			return nil, ErrNoPracticeKey
		}
		if keys, err = ReadKeys(k.Data); err != nil {
			wipe(files)
			return nil, seal.ErrBadSignature
		}
	}
	// Opening again with the keys costs one more decryption of a small
	// zip; it keeps the signature check inside seal, where the packets
	// are read.
	v, err := seal.Verify(msg, passphrase, keys)
	if err != nil {
		wipe(files)
		return nil, err
	}
	clear(v.Plaintext)
	res.Fingerprint, res.SignedAt = v.Fingerprint, v.SignedAt
	return res, nil
}

// Message returns the OpenPGP message in data: the armored message that a
// record.html carries, or data itself (record.pgp).
func Message(data []byte) []byte {
	const begin, end = "-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----"
	i := bytes.Index(data, []byte(begin))
	if i < 0 {
		return data
	}
	j := bytes.Index(data[i:], []byte(end))
	if j < 0 {
		return data[i:] // seal reports it as cut short
	}
	return data[i : i+j+len(end)]
}

// ReadKeys reads an armored or binary OpenPGP key ring.
func ReadKeys(b []byte) (openpgp.EntityList, error) {
	var ring openpgp.EntityList
	var err error
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN ")) {
		ring, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
	} else {
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(b))
	}
	if err != nil {
		return nil, err
	}
	if len(ring) == 0 {
		return nil, errors.New("no key")
	}
	return ring, nil
}

// ShortFingerprint returns the form of a fingerprint that key cards print:
// its last 16 hex digits (the key's long id, as gpg shows it) in groups of
// four, e.g. "8D3C 0A11 5E2F 9B40". Forging a key with the same 64 bits is
// far beyond anyone's means; it is short enough to compare by eye.
func ShortFingerprint(fp string) string {
	fp = strings.ToUpper(strings.ReplaceAll(fp, " ", ""))
	if len(fp) > 16 {
		fp = fp[len(fp)-16:]
	}
	return GroupFingerprint(fp)
}

// GroupFingerprint writes a hex fingerprint in groups of four, as gpg
// prints it.
func GroupFingerprint(fp string) string {
	fp = strings.ToUpper(strings.ReplaceAll(fp, " ", ""))
	var b strings.Builder
	for i := 0; i < len(fp); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fp[i:min(i+4, len(fp))])
	}
	return b.String()
}

func wipe(files []bundle.File) {
	for _, f := range files {
		clear(f.Data)
	}
}
