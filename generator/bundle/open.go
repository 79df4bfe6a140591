package bundle

import (
	"bytes"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/seal"
)

// Opened is a decrypted bundle.
type Opened struct {
	Files []File
	Seal  *seal.Opened // signature details
}

// Open decrypts a bundle with the secret typed from a key card. msg may be
// record.pgp, its armored form, or a record.html that carries it. A typo is
// caught by the secret's check character before any decryption; nothing is
// returned unless decryption and the integrity check succeeded.
func Open(msg []byte, typed string) (*Opened, error) {
	s, err := cardkey.Parse(typed)
	if err != nil {
		return nil, err
	}
	if m := armoredIn(msg); m != nil {
		msg = m
	}
	o, err := seal.Open(msg, s.Passphrase(), nil)
	if err != nil {
		return nil, err
	}
	files, err := Unpack(o.Plaintext)
	if err != nil {
		return nil, err
	}
	return &Opened{Files: files, Seal: o}, nil
}

// armoredIn returns the armored OpenPGP message inside a text file such as
// record.html, or nil.
func armoredIn(data []byte) []byte {
	const begin, end = "-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----"
	i := bytes.Index(data, []byte(begin))
	if i < 0 {
		return nil
	}
	j := bytes.Index(data[i:], []byte(end))
	if j < 0 {
		return nil
	}
	return data[i : i+j+len(end)]
}
