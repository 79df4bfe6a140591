package testtool

import (
	"bytes"
	"testing"
)

// FlipArmoredByte returns a copy of page (a record.html, or any file
// holding one armored OpenPGP message) with one base64 character changed
// in the middle of the message, inside the encrypted data: a reader must
// then refuse it and show nothing.
func FlipArmoredByte(t testing.TB, page []byte) []byte {
	t.Helper()
	begin := bytes.Index(page, []byte("-----BEGIN PGP MESSAGE-----"))
	end := bytes.Index(page, []byte("-----END PGP MESSAGE-----"))
	if begin < 0 || end < begin {
		t.Fatal("no armored message in the page")
	}
	i := (begin + end) / 2
	for page[i] == '\n' || page[i] == '\r' {
		i++
	}
	out := bytes.Clone(page)
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}
