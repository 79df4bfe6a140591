package render_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/internal/testtool"
)

// printedPages prints the page of the tab to an A4 PDF with Chromium and
// returns the text of each page, spaces evened, read back with pdftotext.
func printedPages(t *testing.T, tc context.Context, file string) []string {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed: run `make test-deps` (poppler-utils)")
	}
	pdf, err := chromedp.Run(tc, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-raw", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	for i, p := range pages {
		pages[i] = strings.Join(strings.Fields(p), " ")
	}
	return pages
}

// TestEveryPrintedPageNamesThePatientAndTheSummaryPrintsAlone prints a
// long sample record whole, and checks every page carries the patient's
// name, date of birth and "Page n of m"; then prints it as the viewer's
// "Print emergency summary" does (the print-summary class on the
// document) and checks that is one page holding the summary and no
// section.
func TestEveryPrintedPageNamesThePatientAndTheSummaryPrintsAlone(t *testing.T) {
	testtool.Slow(t, "Chromium prints sample records to PDF")
	t.Parallel()
	dir, _ := shotDir(t)
	srv := newPages(t)
	ctx := browser(t)
	for _, theme := range sampleThemes {
		r := sampleRenderer(t, theme)
		for _, patient := range samplePatients(t) {
			if patient.ID != "rmc-0008" && patient.ID != "rmc-0002" {
				continue
			}
			name := patient.ID + "-" + theme
			u := srv.add(name+"-print.html", []byte(renderSample(t, r, patient)))
			header := patient.Doc.Record.Patient.Name + " · born " + patient.Doc.Record.Patient.Born.String()
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				tc := tab(t, ctx, u, 1280, 900)
				pages := printedPages(t, tc, filepath.Join(dir, name+"-all.pdf"))
				if len(pages) < 3 {
					t.Fatalf("the whole record printed on %d pages, want several", len(pages))
				}
				for i, p := range pages {
					if !strings.Contains(p, header) {
						t.Errorf("printed page %d does not name the patient with their date of birth", i+1)
					}
					if want := "Page " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(pages)); !strings.Contains(p, want) {
						t.Errorf("printed page %d lacks %q", i+1, want)
					}
				}
				if !strings.Contains(strings.Join(pages, " "), "Test results") {
					t.Error("printing everything left out the results")
				}

				run(t, tc, chromedp.Evaluate[chromedp.Void](`document.documentElement.classList.add("print-summary")`))
				summary := printedPages(t, tc, filepath.Join(dir, name+"-summary.pdf"))
				if theme == "default" && len(summary) != 1 {
					t.Errorf("the emergency summary printed on %d pages, want 1", len(summary))
				}
				all := strings.ToLower(strings.Join(summary, " "))
				for _, want := range []string{header, "Emergency summary", "Allergies", "Active problems", "Current medicines", "Approved by", "Page 1 of " + strconv.Itoa(len(summary))} {
					if !strings.Contains(all, strings.ToLower(want)) {
						t.Errorf("the printed emergency summary lacks %q", want)
					}
				}
				for _, notWant := range []string{"Test results", "Using your record safely", "Glossary"} {
					if strings.Contains(all, strings.ToLower(notWant)) {
						t.Errorf("the printed emergency summary has %q", notWant)
					}
				}
			})
		}
	}
}
