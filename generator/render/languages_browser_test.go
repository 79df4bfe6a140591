package render_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// shownLabels counts the visible labels of the chosen language and of the
// others, and returns the summary's heading as shown: labels only, never
// the record's text.
const shownLabels = `(() => {
	const shown = (e) => e.getClientRects().length > 0;
	const lang = document.querySelector('input[name="satchel-lang"]:checked').value;
	let mine = 0, others = 0;
	for (const e of document.querySelectorAll(".l")) {
		if (!shown(e)) continue;
		if (e.lang === lang) mine++; else others++;
	}
	return { lang, mine, others, heading: document.querySelector("#summary-title").innerText.trim() };
})()`

type labelsShown struct {
	Lang         string
	Mine, Others int
	Heading      string
}

// allLanguages renders the first sample patient's record with every
// language Satchel has, opening in lang.
func allLanguages(t *testing.T, lang string) []byte {
	t.Helper()
	r, err := render.New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown(), render.Languages(i18n.Available()...))
	if err != nil {
		t.Fatal(err)
	}
	p := samplePatients(t)[0]
	p.Doc.Language = lang
	var b bytes.Buffer
	if err := r.Render(&b, p.Doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSwitchingLanguageShowsOnlyThatLanguage opens a record in each engine,
// in German, then picks each language in turn with the switch (a click on
// its label, no script): only that language's labels show.
func TestSwitchingLanguageShowsOnlyThatLanguage(t *testing.T) {
	testtool.Slow(t, "three browsers switch a record's language")
	srv := newPages(t)
	u := srv.add("languages.html", allLanguages(t, "de"))
	headings := map[string]string{}
	for _, code := range i18n.Available() {
		l, err := i18n.Load(code)
		if err != nil {
			t.Fatal(err)
		}
		headings[code], _ = l.Label("summary")
	}
	for _, name := range browsers.Names {
		t.Run(name, func(t *testing.T) {
			testtool.Need(t, browsers.Tools[name]...)
			e, err := browsers.Start(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if err := e.Navigate(u); err != nil {
				t.Fatal(err)
			}
			get := func() labelsShown {
				t.Helper()
				var got labelsShown
				for deadline := time.Now().Add(30 * time.Second); ; {
					err := e.Eval(shownLabels, &got)
					if err == nil || time.Now().After(deadline) {
						if err != nil {
							t.Fatal(err)
						}
						return got
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			check := func(code string) {
				t.Helper()
				got := get()
				if got.Lang != code || got.Others != 0 || got.Mine < 40 || got.Heading != headings[code] {
					t.Errorf("chose %s: checked %s, %d labels in it and %d in others shown, heading %q (want %q)", code, got.Lang, got.Mine, got.Others, got.Heading, headings[code])
				}
			}
			check("de")
			if err := e.Click(".lang-switch summary"); err != nil {
				t.Fatal(err)
			}
			for _, code := range []string{"fr", "en", "it", "es", "de"} {
				if err := e.Click(fmt.Sprintf(`label[for="satchel-lang-%s"]`, code)); err != nil {
					t.Fatal(err)
				}
				check(code)
			}
		})
	}
}

// TestLanguageScreenshots saves a sample record at 390 px in each language,
// switched by the reader, in $SATCHEL_SHOTS for a person to look at.
func TestLanguageScreenshots(t *testing.T) {
	testtool.Slow(t, "Chromium screenshots a record in each language")
	dir, keep := shotDir(t)
	if !keep {
		t.Skip("set SATCHEL_SHOTS to a folder to keep the screenshots")
	}
	srv := newPages(t)
	u := srv.add("languages.html", allLanguages(t, ""))
	ctx := browser(t)
	tc := tab(t, ctx, u, 390, 844)
	shot(t, tc, filepath.Join(dir, "language-closed-390.png"), false)
	run(t, tc, chromedp.Click(chromedp.CSS(".lang-switch summary")))
	shot(t, tc, filepath.Join(dir, "language-open-390.png"), false)
	for _, code := range i18n.Available() {
		run(t, tc, chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for="satchel-lang-%s"]`, code))))
		got := eval[labelsShown](t, tc, shownLabels)
		if got.Others != 0 {
			t.Errorf("%s: %d labels of other languages shown", code, got.Others)
		}
		shot(t, tc, filepath.Join(dir, "language-"+code+"-390.png"), false)
		run(t, tc, chromedp.ScrollIntoView("#section-safety"))
		shot(t, tc, filepath.Join(dir, "language-"+code+"-390-safety.png"), false)
		run(t, tc, chromedp.ScrollIntoView("#section-medications"))
		shot(t, tc, filepath.Join(dir, "language-"+code+"-390-medicines.png"), false)
		run(t, tc, chromedp.ScrollIntoView("table.results tbody"))
		shot(t, tc, filepath.Join(dir, "language-"+code+"-390-results.png"), false)
		run(t, tc, chromedp.ScrollIntoView(".masthead"))
	}
}
