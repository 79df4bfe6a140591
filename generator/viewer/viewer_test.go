package viewer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/viewer"
)

// Synthetic record text. Each string appears once in the test document and
// nowhere else, so finding one in a page means record text leaked into it.
const (
	patientName  = "Wynfreda Quillfeather-Testpatient"
	allergyEntry = "Penicillin (marker-allergy-7731)"
	medicine     = "Amlodipine 5 mg (marker-medicine-4410)"
	problem      = "Essential hypertension (marker-problem-2093)"
	vaccination  = "Influenza vaccine (marker-vaccine-5128)"
)

func recordTexts() []string {
	return []string{patientName, allergyEntry, medicine, problem, vaccination}
}

// testDocument is a small record document shaped like the render
// package's: its own CSP, an inline style sheet, a style attribute, and an
// in-document link to a section far down the page.
const testDocument = `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Health record: ` + patientName + `</title>
<style>
h1 { color: rgb(1, 2, 3); }
.spacer { height: 3000px; }
</style>
</head>
<body>
<h1 id="name">` + patientName + `</h1>
<p id="styled" style="margin-left: 7px">NHS number 999 000 0018</p>
<p><a id="jump" href="#problems">Jump to problems</a></p>
<section id="allergies"><h2>Allergies</h2><ul><li>` + allergyEntry + `</li></ul></section>
<section id="medicines"><h2>Medicines</h2><ul><li>` + medicine + `</li></ul></section>
<div class="spacer"></div>
<section id="problems"><h2>Problems</h2><ul><li>` + problem + `</li></ul></section>
<section id="vaccinations"><h2>Vaccinations</h2><ul><li>` + vaccination + `</li></ul></section>
</body>
</html>
`

const testFHIR = `{"resourceType":"Bundle","type":"document"}`

// fixture is one sealed test record and its record.html.
type fixture struct {
	dir         string
	page        string // record.html
	key         cardkey.Secret
	other       cardkey.Secret // valid, but for another patient
	fingerprint string
	practiceKey []byte // armored public key of the signer
	message     []byte
}

// exportedAt is the test records' export time.
const exportedUnix = 1773480600 // 2026-03-14 09:30 UTC

func exportedAt() time.Time { return time.Unix(exportedUnix, 0).UTC() }

// newFixture seals the test document to a derived key card secret, signed
// by a practice key made from seed, and renders record.html into a temp
// folder.
func newFixture(t *testing.T, v *viewer.Viewer, seed byte) *fixture {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{seed})
	master := bytes.Repeat([]byte{0x5a}, 32)
	f := &fixture{
		dir:   t.TempDir(),
		key:   cardkey.Derive(master, "patient-0001", 1),
		other: cardkey.Derive(master, "patient-0002", 1),
	}
	practice, err := seal.NewKey("Test Practice", "practice@example.invalid", exportedAt(), rng)
	if err != nil {
		t.Fatal(err)
	}
	f.fingerprint = strings.ToUpper(hex.EncodeToString(practice.PrimaryKey.Fingerprint))
	f.practiceKey = armoredPublic(t, practice)
	zipped, err := bundle.Pack([]bundle.File{
		{Name: bundle.Document, Data: []byte(testDocument)},
		{Name: bundle.FHIR, Data: []byte(testFHIR)},
		{Name: bundle.PracticeKey, Data: f.practiceKey},
	}, exportedAt())
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	err = seal.Encrypt(&msg, zipped, seal.Options{
		Passphrases: [][]byte{f.key.Passphrase()},
		Signer:      practice,
		FileName:    "record.zip",
		Time:        exportedAt(),
		Rand:        rng,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.message = msg.Bytes()
	f.page = filepath.Join(f.dir, "record.html")
	writePage(t, v, f.page, viewer.Page{
		PracticeName:  "Riverside Test Surgery",
		PracticePhone: "01632 960000",
		Exported:      exportedAt(),
		Message:       f.message,
	})
	return f
}

// writePage renders p to path. Its record document is testDocument unless
// p says otherwise: the CSP allows testDocument's styles.
func writePage(t *testing.T, v *viewer.Viewer, path string, p viewer.Page) {
	t.Helper()
	if p.DocumentStyles == nil {
		p.DocumentStyles = viewer.Styles([]byte(testDocument))
	}
	var out bytes.Buffer
	if err := v.Render(&out, p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func armoredPublic(t *testing.T, e *openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newViewer(t testing.TB) *viewer.Viewer {
	t.Helper()
	langs, err := i18n.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	v, err := viewer.New(langs)
	if errors.Is(err, viewer.ErrNoDecryptor) {
		t.Fatalf("%v (`make decryptor` builds it; `make test` runs it first)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPageAllowsOnlyItsOwnScriptsAndStyleByHash(t *testing.T) {
	t.Parallel()
	_, page := fixturePage(t)
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSP meta tag")
	}
	csp := html.UnescapeString(string(m[1]))
	for _, want := range []string{"default-src 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %s", want)
		}
	}
	for _, banned := range []string{"connect-src", "unsafe-inline", "'unsafe-eval'", "wasm-unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, banned) {
			t.Errorf("CSP allows %s", banned)
		}
	}
	inline := regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`).FindAllSubmatch(page, -1)
	if len(inline) != 3 {
		t.Fatalf("want 2 inline scripts and 1 style, found %d", len(inline))
	}
	for _, el := range inline {
		sum := sha256.Sum256(el[2])
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		directive := "script-src"
		if string(el[1]) == "style" {
			directive = "style-src"
		}
		if !regexp.MustCompile(directive + ` [^;]*` + regexp.QuoteMeta(h)).MatchString(csp) {
			t.Errorf("an inline %s is not allowed by hash in %s", el[1], directive)
		}
	}
	if regexp.MustCompile(`(?i)\s(src|href)="(https?:)?//`).Match(page) {
		t.Error("the page refers to another origin")
	}
}

func TestPageShowsPracticeAndDateButNothingOfThePatient(t *testing.T) {
	t.Parallel()
	f, page := fixturePage(t)
	for _, want := range []string{"Riverside Test Surgery", "14 March 2026", `datetime="2026-03-14"`, "-----BEGIN PGP MESSAGE-----",
		// The practice's number, dialable from abroad, and both emergency numbers.
		`<a class="phone" data-arg="1" href="tel:+441632960000">+44 1632 960000</a>`, "999 in the UK, 112 in Europe and many other countries",
		// The Download menu says the saved copy is not encrypted.
		`id="download-warning"`, `<b data-arg="0" data-l="shell_not_encrypted">Not encrypted.</b>`,
	} {
		if !strings.Contains(html.UnescapeString(string(page)), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, s := range recordTexts() {
		if bytes.Contains(page, []byte(s)) {
			t.Error("record text is readable in the locked page")
		}
	}
	if bytes.Contains(page, []byte(f.key.String())) {
		t.Error("the key is in the page")
	}
}

// Every page carries the licence of each npm package bundled into its
// decryptor: the packages the build says it bundled, which must be the
// runtime dependencies package-lock.json pins, each named with its version
// and licence and followed by the licence text it ships.
func TestPageCarriesTheLicencesOfWhatItBundles(t *testing.T) {
	t.Parallel()
	_, page := fixturePage(t)
	notices := regexp.MustCompile(`(?s)<script type="text/plain" id="satchel-notices">(.*?)</script>`).FindSubmatch(page)
	if notices == nil {
		t.Fatal("the page has no licence notices")
	}
	var bundled []string
	if err := json.Unmarshal(readFile(t, filepath.Join("decryptor", "packages.json")), &bundled); err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version      string
			License      string
			Dependencies map[string]string
			Dev          bool
		}
	}
	if err := json.Unmarshal(readFile(t, filepath.Join("..", "..", "package-lock.json")), &lock); err != nil {
		t.Fatal(err)
	}
	runtime := lock.Packages[""].Dependencies
	if len(bundled) == 0 || !slices.Contains(bundled, "@noble/ciphers") {
		t.Fatalf("the build says it bundled %v: the list is wrong", bundled)
	}
	for _, name := range bundled {
		p, ok := lock.Packages["node_modules/"+name]
		if _, pinned := runtime[name]; !ok || !pinned || p.Dev {
			t.Errorf("%s is bundled but is not a runtime dependency pinned in package-lock.json", name)
			continue
		}
		if p.License == "" {
			t.Errorf("package-lock.json names no licence for %s", name)
		}
		head := fmt.Sprintf("== %s %s (%s)\n", name, p.Version, p.License)
		i := bytes.Index(notices[1], []byte(head))
		if i < 0 {
			t.Errorf("the notices lack %q", strings.TrimSpace(head))
			continue
		}
		text, err := os.ReadFile(filepath.Join("..", "..", "node_modules", name, "LICENSE"))
		if err != nil {
			t.Fatalf("%s's licence: %v (make installs node_modules)", name, err)
		}
		if !bytes.Contains(notices[1][i:], bytes.TrimSpace(text)) {
			t.Errorf("the notices lack %s's licence text", name)
		}
	}
}

func TestRenderIsByteStable(t *testing.T) {
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	p := viewer.Page{PracticeName: "A & B <Practice>", Exported: exportedAt(), Message: f.message}
	var a, b bytes.Buffer
	if err := v.Render(&a, p); err != nil {
		t.Fatal(err)
	}
	if err := v.Render(&b, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renders of the same page differ")
	}
	if !bytes.Contains(a.Bytes(), []byte("A &amp; B &lt;Practice&gt;")) {
		t.Error("practice name is not HTML-escaped")
	}
}

func TestRenderRefusesIncompletePages(t *testing.T) {
	t.Parallel()
	v := newViewer(t)
	msg := []byte{0xc3, 0x04}
	for name, p := range map[string]viewer.Page{
		"no practice": {Exported: exportedAt(), Message: msg},
		"no message":  {PracticeName: "P", Exported: exportedAt()},
		"no date":     {PracticeName: "P", Message: msg},
		"bad key":     {PracticeName: "P", Exported: exportedAt(), Message: msg, PracticeKey: []byte("not a key")},
	} {
		if err := v.Render(&bytes.Buffer{}, p); err == nil {
			t.Errorf("%s: Render succeeded", name)
		}
	}
}

func TestPracticeKeyInPageNeverCarriesSecretKey(t *testing.T) {
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	e, secret := secretKey(t, "Test Practice", 1)
	ring, page := pageKey(t, v, f.message, secret)
	if ring[0].PrivateKey != nil || bytes.Contains(page, []byte("PRIVATE KEY")) {
		t.Error("secret key material reached the page")
	}
	// The viewer keeps the public key it made for each key it was given:
	// a page for another practice key carries that key, not the first.
	e2, secret2 := secretKey(t, "Other Practice", 2)
	for i, k := range []struct {
		want   *openpgp.Entity
		secret []byte
	}{{e2, secret2}, {e, secret}} {
		if ring, _ := pageKey(t, v, f.message, k.secret); !bytes.Equal(ring[0].PrimaryKey.Fingerprint, k.want.PrimaryKey.Fingerprint) {
			t.Errorf("page %d carries another practice key than it was given", i+1)
		}
	}
}

// secretKey returns a new practice key made from seed, and its secret key
// serialized.
func secretKey(t *testing.T, name string, seed byte) (*openpgp.Entity, []byte) {
	t.Helper()
	e, err := seal.NewKey(name, "", exportedAt(), rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	var secret bytes.Buffer
	if err := e.SerializePrivate(&secret, nil); err != nil {
		t.Fatal(err)
	}
	return e, secret.Bytes()
}

// pageKey renders a page of message with practice key key and returns the
// one key the page carries, and the page.
func pageKey(t *testing.T, v *viewer.Viewer, message, key []byte) (openpgp.EntityList, []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := v.Render(&out, viewer.Page{PracticeName: "P", Exported: exportedAt(), Message: message, PracticeKey: key}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/pgp-keys" id="satchel-practice-key">(.*?)</script>`).FindSubmatch(out.Bytes())
	if m == nil {
		t.Fatal("no practice key in page")
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(m[1]))
	if err != nil || len(ring) != 1 {
		t.Fatalf("practice key in page does not read back: %v", err)
	}
	return ring, out.Bytes()
}

// The viewer is the same in every record.html: shell and decryptor must
// stay small (the Go WebAssembly decryptor made every page 2.35 MB), and
// the decryptor must need nothing a plain-http page lacks.
func TestViewerWithoutTheMessageIsUnder100KB(t *testing.T) {
	t.Parallel()
	f, page := fixturePage(t)
	armored, err := seal.Armor(f.message)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, armored) {
		t.Fatal("the page does not hold the armored message")
	}
	if n := len(page) - len(armored); n > 100_000 {
		t.Errorf("record.html without its message is %d bytes, over 100 KB", n)
	}
	js := readFile(t, filepath.Join("decryptor", "decryptor.js"))
	for _, banned := range []string{"subtle", "WebAssembly", "eval(", "new Function", "fetch(", "XMLHttpRequest", "console."} {
		if bytes.Contains(js, []byte(banned)) {
			t.Errorf("the decryptor uses %s", banned)
		}
	}
}

// `satchel open record.html` reads the first armored message in the page
// (provenance.Message): the shell and decryptor must hold no armor line
// that could be taken for it.
func TestTheMessageIsTheOnlyArmorInThePage(t *testing.T) {
	t.Parallel()
	f, page := fixturePage(t)
	if n := bytes.Count(page, []byte("-----BEGIN PGP MESSAGE-----")); n != 1 {
		t.Errorf("the page holds %d BEGIN PGP MESSAGE lines, want 1", n)
	}
	armored, err := seal.Armor(f.message)
	if err != nil {
		t.Fatal(err)
	}
	if got := provenance.Message(page); !bytes.Equal(got, bytes.TrimSpace(armored)) {
		t.Errorf("provenance.Message finds %d bytes in the page, not the %d-byte message", len(got), len(bytes.TrimSpace(armored)))
	}
}

// fixturePage returns a one-card fixture and its rendered record.html.
func fixturePage(t *testing.T) (*fixture, []byte) {
	t.Helper()
	f := newFixture(t, newViewer(t), 1)
	page, err := os.ReadFile(f.page)
	if err != nil {
		t.Fatal(err)
	}
	return f, page
}

// Styles finds each <style> element's text, its tag in any case; the page's CSP allows exactly
// those (and the shell's own) by hash, after HTML's newline normalization.
func TestDocumentStylesAreAllowedByHash(t *testing.T) {
	// Ⱥ lower-cases to a longer character: the offsets found must still
	// be the document's own.
	doc := "<html><head><title>ȺȺȺ</title><STYLE media=print>a{b:c}\r\n</STYLE><styles>no</styles><style>\nh1 { color: red; }\n</style></head><body><style>x{}</style></body></html>"
	got := viewer.Styles([]byte(doc))
	want := []string{"a{b:c}\r\n", "\nh1 { color: red; }\n", "x{}"}
	if len(got) != len(want) {
		t.Fatalf("Styles found %d style elements, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("style %d: %q, want %q", i, got[i], want[i])
		}
	}
	v := newViewer(t)
	f := newFixture(t, v, 3)
	var out bytes.Buffer
	if err := v.Render(&out, viewer.Page{PracticeName: "P", Exported: exportedAt(), Message: f.message, DocumentStyles: got}); err != nil {
		t.Fatal(err)
	}
	csp := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(out.String())
	if csp == nil {
		t.Fatal("no CSP in the page")
	}
	styleSrc := regexp.MustCompile(`style-src([^;]*)`).FindStringSubmatch(html.UnescapeString(csp[1]))[1]
	for _, s := range []string{"a{b:c}\n", "\nh1 { color: red; }\n", "x{}"} {
		sum := sha256.Sum256([]byte(s))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(styleSrc, h) {
			t.Errorf("style-src lacks the hash of %q", s)
		}
	}
	if strings.Contains(styleSrc, "unsafe") {
		t.Errorf("style-src allows more than hashes: %s", styleSrc)
	}
}

// Without JavaScript the page promises nothing it cannot do: "Getting
// ready" is written by the shell's script, and the <noscript> message says
// what to do instead.
func TestWithoutJavaScriptThePageSaysWhatToDo(t *testing.T) {
	v := newViewer(t)
	f := newFixture(t, v, 4)
	page := string(readFile(t, f.page))
	markup := regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`).ReplaceAllString(page, "")
	if strings.Contains(markup, "Getting ready") {
		t.Error(`"Getting ready" is in the page's markup, where a browser without JavaScript shows it for ever`)
	}
	noscript := regexp.MustCompile(`(?s)<noscript>(.*?)</noscript>`).FindStringSubmatch(markup)
	if noscript == nil {
		t.Fatal("no <noscript> message")
	}
	for _, want := range []string{"needs JavaScript", "Turn it on", "another browser"} {
		if !strings.Contains(noscript[1], want) {
			t.Errorf("the <noscript> message does not say %q", want)
		}
	}
	if !strings.Contains(page, `say("shell_getting_ready")`) || !strings.Contains(page, `"shell_getting_ready":"Getting ready to open the record…"`) {
		t.Error(`the shell does not write "Getting ready"`)
	}
}

// A hosted page (base_url) may register one worker from its own origin,
// and says so with data-hosted; an unhosted page allows no worker and
// registers none. Neither may fetch or connect anywhere.
func TestOnlyAHostedPageMayRegisterItsServiceWorker(t *testing.T) {
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	for _, hosted := range []bool{false, true} {
		var out bytes.Buffer
		if err := v.Render(&out, viewer.Page{PracticeName: "P", Exported: exportedAt(), Message: f.message, Hosted: hosted}); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatal("no CSP in the page")
		}
		csp := html.UnescapeString(m[1])
		if got := strings.Contains(csp, "; worker-src 'self'"); got != hosted {
			t.Errorf("hosted=%v: CSP allows a same-origin worker: %v", hosted, got)
		}
		if strings.Count(csp, "'self'") > 1 || strings.Contains(csp, "connect-src") || strings.Contains(csp, "child-src") {
			t.Errorf("hosted=%v: CSP allows more than one worker source: %s", hosted, csp)
		}
		if got := strings.Contains(out.String(), `<html lang="en" data-state="locked" data-hosted="true">`); got != hosted {
			t.Errorf("hosted=%v: page marked hosted: %v", hosted, got)
		}
	}
	sw := string(viewer.ServiceWorker())
	for _, want := range []string{`["record.html", "summary.html"].map((p) => new URL(p, self.registration.scope)`, "caches.open(store)", `"fetch"`} {
		if !strings.Contains(sw, want) {
			t.Errorf("sw.js lacks %s", want)
		}
	}
	if strings.Contains(sw, "importScripts") || strings.Contains(sw, "http") {
		t.Error("sw.js refers to something other than the page beside it")
	}
}
