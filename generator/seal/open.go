package seal

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The errors Open and Verify return. Their text is plain English for the
// person holding the card and never carries message data; callers test them
// with errors.Is.
var (
	// ErrWrongKey means no passphrase packet of the message opens with the
	// key given: a mistyped key, another patient's card, or a revoked card.
	ErrWrongKey = errors.New("this key does not open this record: check it is typed exactly as printed on the card")
	// ErrDamaged means the message is not intact: altered, corrupted, or
	// not an OpenPGP message at all.
	ErrDamaged = errors.New("this record file is damaged or has been altered: ask the practice for a new copy")
	// ErrTruncated means the message ends early, e.g. a download cut short;
	// errors.Is(ErrTruncated, ErrDamaged) holds.
	ErrTruncated error = &subError{msg: "this record file is incomplete (cut short): copy or download it again", parent: ErrDamaged}
	// ErrBadSignature means the message is signed, but not verifiably by a
	// key given: it may be forged and must not be relied on.
	ErrBadSignature = errors.New("this record's signature does not match the practice key: it may be forged, do not rely on it")
	// ErrUnsigned means Verify was asked to check a message with no
	// signature at all.
	ErrUnsigned = errors.New("this record is not signed by the practice")
)

// subError is an error that is also another, broader one.
type subError struct {
	msg    string
	parent error
}

func (e *subError) Error() string { return e.msg }
func (e *subError) Unwrap() error { return e.parent }

// errNoMoreTries stops go-crypto's prompt loop, which would otherwise ask
// for a passphrase forever.
var errNoMoreTries = errors.New("passphrase tried")

// Opened is a message that decrypted and passed its integrity check, and its
// signature check if one was asked for.
type Opened struct {
	// Plaintext is the literal data, whole.
	Plaintext []byte
	// FileName is the literal data file name.
	FileName string
	// Signed says a signature was present.
	Signed bool
	// Verified says the signature checked good against the keys given.
	Verified bool
	// SignerKeyID is the signing key's id, when Signed.
	SignerKeyID uint64
	// Fingerprint is the signer's primary key fingerprint in upper-case hex,
	// when Verified.
	Fingerprint string
	// SignedAt is the signature creation time, when a signature packet was
	// read.
	SignedAt time.Time
}

// Open decrypts msg (armored or binary) with passphrase. It buffers the whole
// plaintext and returns it only if decryption and the MDC succeeded, and, when
// keys is non-nil and the message is signed, the signature verified against
// keys (ErrBadSignature otherwise, also for a signer not in keys). keys is used
// only to verify, never to decrypt.
//
// Each passphrase packet is tried on its own, so a wrong passphrase packet
// that happens to decrypt to a plausible session key cannot hide the right
// one behind it (go-crypto's ReadMessage stops at the first plausible one).
func Open(msg, passphrase []byte, keys openpgp.EntityList) (*Opened, error) {
	bin, err := dearmor(msg)
	if err != nil {
		return nil, err
	}
	pkts, err := splitPackets(bin)
	if err != nil {
		return nil, err
	}
	data := pkts[len(pkts)-1]
	if data.tag != tagSEIPD && data.tag != tagAEAD {
		return nil, ErrDamaged
	}
	var ring openpgp.KeyRing
	if keys != nil {
		ring = verifyOnly{keys}
	}
	damaged := false
	for _, p := range pkts[:len(pkts)-1] {
		switch p.tag {
		case tagSKESK:
		case tagPKESK, tagMarker, tagPadding:
			continue
		default:
			return nil, ErrDamaged
		}
		if !affordable(p.first) {
			damaged = true
			continue
		}
		if !mayOpen(p, data, passphrase) {
			continue
		}
		res, err := openWith(p.raw, bin[data.start:], passphrase, ring, nil)
		switch {
		case err == nil:
			if keys != nil && res.Signed && !res.Verified {
				clear(res.Plaintext)
				return nil, ErrBadSignature
			}
			return res, nil
		case errors.Is(err, ErrWrongKey):
		default:
			damaged = true
		}
	}
	if damaged {
		return nil, ErrDamaged
	}
	return nil, ErrWrongKey
}

// Verify opens msg like Open and also requires a good signature by one of
// keys: ErrUnsigned when there is none, ErrBadSignature when it does not
// verify. It serves readers who get the practice key only from inside the
// decrypted bundle: they Open without keys, then Verify.
func Verify(msg, passphrase []byte, keys openpgp.EntityList) (*Opened, error) {
	if keys == nil {
		keys = openpgp.EntityList{}
	}
	res, err := Open(msg, passphrase, keys)
	if err != nil {
		return nil, err
	}
	if !res.Signed {
		clear(res.Plaintext)
		return nil, ErrUnsigned
	}
	if !res.Verified {
		clear(res.Plaintext)
		return nil, ErrBadSignature
	}
	return res, nil
}

// Limits on the Argon2 S2K of a passphrase packet, which the message itself
// sets: a hostile message can ask for up to 2^255 KiB (the fuzzer found one
// asking 256 GiB, which ended the process out of memory), and would end
// `satchel open` or the viewer's tab. Satchel writes salted S2K and gpg
// iterated S2K; RFC 9580's second recommended Argon2 setting (64 MiB, 3
// passes) fits well within these.
const (
	maxArgon2MemoryExp = 18 // 2^18 KiB, 256 MiB
	maxArgon2Passes    = 8
)

// affordable reports whether the S2K of the SKESK packet with body body
// costs a bounded amount to run: any but Argon2, or Argon2 within its
// limits. A body too short to tell is left to the packet parser.
func affordable(body []byte) bool {
	var s []byte // the S2K specifier
	switch {
	case len(body) >= 3 && (body[0] == 4):
		s = body[2:]
	case len(body) >= 4 && body[0] == 5:
		s = body[3:]
	case len(body) >= 5 && body[0] == 6:
		s = body[5:]
	default:
		return true
	}
	const argon2 = 4 // S2K type (RFC 9580 section 3.7.1.4): salt(16), passes, parallelism, memory exponent
	if len(s) < 20 || s[0] != argon2 {
		return true
	}
	return s[17] <= maxArgon2Passes && s[19] <= maxArgon2MemoryExp
}

// mayOpen reports whether the SKESK packet p could open data with
// passphrase: the session key it yields looks valid and, for SEIPD v1 with
// AES, passes the OpenPGP quick check (the repeated two octets of the
// encrypted prefix). It spares a full decryption, and lets Open tell a wrong
// key (quick check fails) from a damaged body (quick check passes, MDC
// fails).
func mayOpen(p, data rawPacket, passphrase []byte) bool {
	pk, err := packet.Read(bytes.NewReader(p.raw))
	if err != nil {
		return false
	}
	ske, ok := pk.(*packet.SymmetricKeyEncrypted)
	if !ok {
		return false
	}
	key, cf, err := ske.Decrypt(passphrase)
	if err != nil {
		return false
	}
	defer clear(key)
	if data.tag != tagSEIPD || len(data.first) < 1 || data.first[0] != 1 {
		return true // SEIPD v2 or AEAD: the AEAD tag decides
	}
	if cf != packet.CipherAES128 && cf != packet.CipherAES192 && cf != packet.CipherAES256 {
		return true
	}
	c := data.first[1:]
	if len(c) < aes.BlockSize+2 || len(key) != cf.KeySize() {
		return false
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return false
	}
	// CFB with a zero IV: block 1 is c[0:16] xor E(0), block 2 starts with
	// c[16:18] xor E(c[0:16]).
	var ks0, ks1 [aes.BlockSize]byte
	block.Encrypt(ks0[:], ks0[:])
	block.Encrypt(ks1[:], c[:aes.BlockSize])
	return c[14]^ks0[14] == c[16]^ks1[0] && c[15]^ks0[15] == c[17]^ks1[1]
}

// openWith decrypts the message made of one SKESK packet and the encrypted
// data with go-crypto's reader, which also checks the MDC and signature. It
// returns ErrWrongKey when the packet does not open, ErrDamaged when the
// content fails its checks.
func openWith(skesk, data, passphrase []byte, ring openpgp.KeyRing, asOf *time.Time) (*Opened, error) {
	tried := false
	prompt := func(_ []openpgp.Key, symmetric bool) ([]byte, error) {
		if tried || !symmetric {
			return nil, errNoMoreTries
		}
		tried = true
		return passphrase, nil
	}
	r := io.MultiReader(bytes.NewReader(skesk), bytes.NewReader(data))
	var config *packet.Config
	if asOf != nil {
		t := *asOf
		config = &packet.Config{Time: func() time.Time { return t }}
	}
	md, err := openpgp.ReadMessage(r, ring, prompt, config)
	if errors.Is(err, errNoMoreTries) {
		return nil, ErrWrongKey
	}
	if err != nil {
		return nil, ErrDamaged
	}
	plain, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		clear(plain)
		return nil, ErrDamaged
	}
	res := &Opened{
		Plaintext:   plain,
		FileName:    md.LiteralData.FileName,
		Signed:      md.IsSigned,
		SignerKeyID: md.SignedByKeyId,
	}
	switch {
	case md.Signature != nil:
		res.SignedAt = md.Signature.CreationTime
	case len(md.UnverifiedSignatures) > 0:
		res.SignedAt = md.UnverifiedSignatures[0].CreationTime
	}
	if md.IsSigned && md.SignedBy != nil && md.Signature != nil && md.SignatureError == nil {
		res.Verified = true
		res.Fingerprint = strings.ToUpper(hex.EncodeToString(md.SignedBy.Entity.PrimaryKey.Fingerprint))
	}
	// go-crypto calls a signature, or the key's own self-signature, made
	// after the reader's clock "expired". A phone whose clock is behind the
	// practice's would then call a genuine record forged. The creation
	// time is itself signed, so check again as of that moment: a signature
	// is good if it was good when it was made.
	if asOf == nil && md.IsSigned && md.SignedBy != nil && !res.Verified && !res.SignedAt.IsZero() &&
		res.SignedAt.After(time.Now()) &&
		(errors.Is(md.SignatureError, pgperrors.ErrSignatureExpired) || errors.Is(md.SignatureError, pgperrors.ErrKeyExpired)) {
		clear(plain)
		at := res.SignedAt
		return openWith(skesk, data, passphrase, ring, &at)
	}
	return res, nil
}

// dearmor returns the binary message inside msg's ASCII armor, or msg itself
// when it is binary.
func dearmor(msg []byte) ([]byte, error) {
	trimmed := bytes.TrimLeft(msg, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP MESSAGE-----")) {
		return msg, nil
	}
	if !bytes.Contains(trimmed, []byte("-----END PGP MESSAGE-----")) {
		return nil, ErrTruncated
	}
	block, err := armor.Decode(bytes.NewReader(trimmed))
	if err != nil || block.Type != openpgp.MessageType {
		return nil, ErrDamaged
	}
	bin, err := io.ReadAll(block.Body)
	if err != nil {
		return nil, ErrDamaged
	}
	return bin, nil
}

// verifyOnly is a key ring that offers its keys for signature checks but
// never for decryption, so Open opens with the passphrase and nothing else.
type verifyOnly struct{ openpgp.EntityList }

func (verifyOnly) DecryptionKeys() []openpgp.Key { return nil }
