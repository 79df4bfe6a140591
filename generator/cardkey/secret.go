// Package cardkey makes the secrets on patients' key cards, the bundle ids
// and per-card file names that name their records, and the practice master
// secret all of them derive from. Printing the cards is package keycard's job.
//
// A card secret is 27 Crockford base32 symbols (135 bits) and a Crockford
// mod-37 check symbol, printed as 7 groups of 4. It is derived from the
// practice master secret, the patient id, the id's generation (see Holder)
// and the card serial, so a rebuild gives the patient the same card, and
// revoking a card is bumping its serial. A card's check character is a
// letter or digit of the base32 alphabet; cards issued before that was so
// (Holder.LegacySecret) may end in one of Crockford's check symbols
// * ~ $ = U, and still parse and open their records.
package cardkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"strings"
)

// alphabet is Crockford's base32: digits and letters without I, L, O, U,
// which people confuse with 1, 1, 0 and V.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// checkAlphabet extends alphabet with Crockford's five check symbols for
// the values 32 to 36.
const checkAlphabet = alphabet + "*~$=U"

const (
	dataSymbols = 27 // 135 bits, over the 128 the design asks for
	groupSize   = 4
	// MinMasterLen is the shortest master secret Derive and BundleID accept.
	MinMasterLen = 32
)

// Domain separation labels: the same master secret keys several HMACs, and
// none may be computable from another.
const (
	secretLabel   = "satchel/keycard/secret/v1"
	retryLabel    = "satchel/keycard/secret/letters-retry/v1"
	bundleIDLabel = "satchel/keycard/bundle-id/v1"
	cardFileLabel = "satchel/keycard/card-file/v1"
	identityLabel = "satchel/registry/identity/v1"
)

// cardTagSymbols is the length of a card file tag: 50 bits, so two cards of
// one patient never share a file name in practice, and short enough to
// print on a card.
const cardTagSymbols = 10

// The errors Parse returns. Their text is for the person typing and never
// repeats what was typed.
var (
	// ErrLength means the key does not have 28 symbols.
	ErrLength = errors.New("a key has 28 characters in 7 groups of 4: one is missing or extra")
	// ErrCharacter means the key has a character no card carries.
	ErrCharacter = errors.New("the key has a character that is not used on key cards")
	// ErrCheck means the check symbol does not match: a character was
	// mistyped or two were swapped.
	ErrCheck = errors.New("a character was mistyped: check the key against the card")
)

// Secret is a key card secret. The zero Secret is not a valid card secret.
type Secret struct {
	sym [dataSymbols]byte // values 0..31
}

// Holder is whom a patient id's cards and bundle belong to: the id, and
// the generation of the id. The generation goes up each time the id is
// found to name a different patient than before (package registry keeps
// it), so the new patient's secrets, bundle id and card files share
// nothing with the old patient's. Generation 0 derives exactly what
// Derive, BundleID and CardFile always have, so cards issued before
// generations existed keep working. Generation is never negative.
type Holder struct {
	ID         string
	Generation int
}

// Derive returns the secret of card serial for patientID under master, an
// HMAC-SHA256 so the same inputs give the same card on every rebuild. It
// panics if master is shorter than MinMasterLen: a short key would make
// every card guessable, and masters come from LoadMaster or CreateMaster.
// It is Holder{ID: patientID}.Secret(master, serial).
func Derive(master []byte, patientID string, serial int) Secret {
	return Holder{ID: patientID}.Secret(master, serial)
}

// Secret returns the secret of card serial of h under master, as Derive
// does for generation 0. Its check character is always a letter or digit
// of the base32 alphabet, easy on a phone keyboard: it is LegacySecret
// whenever that one's is (six cards in seven), so such cards issued before
// keep their secret under either; otherwise the first of further HMACs
// over the serial and a counter 1, 2, ... whose check character is.
func (h Holder) Secret(master []byte, serial int) Secret {
	s := h.LegacySecret(master, serial)
	for try := uint64(1); s.check() >= len(alphabet); try++ {
		mac := keyedHash(master, retryLabel, h)
		var n [16]byte
		binary.BigEndian.PutUint64(n[:8], uint64(int64(serial)))
		binary.BigEndian.PutUint64(n[8:], try)
		mac.Write(n[:])
		toSymbols(s.sym[:], mac.Sum(nil))
	}
	return s
}

// LegacySecret returns the secret of card serial of h as cards issued
// before check characters were letters and digits only have it: about one
// in seven of these ends in one of Crockford's check symbols * ~ $ = U.
// Such a card keeps this secret (its passphrase is what it prints, and
// records are sealed to it), so it goes on opening its record.
func (h Holder) LegacySecret(master []byte, serial int) Secret {
	mac := keyedHash(master, secretLabel, h)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(int64(serial)))
	mac.Write(n[:])
	var s Secret
	toSymbols(s.sym[:], mac.Sum(nil))
	return s
}

// BundleID returns the id naming patientID's bundle: 128 bits of an
// HMAC-SHA256 under master, as 26 lower-case Crockford base32 characters. It
// is stable across rebuilds and, without master, says nothing about the
// patient. It panics like Derive on a short master. It is
// Holder{ID: patientID}.BundleID(master).
func BundleID(master []byte, patientID string) string {
	return Holder{ID: patientID}.BundleID(master)
}

// BundleID returns the id naming h's bundle, as the function BundleID does
// for generation 0.
func (h Holder) BundleID(master []byte) string {
	sum := keyedHash(master, bundleIDLabel, h).Sum(nil)
	sym := make([]byte, 26) // ceil(128 / 5)
	toSymbols(sym, sum[:16])
	out := make([]byte, len(sym))
	for i, v := range sym {
		out[i] = alphabet[v] | 0x20 // ASCII lower case; digits unchanged
	}
	return string(out)
}

// CardFile returns the name of the file in a patient's bundle folder that
// holds the record sealed for card serial alone, e.g.
// "record-7k3mq9xr2a.pgp". GnuPG 2.2 tries only the first passphrase packet
// of a message, so a card other than the first cannot open record.pgp with
// it; each further card names its own file instead. The tag is an HMAC under
// master: it says nothing about the patient, and unlike the serial it does
// not tell a reader how many cards were issued or revoked before. It panics
// like Derive on a short master. It is
// Holder{ID: patientID}.CardFile(master, serial).
func CardFile(master []byte, patientID string, serial int) string {
	return Holder{ID: patientID}.CardFile(master, serial)
}

// CardFile returns the name of the file holding the record sealed for card
// serial of h alone, as the function CardFile does for generation 0.
func (h Holder) CardFile(master []byte, serial int) string {
	return "record-" + h.fileTag(master, serial) + ".pgp"
}

// CardTag returns the short tag printed on both faces of card serial of h
// and in the print sheet's margin, so cut cards can be told apart and a
// front printed behind another card's back shows: the first six symbols of
// its file tag (see CardFile), in capitals, e.g. "7K3MQ9". Like the file
// tag it says nothing about the patient.
func (h Holder) CardTag(master []byte, serial int) string {
	return strings.ToUpper(h.fileTag(master, serial)[:6])
}

// fileTag is the tag in the name of card serial's file: an HMAC under
// master as 10 lower-case base32 symbols.
func (h Holder) fileTag(master []byte, serial int) string {
	mac := keyedHash(master, cardFileLabel, h)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(int64(serial)))
	mac.Write(n[:])
	sym := make([]byte, cardTagSymbols)
	toSymbols(sym, mac.Sum(nil))
	out := make([]byte, len(sym))
	for i, v := range sym {
		out[i] = alphabet[v] | 0x20
	}
	return string(out)
}

// keyedHash starts an HMAC-SHA256 under master over label, the
// length-prefixed id of h and, from generation 1 on, the generation, so no
// two (label, id, generation, serial) inputs collide: what follows the id
// is 8 bytes longer for any generation but 0, which is hashed exactly as
// before generations existed.
func keyedHash(master []byte, label string, h Holder) hash.Hash {
	if len(master) < MinMasterLen {
		panic("master secret shorter than 32 bytes")
	}
	mac := hmac.New(sha256.New, master)
	mac.Write([]byte(label))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(h.ID)))
	mac.Write(n[:])
	mac.Write([]byte(h.ID))
	if h.Generation != 0 {
		binary.BigEndian.PutUint64(n[:], uint64(int64(h.Generation)))
		mac.Write(n[:])
	}
	return mac
}

// toSymbols fills sym with successive 5-bit values of b, most significant
// bit first, padding with zero bits past the end of b.
func toSymbols(sym []byte, b []byte) {
	for i := range sym {
		var v byte
		for j := range 5 {
			bit := i*5 + j
			v <<= 1
			if bit/8 < len(b) {
				v |= (b[bit/8] >> (7 - bit%8)) & 1
			}
		}
		sym[i] = v
	}
}

// check returns the Crockford check value: the secret read as one base-32
// number, modulo 37. 37 is prime and above 32, so any single wrong symbol and
// any swap of two adjacent symbols change it.
func (s Secret) check() int {
	r := 0
	for _, v := range s.sym {
		r = (r*32 + int(v)) % 37
	}
	return r
}

// String returns the secret as printed: 7 groups of 4 joined by '-', the
// last symbol being the check symbol, e.g. "7K3M-Q9XR-...-ABCD" (or, for
// a legacy secret, "...-ABC*").
func (s Secret) String() string {
	var b strings.Builder
	b.Grow(dataSymbols + 1 + 6)
	for i := 0; i <= dataSymbols; i++ {
		if i > 0 && i%groupSize == 0 {
			b.WriteByte('-')
		}
		if i < dataSymbols {
			b.WriteByte(alphabet[s.sym[i]])
		} else {
			b.WriteByte(checkAlphabet[s.check()])
		}
	}
	return b.String()
}

// Groups returns the printed form split into its 7 groups.
func (s Secret) Groups() []string {
	return strings.Split(s.String(), "-")
}

// Passphrase returns the OpenPGP passphrase of the card: exactly the printed
// form, so what a person types into gpg from the card works as is.
func (s Secret) Passphrase() []byte {
	return []byte(s.String())
}

// Parse reads a secret as a person typed it: any case, with or without
// spaces and dashes, O for 0 and I or L for 1. It reads the check symbols
// * ~ $ = U of legacy cards as well as letters and digits. It returns ErrLength,
// ErrCharacter or ErrCheck, never echoing the input.
func Parse(typed string) (Secret, error) {
	var vals []int
	for _, r := range typed {
		if r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' {
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		v := -1
		if r < 128 {
			v = strings.IndexByte(checkAlphabet, byte(r))
		}
		vals = append(vals, v) // -1 marks a character no card has
		if len(vals) > dataSymbols+1 {
			return Secret{}, ErrLength
		}
	}
	if len(vals) != dataSymbols+1 {
		return Secret{}, ErrLength
	}
	var s Secret
	for i, v := range vals[:dataSymbols] {
		if v < 0 || v >= 32 {
			return Secret{}, ErrCharacter
		}
		s.sym[i] = byte(v)
	}
	if vals[dataSymbols] < 0 {
		return Secret{}, ErrCharacter
	}
	if vals[dataSymbols] != s.check() {
		return Secret{}, ErrCheck
	}
	return s, nil
}
