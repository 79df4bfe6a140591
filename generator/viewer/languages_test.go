package viewer_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/testtool"
)

// englishShellWords are the English lock screen's labels that differ
// from code's: none may show once the page is in code.
func englishShellWords(t *testing.T, code string) []string {
	t.Helper()
	en, err := i18n.Load(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	l, err := i18n.Load(code)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range en.Keys() {
		if !strings.HasPrefix(k, "shell_") || strings.HasPrefix(k, "shell_error_") {
			continue
		}
		e, _ := en.Label(k)
		o, _ := l.Label(k)
		// The words before the first placeholder, long enough to be
		// telling.
		if i := strings.IndexByte(e, '{'); i >= 0 {
			e = e[:i]
		}
		if e = strings.TrimSpace(e); len(e) >= 8 && e != o {
			out = append(out, e)
		}
	}
	return out
}

// TestLockScreenOpensInThePatientsLanguageAndSwitches opens a page whose
// patient reads French: the lock screen is in French with no English label
// left; choosing German rewrites it, and a typo's message, in German.
func TestLockScreenOpensInThePatientsLanguageAndSwitches(t *testing.T) {
	testtool.Slow(t, "Chromium switches the lock screen's language")
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	page := filepath.Join(t.TempDir(), "record.html")
	writePage(t, v, page, viewer.Page{
		PracticeName:  "Riverside Test Surgery",
		PracticePhone: "01632 960000",
		Exported:      exportedAt(),
		CurrentUntil:  exportedAt().AddDate(1, 0, 0),
		Message:       f.message,
		Language:      "fr",
		Languages:     []string{"de"},
	})
	browserCtx := chromium(t)
	tb := newTab(t, browserCtx)
	tb.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(fileURL(page)))
	tb.waitReady()
	text := func() string { return evalIn[string](tb, `document.body.innerText`) }
	check := func(code, heading string) {
		t.Helper()
		got := text()
		if !strings.Contains(got, heading) {
			t.Errorf("%s: the lock screen lacks %q", code, heading)
		}
		for _, w := range englishShellWords(t, code) {
			if strings.Contains(got, w) {
				t.Errorf("%s: the lock screen still says %q", code, w)
			}
		}
		if lang := evalIn[string](tb, `document.documentElement.lang`); lang != code {
			t.Errorf("%s: <html lang=%q>", code, lang)
		}
	}
	check("fr", "Votre dossier médical")
	screenshot(tb, "lock-screen-fr-390.png")
	tb.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang"); s.value = "de"; s.dispatchEvent(new Event("change")); })()`))
	check("de", "Ihre Patientenakte")
	tb.do(chromedp.SendKeys(chromedp.ID("key"), "AAAA\r"))
	if state, code := tb.settle(); state != "error" || code != "length" {
		t.Fatalf("a short key: state %q (%s)", state, code)
	}
	if got := evalIn[string](tb, `document.getElementById("status").textContent`); !strings.Contains(got, "Schlüssel") {
		t.Errorf("a short key's message is not in German: %q", got)
	}
	screenshot(tb, "lock-screen-de-390.png")
	tb.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang"); s.value = "en"; s.dispatchEvent(new Event("change")); })()`))
	if got := evalIn[string](tb, `document.getElementById("status").textContent`); !strings.Contains(got, "not the right length") {
		t.Errorf("the message is not said again in English: %q", got)
	}
}

// TestEachPageHoldsTheLabelsOfItsOwnLanguages renders pages offering
// different languages with one Viewer, which keeps the labels of each
// set of languages: each page holds the labels of its languages only.
func TestEachPageHoldsTheLabelsOfItsOwnLanguages(t *testing.T) {
	v := newViewer(t)
	f := newFixture(t, v, 3)
	render := func(langs ...string) string {
		var out strings.Builder
		if err := v.Render(&out, viewer.Page{PracticeName: "P", Exported: exportedAt(), Message: f.message, Languages: langs}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	for range 2 {
		for _, c := range []struct {
			langs    []string
			has, not []string
		}{
			{[]string{"fr"}, []string{`"en":{`, `"fr":{`}, []string{`"de":{`, `"es":{`}},
			{[]string{"de", "es"}, []string{`"en":{`, `"de":{`, `"es":{`}, []string{`"fr":{`}},
			{nil, []string{`"en":{`}, []string{`"fr":{`, `"de":{`, `"es":{`}},
		} {
			page := render(c.langs...)
			for _, s := range c.has {
				if !strings.Contains(page, s) {
					t.Errorf("a page offering %v lacks the labels %s", c.langs, s)
				}
			}
			for _, s := range c.not {
				if strings.Contains(page, s) {
					t.Errorf("a page offering %v holds the labels %s", c.langs, s)
				}
			}
		}
	}
}
