// Package practicekey keeps the practice's OpenPGP signing key: it makes
// the key, stores its secret part in private_dir (0600, optionally
// protected by a passphrase), exports the public part for hospitals and
// patients to check signatures with, and loads the key for a build to sign
// every bundle.
//
// The key is made by seal.NewKey: v4 Ed25519, preferring AES-256, with no
// encryption subkey, so a stolen practice key signs but opens nothing.
package practicekey

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"

	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// The errors Load returns; callers test them with errors.Is.
var (
	// ErrNoKey means private_dir has no practice key yet. It is also an
	// fs.ErrNotExist.
	ErrNoKey error = &wrapped{msg: "no practice signing key", parent: fs.ErrNotExist}
	// ErrNeedPassphrase means the key is protected and no passphrase was
	// available.
	ErrNeedPassphrase = errors.New("the practice signing key is protected by a passphrase, and none was given")
	// ErrWrongPassphrase means the passphrase does not unlock the key.
	ErrWrongPassphrase = errors.New("the passphrase does not unlock the practice signing key")
)

type wrapped struct {
	msg    string
	parent error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.parent }

// Key is a loaded practice key, ready to sign.
type Key struct {
	// Entity is the key, with its secret part decrypted.
	Entity *openpgp.Entity
	// Public is the armored public key: what practice-key.asc holds.
	Public []byte
	// Fingerprint is the primary key fingerprint in upper-case hex.
	Fingerprint string
	// Protected says the secret key file is passphrase-protected.
	Protected bool
}

// passphraseS2K stretches a passphrase people chose: unlike card secrets
// it may be guessable, so it gets the slow, iterated S2K (about 65 MB of
// SHA-256, a tenth of a second), readable by GnuPG.
var passphraseS2K = s2k.Config{S2KMode: s2k.IteratedSaltedS2K, Hash: crypto.SHA256, S2KCount: 65011712}

// Create makes a new practice key for the practice called name (and
// e-mail, may be empty) as its user id, writes its secret part to path (0600;
// encrypted with passphrase unless it is empty) and returns it. It never
// replaces an existing key: bundles and cards already issued name its
// fingerprint. now is the key's creation time; rand nil means crypto/rand.
func Create(path, name, email string, passphrase []byte, now time.Time, rand io.Reader) (*Key, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s already exists: refusing to replace the practice signing key", path)
	}
	// A user id reads "name <email>": a practice name with brackets in it
	// would make it ambiguous, so they are dropped.
	name = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if strings.ContainsRune("()<>", r) {
			return ' '
		}
		return r
	}, name)), " ")
	e, err := seal.NewKey(name, email, now, rand)
	if err != nil {
		return nil, err
	}
	pub, err := armored(e, false)
	if err != nil {
		return nil, err
	}
	k := &Key{Entity: e, Public: pub, Fingerprint: fingerprint(e), Protected: len(passphrase) > 0}

	// Serialize a copy so that e itself stays decrypted, ready to sign.
	file := e
	if k.Protected {
		var plain bytes.Buffer
		defer func() { clear(plain.Bytes()[:plain.Cap()]) }()
		if err := e.SerializePrivateWithoutSigning(&plain, nil); err != nil {
			return nil, fmt.Errorf("writing the practice key: %w", err)
		}
		ring, err := openpgp.ReadKeyRing(bytes.NewReader(plain.Bytes()))
		if err != nil || len(ring) != 1 {
			return nil, errors.New("writing the practice key: it does not read back")
		}
		file = ring[0]
		s2kcfg := passphraseS2K
		cfg := &packet.Config{Rand: rand, DefaultCipher: packet.CipherAES256, S2KConfig: &s2kcfg}
		if err := file.EncryptPrivateKeys(passphrase, cfg); err != nil {
			return nil, fmt.Errorf("protecting the practice key: %w", err)
		}
	}
	secret, err := armored(file, true)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	if err := createOnce(path, secret); err != nil {
		return nil, err
	}
	return k, nil
}

// createOnce writes data to path, 0600, whole or not at all, failing if
// path exists: a temp file hard-linked into place, since a link, unlike a
// rename, never replaces its target.
func createOnce(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".practice.key.tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: refusing to replace the practice signing key", path)
		}
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable; not all systems can
		d.Close()
	}
	return nil
}

// Load reads the practice key from path (site.Config.PracticeKeyFile). A protected key is
// unlocked with what passphrase returns; passphrase is called only then,
// and may be nil (ErrNeedPassphrase). The file must not be readable by
// group or others. A missing key is ErrNoKey.
func Load(path string, passphrase func() ([]byte, error)) (*Key, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoKey)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the practice signing key: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the practice signing key: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by other users (mode %04o): run `chmod 600 %s`", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the practice signing key: %w", path, err)
	}
	defer clear(data)
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil || len(ring) != 1 || ring[0].PrivateKey == nil {
		return nil, fmt.Errorf("%s is not a practice signing key (an armored OpenPGP secret key)", path)
	}
	e := ring[0]
	k := &Key{Entity: e, Fingerprint: fingerprint(e), Protected: e.PrivateKey.Encrypted}
	if k.Protected {
		if passphrase == nil {
			return nil, fmt.Errorf("%s: %w", path, ErrNeedPassphrase)
		}
		p, err := passphrase()
		if err != nil {
			return nil, err
		}
		defer clear(p)
		if len(p) == 0 {
			return nil, fmt.Errorf("%s: %w", path, ErrNeedPassphrase)
		}
		if err := e.DecryptPrivateKeys(p); err != nil {
			return nil, fmt.Errorf("%s: %w", path, ErrWrongPassphrase)
		}
	}
	if !e.PrimaryKey.CanSign() || e.Revoked(time.Now()) {
		return nil, fmt.Errorf("%s: the practice key cannot sign (revoked?)", path)
	}
	if k.Public, err = armored(e, false); err != nil {
		return nil, err
	}
	return k, nil
}

// Export writes the public key to path (site.Config.PublicKeyFile; 0644), unless it
// already holds exactly that. It reports whether it wrote the file.
func Export(path string, k *Key) (bool, error) {
	dir := filepath.Dir(path)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, k.Public) {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if err := atomicfile.Write(path, k.Public, 0o644); err != nil {
		return false, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return true, nil
}

// armored returns e in ASCII armor: the public key, or the whole secret key
// as it stands (encrypted or not).
func armored(e *openpgp.Entity, secret bool) ([]byte, error) {
	var buf bytes.Buffer
	typ := openpgp.PublicKeyType
	if secret {
		typ = openpgp.PrivateKeyType
	}
	aw, err := armor.Encode(&buf, typ, nil)
	if err != nil {
		return nil, err
	}
	if secret {
		err = e.SerializePrivateWithoutSigning(aw, nil)
	} else {
		err = e.Serialize(aw)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the practice key: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}
