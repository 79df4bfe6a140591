package viewer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/internal/testtool"
)

// On a phone 390 px wide the key box shows the whole key as typed, in its
// groups, with nothing scrolled out of sight: a patient can check every
// character against the card before opening the record.
func TestKeyBoxShowsTheWholeKeyOnAPhone(t *testing.T) {
	testtool.Slow(t, "Chromium types a key into the lock screen at phone widths")
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	browserCtx := chromium(t)
	key := f.key.String()
	for _, width := range []int64{390, 360} {
		for name, typed := range map[string]string{
			"dashes":      key,
			"spaces":      strings.ReplaceAll(key, "-", " "),
			"lower case":  strings.ToLower(key),
			"wide groups": "WWWW-WWWW-WWWW-WWWW-WWWW-WWWW-WWWW", // a mistyped key is shown whole too
		} {
			tb := newTab(t, browserCtx)
			ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
			_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: width, Height: 844, DeviceScaleFactor: 3, Mobile: true,
			})
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			tb.do(chromedp.Navigate(fileURL(f.page)))
			tb.waitReady()
			tb.do(chromedp.SendKeys(chromedp.ID("key"), typed))
			if got := evalIn[int](tb, `document.getElementById("key").value.length`); got != len(typed) {
				t.Fatalf("%d px, %s: the key box holds %d characters, want %d", width, name, got, len(typed))
			}
			if hidden := evalIn[int](tb, `(() => { const k = document.getElementById("key"); return k.scrollWidth - k.clientWidth })()`); hidden > 0 {
				t.Errorf("%d px, %s: %d px of the typed key are scrolled out of the box", width, name, hidden)
			}
			if size := evalIn[float64](tb, `parseFloat(getComputedStyle(document.getElementById("key")).fontSize)`); size < 14 {
				t.Errorf("%d px, %s: the key is typed at %.1f px, too small to check against the card", width, name, size)
			}
			if evalIn[bool](tb, `document.documentElement.scrollWidth > window.innerWidth`) {
				t.Errorf("%d px, %s: the lock screen scrolls sideways", width, name)
			}
		}
	}
}
