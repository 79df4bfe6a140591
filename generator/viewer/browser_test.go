package viewer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/internal/viewerbench"
)

// tab is one browser tab with a record of what the page asked the network
// for and whether any script threw.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	requests   []string // URLs, without fragment, of every request
	exceptions int
}

func newTab(t *testing.T, browserCtx context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.mu.Lock()
			tb.requests = append(tb.requests, ev.Request.URL)
			tb.mu.Unlock()
		case *runtime.EventExceptionThrown:
			tb.mu.Lock()
			tb.exceptions++
			tb.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tb
}

// do runs actions with a time limit, failing the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatal(err)
	}
}

func evalIn[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatal(err)
	}
	return v
}

// settle waits until the page has opened the record or shown an error, and
// returns the state and the error code.
func (tb *tab) settle() (state, code string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`["open", "error"].includes(document.documentElement.dataset.state)`,
		chromedp.WithPollingInterval(10*time.Millisecond)))
	if err != nil {
		tb.t.Fatalf("page neither opened nor failed: %v", err)
	}
	return evalIn[string](tb, `document.documentElement.dataset.state`),
		evalIn[string](tb, `document.documentElement.dataset.error || ""`)
}

// waitReady waits until the decryptor is loaded and the key box enabled.
func (tb *tab) waitReady() {
	tb.t.Helper()
	tb.do(chromedp.WaitEnabled(chromedp.ID("key")))
}

// recordTextAnywhere reports whether any record text is in the page's DOM,
// including the frame's document. It answers yes or no only, so no record
// text reaches test output.
func (tb *tab) recordTextAnywhere() bool {
	tb.t.Helper()
	texts, _ := json.Marshal(recordTexts())
	return evalIn[bool](tb, browsers.AnyTextScript(texts))
}

// recordShown reports whether the frame shows the patient's name and an
// entry of every section, and is on screen.
func (tb *tab) recordShown() bool {
	tb.t.Helper()
	texts, _ := json.Marshal(recordTexts())
	return evalIn[bool](tb, `(() => {
		const f = document.querySelector("#frame-box iframe");
		if (!f || !f.contentDocument || document.getElementById("record-screen").hidden) return false;
		const r = f.getBoundingClientRect();
		const text = f.contentDocument.body.textContent;
		return r.width > 100 && r.height > 100 && `+string(texts)+`.every((t) => text.includes(t));
	})()`)
}

// offOrigin lists the requests that went anywhere but the page itself or a
// data:/blob: URL.
func (tb *tab) offOrigin(pageURL string) []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	self := strings.SplitN(pageURL, "#", 2)[0]
	var bad []string
	if !slices.Contains(tb.requests, self) {
		// The listener missed the page itself: it would miss others too.
		bad = append(bad, "(the page's own request was not seen)")
	}
	for _, u := range tb.requests {
		if u == self || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") {
			continue
		}
		bad = append(bad, u)
	}
	return bad
}

func (tb *tab) threw() int {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.exceptions
}

func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

func withKey(pageURL string, key cardkey.Secret) string {
	return pageURL + "#k=" + url.QueryEscape(key.String())
}

// typo changes the first character of the key to another, never to one
// that cardkey.Parse reads as the same (O/0, I/L/1).
func typo(key string) string {
	c := byte('A')
	if key[0] == 'A' {
		c = 'B'
	}
	return string(c) + key[1:]
}

// chromium starts Chromium for t (headless, as viewerbench does) and
// stops it when t ends.
func chromium(t *testing.T) context.Context {
	t.Helper()
	ctx, stop, err := viewerbench.Browser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ctx
}

func TestRecordHTMLInChromium(t *testing.T) {
	testtool.Slow(t, "Chromium opens record.html with its JavaScript decryptor in twelve scenarios")
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	browserCtx := chromium(t)
	recordURL := fileURL(f.page)

	t.Run("key in the fragment opens the record offline and leaves the address bar", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(recordURL, f.key)))
		if state, code := tb.settle(); state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		if !tb.recordShown() {
			t.Error("the frame does not show the patient's name and every section's entry")
		}
		if loc := evalIn[string](tb, `location.href`); strings.Contains(loc, "#") {
			t.Error("the key is still in the address bar")
		}
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		defer cancel()
		hist, err := chromedp.Run(ctx, chromedp.NavigationEntries())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range hist.Entries {
			if strings.Contains(e.URL, "#k=") {
				t.Error("the key is in the tab's history")
			}
		}
		if bad := tb.offOrigin(recordURL); len(bad) > 0 {
			t.Errorf("the page made requests: %q", bad)
		}
		if !evalIn[bool](tb, `!!document.querySelector('meta[http-equiv="Content-Security-Policy"]')`) {
			t.Error("no CSP meta tag")
		}
		if !evalIn[bool](tb, `localStorage.length === 0 && sessionStorage.length === 0 && document.cookie === ""`) {
			t.Error("the page stored something")
		}
		want := "Signed by the practice on 14 March 2026 with practice key " + spaced(f.fingerprint) + "."
		// One line, which opens to the fingerprint: the line names the
		// signer and the date, the panel the key.
		if sig := evalIn[string](tb, `document.querySelector("#signature > summary").textContent`); sig != "Signed by the practice on 14 March 2026" {
			t.Errorf("signature line %q, want the signer and the date", sig)
		}
		if sig := evalIn[string](tb, `document.querySelector("#signature > p").textContent`); !strings.HasPrefix(sig, want) {
			t.Errorf("signature panel %q, want it to start %q", sig, want)
		}
		if marked := evalIn[string](tb, `document.querySelector("#signature .fp b").textContent`); marked != spaced(f.fingerprint)[30:] {
			t.Errorf("the marked part of the fingerprint is %q, want the card's short form", marked)
		}
		if n := tb.threw(); n > 0 {
			t.Errorf("%d uncaught script errors", n)
		}
	})

	t.Run("record keeps its own styles and in-document links work", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(recordURL, f.key)))
		if state, code := tb.settle(); state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		styled := evalIn[bool](tb, `(() => {
			const d = document.querySelector("#frame-box iframe").contentDocument;
			return getComputedStyle(d.getElementById("name")).color === "rgb(1, 2, 3)" &&
				getComputedStyle(d.getElementById("styled")).marginLeft === "7px";
		})()`)
		if !styled {
			t.Error("the record's style sheet or style attribute is not applied")
		}
		var at struct{ X, Y float64 }
		raw := evalIn[[]byte](tb, `(() => {
			const f = document.querySelector("#frame-box iframe");
			const a = f.contentDocument.getElementById("jump").getBoundingClientRect();
			const r = f.getBoundingClientRect();
			return {X: r.left + a.left + a.width / 2, Y: r.top + a.top + a.height / 2};
		})()`)
		if err := json.Unmarshal(raw, &at); err != nil {
			t.Fatal(err)
		}
		tb.do(chromedp.MouseClickXY(at.X, at.Y))
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		defer cancel()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
			const w = document.querySelector("#frame-box iframe").contentWindow;
			return w.location.hash === "#problems" && w.scrollY > 1000;
		})()`, chromedp.WithPollingInterval(10*time.Millisecond)))
		if err != nil {
			t.Errorf("clicking an in-document link did not move to its target: %v", err)
		}
		if !tb.recordShown() {
			t.Error("the record left the frame after following a link")
		}
	})

	t.Run("typing the key in lower case without dashes opens the record", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(recordURL))
		tb.waitReady()
		typed := strings.ToLower(strings.ReplaceAll(f.key.String(), "-", ""))
		tb.do(chromedp.SendKeys(chromedp.ID("key"), typed+"\r"))
		if state, code := tb.settle(); state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		if !tb.recordShown() {
			t.Error("the frame does not show the record")
		}
		if evalIn[string](tb, `document.getElementById("key").value`) != "" {
			t.Error("the key stays in the key box after opening")
		}
	})

	t.Run("one wrong character is caught as a typo and nothing is shown", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(recordURL))
		tb.waitReady()
		tb.do(chromedp.SendKeys(chromedp.ID("key"), typo(f.key.String())), chromedp.Click(chromedp.ID("open")))
		state, code := tb.settle()
		if state != "error" || code != "typo" {
			t.Errorf("state %q code %q, want error typo", state, code)
		}
		if msg := evalIn[string](tb, `document.getElementById("status").textContent`); !strings.Contains(msg, "typing mistake") {
			t.Errorf("status %q does not explain the typo", msg)
		}
		if tb.recordTextAnywhere() {
			t.Error("record text is in the page")
		}
	})

	t.Run("another patient's valid key is refused as the wrong key", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(recordURL))
		tb.waitReady()
		tb.do(chromedp.SendKeys(chromedp.ID("key"), f.other.String()+"\r"))
		state, code := tb.settle()
		if state != "error" || code != "wrong-key" {
			t.Errorf("state %q code %q, want error wrong-key", state, code)
		}
		if msg := evalIn[string](tb, `document.getElementById("status").textContent`); !strings.Contains(msg, "does not open this record") {
			t.Errorf("status %q does not say the key is wrong", msg)
		}
		if tb.recordTextAnywhere() {
			t.Error("record text is in the page")
		}
	})

	t.Run("a changed byte in the message shows the damaged-file message", func(t *testing.T) {
		damaged := filepath.Join(f.dir, "damaged.html")
		writeFile(t, damaged, testtool.FlipArmoredByte(t, readFile(t, f.page)))
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(fileURL(damaged), f.key)))
		state, code := tb.settle()
		if state != "error" || code != "damaged" {
			t.Errorf("state %q code %q, want error damaged", state, code)
		}
		if msg := evalIn[string](tb, `document.getElementById("status").textContent`); !strings.Contains(msg, "damaged") {
			t.Errorf("status %q does not say the file is damaged", msg)
		}
		if tb.recordTextAnywhere() {
			t.Error("record text is in the page")
		}
	})

	t.Run("a cut-short file says it is incomplete", func(t *testing.T) {
		cut := filepath.Join(f.dir, "cut.html")
		full := readFile(t, f.page)
		writeFile(t, cut, full[:len(full)*6/10])
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(fileURL(cut), f.key)))
		state, code := tb.settle()
		if state != "error" || code != "truncated" {
			t.Errorf("state %q code %q, want error truncated", state, code)
		}
		if evalIn[string](tb, `location.hash`) != "" {
			t.Error("the key stays in the address bar of a cut-short file")
		}
	})

	t.Run("a browser without DecompressionStream is told so", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: "delete window.DecompressionStream;"})
			return err
		}))
		tb.do(chromedp.Navigate(withKey(recordURL, f.key)))
		state, code := tb.settle()
		if state != "error" || code != "unsupported" {
			t.Errorf("state %q code %q, want error unsupported", state, code)
		}
		if tb.recordTextAnywhere() {
			t.Error("record text is in the page")
		}
	})

	t.Run("a signature by another key than the page's practice key is refused", func(t *testing.T) {
		forged := filepath.Join(f.dir, "forged.html")
		other := newFixture(t, v, 2) // another practice key
		writePage(t, v, forged, viewer.Page{
			PracticeName: "Riverside Test Surgery",
			Exported:     exportedAt(),
			Message:      f.message,
			PracticeKey:  other.practiceKey,
		})
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(fileURL(forged), f.key)))
		state, code := tb.settle()
		if state != "error" || code != "bad-signature" {
			t.Errorf("state %q code %q, want error bad-signature", state, code)
		}
		if tb.recordTextAnywhere() {
			t.Error("record text is in the page")
		}
	})

	t.Run("download saves the bundle's files, print keeps the record, lock drops it", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		downloads := t.TempDir()
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		defer cancel()
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
		})
		if err != nil {
			t.Fatal(err)
		}
		tb.do(chromedp.Navigate(withKey(recordURL, f.key)))
		if state, code := tb.settle(); state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		tb.do(chromedp.Click(chromedp.CSS("#downloads summary")),
			chromedp.Click(chromedp.CSS("#files li:first-child button")))
		got := waitFile(t, filepath.Join(downloads, "document.html"))
		if !bytes.Equal(got, []byte(testDocument)) {
			t.Error("the downloaded record document differs from the one sealed")
		}
		tb.do(chromedp.Click(chromedp.CSS("#printing summary")), chromedp.Click(chromedp.ID("print")))
		if evalIn[bool](tb, `document.getElementById("printing").open`) {
			t.Error("the Print menu stays open after printing")
		}
		if !tb.recordShown() || tb.threw() > 0 {
			t.Error("printing broke the page")
		}
		// The two print choices: the frame's print is watched to see
		// which class the record has when it prints.
		evalIn[bool](tb, `(() => { const f = document.querySelector("iframe"); window.printedWith = []; f.contentWindow.print = () => window.printedWith.push(f.contentDocument.documentElement.classList.contains("print-summary")); return true; })()`)
		tb.do(chromedp.Click(chromedp.CSS("#printing summary")), chromedp.Click(chromedp.ID("print-summary")))
		if !evalIn[bool](tb, `document.querySelector("iframe").contentDocument.documentElement.classList.contains("print-summary")`) {
			t.Error("Print emergency summary did not mark the record to print its summary alone")
		}
		evalIn[bool](tb, `document.querySelector("iframe").contentWindow.dispatchEvent(new Event("afterprint"))`)
		tb.do(chromedp.Click(chromedp.CSS("#printing summary")), chromedp.Click(chromedp.ID("print")))
		if got := evalIn[[]bool](tb, `window.printedWith`); len(got) != 2 || !got[0] || got[1] {
			t.Errorf("printed with the summary-only class %v, want [true false] (summary, then everything)", got)
		}
		tb.do(chromedp.Click(chromedp.ID("lock")))
		if evalIn[string](tb, `document.documentElement.dataset.state`) != "locked" {
			t.Error("the page is not locked")
		}
		if tb.recordTextAnywhere() || evalIn[int](tb, `document.querySelectorAll("iframe").length`) != 0 {
			t.Error("the record is still in the page after locking")
		}
		if !evalIn[bool](tb, `!document.getElementById("lock-screen").hidden && !document.getElementById("key").disabled`) {
			t.Error("the unlock screen is not back after locking")
		}
	})

	t.Run("the lock screen reflows at 320 px and shows keyboard focus", func(t *testing.T) {
		tb := newTab(t, browserCtx)
		for _, width := range []int64{360, 320} {
			ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: width, Height: 640, DeviceScaleFactor: 2, Mobile: true,
			})
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			tb.do(chromedp.Navigate(recordURL))
			tb.waitReady()
			if evalIn[bool](tb, `document.documentElement.scrollWidth > window.innerWidth`) {
				t.Errorf("the lock screen scrolls sideways at %d px", width)
			}
		}
		labelled := evalIn[bool](tb, `[...document.querySelectorAll("input, button")].every((el) =>
			el.hidden || el.closest("[hidden]") || (el.labels && el.labels.length > 0) || el.textContent.trim() !== "")`)
		if !labelled {
			t.Error("a form control has no label")
		}
		tb.do(chromedp.Focus(chromedp.ID("key")))
		if evalIn[string](tb, `getComputedStyle(document.getElementById("key")).outlineStyle`) == "none" {
			t.Error("the focused key box shows no focus outline")
		}
	})

	t.Run("served over http from 127.0.0.1 the record opens", func(t *testing.T) {
		srv := httptest.NewServer(http.FileServer(http.Dir(f.dir)))
		defer srv.Close()
		pageURL := srv.URL + "/record.html"
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(pageURL, f.key)))
		if state, code := tb.settle(); state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		if !tb.recordShown() {
			t.Error("the frame does not show the record")
		}
		if bad := tb.offOrigin(pageURL); len(bad) > 0 {
			t.Errorf("the page made requests: %q", bad)
		}
	})
}

func spaced(fp string) string {
	var b strings.Builder
	for i := 0; i < len(fp); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fp[i:min(i+4, len(fp))])
	}
	return b.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitFile waits for a download to finish and returns its content.
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no download at %s", filepath.Base(path))
	return nil
}
