package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// clock is the tests' build time. It must be before the real time: gpg and
// go-crypto refuse a signature made after their own clock.
var clock = func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }

// samplePractice copies the repository's sample practice (site.toml and
// sample-data) into a temporary folder and loads it.
func samplePractice(t *testing.T) *site.Config {
	t.Helper()
	dir := testtool.SamplePractice(t)
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func runBuild(t *testing.T, cfg *site.Config) *Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// unzipDocument returns the record document inside a decrypted bundle.
func unzipDocument(t *testing.T, zipped []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatalf("decrypted bundle is not a zip")
	}
	for _, f := range zr.File {
		if f.Name == "document.html" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("no document.html in the bundle")
	return ""
}

// The whole chain, as a patient and a clinician would meet it: the QR code
// on each card yields a secret that opens the bundle with stock gpg and sq,
// and the record inside is that patient's.
func TestEveryCardOpensItsPatientsBundleWithGPGAndSequoia(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: decrypts every bundle with gpg and sq; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "gpg", "sq", "zbarimg")
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	if rep.Count(Built) < 6 {
		t.Fatalf("only %d sample patients built", rep.Count(Built))
	}
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			rec := readSampleRecord(t, cfg, p.ID)
			pgp := filepath.Join(cfg.Root, p.Bundle)
			if len(p.Cards) == 0 {
				t.Fatal("no key card")
			}
			for _, c := range p.Cards {
				secret, err := testtool.Zbar(t, filepath.Join(cfg.Root, c.PNG))
				if err != nil {
					t.Fatal(err)
				}
				plain, err := gpgDecrypt(t, cfg, pgp, []byte(secret))
				if err != nil {
					t.Fatalf("gpg: %v", err)
				}
				if !strings.Contains(unzipDocument(t, plain), htmlEscape(rec)) {
					t.Errorf("gpg: the record document does not name its patient")
				}
				plain, err = testtool.SQDecrypt(t, pgp, []byte(secret))
				if err != nil {
					t.Fatalf("sq: %v", err)
				}
				if !strings.Contains(unzipDocument(t, plain), htmlEscape(rec)) {
					t.Errorf("sq: the record document does not name its patient")
				}
			}
		})
	}
}

// gpgDecrypt decrypts the file msg with passphrase using GnuPG in a fresh
// home holding only the practice's published key, and requires a good
// signature by it: gpg fails anyway when it cannot check a signature.
func gpgDecrypt(t *testing.T, cfg *site.Config, msg string, passphrase []byte) ([]byte, error) {
	t.Helper()
	home := testtool.GNUPGHome(t)
	if _, err := testtool.GPG(t, home, nil, "--import", filepath.Join(cfg.PublicDir, "practice-key.asc")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "plain")
	status, err := testtool.GPG(t, home, append(passphrase, '\n'), "--pinentry-mode", "loopback", "--passphrase-fd", "0",
		"--status-fd", "1", "--output", out, "--decrypt", msg)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(status, []byte("[GNUPG:] GOODSIG ")) {
		return nil, fmt.Errorf("gpg decrypted %s but reports no good signature", filepath.Base(msg))
	}
	return os.ReadFile(out)
}

func readSampleRecord(t *testing.T, cfg *site.Config, id string) string {
	t.Helper()
	f, err := load.Find(cfg.RecordsDir, id)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f)
	r, err := load.Record(f, data)
	if err != nil {
		t.Fatal(err)
	}
	return r.Patient.Name
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

func TestWrongSecretAndFlippedByteFailInGPG(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "gpg", "zbarimg")
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	var p *Patient
	for i := range rep.Patients {
		if rep.Patients[i].Status == Built {
			p = &rep.Patients[i]
			break
		}
	}
	if p == nil {
		t.Fatal("nothing built")
	}
	pgp := filepath.Join(cfg.Root, p.Bundle)
	secret, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[0].PNG))
	if err != nil {
		t.Fatal(err)
	}
	wrong := []byte(strings.Replace(secret, secret[:1], map[bool]string{true: "A", false: "B"}[secret[0] != 'A'], 1))
	if out, err := gpgDecrypt(t, cfg, pgp, wrong); err == nil || len(out) > 0 {
		t.Errorf("a wrong secret decrypted the bundle")
	}
	data, _ := os.ReadFile(pgp)
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0x01
	fp := filepath.Join(t.TempDir(), "flipped.pgp")
	os.WriteFile(fp, flipped, 0o644)
	if out, err := gpgDecrypt(t, cfg, fp, []byte(secret)); err == nil {
		t.Errorf("a flipped byte went unnoticed (%d bytes out)", len(out))
	}
}

// No withheld entry, and nothing of an unapproved or changed record, may be
// found anywhere under public_dir, in the clear or inside any bundle.
func TestWithheldAndUnapprovedTextNeverReachesPublic(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "zbarimg", "gpg")
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)

	var secrets []string // text that must not be published
	for _, p := range rep.Patients {
		f, err := load.Find(cfg.RecordsDir, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(f)
		r, err := load.Record(f, data)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != Built {
			secrets = append(secrets, r.Patient.Name)
			if r.Patient.NHSNumber != "" {
				secrets = append(secrets, r.Patient.NHSNumber)
			}
			continue
		}
		d := policy.DefaultRules().Apply(r, &policy.Approval{}, clock())
		for _, e := range d.Entries {
			if !e.Exported {
				_, text, _ := strings.Cut(e.Label, ": ")
				secrets = append(secrets, text)
			}
		}
	}
	if len(secrets) == 0 {
		t.Fatal("the sample practice has nothing withheld or unapproved: the test would prove nothing")
	}

	var published []string
	filepath.WalkDir(cfg.PublicDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			published = append(published, string(b))
		}
		return nil
	})
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		secret, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[0].PNG))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := gpgDecrypt(t, cfg, filepath.Join(cfg.Root, p.Bundle), []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		published = append(published, unzipDocument(t, plain))
	}
	for _, s := range secrets {
		for _, text := range published {
			if strings.Contains(text, s) || strings.Contains(text, htmlEscape(s)) {
				t.Errorf("text that must stay in the practice was published (%d characters long)", len(s))
			}
		}
	}
}

func TestRebuildKeepsSecretsAndBundleIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds the sample practice twice; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "zbarimg", "gpg")
	cfg := samplePractice(t)
	first := runBuild(t, cfg)
	qr := map[string]string{}
	for _, p := range first.Patients {
		for _, c := range p.Cards {
			s, err := testtool.Zbar(t, filepath.Join(cfg.Root, c.PNG))
			if err != nil {
				t.Fatal(err)
			}
			qr[c.PNG] = s
		}
	}
	second, err := Run(context.Background(), cfg, Options{Now: func() time.Time { return clock().Add(48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range second.Patients {
		if p.BundleID != first.Patients[i].BundleID {
			t.Errorf("%s: bundle id changed on rebuild", p.ID)
		}
		for _, c := range p.Cards {
			s, err := testtool.Zbar(t, filepath.Join(cfg.Root, c.PNG))
			if err != nil {
				t.Fatal(err)
			}
			if s != qr[c.PNG] {
				t.Errorf("%s: card %d changed its secret on rebuild", p.ID, c.Serial)
			}
			if p.Status == Built {
				if _, err := gpgDecrypt(t, cfg, filepath.Join(cfg.Root, p.Bundle), []byte(qr[c.PNG])); err != nil {
					t.Errorf("%s: the old card does not open the rebuilt bundle", p.ID)
				}
			}
		}
	}
}

func TestSampleStatusesAndFilePermissions(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	for _, s := range []Status{AwaitingApproval, ChangedSinceApproval} {
		if rep.Count(s) == 0 {
			t.Errorf("no sample patient is %s", s)
		}
	}
	for _, name := range []string{"master.key", "manifest.json", "cards.json"} {
		st, err := os.Stat(filepath.Join(cfg.PrivateDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	st, _ := os.Stat(cfg.PrivateDir)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("private_dir has mode %v, want 0700", st.Mode().Perm())
	}
	for _, p := range rep.Patients {
		for _, c := range p.Cards {
			for _, f := range []string{c.PNG, c.HTML} {
				st, err := os.Stat(filepath.Join(cfg.Root, f))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("key card file %s has mode %v, want 0600", f, st.Mode().Perm())
				}
			}
		}
	}
	noTempFiles(t, cfg)
}

// noTempFiles fails if an interrupted or failed write left anything behind.
func noTempFiles(t *testing.T, cfg *site.Config) {
	t.Helper()
	for _, dir := range []string{cfg.PublicDir, cfg.PrivateDir} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), ".tmp-") {
				t.Errorf("temporary file left behind: %s", p)
			}
			return nil
		})
	}
}

// openBundle decrypts the bundle at path, built for patient id, with the
// patient's first live card, and returns the files inside it.
func openBundle(t *testing.T, cfg *site.Config, id, path string) []bundle.File {
	t.Helper()
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := seal.Open(msg, cardkey.Derive(master, id, reg.Live(id)[0].Serial).Passphrase(), nil)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	files, err := bundle.Unpack(o.Plaintext)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return files
}

// A key card travels abroad with its holder: it prints the practice's
// number in international form, and a patient whose record names a
// language other than English (rmc-0004: French) gets the card's title in
// it as well as in English.
func TestCardsPrintTheInternationalNumberAndThePatientsLanguage(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	seen := 0
	for _, p := range rep.Patients {
		for _, c := range p.Cards {
			page, err := os.ReadFile(filepath.Join(cfg.Root, c.HTML))
			if err != nil {
				t.Fatal(err)
			}
			card := html.UnescapeString(string(page))
			if !strings.Contains(card, "Tel +44 1632 960123") {
				t.Errorf("%s card %d does not print the number in +44 form", p.ID, c.Serial)
			}
			french := strings.Contains(card, `<h2 lang="fr">Clé de votre dossier médical</h2>`)
			if french != (p.ID == "rmc-0004") {
				t.Errorf("%s card %d: French title %v", p.ID, c.Serial, french)
			}
			seen++
		}
	}
	if seen < 6 {
		t.Fatalf("only %d cards", seen)
	}
}
