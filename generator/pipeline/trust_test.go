package pipeline

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/internal/viewerbench"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// tinyPractice writes a practice with the given records (id -> TOML) and
// extra top-level site.toml lines, approves every record, and loads it.
func tinyPractice(t *testing.T, siteExtra string, records map[string]string) *site.Config {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"records", "education"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	siteTOML := siteExtra + `
records = "records"
education = "education"

[practice]
name = "Riverside Test Surgery"
address = "1 Test Street, Testham"
phone = "01632 960000"
ods_code = "Y99999"
`
	if err := os.WriteFile(filepath.Join(dir, "site.toml"), []byte(siteTOML), 0o644); err != nil {
		t.Fatal(err)
	}
	for id, rec := range records {
		file := filepath.Join(dir, "records", id+".toml")
		if err := os.WriteFile(file, []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
		approve(t, file)
	}
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// approve approves the record file as `satchel approve` does, on the
// sample practice's approval day.
func approve(t *testing.T, file string) {
	t.Helper()
	approveOn(t, file, record.NewDate(2026, 11, 18))
}

func buildAt(t *testing.T, cfg *site.Config, at time.Time) *Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg, Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		// Build errors name files, lines and fields, never patient data.
		for _, p := range rep.Failed() {
			t.Errorf("%s: %v", p.ID, p.Err)
		}
		t.Fatalf("build failed: %d patients failed, %d errors", len(rep.Failed()), len(rep.Errors))
	}
	return rep
}

func patientOf(t *testing.T, rep *Report, id string) Patient {
	t.Helper()
	for _, p := range rep.Patients {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("patient %s is not in the report", id)
	return Patient{}
}

// browser starts one headless Chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	testtool.Need(t, "chromium")
	ctx, stop, err := viewerbench.Browser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ctx
}

// viewed is what record.html did with a key: its state, error code, and
// whether the frame shows want (e.g. the patient's name); the signature
// panel's text and whether the out-of-date banner shows.
type viewed struct {
	state, code string
	shown       bool
	signature   string
	stale       bool
	keyGone     bool
}

// openPage opens pageURL (file: or http:) with the key in the fragment and
// reports what the page did. Only yes/no answers come back about the
// record's content.
func openPage(t *testing.T, browserCtx context.Context, pageURL, key, want string) viewed {
	t.Helper()
	tab, closeTab := chromedp.NewContext(browserCtx)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if key != "" {
		pageURL += "#k=" + url.QueryEscape(key)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`["open", "error"].includes(document.documentElement.dataset.state)`,
		chromedp.WithPollingInterval(10*time.Millisecond))); err != nil {
		t.Fatalf("record.html neither opened nor failed: %v", err)
	}
	wantJSON, _ := json.Marshal(want)
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(() => {
		const f = document.querySelector("#frame-box iframe");
		const text = f && f.contentDocument ? f.contentDocument.body.textContent : "";
		return {
			state: document.documentElement.dataset.state,
			code: document.documentElement.dataset.error || "",
			shown: text.includes(`+string(wantJSON)+`),
			signature: document.getElementById("signature").textContent,
			stale: !document.getElementById("stale").hidden,
			keyGone: !location.href.includes("#"),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		State, Code, Signature string
		Shown, Stale, KeyGone  bool
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return viewed{state: v.State, code: v.Code, shown: v.Shown, signature: v.Signature, stale: v.Stale, keyGone: v.KeyGone}
}

func fileURL(path string) string {
	abs, _ := filepath.Abs(path)
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

func practiceFingerprint(t *testing.T, cfg *site.Config) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(cfg.PublicDir, "practice-key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := provenance.ReadKeys(raw)
	if err != nil {
		t.Fatal(err)
	}
	return provenance.GroupFingerprint(fmt.Sprintf("%X", ring[0].PrimaryKey.Fingerprint))
}

const threeCardRecord = `[patient]
name = "Wynfreda Quillfeather"
born = 1958-07-02
nhs_number = "999 000 0018"

[[problems]]
code = "SNOMED:38341003"
title = "Hypertension"
`

// A patient gives cards to a carer and to family abroad, then one is lost:
// every live card opens the bundle with gpg 2.2, sq and the viewer; after
// revoking one and rebuilding, that card opens nothing built since, and
// the other two still open everything.
func TestThreeCardsOpenEverywhereUntilOneIsRevoked(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: opens bundles in Chromium, gpg and sq; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "gpg", "sq", "zbarimg", "chromium")
	cfg := tinyPractice(t, "", map[string]string{"p1": threeCardRecord})
	at := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	buildAt(t, cfg, at) // issues card 1
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	reg.Add("p1", "Carer", at)
	reg.Add("p1", "Family abroad", at)
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	rep := buildAt(t, cfg, at.Add(time.Minute))
	p := patientOf(t, rep, "p1")
	if len(p.Cards) != 3 {
		t.Fatalf("%d cards, want 3", len(p.Cards))
	}
	keys := map[int]string{}
	gpgFile := map[int]string{}
	for _, c := range p.Cards {
		k, err := testtool.Zbar(t, filepath.Join(cfg.Root, c.PNG))
		if err != nil {
			t.Fatal(err)
		}
		keys[c.Serial], gpgFile[c.Serial] = k, filepath.Join(cfg.Root, c.GPG)
	}
	pgp := filepath.Join(cfg.Root, p.Bundle)
	page := fileURL(filepath.Join(cfg.Root, p.Viewer))
	bc := browser(t)

	opensEverywhere := func(t *testing.T, serial int) {
		t.Helper()
		key := []byte(keys[serial])
		if _, err := gpgDecrypt(t, cfg, gpgFile[serial], key); err != nil {
			t.Errorf("card %d: gpg does not open the file the card names: %v", serial, err)
		}
		if _, err := testtool.SQDecrypt(t, pgp, key); err != nil {
			t.Errorf("card %d: sq does not open record.pgp: %v", serial, err)
		}
		if v := openPage(t, bc, page, keys[serial], "Wynfreda Quillfeather"); v.state != "open" || !v.shown {
			t.Errorf("card %d: the viewer did not open the record (state %s %s)", serial, v.state, v.code)
		}
	}
	for serial := 1; serial <= 3; serial++ {
		opensEverywhere(t, serial)
	}
	// gpg 2.2 tries only the first passphrase packet: record.pgp opens for
	// card 1 only, which is why every card names its own file.
	if _, err := gpgDecrypt(t, cfg, pgp, []byte(keys[1])); err != nil {
		t.Errorf("card 1 does not open record.pgp with gpg: %v", err)
	}
	if _, err := gpgDecrypt(t, cfg, gpgFile[3], []byte(keys[2])); err == nil {
		t.Error("card 2 opens the file sealed for card 3")
	}

	if err := reg.Revoke("p1", 2, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	rep = buildAt(t, cfg, at.Add(3*time.Minute))
	p = patientOf(t, rep, "p1")
	if len(p.Cards) != 2 {
		t.Fatalf("%d cards after revoking one, want 2", len(p.Cards))
	}
	if _, err := os.Stat(gpgFile[2]); err == nil {
		t.Error("the revoked card's own file is still published")
	}
	for _, f := range []string{"card-2.png", "card-2.html"} {
		if _, err := os.Stat(filepath.Join(cfg.PrivateDir, "cards", "p1", f)); err == nil {
			t.Errorf("the revoked card's %s is still in private/cards", f)
		}
	}
	revoked := []byte(keys[2])
	if _, err := gpgDecrypt(t, cfg, pgp, revoked); err == nil {
		t.Error("the revoked card opens the rebuilt record.pgp with gpg")
	}
	if _, err := testtool.SQDecrypt(t, pgp, revoked); err == nil {
		t.Error("the revoked card opens the rebuilt record.pgp with sq")
	}
	if v := openPage(t, bc, page, keys[2], "Wynfreda Quillfeather"); v.state != "error" || v.code != "wrong-key" || v.shown {
		t.Errorf("the revoked card in the viewer: state %s code %s, want error wrong-key", v.state, v.code)
	}
	for _, serial := range []int{1, 3} {
		opensEverywhere(t, serial)
	}
}

// The patient's own OpenPGP key: gpg holding only that secret key (and the
// practice's public key, to check the signature) opens the bundle with no
// passphrase, and the patient's card still opens it too.
func TestBundleOpensWithThePatientsOwnKey(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "gpg", "sq", "zbarimg")
	patient := testtool.GNUPGHome(t)
	// Made a day ago, as a patient's key would be: a key must exist before
	// the build that encrypts to it.
	made := time.Now().UTC().AddDate(0, 0, -1).Format("20060102T150405")
	if _, err := testtool.GPG(t, patient, nil, "--faked-system-time", made, "--passphrase", "", "--quick-gen-key", "Test Patient <patient@example.invalid>", "future-default", "default", "never"); err != nil {
		t.Fatal(err)
	}
	pub, err := testtool.GPG(t, patient, nil, "--armor", "--export", "patient@example.invalid")
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyPractice(t, "", nil)
	if err := os.WriteFile(filepath.Join(cfg.RecordsDir, "p1-key.asc"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(cfg.RecordsDir, "p1.toml")
	rec := strings.Replace(threeCardRecord, "[patient]\n", "[patient]\npublic_key = \"p1-key.asc\"\n", 1)
	if err := os.WriteFile(file, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	approve(t, file)
	rep := buildAt(t, cfg, time.Now().UTC().Add(-time.Hour).Truncate(time.Second))
	p := patientOf(t, rep, "p1")
	pgp := filepath.Join(cfg.Root, p.Bundle)

	// The public-key packet is hidden: no key id of the patient's key (the
	// primary or a subkey) appears anywhere in record.pgp.
	colons, err := testtool.GPG(t, patient, nil, "--with-colons", "--list-keys", "patient@example.invalid")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(pgp)
	if err != nil {
		t.Fatal(err)
	}
	ids := 0
	for _, line := range strings.Split(string(colons), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 4 && (f[0] == "pub" || f[0] == "sub") {
			id, err := hex.DecodeString(f[4])
			if err != nil || len(id) != 8 {
				t.Fatalf("cannot read a key id from gpg's listing")
			}
			ids++
			if bytes.Contains(sealed, id) {
				t.Errorf("record.pgp carries the patient's key id %s in the clear", f[4])
			}
		}
	}
	if ids < 2 {
		t.Fatalf("gpg listed %d key ids of the patient's key, want a primary key and a subkey", ids)
	}
	if _, err := testtool.GPG(t, patient, nil, "--import", filepath.Join(cfg.PublicDir, "practice-key.asc")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "record.zip")
	status, err := testtool.GPG(t, patient, nil, "--pinentry-mode", "error", "--status-fd", "1", "--output", out, "--decrypt", pgp)
	if err != nil {
		t.Fatalf("gpg with the patient's key does not open the bundle: %v", err)
	}
	if !bytes.Contains(status, []byte("[GNUPG:] GOODSIG ")) || !bytes.Contains(status, []byte("[GNUPG:] DECRYPTION_OKAY")) {
		t.Error("gpg reports no good signature or no decryption")
	}
	plain, _ := os.ReadFile(out)
	if !strings.Contains(unzipDocument(t, plain), "Wynfreda Quillfeather") {
		t.Error("what the patient's key opened is not their record")
	}
	// Public-key and passphrase packets in one message (the go-crypto
	// mixed-recipient pitfall): the card must still open it everywhere.
	secret, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[0].PNG))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gpgDecrypt(t, cfg, pgp, []byte(secret)); err != nil {
		t.Errorf("the card does not open a bundle also sealed to the patient's key with gpg: %v", err)
	}
	if _, err := testtool.SQDecrypt(t, pgp, []byte(secret)); err != nil {
		t.Errorf("the card does not open a bundle also sealed to the patient's key with sq: %v", err)
	}
	// The viewer skips the hidden public-key packet and opens with the card.
	// Chromium is left out of the quick tier (go test -short).
	if !testing.Short() {
		v := openPage(t, browser(t), fileURL(filepath.Join(cfg.Root, p.Viewer)), secret, "Wynfreda Quillfeather")
		if v.state != "open" || !v.shown {
			t.Errorf("the viewer does not open a bundle also sealed to the patient's key: state %s, code %s", v.state, v.code)
		}
	}
}

// secretKeyFile returns an armored OpenPGP secret key, as a practice
// might wrongly keep beside a record.
func secretKeyFile(t *testing.T) string {
	t.Helper()
	e, err := openpgp.NewEntity("Test Patient", "", "s@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.String()
}

func TestBadPatientKeyIsNamedByFileLineAndField(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", nil)
	for name, tc := range map[string]struct{ field, file, want string }{
		"missing":   {`public_key = "nope.asc"`, "", "cannot read the key file"},
		"escapes":   {`public_key = "../key.asc"`, "", "must name a key file beside the record"},
		"not a key": {`public_key = "junk.asc"`, "not a key", "the file is not one OpenPGP public key"},
		"two keys": {`public_key = "junk.asc"`, string(patientKeyFile(t, "a@example.org")) + string(patientKeyFile(t, "b@example.org")),
			"the file is not one OpenPGP public key"},
		"secret key": {`public_key = "junk.asc"`, secretKeyFile(t), "the file holds a secret key"},
	} {
		if tc.file != "" {
			os.WriteFile(filepath.Join(cfg.RecordsDir, "junk.asc"), []byte(tc.file), 0o644)
		}
		file := filepath.Join(cfg.RecordsDir, "p1.toml")
		os.WriteFile(file, []byte("[patient]\nname = \"Pat One\"\n"+tc.field+"\n"), 0o644)
		approve(t, file)
		rep, err := Run(context.Background(), cfg, Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		p := patientOf(t, rep, "p1")
		if p.Status != Failed || p.Err == nil {
			t.Fatalf("%s: status %s", name, p.Status)
		}
		want := `records/p1.toml:3: field "patient.public_key": ` + tc.want
		if !strings.Contains(p.Err.Error(), want) {
			t.Errorf("%s: error %q, want it to contain %q", name, p.Err, want)
		}
	}
}

// hostedFS serves public_dir as a careful web server would: files only, no
// folder listings.
type hostedFS struct{ root string }

func (h hostedFS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	http.ServeFile(w, r, filepath.Join(h.root, filepath.FromSlash(r.URL.Path)))
}

// A practice hosting its bundles: each card's QR is a link that opens the
// record in a browser with no typing, and nothing in public/ names,
// numbers or dates any patient, or lists the bundles.
func TestHostedCardLinksOpenTheRecordAndPublicNamesNobody(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: opens hosted records in Chromium; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "zbarimg", "chromium")
	cfg := samplePractice(t)
	srv := httptest.NewServer(hostedFS{root: cfg.PublicDir})
	defer srv.Close()
	siteTOML, _ := os.ReadFile(cfg.File)
	if err := os.WriteFile(cfg.File, append([]byte(`base_url = "`+srv.URL+`"`+"\n"), siteTOML...), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := site.Load(cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	rep := runBuild(t, cfg)
	bc := browser(t)
	fpr := practiceFingerprint(t, cfg)
	opened := 0
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		link, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[0].PNG))
		if err != nil {
			t.Fatal(err)
		}
		prefix := srv.URL + "/bundles/" + p.BundleID + "/record.html#k="
		if !strings.HasPrefix(link, prefix) {
			t.Fatalf("%s: the card's QR is not a link to its hosted record", p.ID)
		}
		v := openPage(t, bc, link, "", readSampleRecord(t, cfg, p.ID))
		if v.state != "open" || !v.shown {
			t.Errorf("%s: the link from the card did not open the record (state %s %s)", p.ID, v.state, v.code)
		}
		if !v.keyGone {
			t.Errorf("%s: the key stays in the address bar", p.ID)
		}
		if !strings.Contains(v.signature, fpr) {
			t.Errorf("%s: the page does not show the practice key's fingerprint", p.ID)
		}
		opened++
	}
	if opened < 6 {
		t.Fatalf("only %d hosted records opened", opened)
	}
	resp, err := http.Get(srv.URL + "/robots.txt")
	if err != nil {
		t.Fatal(err)
	}
	var robots bytes.Buffer
	robots.ReadFrom(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^User-agent: \*\nDisallow: /$`).Match(robots.Bytes()) {
		t.Error("robots.txt does not disallow everything")
	}
	assertPublicNamesNobody(t, cfg)

	// Anything else put in public_dir would be published: the build says so.
	os.WriteFile(filepath.Join(cfg.PublicDir, "index.html"), []byte("<ul></ul>"), 0o644)
	again := runBuild(t, cfg)
	warned := false
	for _, w := range again.Warnings {
		warned = warned || strings.Contains(w, "public/index.html: not made by Satchel")
	}
	if !warned {
		t.Error("no warning about a file in public_dir that Satchel did not make")
	}
}

// assertPublicNamesNobody searches every file in public_dir for every
// sample patient's name, NHS number, date of birth and id, in the forms
// they are written, and checks public_dir holds only bundles, the
// practice's public key and robots.txt (and, hosted, each bundle's sw.js).
func assertPublicNamesNobody(t *testing.T, cfg *site.Config) {
	t.Helper()
	files, err := load.Files(cfg.RecordsDir)
	if err != nil {
		t.Fatal(err)
	}
	var needles []string
	for _, f := range files {
		data, _ := os.ReadFile(f)
		r, err := load.Record(f, data)
		if err != nil {
			continue // a broken sample is another test's business
		}
		pt := r.Patient
		needles = append(needles, record.Stem(f), pt.Name)
		if nhs := strings.ReplaceAll(pt.NHSNumber, " ", ""); len(nhs) == 10 {
			needles = append(needles, nhs, nhs[:3]+" "+nhs[3:6]+" "+nhs[6:], nhs[:3]+"-"+nhs[3:6]+"-"+nhs[6:])
		}
		if !pt.Born.IsZero() {
			b := pt.Born.Time
			needles = append(needles, b.Format("2006-01-02"), b.Format("2 January 2006"), b.Format("02/01/2006"), b.Format("20060102"))
		}
	}
	if len(needles) < 30 {
		t.Fatalf("only %d things to look for: the search would prove little", len(needles))
	}
	shape := regexp.MustCompile(`^(robots\.txt|practice-key\.asc|bundles/[0-9a-z]{26}/(record\.html|record\.pgp|record-[0-9a-z]{10}\.(pgp|pdf)|sw\.js))$`)
	searched := 0
	err = filepath.WalkDir(cfg.PublicDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(cfg.PublicDir, p)
		rel = filepath.ToSlash(rel)
		if !shape.MatchString(rel) {
			t.Errorf("public_dir holds %s, which is not a bundle file, robots.txt or the practice key", rel)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lower := bytes.ToLower(data)
		for i, n := range needles {
			if bytes.Contains(lower, bytes.ToLower([]byte(n))) || bytes.Contains(lower, bytes.ToLower([]byte(htmlEscape(n)))) {
				t.Errorf("%s holds sample patient detail #%d", rel, i)
			}
			if strings.Contains(strings.ToLower(rel), strings.ToLower(n)) {
				t.Errorf("a public file name holds sample patient detail #%d", i)
			}
		}
		searched++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if searched < 10 {
		t.Errorf("only %d public files searched", searched)
	}
}

// Bundle ids and card file names come from keyed hashes: nothing about
// the patient id survives in them, and the same id in another practice
// gets another name.
func TestPublicNamesAreUnlinkableToPatients(t *testing.T) {
	t.Parallel()
	a := tinyPractice(t, "", map[string]string{"rmc-0001": threeCardRecord})
	b := tinyPractice(t, "", map[string]string{"rmc-0001": threeCardRecord})
	pa := patientOf(t, runBuild(t, a), "rmc-0001")
	pb := patientOf(t, runBuild(t, b), "rmc-0001")
	// The first card opens record.pgp; a further card's own file is named
	// by a keyed hash.
	ma, err := cardkey.LoadMaster(a.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	mb, err := cardkey.LoadMaster(b.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := cardkey.CardFile(ma, "rmc-0001", 2), cardkey.CardFile(mb, "rmc-0001", 2)
	if pa.BundleID == pb.BundleID || fa == fb {
		t.Error("the same patient id gets the same public names in two practices")
	}
	if strings.Contains(pa.BundleID, "0001") || strings.Contains(fa, "rmc") || strings.Contains(fa, "0001") {
		t.Error("a public name shows the patient id")
	}
}

// The clinician must tell a current record from a stale one, and the
// record must never lock itself: built with a clock past its current
// days, the viewer shows the out-of-date banner and still opens; a fresh
// build shows none.
func TestOutOfDateRecordShowsTheBannerAndStillOpens(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: opens a record in Chromium; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "zbarimg", "chromium")
	bc := browser(t)
	// Freshness counts from the record's own date (here the approval's),
	// not the build's: a fresh build of a record approved 120 days ago is
	// already out of date.
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	for _, tc := range []struct {
		name     string
		approved time.Time
		stale    bool
	}{
		{"approved 120 days ago, current for 90", day(time.Now().AddDate(0, 0, -120)), true},
		{"approved today", day(time.Now()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyPractice(t, "current_days = 90\n", map[string]string{"p1": threeCardRecord})
			y, m, d := tc.approved.Date()
			approveOn(t, filepath.Join(cfg.RecordsDir, "p1.toml"), record.NewDate(y, m, d))
			p := patientOf(t, buildAt(t, cfg, time.Now().UTC().Truncate(time.Second)), "p1")
			key, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[0].PNG))
			if err != nil {
				t.Fatal(err)
			}
			v := openPage(t, bc, fileURL(filepath.Join(cfg.Root, p.Viewer)), key, "Wynfreda Quillfeather")
			if v.state != "open" || !v.shown {
				t.Fatalf("the record did not open (state %s %s)", v.state, v.code)
			}
			if v.stale != tc.stale {
				t.Errorf("out-of-date banner shown: %v, want %v", v.stale, tc.stale)
			}
			until := tc.approved.AddDate(0, 0, 90).Format("2 January 2006")
			if !strings.Contains(v.signature, "current until "+until) {
				t.Errorf("the page does not say the record is current until %s", until)
			}
		})
	}
}

// The print sheet holds the cards a build issued or changed, and only
// those; an earlier sheet of the day is never overwritten.
func TestPrintSheetHoldsTheCardsIssuedOrChangedByTheBuild(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": threeCardRecord, "p2": threeCardRecord})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	first := buildAt(t, cfg, at)
	if first.SheetCards != 2 || first.Sheet == "" {
		t.Fatalf("first build: sheet %q with %d cards, want 2", first.Sheet, first.SheetCards)
	}
	sheet := filepath.Join(cfg.Root, first.Sheet)
	if st, err := os.Stat(sheet); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the sheet is missing or not 0600: %v", err)
	}
	if again := buildAt(t, cfg, at.Add(time.Minute)); again.Sheet != "" {
		t.Errorf("a rebuild with no card change wrote sheet %s", again.Sheet)
	}
	reg, _ := registry.Load(cfg.PrivateDir)
	reg.Add("p2", "Carer", at)
	reg.Save()
	third := buildAt(t, cfg, at.Add(2*time.Minute))
	if third.SheetCards != 1 || third.Sheet == first.Sheet {
		t.Fatalf("after one new card: sheet %q with %d cards, want a new sheet with 1", third.Sheet, third.SheetCards)
	}
	html, _ := os.ReadFile(filepath.Join(cfg.Root, third.Sheet))
	if !bytes.Contains(html, []byte("p2 · card 2")) || bytes.Contains(html, []byte("p1 · card 1")) {
		t.Error("the sheet does not hold exactly the new card")
	}
	if _, err := os.Stat(sheet); err != nil {
		t.Error("the earlier sheet was removed")
	}
	// A changed card (here: the practice starts hosting) is reprinted.
	siteTOML, _ := os.ReadFile(cfg.File)
	os.WriteFile(cfg.File, append([]byte("base_url = \"https://records.example.invalid/\"\n"), siteTOML...), 0o644)
	cfg, err := site.Load(cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	if fourth := buildAt(t, cfg, at.Add(3*time.Minute)); fourth.SheetCards != 3 {
		t.Errorf("after the QR codes changed: %d cards on the sheet, want 3", fourth.SheetCards)
	}
}

// A practice that has issued cards is never given a new signing key
// silently: its cards print the old key's fingerprint.
func TestBuildWithCardsButNoPracticeKeyStops(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": threeCardRecord})
	first := runBuild(t, cfg)
	if !first.KeyCreated || !first.KeyExported {
		t.Fatal("a new practice's first build made no practice key")
	}
	if err := os.Remove(filepath.Join(cfg.PrivateDir, "practice.key")); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, Options{Now: clock})
	if err == nil || !strings.Contains(err.Error(), "no practice signing key") {
		t.Fatalf("build without the practice key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.PrivateDir, "practice.key")); err == nil {
		t.Error("the build made a new practice key")
	}
}

// gpg really does stop at the first passphrase packet: if this ever passes
// for card 2, the per-card files are no longer needed.
func TestGnuPGTriesOnlyTheFirstPassphrasePacket(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "gpg", "zbarimg")
	cfg := tinyPractice(t, "", map[string]string{"p1": threeCardRecord})
	runBuild(t, cfg)
	reg, _ := registry.Load(cfg.PrivateDir)
	reg.Add("p1", "Carer", clock())
	reg.Save()
	p := patientOf(t, runBuild(t, cfg), "p1")
	key2, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[1].PNG))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gpgDecrypt(t, cfg, filepath.Join(cfg.Root, p.Bundle), []byte(key2)); err == nil {
		out, _ := exec.Command("gpg", "--version").Output()
		t.Logf("%s", bytes.SplitN(out, []byte("\n"), 2)[0])
		t.Error("gpg opened record.pgp with card 2: it now tries every passphrase packet, and cards could name record.pgp again")
	}
}

// BenchmarkSeal measures what signing and the per-card files add to
// sealing one patient's bundle (a 16 KB zip, one card): "before" is one
// unsigned message, as builds made before bundles were signed.
func BenchmarkSeal(b *testing.B) {
	zipped := bytes.Repeat([]byte("0123456789abcdef"), 1024)
	key, err := practicekey.Create(filepath.Join(b.TempDir(), "practice.key"), "Riverside Test Surgery", "", nil, clock(), nil)
	if err != nil {
		b.Fatal(err)
	}
	pass := [][]byte{[]byte("7K3M-Q9XR-2B4D-6F8H-JKMN-PQRS-TVW0")}
	bl := &builder{now: clock(), key: key}
	b.Run("before", func(b *testing.B) {
		for b.Loop() {
			var out bytes.Buffer
			if err := seal.Encrypt(&out, zipped, seal.Options{Passphrases: pass, FileName: "record.zip", Time: clock()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("signed-with-card-file", func(b *testing.B) {
		for b.Loop() {
			if _, err := bl.seal(zipped, pass, nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
