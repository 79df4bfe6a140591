package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// robotsTxt asks every crawler to stay out of public_dir: bundles are for
// the people holding their cards, and nothing in them is for an index.
const robotsTxt = "# Satchel: nothing here is for search engines.\nUser-agent: *\nDisallow: /\n"

// loadSecrets loads the practice master secret and signing key. A
// brand-new practice (no master secret yet) gets both made here, the key
// unprotected like the master secret beside it, so that `satchel build` in
// a fresh folder just works; `satchel keygen` before the first build makes
// a protected one. A practice that has issued cards already is never given
// a new key silently: its printed cards name the old key's fingerprint, so
// a missing key stops the build (practicekey.ErrNoKey) and the practice
// runs `satchel keygen` on purpose. Both are read before either is made,
// so a build that stops here has written nothing.
func (b *builder) loadSecrets(opt Options, rep *Report) error {
	cfg := b.cfg
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	newPractice := errors.Is(err, fs.ErrNotExist)
	if err != nil && !newPractice {
		return err
	}
	k, err := practicekey.Load(cfg.PracticeKeyFile(), opt.KeyPassphrase)
	makeKey := errors.Is(err, practicekey.ErrNoKey) && newPractice
	if err != nil && !makeKey {
		return err
	}
	if err := os.MkdirAll(cfg.PrivateDir, 0o700); err != nil {
		return fmt.Errorf("cannot create private_dir: %w", err)
	}
	if err := os.Chmod(cfg.PrivateDir, 0o700); err != nil {
		return fmt.Errorf("cannot protect private_dir: %w", err)
	}
	if err := os.MkdirAll(cfg.BundlesDir(), 0o755); err != nil {
		return fmt.Errorf("cannot create public_dir: %w", err)
	}
	if newPractice {
		if master, err = cardkey.CreateMaster(cfg.MasterFile(), b.rand); err != nil {
			return err
		}
		rep.MasterCreated = true
	}
	if makeKey {
		if k, err = practicekey.Create(cfg.PracticeKeyFile(), cfg.Practice.Name, "", nil, b.now, b.rand); err != nil {
			return err
		}
		rep.KeyCreated = true
	}
	b.master, b.key = master, k
	b.keyFile = bundle.File{Name: bundle.PracticeKey, Data: k.Public}
	rep.Fingerprint = k.Fingerprint
	return nil
}

// writePublic writes what public_dir holds besides bundles: the practice's
// public key, so anyone can check a bundle's signature, and robots.txt.
// There is no index page and nothing that lists or names patients.
func (b *builder) writePublic(rep *Report) error {
	wrote, err := practicekey.Export(b.cfg.PublicKeyFile(), b.key)
	if err != nil {
		return err
	}
	rep.KeyExported = wrote
	robots := b.cfg.RobotsFile()
	if old, err := os.ReadFile(robots); err != nil || string(old) != robotsTxt {
		if err := atomicfile.Write(robots, []byte(robotsTxt), 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", robots, err)
		}
	}
	// Whatever else is in public_dir gets published with it: say so.
	entries, err := os.ReadDir(b.cfg.PublicDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch e.Name() {
		case filepath.Base(b.cfg.BundlesDir()), filepath.Base(b.cfg.RobotsFile()), filepath.Base(b.cfg.PublicKeyFile()):
			continue
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: not made by Satchel, and published with the bundles: remove it unless it must be", b.rel(filepath.Join(b.cfg.PublicDir, e.Name()))))
	}
	return nil
}

// infoFile returns bundle.json for a patient's bundle: the approval and the
// dates a clinician judges the record by, signed with the rest.
func (b *builder) infoFile(bundleID string, appr *policy.Approval, currentUntil time.Time) (bundle.File, error) {
	info := provenance.Info{
		Practice:     b.cfg.Practice.Name,
		ODSCode:      b.cfg.Practice.ODS,
		BundleID:     bundleID,
		Exported:     b.now,
		CurrentUntil: currentUntil,
		ApprovedBy:   appr.Approver,
		ApproverRole: appr.Role,
		Approved:     appr.Date.ISO(),
	}
	data, err := info.Marshal()
	return bundle.File{Name: provenance.FileName, Data: data}, err
}

// sealed is one patient's bundle as OpenPGP messages, all signed by the
// practice key: All opens with every live card (and the patient's own key,
// if any) and goes in record.pgp and record.html; PerCard[i] opens with
// card i alone, for GnuPG 2.2, which tries only the first passphrase packet
// of a message (nil for a card that opens All with it).
type sealed struct {
	All     []byte
	PerCard [][]byte
}

// seal signs and encrypts zipped for the patient's cards and own key.
// When firstInAll is set, the first card opens All with GnuPG 2.2 (its
// packet comes first), so no message of its own is made for it.
func (b *builder) seal(zipped []byte, pass [][]byte, own openpgp.EntityList, firstInAll bool) (*sealed, error) {
	opts := seal.Options{Passphrases: pass, Recipients: own, Signer: b.key.Entity, FileName: "record.zip", Time: b.now, Rand: b.rand}
	var all bytes.Buffer
	if err := seal.Encrypt(&all, zipped, opts); err != nil {
		return nil, err
	}
	s := &sealed{All: all.Bytes()}
	for i, p := range pass {
		if i == 0 && firstInAll {
			s.PerCard = append(s.PerCard, nil)
			continue
		}
		opts.Passphrases, opts.Recipients = [][]byte{p}, nil
		var one bytes.Buffer
		if err := seal.Encrypt(&one, zipped, opts); err != nil {
			return nil, err
		}
		s.PerCard = append(s.PerCard, one.Bytes())
	}
	return s, nil
}
