package seal

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// NewKey makes a practice signing key: a v4 Ed25519 (EdDSA legacy) primary
// key that signs and certifies, with one user id and preferences for AES-256
// and SHA-256, readable by GnuPG 2.2 and sq 0.27. It has no encryption
// subkey: the practice key only signs records, so a stolen practice key
// cannot open them. now is the creation time; rand nil means crypto/rand.
func NewKey(name, email string, now time.Time, rand io.Reader) (*openpgp.Entity, error) {
	if name == "" {
		return nil, errors.New("a practice key needs a name")
	}
	// A user id reads "name <email>": these characters would make it
	// ambiguous, and go-crypto refuses them with a less helpful message.
	if strings.ContainsAny(name, "()<>\x00") {
		return nil, errors.New("practice key name must not contain ( ) < >")
	}
	if strings.ContainsAny(email, "()<>\x00 ") {
		return nil, errors.New("practice key e-mail must not contain spaces or ( ) < >")
	}
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(time.Second)
	cfg := &packet.Config{
		Rand:                   rand,
		Algorithm:              packet.PubKeyAlgoEdDSA,
		Curve:                  packet.Curve25519,
		DefaultHash:            crypto.SHA256,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionNone,
		Time:                   func() time.Time { return now },
	}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		return nil, fmt.Errorf("making the practice key: %w", err)
	}
	e.Subkeys = nil
	return e, nil
}
