package practicekey_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/internal/testtool"
)

var now = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func rng(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed}) }

func give(p string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(p), nil }
}

func TestCreateWritesSecretKeyPrivatelyAndLoadSignsWithIt(t *testing.T) {
	t.Parallel()
	dir, pub := t.TempDir(), t.TempDir()
	k, err := practicekey.Create(filepath.Join(dir, "practice.key"), "Riverside (Test) <Surgery>", "records@example.invalid", nil, now, rng(1))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "practice.key"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret key mode %v, want 0600", st.Mode().Perm())
	}
	if wrote, err := practicekey.Export(filepath.Join(pub, "practice-key.asc"), k); err != nil || !wrote {
		t.Fatalf("export: %v %v", wrote, err)
	}
	if wrote, _ := practicekey.Export(filepath.Join(pub, "practice-key.asc"), k); wrote {
		t.Error("an unchanged public key was written again")
	}
	exported, _ := os.ReadFile(filepath.Join(pub, "practice-key.asc"))
	if bytes.Contains(exported, []byte("PRIVATE")) {
		t.Error("the exported key holds the secret key")
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(exported))
	if err != nil || len(ring) != 1 || ring[0].PrivateKey != nil {
		t.Fatalf("exported key does not read as one public key: %v", err)
	}
	for name := range ring[0].Identities {
		if strings.ContainsAny(strings.TrimSuffix(name, " <records@example.invalid>"), "()<>") {
			t.Errorf("user id %q keeps the practice name's brackets", name)
		}
	}

	loaded, err := practicekey.Load(filepath.Join(dir, "practice.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Fingerprint != k.Fingerprint || loaded.Protected {
		t.Error("the loaded key differs from the one made")
	}
	assertSigns(t, loaded, ring)
}

func assertSigns(t *testing.T, k *practicekey.Key, ring openpgp.EntityList) {
	t.Helper()
	var msg bytes.Buffer
	pass := []byte("7K3M-Q9XR-2B4D-6F8H-JKMN-PQRS-TVW0")
	if err := seal.Encrypt(&msg, []byte("zip"), seal.Options{Passphrases: [][]byte{pass}, Signer: k.Entity, Time: now, Rand: rng(3)}); err != nil {
		t.Fatal(err)
	}
	res, err := seal.Verify(msg.Bytes(), pass, ring)
	if err != nil {
		t.Fatalf("a message the key signed does not verify with the exported key: %v", err)
	}
	if res.Fingerprint != k.Fingerprint {
		t.Error("signed by another key")
	}
}

func TestProtectedKeyNeedsItsPassphrase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k, err := practicekey.Create(filepath.Join(dir, "practice.key"), "Riverside Test Surgery", "", []byte("correct horse"), now, rng(1))
	if err != nil {
		t.Fatal(err)
	}
	if !k.Protected {
		t.Error("key made with a passphrase is not marked protected")
	}
	file, _ := os.ReadFile(filepath.Join(dir, "practice.key"))
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(file))
	if err != nil || !ring[0].PrivateKey.Encrypted {
		t.Fatal("the secret key file is not encrypted")
	}
	if _, err := practicekey.Load(filepath.Join(dir, "practice.key"), nil); !errors.Is(err, practicekey.ErrNeedPassphrase) {
		t.Errorf("no passphrase: %v", err)
	}
	if _, err := practicekey.Load(filepath.Join(dir, "practice.key"), give("")); !errors.Is(err, practicekey.ErrNeedPassphrase) {
		t.Errorf("empty passphrase: %v", err)
	}
	_, err = practicekey.Load(filepath.Join(dir, "practice.key"), give("wrong horse"))
	if !errors.Is(err, practicekey.ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong horse") {
		t.Error("the error repeats the passphrase")
	}
	loaded, err := practicekey.Load(filepath.Join(dir, "practice.key"), give("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := openpgp.ReadArmoredKeyRing(bytes.NewReader(k.Public))
	assertSigns(t, loaded, pub)
	// The key made and returned by Create signs too, without a reload.
	assertSigns(t, k, pub)
}

func TestProtectedKeyOpensInGnuPG(t *testing.T) {
	testtool.Slow(t, "GnuPG stretches the passphrase to import and to sign")
	t.Parallel()
	dir := t.TempDir()
	if _, err := practicekey.Create(filepath.Join(dir, "practice.key"), "Riverside Test Surgery", "", []byte("correct horse"), now, rng(1)); err != nil {
		t.Fatal(err)
	}
	home := testtool.GNUPGHome(t)
	path := filepath.Join(dir, "practice.key")
	if _, err := testtool.GPG(t, home, []byte("correct horse\n"), "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", path); err != nil {
		t.Fatalf("gpg cannot import the protected key: %v", err)
	}
	sig, err := testtool.GPG(t, home, []byte("correct horse\n"), "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--detach-sign", "--armor", "--output", "-", path)
	if err != nil || !bytes.Contains(sig, []byte("BEGIN PGP SIGNATURE")) {
		t.Fatalf("gpg cannot sign with the protected key and its passphrase: %v", err)
	}
}

func TestCreateNeverReplacesAKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := practicekey.Create(filepath.Join(dir, "practice.key"), "Riverside Test Surgery", "", nil, now, rng(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := practicekey.Create(filepath.Join(dir, "practice.key"), "Riverside Test Surgery", "", nil, now, rng(2)); err == nil {
		t.Fatal("a second key replaced the first")
	}
	k, err := practicekey.Load(filepath.Join(dir, "practice.key"), nil)
	if err != nil || k.Fingerprint != first.Fingerprint {
		t.Error("the first key is gone")
	}
}

func TestLoadSaysWhenThereIsNoKeyAndRefusesAnOpenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := practicekey.Load(filepath.Join(dir, "practice.key"), nil)
	if !errors.Is(err, practicekey.ErrNoKey) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := practicekey.Create(filepath.Join(dir, "practice.key"), "Riverside Test Surgery", "", nil, now, rng(1)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "practice.key")
	os.Chmod(path, 0o644)
	if _, err := practicekey.Load(filepath.Join(dir, "practice.key"), nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key others can read loaded: %v", err)
	}
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := practicekey.Load(filepath.Join(dir, "practice.key"), nil); err == nil {
		t.Error("a file that is not a key loaded")
	}
}

func TestKeyPrefersAES256AndHasNoEncryptionKey(t *testing.T) {
	t.Parallel()
	k, err := practicekey.Create(filepath.Join(t.TempDir(), "practice.key"), "Riverside Test Surgery", "", nil, now, rng(1))
	if err != nil {
		t.Fatal(err)
	}
	if k.Entity.PrimaryKey.Version != 4 {
		t.Errorf("key version %d, want 4", k.Entity.PrimaryKey.Version)
	}
	if _, ok := k.Entity.EncryptionKey(now); ok {
		t.Error("the practice key can be encrypted to")
	}
	_, id := k.Entity.PrimarySelfSignature()
	if id == nil || len(id.SelfSignature.PreferredSymmetric) == 0 || id.SelfSignature.PreferredSymmetric[0] != uint8(packet.CipherAES256) {
		t.Error("the key does not prefer AES-256")
	}
}
