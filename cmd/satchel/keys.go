package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/registry"
)

// passphraseEnv holds the practice key's passphrase for builds run without
// a terminal. There is no flag for it: a command line is visible to every
// user of the machine and lands in shell history.
const passphraseEnv = "SATCHEL_KEY_PASSPHRASE"

// keyPassphrase returns how a build gets the practice key's passphrase:
// from the environment, else asked on the terminal. It is called only for
// a protected key.
func keyPassphrase(stderr io.Writer) func() ([]byte, error) {
	return func() ([]byte, error) {
		if p, ok := os.LookupEnv(passphraseEnv); ok {
			return []byte(p), nil
		}
		fd := int(os.Stdin.Fd())
		if !term.IsTerminal(fd) {
			return nil, practicekey.ErrNeedPassphrase
		}
		fmt.Fprint(stderr, "satchel: passphrase of the practice signing key: ")
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, fmt.Errorf("cannot read the passphrase: %w", err)
		}
		return p, nil
	}
}

// newPassphrase returns the passphrase for a new practice key: from the
// environment, else asked twice on a terminal; empty means none. Without
// either, the key is not protected.
func newPassphrase(stderr io.Writer) ([]byte, error) {
	if p, ok := os.LookupEnv(passphraseEnv); ok {
		return []byte(p), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, nil
	}
	fmt.Fprint(stderr, "satchel: passphrase for the practice signing key (empty for none): ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, fmt.Errorf("cannot read the passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, nil
	}
	fmt.Fprint(stderr, "satchel: the same passphrase again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	defer clear(again)
	if err != nil {
		return nil, fmt.Errorf("cannot read the passphrase: %w", err)
	}
	if !bytes.Equal(p, again) {
		clear(p)
		return nil, errors.New("the two passphrases differ: no key was made")
	}
	return p, nil
}

func cmdKeygen(args []string, stderr io.Writer) error {
	fs := newFlags("keygen", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	email := fs.String("email", "", "an e-mail address for the key's user id (optional)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "keygen takes no arguments", hint: "the passphrase is read from " + passphraseEnv + " or the terminal, never from the command line"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	path := cfg.PracticeKeyFile()
	if _, err := os.Lstat(path); err == nil {
		return usageError{
			msg:  fmt.Sprintf("%s already exists: refusing to replace the practice signing key", rel(path)),
			hint: fmt.Sprintf("to rotate it, move %s out of %s (keep it: bundles already handed out were signed with it), run satchel keygen, then satchel build to re-sign every bundle and reprint the cards, which show the new fingerprint", rel(path), rel(cfg.PrivateDir)),
		}
	}
	pass, err := newPassphrase(stderr)
	if err != nil {
		return err
	}
	defer clear(pass)
	// The key and master secret are made holding the registry lock, like
	// a build that makes them: never while a build or shard runs.
	if err := os.MkdirAll(cfg.PrivateDir, 0o700); err != nil {
		return fmt.Errorf("cannot create private_dir: %w", err)
	}
	reg, err := registry.Open(cfg.PrivateDir)
	if err != nil {
		return err
	}
	defer reg.Close()
	k, err := practicekey.Create(path, cfg.Practice.Name, *email, pass, time.Now(), nil)
	if err != nil {
		return err
	}
	if _, err := practicekey.Export(cfg.PublicKeyFile(), k); err != nil {
		return err
	}
	if err := registry.Audit(cfg.PrivateDir, registry.Event{Time: time.Now(), Who: who(""), What: registry.EventKeygen, Key: k.Fingerprint}); err != nil {
		return fmt.Errorf("made the key, but cannot write the audit log: %w", err)
	}
	protection := "not protected by a passphrase"
	if k.Protected {
		protection = "protected by a passphrase: builds read it from " + passphraseEnv + " or the terminal"
	}
	msg(stderr, "", "created the practice signing key %s (0600, %s): back it up", rel(path), protection)
	// A new practice gets its master secret too, so that the shards of a
	// sharded build (satchel build -shard) find both and make neither.
	if _, err := os.Lstat(cfg.MasterFile()); errors.Is(err, iofs.ErrNotExist) {
		if _, err := cardkey.CreateMaster(cfg.MasterFile(), nil); err != nil {
			return err
		}
		msg(stderr, "", "created the practice master secret %s (0600): back it up; every key card depends on it", rel(cfg.MasterFile()))
	}
	msg(stderr, "", "exported its public key to %s", rel(cfg.PublicKeyFile()))
	msg(stderr, "", "fingerprint %s (key cards print %s)", provenance.GroupFingerprint(k.Fingerprint), provenance.ShortFingerprint(k.Fingerprint))
	return nil
}
