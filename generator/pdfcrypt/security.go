package pdfcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
	"io"
)

// permissions is /P: printing (bits 3 and 12) and copying (bit 5, and bit
// 10 for accessibility) allowed, changes, notes, forms and assembly not;
// bits 7, 8 and 13-32 are 1 as ISO 32000-2 Table 22 requires.
const permissions = int32(-1324) // 0xFFFFFAD4

// maxPassword is the most bytes a password may have (ISO 32000-2, 7.6.4.3.3).
const maxPassword = 127

// checkPassword refuses what this package cannot use as a password. An
// ASCII password is its own SASLprep form, so only ASCII is accepted;
// an empty one would let anyone open the file.
func checkPassword(pw string) error {
	if pw == "" {
		return errors.New("pdfcrypt: empty password")
	}
	if len(pw) > maxPassword {
		return errors.New("pdfcrypt: password longer than 127 bytes")
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] < 0x20 || pw[i] > 0x7e {
			return errors.New("pdfcrypt: password has a character that is not printable ASCII")
		}
	}
	return nil
}

// hash2B is Algorithm 2.B of ISO 32000-2 (7.6.4.3.4): the iterated hash of
// password, salt and (for the owner password) the 48-byte /U value.
func hash2B(password, salt, udata []byte) []byte {
	h := sha256.New()
	h.Write(password)
	h.Write(salt)
	h.Write(udata)
	// K is 32, 48 or 64 bytes; K1 and E are sized once for the longest
	// and reused every round (hundreds of rounds per PDF copy).
	var kbuf [sha512.Size]byte
	k := h.Sum(kbuf[:0])
	longest := 64 * (len(password) + sha512.Size + len(udata))
	k1 := make([]byte, 0, longest)
	ebuf := make([]byte, longest)
	sha256h, sha384h, sha512h := sha256.New(), sha512.New384(), sha512.New()
	var last byte
	for round := 0; round < 64 || int(last) > round-32; round++ {
		k1 = k1[:0]
		for range 64 {
			k1 = append(k1, password...)
			k1 = append(k1, k...)
			k1 = append(k1, udata...)
		}
		block, _ := aes.NewCipher(k[:16]) // a 16-byte key never fails
		e := ebuf[:len(k1)]               // a multiple of 64 bytes: no padding
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		// The first 16 bytes of E, as a number, modulo 3: 256 is 1 modulo
		// 3, so that is the sum of the bytes modulo 3.
		sum := 0
		for _, c := range e[:16] {
			sum += int(c)
		}
		var next hash.Hash
		switch sum % 3 {
		case 0:
			next = sha256h
		case 1:
			next = sha384h
		default:
			next = sha512h
		}
		next.Reset()
		next.Write(e)
		k = next.Sum(kbuf[:0])
		last = e[len(e)-1]
	}
	return bytes.Clone(k[:32])
}

// security is what the /Encrypt dictionary holds, and the file key.
type security struct {
	key          []byte // the 32-byte file encryption key
	o, u, oe, ue []byte
	perms        []byte
	fileID       []byte
}

// newSecurity makes the file key, /U and /UE (Algorithm 8), /O and /OE,
// and /Perms (Algorithm 10).
//
// No one is meant to hold the owner password (it would lift the
// restrictions on changing the copy), so /O and /OE are random bytes:
// what Algorithm 9 gives for a random owner password thrown away, whose
// outputs are SHA-2 and AES outputs under a key no one knows, and so
// cannot be told from random. Skipping Algorithm 9's two iterated hashes
// halves the time it takes to lock a copy. No password validates /O: a
// reader given the card's key opens the copy as its user, with the
// permissions of /P.
func newSecurity(user string, rand io.Reader) (*security, error) {
	// key 32, /O's hash 32 and its two salts 8 each, /OE 32, /U's two
	// salts 8 each, Perms filler 4, ID 16.
	r := make([]byte, 32+48+32+16+4+16)
	if _, err := io.ReadFull(rand, r); err != nil {
		return nil, errors.New("pdfcrypt: reading random bytes failed")
	}
	s := &security{key: r[:32], o: r[32:80], oe: r[80:112]}
	uv, uk := r[112:120], r[120:128]
	filler, id := r[128:132], r[132:148]

	// Algorithm 8: U = hash(pw, validation salt) || validation salt || key
	// salt; UE = the file key, encrypted with hash(pw, key salt).
	pw := []byte(user)
	s.u = append(append(hash2B(pw, uv, nil), uv...), uk...)
	s.ue = wrapKey(hash2B(pw, uk, nil), s.key)

	// Algorithm 10: Perms = AES-256-ECB(file key) of P (little-endian,
	// extended with 0xFF to 8 bytes), 'T' (metadata encrypted), "adb" and
	// four random bytes.
	p := make([]byte, 16)
	perm := permissions
	binary.LittleEndian.PutUint32(p, uint32(perm))
	copy(p[4:], []byte{0xff, 0xff, 0xff, 0xff, 'T', 'a', 'd', 'b'})
	copy(p[12:], filler)
	block, _ := aes.NewCipher(s.key)
	s.perms = make([]byte, 16)
	block.Encrypt(s.perms, p)

	s.fileID = id
	return s, nil
}

// wrapKey encrypts the 32-byte file key with AES-256 in CBC mode, a zero
// IV and no padding, as Algorithms 8 and 9 do for /UE and /OE.
func wrapKey(kek, key []byte) []byte {
	block, _ := aes.NewCipher(kek)
	out := make([]byte, len(key))
	cipher.NewCBCEncrypter(block, make([]byte, aes.BlockSize)).CryptBlocks(out, key)
	return out
}

// encrypt encrypts data for a string or stream (7.6.3.2, AESV3): a random
// 16-byte IV, then AES-256-CBC of data with PKCS#5 padding, under the file
// key itself.
func encrypt(key, data []byte, rand io.Reader) ([]byte, error) {
	pad := aes.BlockSize - len(data)%aes.BlockSize
	out := make([]byte, aes.BlockSize+len(data)+pad)
	iv := out[:aes.BlockSize]
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, errors.New("pdfcrypt: reading random bytes failed")
	}
	body := out[aes.BlockSize:]
	copy(body, data)
	for i := len(data); i < len(body); i++ {
		body[i] = byte(pad)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)
	return out, nil
}
