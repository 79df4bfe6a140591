package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

func cmdOpen(args []string, stderr io.Writer) error {
	fs := newFlags("open", stderr)
	key := fs.String("key", "", "the key card's secret (or set SATCHEL_KEY)")
	out := fs.String("out", "", "a new (or empty) folder to write the record's files to (default: a new folder record, record-2, ... here)")
	force := fs.Bool("force", false, "write into a folder that has files in it, replacing files of the same names")
	pinnedPath := fs.String("practice-key", "", "require a signature by this public key (e.g. practice-key.asc)")
	insecure := fs.Bool("insecure-skip-verify", false, "write the files of an unsigned or badly signed bundle anyway (recovery only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *key == "" {
		*key = os.Getenv("SATCHEL_KEY")
	}
	if *key == "" {
		return usageError{msg: "open needs the key card's secret", hint: "satchel open -key SECRET FILE, or set SATCHEL_KEY"}
	}
	if fs.NArg() != 1 {
		return usageError{msg: "open needs exactly one bundle file", hint: "satchel open -key SECRET public/bundles/<id>/record.pgp"}
	}
	file := fs.Arg(0)
	var pinned openpgp.EntityList
	if *pinnedPath != "" {
		raw, err := os.ReadFile(*pinnedPath)
		if err != nil {
			return fmt.Errorf("%s: cannot read the practice key", *pinnedPath)
		}
		if pinned, err = provenance.ReadKeys(raw); err != nil {
			return fmt.Errorf("%s: not an OpenPGP public key", *pinnedPath)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: cannot read the bundle", file)
	}
	secret, err := cardkey.Parse(*key)
	if err != nil {
		return err
	}
	pass := secret.Passphrase()
	defer clear(pass)
	msgBytes := provenance.Message(data)

	res, err := provenance.Check(msgBytes, pass, pinned)
	var files []bundle.File
	switch {
	case err == nil:
		files = res.Files
		describe(stderr, res, *pinnedPath)
	case errors.Is(err, seal.ErrUnsigned) || errors.Is(err, seal.ErrBadSignature):
		if !*insecure {
			return usageError{
				msg:  fmt.Sprintf("%s: %v; nothing was written", file, err),
				hint: "ask the practice for a new copy; to recover the files anyway, at your own risk: satchel open -insecure-skip-verify ...",
			}
		}
		msg(stderr, "warning", "%s: %v", file, err)
		msg(stderr, "warning", "-insecure-skip-verify: writing the files WITHOUT a verified signature: do not rely on this record")
		o, err := seal.Open(msgBytes, pass, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		files, err = bundle.Unpack(o.Plaintext)
		clear(o.Plaintext)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	default:
		return fmt.Errorf("%s: %w", file, err)
	}
	defer func() {
		for _, f := range files {
			clear(f.Data)
		}
	}()
	// Only Satchel's own file names are written: a bundle made elsewhere
	// could name .bashrc, or ..\..\evil.bat on Windows.
	if err := bundle.CheckNames(files); err != nil {
		return fmt.Errorf("%s: %w; nothing was written", file, err)
	}
	dir, err := outputDir(*out, *force)
	if err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if err := writeOut(path, f.Data, *force); err != nil {
			return err
		}
		msg(stderr, "", "wrote %s", path)
	}
	return nil
}

// outputDir makes the folder satchel open writes to and returns it. With
// no -out it is a new folder here: record, or record-2, record-3, ... when
// taken. An -out that exists must be an empty folder, unless force.
func outputDir(out string, force bool) (string, error) {
	if out == "" {
		for i := 1; i <= 100; i++ {
			dir := "record"
			if i > 1 {
				dir = fmt.Sprintf("record-%d", i)
			}
			err := os.Mkdir(dir, 0o700)
			if err == nil {
				return dir, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return "", fmt.Errorf("cannot create %s", dir)
			}
		}
		return "", usageError{msg: "record, record-2, ... record-100 all exist here", hint: "name a new folder: satchel open -out DIR ..."}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s", filepath.Dir(out))
	}
	err := os.Mkdir(out, 0o700)
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("cannot create %s", out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", usageError{msg: fmt.Sprintf("%s exists and is not a folder; nothing was written", out), hint: "name a new folder: satchel open -out DIR ..."}
	}
	if len(entries) > 0 && !force {
		return "", usageError{
			msg:  fmt.Sprintf("%s is not empty; nothing was written", out),
			hint: "name a new folder with -out, or add -force to write into it, replacing the record's files there",
		}
	}
	return out, nil
}

// writeOut writes one of the record's files, 0600 as the record is secret.
// Without force it never replaces anything, not even a file made since
// outputDir looked, nor follows a symbolic link there.
func writeOut(path string, data []byte, force bool) error {
	if force {
		if err := atomicfile.Write(path, data, 0o600); err != nil {
			return fmt.Errorf("cannot write %s", path)
		}
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageError{msg: fmt.Sprintf("%s already exists: not replaced", path), hint: "add -force to replace it"}
	}
	if err != nil {
		return fmt.Errorf("cannot write %s", path)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr != nil || cerr != nil {
		os.Remove(path)
		return fmt.Errorf("cannot write %s", path)
	}
	return nil
}

// describe prints what a clinician checks before relying on a record: who
// signed it, with which key, who approved it, and how old it is.
func describe(w io.Writer, res *provenance.Result, pinnedPath string) {
	msg(w, "", "good signature by practice key %s", provenance.GroupFingerprint(res.Fingerprint))
	if pinnedPath != "" {
		msg(w, "", "the signing key is the one in %s", pinnedPath)
	} else {
		msg(w, "", "check that the key card's \"Signed by\" reads %s", provenance.ShortFingerprint(res.Fingerprint))
	}
	if !res.SignedAt.IsZero() {
		msg(w, "", "signed on %s", res.SignedAt.UTC().Format("2 January 2006 15:04 MST"))
	}
	info, err := provenance.ReadInfo(res.Files)
	if err != nil {
		msg(w, "warning", "%v", err)
		return
	}
	practice := info.Practice
	if info.ODSCode != "" {
		practice += " (" + info.ODSCode + ")"
	}
	msg(w, "", "practice: %s", practice)
	approver := info.ApprovedBy
	if info.ApproverRole != "" {
		approver += " (" + info.ApproverRole + ")"
	}
	msg(w, "", "approved by %s on %s", approver, longDate(info.Approved))
	msg(w, "", "exported on %s, current until %s", info.Exported.UTC().Format("2 January 2006"), info.CurrentUntil.UTC().Format("2 January 2006"))
	if info.OutOfDate(time.Now()) {
		msg(w, "warning", "this record may be out of date since %s: ask the practice for a new copy", info.CurrentUntil.UTC().Format("2 January 2006"))
	}
}

// longDate writes a YYYY-MM-DD date as "14 March 2026".
func longDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("2 January 2006")
}

// buildHint says how to fix a build stopped by the practice key.
func buildHint(w io.Writer, cfg *site.Config, err error) {
	switch {
	case errors.Is(err, practicekey.ErrNoKey):
		msg(w, "hint", "this practice has issued cards already, so a new signing key is made only on purpose: run satchel keygen -site %s (a new key changes the fingerprint printed on the cards)", rel(cfg.File))
	case errors.Is(err, practicekey.ErrNeedPassphrase):
		msg(w, "hint", "set %s, or run satchel build in a terminal to be asked for it", passphraseEnv)
	}
}

// reportKey says where the build put the practice key, when it made or
// exported it.
func reportKey(w io.Writer, cfg *site.Config, rep *pipeline.Report) {
	if rep.KeyCreated {
		msg(w, "", "created the practice signing key %s (0600, no passphrase): back it up; satchel keygen before a first build makes a protected one", rel(cfg.PracticeKeyFile()))
	}
	if rep.KeyExported {
		msg(w, "", "exported the practice's public key to %s: fingerprint %s", rel(cfg.PublicKeyFile()), provenance.GroupFingerprint(rep.Fingerprint))
	}
}
