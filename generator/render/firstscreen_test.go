package render_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/internal/testtool"
)

// firstScreen measures, at the top of the page, where the summary's blocks
// start, in CSS pixels from the top of the document: -1 for a block the
// document does not have.
const firstScreen = `(() => {
	const top = (sel) => { const e = document.querySelector(sel); return e ? Math.round(e.getBoundingClientRect().top + window.scrollY) : -1; };
	return {
		allergies: top(".summary-allergies h3"),
		problem: top(".summary-problems li"),
		highRisk: top(".summary-high-risk li"),
		alerts: top(".summary-alerts h3"),
		decisions: top(".summary-decisions h3"),
	};
})()`

// dateLines counts the lines each result date takes, by the distinct tops
// of its text's line boxes, and returns the dates that take more than one
// (by row number only: never the record's text).
const dateLines = `(() => {
	const wrapped = [];
	let n = 0;
	for (const td of document.querySelectorAll('.results td.result-date')) {
		n++;
		const range = document.createRange();
		range.selectNodeContents(td);
		const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
		if (tops.size > 1) wrapped.push("row " + n + ": " + tops.size + " lines");
	}
	return { cells: n, wrapped };
})()`

type summaryTops struct {
	Allergies, Problem, HighRisk, Alerts, Decisions int
}

type dateWrap struct {
	Cells   int
	Wrapped []string
}

// TestEmergencySummaryStartsOnThePhonesFirstScreen renders every sample
// patient's record at 390x844 and checks that what a clinician must see
// (alerts, advance decisions, allergies, high-risk medicines and the first
// active problem) starts within the first screen, and at 1280 px that no
// result's date is broken over two lines.
func TestEmergencySummaryStartsOnThePhonesFirstScreen(t *testing.T) {
	testtool.Slow(t, "Chromium lays out every sample record at phone and desktop width")
	t.Parallel()
	dir, keepShots := shotDir(t)
	srv := newPages(t)
	ctx := browser(t)
	r := sampleRenderer(t, "default")
	for _, patient := range samplePatients(t) {
		u := srv.add(patient.ID+"-first.html", []byte(renderSample(t, r, patient)))
		t.Run(patient.ID+"/390", func(t *testing.T) {
			tc := tab(t, ctx, u, 390, 844)
			got := eval[summaryTops](t, tc, firstScreen)
			if got.Allergies < 0 || got.Allergies > 844 {
				t.Errorf("allergies heading at %d px, want within the first 844", got.Allergies)
			}
			for _, b := range []struct {
				name string
				top  int
			}{{"first active problem", got.Problem}, {"first high-risk medicine", got.HighRisk}, {"alerts", got.Alerts}, {"advance decisions", got.Decisions}} {
				if b.top > 844 {
					t.Errorf("%s starts at %d px, want within the first 844", b.name, b.top)
				}
			}
			if len(patient.Doc.Record.Problems) > 0 && got.Problem < 0 {
				for _, p := range patient.Doc.Record.Problems {
					if p.Status == "" || p.Status == "active" {
						t.Error("an active problem is missing from the summary")
						break
					}
				}
			}
			if keepShots {
				shot(t, tc, filepath.Join(dir, patient.ID+"-first-390.png"), os.Getenv("SATCHEL_FULL") != "")
			}
		})
		t.Run(patient.ID+"/1280", func(t *testing.T) {
			tc := tab(t, ctx, u, 1280, 900)
			got := eval[dateWrap](t, tc, dateLines)
			if len(patient.Doc.Record.Results) > 0 && got.Cells == 0 {
				t.Error("no result date cells found")
			}
			for _, w := range got.Wrapped {
				t.Errorf("a result date wraps: %s", w)
			}
			if keepShots {
				shot(t, tc, filepath.Join(dir, patient.ID+"-first-1280.png"), false)
				if got.Cells > 0 {
					run(t, tc, chromedp.ScrollIntoView(".results"))
					shot(t, tc, filepath.Join(dir, patient.ID+"-results-1280.png"), false)
				}
			}
		})
	}
}

// shot saves a screenshot of the first screen, or of the whole page.
func shot(t *testing.T, ctx context.Context, file string, full bool) {
	t.Helper()
	var png []byte
	var err error
	if full {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(90))
	} else {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, png, 0o600); err != nil {
		t.Fatal(err)
	}
}
