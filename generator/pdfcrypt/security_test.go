package pdfcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"testing"
)

// TestHash2BKnownVector checks Algorithm 2.B, and the unwrapping of /UE,
// against values qpdf 11.3 wrote for
// `qpdf --encrypt USERPASSWORD28CHARSXXXXXXXXX ownerpw 256 --`, with the
// file key `qpdf --show-encryption-key` printed. It needs no tools.
func TestHash2BKnownVector(t *testing.T) {
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const user, owner = "USERPASSWORD28CHARSXXXXXXXXX", "ownerpw"
	u := unhex("c152a34b1cd9a406a2a5f8f0d02332a895bb491166a633a4d2c8a4c1bb31bac47ab231fa2c89604aaf0b3cc2d2e0fa1f")
	o := unhex("615da13e8a1322e859c26a2c8810fe93efc4197a053a8d10c6d2f6630230b3084aa1fdecabd454275240bb5c2b32ec7d")
	ue := unhex("34b25f0196c3c60862e32740531d44d6e1e478dd7eccaac8850e67b4bbd34973")
	oe := unhex("5ddea46cb019966763456f67bff8edc9138683e0fe1309373b04af80637f7578")
	perms := unhex("1ab85015d2541134b6b20ca780c9e559")
	fileKey := unhex("ec012288ec17dbafefe2fd445c35154b8385f812d1969c22e16e865520451951")

	if !bytes.Equal(hash2B([]byte(user), u[32:40], nil), u[:32]) {
		t.Error("the user password does not validate /U")
	}
	if !bytes.Equal(hash2B([]byte(owner), o[32:40], u), o[:32]) {
		t.Error("the owner password does not validate /O")
	}
	// wrapKey is what made /UE and /OE: wrapping the file key again under
	// the same intermediate keys must give qpdf's values.
	if got := wrapKey(hash2B([]byte(user), u[40:48], nil), fileKey); !bytes.Equal(got, ue) {
		t.Error("wrapping the file key does not give qpdf's /UE")
	}
	if got := wrapKey(hash2B([]byte(owner), o[40:48], u), fileKey); !bytes.Equal(got, oe) {
		t.Error("wrapping the file key does not give qpdf's /OE")
	}
	block, _ := aes.NewCipher(fileKey)
	p := make([]byte, 16)
	block.Decrypt(p, perms)
	if string(p[9:12]) != "adb" {
		t.Error("qpdf's /Perms does not decrypt with the file key")
	}
}

// TestNewSecurityIsConsistent checks what newSecurity writes the way a
// reader would: the password validates /U, /UE unwraps to the file key,
// and /Perms holds /P and 'T'.
func TestNewSecurityIsConsistent(t *testing.T) {
	s, err := newSecurity(key, sevens{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.u) != 48 || len(s.o) != 48 || len(s.ue) != 32 || len(s.oe) != 32 || len(s.perms) != 16 {
		t.Fatal("wrong lengths")
	}
	if !bytes.Equal(hash2B([]byte(key), s.u[32:40], nil), s.u[:32]) {
		t.Error("the password does not validate /U")
	}
	// No one holds the owner password: the card's key is not it.
	if bytes.Equal(hash2B([]byte(key), s.o[32:40], s.u), s.o[:32]) {
		t.Error("the user password validates /O")
	}
	k := make([]byte, 32)
	block, _ := aes.NewCipher(hash2B([]byte(key), s.u[40:48], nil))
	cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(k, s.ue)
	if !bytes.Equal(k, s.key) {
		t.Error("/UE does not unwrap to the file key")
	}
	block, _ = aes.NewCipher(s.key)
	p := make([]byte, 16)
	block.Decrypt(p, s.perms)
	if !bytes.Equal(p[:12], []byte{0xd4, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'T', 'a', 'd', 'b'}) {
		t.Errorf("/Perms decrypts to % x", p[:12])
	}
}

// BenchmarkHash2B is one Algorithm 2.B hash of a 28-symbol card key, as
// locking a copy does twice.
func BenchmarkHash2B(b *testing.B) {
	pw, salt := []byte("ABCDEFGHJKLMNPQRSTUVWXYZ2345"), []byte("8salt!!!")
	for b.Loop() {
		hash2B(pw, salt, nil)
	}
}
