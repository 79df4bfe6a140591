// Package seal encrypts, signs, opens and verifies Satchel record bundles as
// OpenPGP messages that GnuPG 2.2 and Sequoia (sq 0.27) can read: one SKESK v4
// passphrase packet per key card and optional PKESK v3 packets for public-key
// recipients (hidden: wildcard key id), all wrapping one AES-256 session key,
// then a SEIPD v1 packet (MDC) holding a literal data packet, optionally
// signed with one-pass signature framing. No AEAD, no v6 packets, no Argon2:
// the readers we promise reject them.
//
// The browser decryptor in record.html (generator/viewer/js) reads what
// Encrypt writes with the same rules as Open: change one, change the other
// (the differential test in package viewer fails until they agree).
package seal

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
)

// Options says who can open a message and who signs it.
type Options struct {
	// Passphrases get one SKESK packet each, in this order. They must be
	// high-entropy secrets (key card secrets, >= 128 bits): they are
	// stretched with salted, not iterated, S2K, because a slow S2K buys
	// nothing against brute force of such a secret and costs every build
	// and every open.
	//
	// GnuPG 2.2 tries only the first passphrase packet of a message, so
	// only the first card opens the message with gpg 2.2; every card opens
	// it with Open (the viewer), sq, and GnuPG 2.4, which moves on when a
	// packet's decrypted cipher id is invalid, as Encrypt makes sure it is
	// for every other card. Put the patient's own card first.
	Passphrases [][]byte
	// Recipients get one PKESK packet each (e.g. the patient's own key),
	// with the wildcard (all-zero) key id: the message does not name whose
	// key opens it. gpg tries each of its secret keys on such a packet.
	Recipients openpgp.EntityList
	// Signer, when set, signs the literal data (the practice key).
	Signer *openpgp.Entity
	// FileName is the literal data file name, e.g. "record.zip".
	FileName string
	// Time is the literal data and signature time; zero means now. Inject
	// it, with Rand, to make output byte-stable.
	Time time.Time
	// Rand is the source of session keys, salts and IVs; nil means
	// crypto/rand.
	Rand io.Reader
}

// messageCipher is the one cipher every packet of a message names. Choosing
// it here, rather than from recipients' preferences as openpgp.Encrypt does,
// keeps the passphrase and public-key packets consistent (the go-crypto
// v1.5.2 mixed-recipient bug) and AES-256 is read by every client we support.
const messageCipher = packet.CipherAES256

// maxSaltTries bounds the salt re-draws in sealPassphrase; each draw is
// rejected with probability ~6% per other passphrase, so 64 never runs out
// unless Rand is broken (e.g. a constant reader).
const maxSaltTries = 64

// Encrypt writes plaintext to w as a binary OpenPGP message that each of
// opt.Passphrases and opt.Recipients can open, signed by opt.Signer if set.
// Nothing is compressed: records are zip files already, and compression
// before encryption leaks content through size.
func Encrypt(w io.Writer, plaintext []byte, opt Options) error {
	if len(opt.Passphrases) == 0 && len(opt.Recipients) == 0 {
		return errors.New("no passphrase and no recipient: nobody could open the message")
	}
	for i, p := range opt.Passphrases {
		if len(p) == 0 {
			return fmt.Errorf("passphrase %d is empty", i+1)
		}
	}
	now := opt.Time
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(time.Second)
	cfg := &packet.Config{
		Rand:                   opt.Rand,
		DefaultCipher:          messageCipher,
		DefaultHash:            crypto.SHA256,
		DefaultCompressionAlgo: packet.CompressionNone,
		Time:                   func() time.Time { return now },
		S2KConfig: &s2k.Config{
			S2KMode:                 s2k.SaltedS2K,
			Hash:                    crypto.SHA256,
			PassphraseIsHighEntropy: true,
		},
	}

	sessionKey := make([]byte, messageCipher.KeySize())
	defer clear(sessionKey)
	if _, err := io.ReadFull(cfg.Random(), sessionKey); err != nil {
		return fmt.Errorf("reading randomness: %w", err)
	}

	// Public-key packets go first: gpg then uses a secret key it holds
	// without asking for a passphrase it does not need. They are hidden
	// (wildcard key id), so record.pgp does not carry the patient's key id
	// in the clear for anyone who copies the file.
	for i, r := range opt.Recipients {
		k, ok := r.EncryptionKey(now)
		if !ok {
			return fmt.Errorf("recipient %d has no usable encryption key at %s", i+1, now.UTC().Format(time.DateOnly))
		}
		if err := packet.SerializeEncryptedKeyAEADwithHiddenOption(w, k.PublicKey, messageCipher, false, sessionKey, true, cfg); err != nil {
			return fmt.Errorf("recipient %d: %w", i+1, err)
		}
	}
	for i := range opt.Passphrases {
		skesk, err := sealPassphrase(sessionKey, i, opt.Passphrases, cfg)
		if err != nil {
			return err
		}
		if _, err := w.Write(skesk); err != nil {
			return err
		}
	}

	data, err := packet.SerializeSymmetricallyEncrypted(w, messageCipher, false, packet.CipherSuite{}, sessionKey, cfg)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	var lit io.WriteCloser
	if opt.Signer != nil {
		hints := &openpgp.FileHints{IsBinary: true, FileName: opt.FileName, ModTime: now}
		lit, err = openpgp.Sign(data, opt.Signer, hints, cfg)
		if err != nil {
			return fmt.Errorf("signing: %w", err)
		}
	} else {
		lit, err = packet.SerializeLiteral(nopCloser{data}, true, opt.FileName, uint32(now.Unix()))
		if err != nil {
			return fmt.Errorf("%w", err)
		}
	}
	if _, err := lit.Write(plaintext); err != nil {
		return err
	}
	// Closing lit writes the signature (if any); closing data writes the MDC.
	if err := lit.Close(); err != nil {
		return fmt.Errorf("%w", err)
	}
	return data.Close()
}

// sealPassphrase returns the SKESK v4 packet wrapping sessionKey with
// passphrases[i]. Readers (gpg 2.2, go-crypto's ReadMessage) try SKESK
// packets in order and stop at the first whose decryption merely looks
// valid: with a wrong passphrase that is a cipher-id byte, true by chance
// for ~6% of salts in gpg's reading. Card 3 would then fail to open a
// message because card 1's packet came first. We know every passphrase
// here, so we re-draw the salt until no other passphrase of this message
// can mistake this packet for its own.
func sealPassphrase(sessionKey []byte, i int, passphrases [][]byte, cfg *packet.Config) ([]byte, error) {
	var buf bytes.Buffer
	for try := 0; try < maxSaltTries; try++ {
		buf.Reset()
		if err := packet.SerializeSymmetricKeyEncryptedAEADReuseKey(&buf, sessionKey, passphrases[i], false, cfg); err != nil {
			return nil, fmt.Errorf("passphrase %d: %w", i+1, err)
		}
		salt, esk, err := skeskParts(buf.Bytes())
		if err != nil {
			return nil, fmt.Errorf("passphrase %d: %w", i+1, err)
		}
		clash := false
		for j, other := range passphrases {
			if j != i && looksLikeCipherID(firstKeyByte(other, salt, esk)) {
				clash = true
				break
			}
		}
		if !clash {
			return buf.Bytes(), nil
		}
	}
	return nil, errors.New("could not draw a usable salt: is the random source constant?")
}

// skeskParts picks the salt and encrypted session key out of a SKESK v4
// packet as go-crypto writes it with salted SHA-256 S2K: a two-octet header,
// then version 4, cipher, S2K mode 1, hash 8, 8-octet salt, and the
// encrypted cipher octet plus session key.
func skeskParts(p []byte) (salt, esk []byte, err error) {
	const n = 2 + 4 + 8 + 1 + 32
	if len(p) != n || p[0] != 0xc3 || int(p[1]) != n-2 || p[2] != 4 || p[3] != byte(messageCipher) || p[4] != byte(s2k.SaltedS2K) || p[5] != 8 {
		return nil, nil, errors.New("unexpected passphrase packet layout")
	}
	return p[6:14], p[14:], nil
}

// firstKeyByte returns the cipher-id octet a reader would see when
// decrypting esk with passphrase under salted SHA-256 S2K and AES-256 in CFB
// mode with a zero IV: the first octet of E(KEK, 0) xor esk[0].
func firstKeyByte(passphrase, salt, esk []byte) byte {
	kek := make([]byte, 32)
	defer clear(kek)
	s2k.Salted(kek, sha256.New(), passphrase, salt)
	block, err := aes.NewCipher(kek)
	if err != nil {
		panic(err) // unreachable: the key is always 32 bytes
	}
	var ks [aes.BlockSize]byte
	block.Encrypt(ks[:], ks[:])
	return ks[0] ^ esk[0]
}

// looksLikeCipherID reports whether b could be taken for a symmetric cipher
// id by some reader: the RFC 4880 and RFC 9580 ids (1 to 13, 0 for
// plaintext) and the private range 100 to 110.
func looksLikeCipherID(b byte) bool {
	return b <= 13 || (b >= 100 && b <= 110)
}

// Armor returns msg in ASCII armor ("-----BEGIN PGP MESSAGE-----"), with the
// CRC-24 line that older readers expect, and a final newline. The bytes are
// those go-crypto's armor.Encode writes, made without its byte-at-a-time
// checksum and small writes: armoring every record.html was several
// percent of a build.
func Armor(msg []byte) ([]byte, error) {
	const (
		begin = "-----BEGIN PGP MESSAGE-----\n\n" // openpgp.MessageType
		end   = "-----END PGP MESSAGE-----\n"
		line  = 48 // bytes of msg per line of 64 base64 characters
	)
	enc := base64.StdEncoding
	lines := (len(msg) + line - 1) / line
	out := make([]byte, 0, len(begin)+enc.EncodedLen(len(msg))+lines+len("\n=XXXX\n")+len(end))
	out = append(out, begin...)
	for i := 0; i < len(msg); i += line {
		if i > 0 {
			out = append(out, '\n')
		}
		out = enc.AppendEncode(out, msg[i:min(i+line, len(msg))])
	}
	crc := crc24(msg)
	out = append(out, '\n', '=')
	out = enc.AppendEncode(out, []byte{byte(crc >> 16), byte(crc >> 8), byte(crc)})
	out = append(out, '\n')
	return append(out, end...), nil
}

// crc24 is the armor checksum of RFC 4880, 6.1, a table at a time.
func crc24(data []byte) uint32 {
	crc := uint32(0xb704ce)
	for _, b := range data {
		crc = crc<<8 ^ crc24Table[byte(crc>>16)^b]
	}
	return crc & 0xffffff
}

// crc24Table is the CRC-24 of each byte value (polynomial 0x1864cfb).
var crc24Table = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 16
		for range 8 {
			c <<= 1
			if c&0x1000000 != 0 {
				c ^= 0x1864cfb
			}
		}
		t[i] = c & 0xffffff
	}
	return t
}()

// nopCloser keeps SerializeLiteral from closing the encrypted data writer,
// which Encrypt closes itself so the MDC is written exactly once.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
