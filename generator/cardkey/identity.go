package cardkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// Identity returns the digest that tells whether two records under one
// patient id are of one patient: an HMAC-SHA256 under master of the NHS
// number (spaces and dashes dropped) and the birth date (as the record
// gives it, e.g. "1971-03-14", or "1971" when partial), in hex. Either may
// be empty: the digest is then of what there is, each field in its own
// place, so a number that appears or disappears reads as another patient.
// Keyed with the master secret, the digest cannot be reversed by trying
// every NHS number and birth date, which a plain hash of so small a space
// could; it holds neither value. It panics like Derive on a short master.
func Identity(master []byte, nhsNumber, born string) string {
	if len(master) < MinMasterLen {
		panic("master secret shorter than 32 bytes")
	}
	nhs := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, nhsNumber)
	mac := hmac.New(sha256.New, master)
	mac.Write([]byte(identityLabel))
	for _, f := range []string{nhs, strings.TrimSpace(born)} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		mac.Write(n[:])
		mac.Write([]byte(f))
	}
	return hex.EncodeToString(mac.Sum(nil))
}
