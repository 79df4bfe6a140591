package keycard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/templates"
)

// needTool fails the test, with the fix, when a real tool is missing.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed: run `make test-deps`", name)
	}
}

// zbar returns the text zbarimg reads from the image at path.
func zbar(t *testing.T, path string) (string, error) {
	t.Helper()
	needTool(t, "zbarimg")
	out, err := exec.Command("zbarimg", "-q", "--raw", path).Output()
	return strings.TrimSuffix(string(out), "\n"), err
}

func cardTemplate(t testing.TB) *template.Template {
	t.Helper()
	tmpl, err := template.ParseFS(templates.FS(), "keycard-faces.html", "keycard.html")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// sampleCard is a synthetic card; hosted makes its QR hold a URL.
func sampleCard(hosted bool) Card {
	m := testMaster(9)
	s := cardkey.Derive(m, "9434765919", 2)
	c := Card{
		PracticeName:  "Riverside Medical Practice",
		PracticePhone: "01632 960 123",
		Issued:        time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC),
		Serial:        2,
		Tag:           cardkey.Holder{ID: "9434765919"}.CardTag(m, 2),
		Label:         "Carer",
		BundleID:      cardkey.BundleID(m, "9434765919"),
		Secret:        s,
		QRContent:     s.String(),
		Fingerprint:   "367C0E366BDA9542801F0238163F89D695D26420",
	}
	if hosted {
		c.QRContent = "https://records.riverside.example/b/" + c.BundleID + "/#k=" + s.String()
	}
	return c
}

func render(t testing.TB, c Card) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, cardTemplate(t), c); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestQRReadsBackAsItsContent(t *testing.T) {
	t.Parallel()
	c := sampleCard(true)
	for name, content := range map[string]string{"secret": c.Secret.String(), "hosted URL": c.QRContent} {
		img, err := QR(content, 300)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", name, err)
		}
		if cfg.Width > 300 || cfg.Width < 150 || cfg.Width != cfg.Height {
			t.Fatalf("%s: image is %dx%d, want square up to 300", name, cfg.Width, cfg.Height)
		}
		path := filepath.Join(t.TempDir(), "qr.png")
		if err := os.WriteFile(path, img, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := zbar(t, path)
		if err != nil || got != content {
			t.Fatalf("%s: zbarimg did not read the content back (%v)", name, err)
		}
	}
}

func TestQRRefusesBadSizeAndOverlongContent(t *testing.T) {
	t.Parallel()
	if _, err := QR("x", 0); err == nil {
		t.Error("size 0 accepted")
	}
	if _, err := QR(strings.Repeat("x", 5000), 300); err == nil {
		t.Error("content beyond QR capacity accepted")
	}
}

var (
	dataURI = regexp.MustCompile(`data:image/png;base64,(?:[A-Za-z0-9+/=]|&#43;)+`) // html/template writes + as &#43;
	tags    = regexp.MustCompile(`<[^>]*>`)
)

func TestCardIsSelfContainedAndShowsWhatItShould(t *testing.T) {
	t.Parallel()
	c := sampleCard(true)
	html := render(t, c)
	if n := len(dataURI.FindAllString(html, -1)); n != 1 {
		t.Fatalf("%d embedded images, want the QR code only", n)
	}
	rest := dataURI.ReplaceAllString(html, "")
	for _, banned := range []string{"http", "//", "<script", "<link", "url(", "@import", "<iframe", "<object"} {
		if strings.Contains(strings.ToLower(rest), banned) {
			t.Errorf("card has %q: it must not refer to anything outside itself", banned)
		}
	}
	text := strings.Join(strings.Fields(tags.ReplaceAllString(rest, " ")), " ")
	for _, want := range []string{
		c.PracticeName, c.PracticePhone, "Your medical record key", "14 March 2025",
		"Card 2 · " + c.Tag, "Key · card 2 · " + c.Tag, c.Label, c.BundleID, "367C 0E36 6BDA",
		"Phone: scan the QR code with your phone camera Computer: open record.html and type the key GnuPG: gpg --decrypt record.pgp",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("card text lacks %q", want)
		}
	}
	secret := regexp.MustCompile(`(?s)<p class="secret">(.*?)</p>`).FindStringSubmatch(html)
	if secret == nil || tags.ReplaceAllString(secret[1], "") != c.Secret.String() {
		t.Error("card does not print the secret exactly as the passphrase reads")
	}
	if !strings.Contains(html, "@page") || !strings.Contains(html, "85.6mm") || !strings.Contains(html, "54mm") {
		t.Error("card has no ID-1 print layout")
	}
}

// The back says which file to open on which device: the PDF only when the
// practice makes one (it is named like the card's gpg file), the QR link
// only when the practice hosts the record.
func TestCardSaysWhichFileToOpenOnWhichDevice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		hosted          bool
		gpg, pdf        string
		want, forbidden []string
	}{
		{"hosted, PDF", true, "record-7k3mq9xr2a.pgp", "record-7k3mq9xr2a.pdf", []string{
			"Phone: scan the QR code with your phone camera PDF reader: open record-7k3mq9xr2a.pdf and type the key in capitals, no dashes",
			"Computer: open record.html and type the key",
			"GnuPG: gpg --decrypt record-7k3mq9xr2a.pgp",
		}, []string{"record.pdf", "Phone or computer"}},
		{"file, PDF", false, "", "record.pdf", []string{
			"Phone: open record.pdf and type the key in capitals, no dashes",
			"Computer: open record.html and type the key",
			"GnuPG: gpg --decrypt record.pgp",
		}, []string{"scan the QR code", "camera", "Phone or computer"}},
		{"hosted, no PDF", true, "", "", []string{
			"Phone: scan the QR code with your phone camera Computer:",
		}, []string{".pdf", "Phone or computer"}},
		{"file, no PDF", false, "", "", []string{
			"Phone or computer: open record.html in a browser and type or scan the key GnuPG: gpg --decrypt record.pgp",
		}, []string{".pdf", "Phone:", "Computer:", "camera"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleCard(tc.hosted)
			c.GPGFile, c.PDFFile = tc.gpg, tc.pdf
			text := strings.Join(strings.Fields(tags.ReplaceAllString(dataURI.ReplaceAllString(render(t, c), ""), " ")), " ")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("card text lacks %q", w)
				}
			}
			for _, f := range tc.forbidden {
				if strings.Contains(text, f) {
					t.Errorf("card text has %q", f)
				}
			}
		})
	}
}

func TestCardLeavesOutWhatIsNotSet(t *testing.T) {
	t.Parallel()
	c := sampleCard(false)
	c.Label, c.Fingerprint, c.PracticePhone = "", "", ""
	html := render(t, c)
	for _, absent := range []string{"Signed by", "Tel ", `class="whose"`} {
		if strings.Contains(html, absent) {
			t.Errorf("card shows %q though it is not set", absent)
		}
	}
}

func TestCardEscapesPracticeText(t *testing.T) {
	t.Parallel()
	c := sampleCard(false)
	c.PracticeName = `Dr <b>Smith</b> & "Partners"`
	html := render(t, c)
	if strings.Contains(html, "<b>Smith</b>") || !strings.Contains(html, "Dr &lt;b&gt;Smith&lt;/b&gt; &amp; &#34;Partners&#34;") {
		t.Fatal("practice name is not escaped")
	}
}

func TestCardRendersTheSameBytesEveryTime(t *testing.T) {
	t.Parallel()
	// Two renders of two separately made cards: a rebuild must write the
	// same file, so nothing in the page may depend on time or map order.
	first := render(t, sampleCard(true))
	second := render(t, sampleCard(true))
	if first != second {
		t.Fatal("same card rendered differently")
	}
}

func TestRenderWritesNothingWhenItFails(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	other := template.Must(template.New("other.html").Parse("x"))
	if err := Render(&buf, other, sampleCard(false)); err == nil || buf.Len() != 0 {
		t.Fatalf("missing template: error %v, %d bytes written", err, buf.Len())
	}
	c := sampleCard(false)
	c.Secret = cardkey.Secret{}
	if err := Render(&buf, cardTemplate(t), c); err == nil || buf.Len() != 0 {
		t.Fatalf("card without secret: error %v, %d bytes written", err, buf.Len())
	}
}

// The card as a browser draws it: the QR code on screen must scan to the
// same content, so nothing in the CSS blurs or clips it.
func TestCardQRScansFromChromiumScreenshot(t *testing.T) {
	testtool.Slow(t, "Chromium screenshots two cards for zbarimg to scan")
	t.Parallel()
	needTool(t, "chromium")
	for _, hosted := range []bool{false, true} {
		t.Run(fmt.Sprintf("hosted=%v", hosted), func(t *testing.T) {
			t.Parallel()
			c := sampleCard(hosted)
			dir := t.TempDir()
			page := filepath.Join(dir, "card.html")
			if err := os.WriteFile(page, []byte(render(t, c)), 0o600); err != nil {
				t.Fatal(err)
			}
			shot := filepath.Join(dir, "card.png")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			cmd := exec.CommandContext(ctx, "chromium", "--headless", "--no-sandbox", "--disable-gpu",
				"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
				"--screenshot="+shot, "--window-size=800,600", "file://"+page)
			out, err := cmd.CombinedOutput()
			cancel()
			if _, serr := os.Stat(shot); serr != nil {
				t.Fatalf("chromium made no screenshot (%v):\n%s", err, out)
			}
			got, err := zbar(t, shot)
			if err != nil || got != c.QRContent {
				t.Fatalf("the QR code in the rendered card does not scan to its content (%v)", err)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	tmpl := cardTemplate(b)
	c := sampleCard(true)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, tmpl, c); err != nil {
			b.Fatal(err)
		}
	}
}

// testMaster is a fixed, synthetic master secret.
func testMaster(seed byte) []byte {
	m := make([]byte, 32)
	for i := range m {
		m[i] = seed + byte(i)*7
	}
	return m
}

// A summary-only card says, on both faces, that it opens the emergency
// summary alone, and names the page and file made for it; a full card
// says neither.
func TestSummaryOnlyCardSaysSo(t *testing.T) {
	t.Parallel()
	for _, hosted := range []bool{false, true} {
		c := sampleCard(hosted)
		c.GPGFile, c.PDFFile = "record-7k3mq9xr2a.pgp", "record-7k3mq9xr2a.pdf"
		full := render(t, c)
		c.SummaryOnly, c.ViewerFile = true, "summary.html"
		out := render(t, c)
		for _, want := range []string{"Emergency summary key", "Opens your emergency summary only"} {
			if !strings.Contains(out, want) {
				t.Errorf("hosted=%v: summary-only card lacks %q", hosted, want)
			}
			if strings.Contains(full, want) {
				t.Errorf("hosted=%v: full card says %q", hosted, want)
			}
		}
		if !hosted && !strings.Contains(out, "<b>summary.html</b>") {
			t.Errorf("summary-only card does not name its own page")
		}
		if strings.Contains(out, "<b>record.html</b>") {
			t.Errorf("hosted=%v: summary-only card names record.html, which it cannot open", hosted)
		}
		if !hosted && !strings.Contains(full, "<b>record.html</b>") {
			t.Errorf("full card does not name record.html")
		}
	}
}

// A card for a patient whose language is not English gives its title in
// that language and in English; an English card gives it once.
func TestCardTitleInThePatientsLanguageAndEnglish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang, summary bool
		want, not     []string
	}{
		{lang: true, want: []string{`<h2 lang="fr">Clé de votre dossier médical</h2>`, `<span class="title-en" lang="en">Your medical record key</span>`}},
		{lang: true, summary: true, want: []string{`<h2 lang="fr">Clé du résumé d&#39;urgence</h2>`, `lang="en">Emergency summary key</span>`}},
		{want: []string{`<h2>Your medical record key</h2>`}, not: []string{`lang="fr"`, `title-en`}},
	} {
		c := sampleCard(false)
		if tc.lang {
			c.Language = "fr"
		}
		c.SummaryOnly = tc.summary
		out := render(t, c)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("lang %v summary %v: card lacks %s", tc.lang, tc.summary, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out, n) {
				t.Errorf("English card holds %s", n)
			}
		}
	}
}

// A card in the patient's language says everything else in it too: its
// facts' names, the issue date, how to open the record on each device
// (file names kept as they are) and to keep it safe. No English is left
// but the title's English line and the file and command names.
func TestCardWordsInThePatientsLanguage(t *testing.T) {
	t.Parallel()
	c := sampleCard(true)
	c.Language = "fr"
	c.PDFFile = "record-7k3mq9xr2a.pdf"
	out := render(t, c)
	for _, want := range []string{"<dt>Émise le</dt>", ">14 mars 2025</time>", "<dt>Carte</dt>", "<dt>Dossier</dt>", "<dt>Signé par</dt>",
		"Gardez cette carte en lieu sûr : elle ouvre votre dossier.", `alt="Code QR contenant la clé"`, "Clé <span class=\"cardno\">· carte 2",
		`aria-label="Comment ouvrir votre dossier"`, "<b>Téléphone:</b> scannez le code QR avec l’appareil photo",
		"<b>Lecteur PDF:</b> ouvrez <b>record-7k3mq9xr2a.pdf</b> : clé en majuscules, sans tirets",
		"<b>Ordinateur:</b> ouvrez <b>record.html</b> et tapez la clé"} {
		if !strings.Contains(out, want) {
			t.Errorf("the French card lacks %s", want)
		}
	}
	for _, english := range []string{"Issued", ">Card<", ">Record<", "Signed by", "Keep this card", "QR code holding", "How to open", "Phone:", "Computer:", "PDF reader", "type the key", "14 March 2025"} {
		if strings.Contains(out, english) {
			t.Errorf("the French card says %q", english)
		}
	}
	c.Language = ""
	out = render(t, c)
	for _, want := range []string{"<dt>Issued</dt>", ">14 March 2025</time>", "Keep this card safe: it opens your record.", "<b>Computer:</b> open <b>record.html</b> and type the key"} {
		if !strings.Contains(out, want) {
			t.Errorf("the English card lacks %s", want)
		}
	}
}

// QR keeps its PNG encoder's zlib writers in a pool; each code must still
// be the bytes a fresh BestSpeed encoder writes for the same pixels, however
// many codes were drawn before it and at the same time.
func TestPooledQREncoderWritesWhatAFreshOneDoes(t *testing.T) {
	t.Parallel()
	contents := []string{"a", "https://example.org/r/abcdef#k=ABCD-EFGH-IJKL-MNOP", "SATCHEL-" + strings.Repeat("Q", 90)}
	var wg sync.WaitGroup
	for round := range 4 {
		for _, content := range contents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := QR(content, QRPixels)
				if err != nil {
					t.Error(err)
					return
				}
				img, err := png.Decode(bytes.NewReader(got))
				if err != nil {
					t.Errorf("round %d: not a PNG: %v", round, err)
					return
				}
				var want bytes.Buffer
				if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&want, img); err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, want.Bytes()) {
					t.Errorf("round %d: a %d-byte code's PNG differs from a fresh encoder's", round, len(content))
				}
			}()
		}
	}
	wg.Wait()
}
