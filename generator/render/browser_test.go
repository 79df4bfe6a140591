package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/internal/viewerbench"
)

// axePath is where `make test` installs axe-core (npm, package-lock.json).
const axePath = "../../node_modules/axe-core/axe.min.js"

// pages serves documents from memory, so no record is ever written to a
// temporary file to be opened.
type pages struct {
	mu   sync.Mutex
	docs map[string][]byte
	srv  *httptest.Server
}

func newPages(t *testing.T) *pages {
	p := &pages{docs: map[string][]byte{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		doc, ok := p.docs[r.URL.Path]
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(doc)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// add serves doc at /name and returns its URL.
func (p *pages) add(name string, doc []byte) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs["/"+name] = doc
	return p.srv.URL + "/" + name
}

// browser starts headless Chromium for the test, as the viewer's tests do.
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx, stop, err := viewerbench.Browser(context.Background())
	if err != nil {
		t.Fatalf("%v (run `make test-deps`)", err)
	}
	t.Cleanup(stop)
	return ctx
}

// tab opens a new tab at width x height CSS pixels showing pageURL.
func tab(t *testing.T, browserCtx context.Context, pageURL string, width, height int64) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	// The tab lives as long as the context of the first action on it: open
	// it here, not under run's time limit.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.EmulateViewport(width, height), chromedp.Navigate(pageURL))
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// violation is one axe-core rule a page breaks, described by rule and CSS
// selectors only: never the page's text, which is a record.
type violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeViolations runs axe-core in the page of ctx and returns its serious
// and critical violations.
func axeViolations(t *testing.T, ctx context.Context, axe string) []violation {
	t.Helper()
	// DevTools evaluation is not bound by the page's CSP, so axe runs in a
	// document that allows no script.
	eval[bool](t, ctx, axe+";\ntrue")
	raw := eval[string](t, ctx, `axe.run(document, {resultTypes: ["violations"]}).then((r) => JSON.stringify(
		r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
			id: v.id, impact: v.impact, help: v.help,
			targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
		}))))`, chromedp.EvalAwaitPromise)
	var out []violation
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func readAxe(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is not installed at %s: run `make test` (or `make node_modules/axe-core`)", axePath)
	}
	return string(b)
}

func TestRecordDocumentsHaveNoSeriousAccessibilityProblems(t *testing.T) {
	testtool.Slow(t, "Chromium runs axe-core on every sample record in both themes")
	t.Parallel()
	axe := readAxe(t)
	patients := samplePatients(t)
	srv := newPages(t)
	ctx := browser(t)
	// The check finds what it is meant to: grey-on-white text and an image
	// without a text alternative are serious problems to axe.
	bad := srv.add("bad.html", []byte(`<!doctype html><html lang="en"><title>t</title><main><p style="color:#ccc">faint</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>`))
	if got := axeViolations(t, tab(t, ctx, bad, 1280, 900), axe); len(got) < 2 {
		t.Fatalf("axe found %d serious problems in a page with two", len(got))
	}
	for _, theme := range sampleThemes {
		r := sampleRenderer(t, theme)
		for _, p := range patients {
			t.Run(theme+"/"+p.ID, func(t *testing.T) {
				t.Parallel()
				u := srv.add(theme+"-"+p.ID+".html", []byte(renderSample(t, r, p)))
				for _, v := range axeViolations(t, tab(t, ctx, u, 1280, 900), axe) {
					t.Errorf("axe %s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Targets)
				}
			})
		}
	}
}

func TestViewerShellHasNoSeriousAccessibilityProblems(t *testing.T) {
	testtool.Slow(t, "Chromium opens the viewer and runs axe-core in three states")
	t.Parallel()
	axe := readAxe(t)
	langs, err := i18n.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	v, err := viewer.New(langs)
	if err != nil {
		t.Fatalf("%v (`make decryptor` builds the decryptor; `make test` runs it first)", err)
	}
	patients := samplePatients(t)
	doc := renderSample(t, sampleRenderer(t, "default"), patients[0])
	exported := sampleNow
	rng := rand.NewChaCha8([32]byte{7})
	key := cardkey.Derive(bytes.Repeat([]byte{0x42}, 32), patients[0].ID, 1)
	practice, err := seal.NewKey("Riverside Medical Centre", "practice@example.invalid", exported, rng)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	aw, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := practice.Serialize(aw); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	zipped, err := bundle.Pack([]bundle.File{
		{Name: bundle.Document, Data: []byte(doc)},
		{Name: bundle.PracticeKey, Data: pub.Bytes()},
	}, exported)
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	if err := seal.Encrypt(&msg, zipped, seal.Options{Passphrases: [][]byte{key.Passphrase()}, Signer: practice, FileName: "record.zip", Time: exported, Rand: rng}); err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := v.Render(&page, viewer.Page{PracticeName: "Riverside Medical Centre", PracticePhone: "01632 960123", Exported: exported, Message: msg.Bytes(), DocumentStyles: viewer.Styles([]byte(doc))}); err != nil {
		t.Fatal(err)
	}
	srv := newPages(t)
	u := srv.add("record.html", page.Bytes())
	ctx := browser(t)
	for _, tt := range []struct {
		name, url, state string
	}{
		{"locked", u, "locked"},
		{"wrong key", u + "#k=" + url.QueryEscape(cardkey.Derive(bytes.Repeat([]byte{0x43}, 32), "x", 1).String()), "error"},
		{"open", u + "#k=" + url.QueryEscape(key.String()), "open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, width := range []int64{390, 1280} {
				tc := tab(t, ctx, tt.url, width, 900)
				if tt.state != "locked" {
					pctx, cancel := context.WithTimeout(tc, 60*time.Second)
					_, err := chromedp.Run(pctx, chromedp.Poll[bool](`["open", "error"].includes(document.documentElement.dataset.state)`, chromedp.WithPollingInterval(20*time.Millisecond)))
					cancel()
					if err != nil {
						t.Fatalf("the viewer neither opened nor failed: %v", err)
					}
					if got := eval[string](t, tc, `document.documentElement.dataset.state`); got != tt.state {
						t.Fatalf("viewer state %q (%s), want %q", got, eval[string](t, tc, `document.documentElement.dataset.error || ""`), tt.state)
					}
				} else {
					run(t, tc, chromedp.WaitEnabled(chromedp.ID("key")))
				}
				for _, v := range axeViolations(t, tc, axe) {
					t.Errorf("%d px: axe %s (%s): %s at %v", width, v.ID, v.Impact, v.Help, v.Targets)
				}
			}
		})
	}
}

// shotDir is where the layout test leaves its PDFs, and its screenshots
// when keep is true: the folder named by SATCHEL_SHOTS (to look at them),
// or a temporary one. Screenshots are for a person to look at and assert
// nothing; a full-page PNG costs as much CPU as the layout checks, so they
// are taken only when SATCHEL_SHOTS asks to keep them.
func shotDir(t *testing.T) (dir string, keep bool) {
	if d := os.Getenv("SATCHEL_SHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d, true
	}
	return t.TempDir(), false
}

// layoutProblems measures the page of ctx and returns what is clipped,
// wider than the screen, or overlapping, described by CSS selector only.
const layoutProblems = `(() => {
	const problems = [];
	const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
	const path = (e) => { const p = []; for (; e && e !== document.body; e = e.parentElement) p.unshift(name(e)); return p.join(" > "); };
	const vw = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > vw) problems.push("page is " + document.documentElement.scrollWidth + " px wide on a " + vw + " px screen");
	if (document.body.scrollWidth > document.body.clientWidth) problems.push("body scrolls sideways");
	for (const e of document.body.querySelectorAll("*")) {
		const r = e.getBoundingClientRect();
		// Visually hidden on purpose (a table head kept for screen readers).
		if (r.width <= 1 || r.height <= 1) continue;
		if (r.right > vw + 0.5 || r.left < -0.5) problems.push("off screen: " + path(e));
		const s = getComputedStyle(e);
		const clips = s.overflowX !== "visible" || s.overflowY !== "visible";
		if (clips && e.tagName !== "svg" && !e.closest("svg") && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) && !(s.overflowX === "auto" || s.overflowX === "scroll")) {
			problems.push("clipped: " + path(e));
		}
	}
	// An element split across columns has one box per column: compare the
	// boxes, not the rectangle around them.
	const hits = (x, y) => [...x.getClientRects()].some((a) => [...y.getClientRects()].some((b) =>
		a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5));
	const overlap = (list, what) => {
		for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) {
			if (hits(list[i], list[j])) problems.push(what + " overlap: " + path(list[i]) + " / " + path(list[j]));
		}
	};
	overlap([...document.querySelectorAll(".summary-block")], "summary blocks");
	for (const b of document.querySelectorAll(".summary-block ul, .provenance, .identity")) overlap([...b.children], "summary entries");
	for (const li of document.querySelectorAll(".summary-block li")) overlap([...li.children].filter((c) => c.tagName !== "BR"), "parts of a summary entry");
	return problems.slice(0, 20);
})()`

// layoutPatients are laid out and printed: rmc-0001 has the longest results
// and a chart, rmc-0002 letters and high-risk medicines.
var layoutPatients = []string{"rmc-0001", "rmc-0002"}

func TestRecordLaysOutOnPhoneAndDesktopAndPrintsSummaryFirst(t *testing.T) {
	testtool.Slow(t, "Chromium lays out, screenshots and prints sample records")
	t.Parallel()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed: run `make test-deps` (poppler-utils)")
	}
	var patients []samplePatient
	for _, p := range samplePatients(t) {
		if slices.Contains(layoutPatients, p.ID) {
			patients = append(patients, p)
		}
	}
	if len(patients) != len(layoutPatients) {
		t.Fatalf("samples %v did not all build", layoutPatients)
	}
	dir, keepShots := shotDir(t)
	srv := newPages(t)
	ctx := browser(t)
	for _, theme := range sampleThemes {
		r := sampleRenderer(t, theme)
		for _, patient := range patients {
			name := patient.ID + "-" + theme
			u := srv.add(name+".html", []byte(renderSample(t, r, patient)))
			for _, width := range []int64{390, 1280} {
				t.Run(name+"/"+itoa(width), func(t *testing.T) {
					t.Parallel()
					tc := tab(t, ctx, u, width, 844)
					for _, p := range eval[[]string](t, tc, layoutProblems) {
						t.Errorf("%s", p)
					}
					if !keepShots {
						return
					}
					shot, err := chromedp.Run(tc, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, name+"-"+itoa(width)+".png"), shot, 0o600); err != nil {
						t.Fatal(err)
					}
				})
			}
			t.Run(name+"/print", func(t *testing.T) {
				t.Parallel()
				tc := tab(t, ctx, u, 1280, 900)
				pdf, err := chromedp.Run(tc, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
				if err != nil {
					t.Fatal(err)
				}
				file := filepath.Join(dir, name+".pdf")
				if err := os.WriteFile(file, pdf, 0o600); err != nil {
					t.Fatal(err)
				}
				// Content order (-raw), so a name that wraps in one
				// column is not interleaved with the other.
				out, err := exec.Command(pdftotext, "-raw", file, "-").Output()
				if err != nil {
					t.Fatalf("pdftotext: %v", err)
				}
				// Pages are separated by form feeds. Block headings are set
				// in capitals: compare case-blind, with spaces evened and
				// words broken at a hyphen mended.
				norm := func(s string) string {
					return strings.ReplaceAll(strings.ToLower(strings.Join(strings.Fields(s), " ")), "- ", "-")
				}
				// Each page opens with its running head (name, date of
				// birth, page n of m), left off here.
				var pages []string
				for _, p := range strings.Split(string(out), "\f") {
					pages = append(pages, runningHead.ReplaceAllString(norm(p), ""))
				}
				// The sections start at the top of a page: the summary
				// stands alone before it.
				sections := slices.IndexFunc(pages, func(p string) bool { return strings.HasPrefix(p, "problems") })
				if sections < 1 {
					t.Fatal("no printed page starts with the first section, after the summary")
				}
				if theme == "default" && sections != 1 {
					t.Errorf("the emergency summary takes %d printed pages, want 1", sections)
				}
				first, summary := pages[0], strings.Join(pages[:sections], " ")
				for _, want := range []string{"Health record from", "Emergency summary", "Allergies"} {
					if !strings.Contains(first, strings.ToLower(want)) {
						t.Errorf("the first printed page lacks %q", want)
					}
				}
				for _, want := range []string{"Current medicines", "Active problems", "Approved by", "Current until"} {
					if !strings.Contains(summary, strings.ToLower(want)) {
						t.Errorf("the printed summary lacks %q", want)
					}
				}
				for _, m := range patient.Doc.Record.Medications {
					if strings.EqualFold(m.Status, "current") && !strings.Contains(summary, norm(m.Name)) {
						t.Error("a current medicine is missing from the printed summary")
					}
				}
				// Neither the screen-only contents nor any section is on
				// the summary's pages.
				for _, notWant := range []string{"Dans ce dossier · En este historial", "Test results", "Using your record safely"} {
					if strings.Contains(summary, strings.ToLower(notWant)) {
						t.Errorf("the printed summary pages have %q", notWant)
					}
				}
			})
		}
	}
}

// runningHead is the head of a printed page, as norm leaves it.
var runningHead = regexp.MustCompile(`^.*? · (born|date of birth) .*?page \d+ of \d+ ?`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
