package viewer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/internal/testtool"
)

// A downloaded copy of the record is a plain file: the Download menu says
// so inside the menu, beside the files, where a patient cannot miss it, at
// a phone's width too. The lock screen gives the practice's number as a
// +44 tel: link and both emergency numbers.
func TestDownloadMenuWarnsTheSavedCopyIsNotEncrypted(t *testing.T) {
	testtool.Slow(t, "Chromium opens record.html and its Download menu at 390 px")
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	browserCtx := chromium(t)
	tb := newTab(t, browserCtx)
	tb.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(fileURL(f.page)))
	tb.waitReady()
	link := evalIn[string](tb, `(() => { const a = document.querySelector("#lock-screen a.phone"); return a ? a.href + " " + a.textContent : ""; })()`)
	if link != "tel:+441632960000 +44 1632 960000" {
		t.Errorf("lock screen phone link %q", link)
	}
	if help := evalIn[string](tb, `document.getElementById("lock-screen").innerText`); !strings.Contains(help, "999 in the UK, 112 in Europe and many other countries") {
		t.Error("the lock screen does not give 112 beside 999")
	}

	tb.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#lock-screen a.phone").scrollIntoView()`))
	screenshot(tb, "lock-screen-390.png")

	tb = newTab(t, browserCtx)
	tb.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(withKey(fileURL(f.page), f.key)))
	if state, code := tb.settle(); state != "open" {
		t.Fatalf("state %q (%s), want open", state, code)
	}
	// visible: the warning is drawn, inside the 390 px viewport, above the
	// first file's button.
	const visible = `(() => {
		const w = document.getElementById("download-warning"), b = document.querySelector("#files li:first-child button");
		if (!w || !b || w.offsetParent === null) return false;
		const r = w.getBoundingClientRect(), br = b.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth && r.bottom <= br.top &&
			getComputedStyle(w).visibility === "visible";
	})()`
	if evalIn[bool](tb, visible) {
		t.Error("the warning shows before the Download menu is opened")
	}
	tb.do(chromedp.Click(chromedp.CSS("#downloads summary")))
	if !evalIn[bool](tb, visible) {
		t.Error("the open Download menu does not show the warning above its files")
	}
	text := evalIn[string](tb, `document.getElementById("download-warning").innerText`)
	for _, want := range []string{"Not encrypted", "anyone who can open its files can read it", "delete the copy"} {
		if !strings.Contains(text, want) {
			t.Errorf("the warning lacks %q: %q", want, text)
		}
	}
	screenshot(tb, "download-menu-390.png")
	if n := tb.threw(); n > 0 {
		t.Errorf("%d uncaught script errors", n)
	}
}

// screenshot saves what tb shows as name in $SATCHEL_SCREENSHOTS, when set,
// for a person to look at.
func screenshot(tb *tab, name string) {
	tb.t.Helper()
	dir := os.Getenv("SATCHEL_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}
