package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/internal/atomicfile"
	"github.com/satchel-records/satchel/internal/strict"
)

// robotsTxt asks every crawler to stay out of public_dir: bundles are for
// the people holding their cards, and nothing in them is for an index.
const robotsTxt = "# Satchel: nothing here is for search engines.\nUser-agent: *\nDisallow: /\n"

// loadPracticeKey loads the practice signing key. A brand-new practice
// (this build made its master secret) gets one made here, unprotected like
// the master secret beside it, so that `satchel build` in a fresh folder
// just works; `satchel keygen` before the first build makes a protected
// one. A practice that has issued cards already is never given a new key
// silently: its printed cards name the old key's fingerprint, so a missing
// key stops the build (practicekey.ErrNoKey) and the practice runs
// `satchel keygen` on purpose.
func (b *builder) loadPracticeKey(opt Options, rep *Report) error {
	k, err := practicekey.Load(b.cfg.PrivateDir, opt.KeyPassphrase)
	if errors.Is(err, practicekey.ErrNoKey) && rep.MasterCreated {
		k, err = practicekey.Create(b.cfg.PrivateDir, b.cfg.Practice.Name, "", nil, b.now, b.rand)
		rep.KeyCreated = err == nil
	}
	if err != nil {
		return err
	}
	b.key = k
	b.keyFile = bundle.File{Name: bundle.PracticeKey, Data: k.Public}
	rep.Fingerprint = k.Fingerprint
	return nil
}

// writePublic writes what public_dir holds besides bundles: the practice's
// public key, so anyone can check a bundle's signature, and robots.txt.
// There is no index page and nothing that lists or names patients.
func (b *builder) writePublic(rep *Report) error {
	wrote, err := practicekey.Export(b.cfg.PublicDir, b.key)
	if err != nil {
		return err
	}
	rep.KeyExported = wrote
	robots := filepath.Join(b.cfg.PublicDir, "robots.txt")
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
		case "bundles", "robots.txt", practicekey.PublicFile:
			continue
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: not made by Satchel, and published with the bundles: remove it unless it must be", rel(b.cfg, filepath.Join(b.cfg.PublicDir, e.Name()))))
	}
	return nil
}

// infoFile returns bundle.json for a patient's bundle: the approval and the
// dates a clinician judges the record by, signed with the rest.
func (b *builder) infoFile(bundleID string, appr *policy.Approval) (bundle.File, error) {
	info := provenance.Info{
		Practice:     b.cfg.Practice.Name,
		ODSCode:      b.cfg.Practice.ODS,
		BundleID:     bundleID,
		Exported:     b.now,
		CurrentUntil: b.currentUntil,
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

// patientKey reads the patient's own OpenPGP public key, when the record
// names one (patient.public_key): a file beside the record. Errors name the
// record, line and field, never the key or the file's content.
func patientKey(file, relFile string, data []byte, rec *record.Record, now time.Time) (openpgp.EntityList, error) {
	name := rec.Patient.PublicKey
	if name == "" {
		return nil, nil
	}
	bad := func(msg string) error {
		return strict.Errorf(relFile, strict.KeyLine(data, []string{"patient", "public_key"}), "patient.public_key", "%s", msg)
	}
	if !filepath.IsLocal(name) {
		return nil, bad("must name a key file beside the record, such as patient-key.asc")
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), name))
	if err != nil {
		return nil, bad("cannot read the key file")
	}
	ring, err := provenance.ReadKeys(raw)
	if err != nil || len(ring) != 1 {
		return nil, bad("the file is not one OpenPGP public key")
	}
	if _, ok := ring[0].EncryptionKey(now); !ok {
		return nil, bad("the key cannot encrypt: expired, revoked, or without an encryption subkey")
	}
	return ring, nil
}
