package keycard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/templates"
)

func sheetCards(n int) []SheetCard {
	m := testMaster(3)
	var cards []SheetCard
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("rmc-%04d", i)
		s := cardkey.Derive(m, id, i)
		cards = append(cards, SheetCard{PatientID: id, Card: Card{
			PracticeName: "Riverside Medical Practice", PracticePhone: "01632 960 123",
			Issued: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), Serial: i, Label: "Patient",
			BundleID: cardkey.BundleID(m, id), Secret: s, QRContent: s.String(),
			Fingerprint: "163F 89D6 95D2 6420", GPGFile: cardkey.CardFile(m, id, i),
		}})
	}
	return cards
}

type placed struct{ x, y float64 }

var cardRE = regexp.MustCompile(`<section class="card (front|back)" style="left: ([0-9.]+)mm; top: ([0-9.]+)mm" aria-label="(?:front|back) of card (\d+)">`)

// Printed double-sided with a long-edge flip, a point at x on the front
// lands at pageW - x on the back: each back must be the mirror image of
// its front's place, on the page right after it.
func TestSheetBacksLandBehindTheirFronts(t *testing.T) {
	t.Parallel()
	cards := sheetCards(13)
	var buf bytes.Buffer
	if err := RenderSheet(&buf, sheetTemplate(t), cards, time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	pages := strings.Split(html, `<section class="sheet `)[1:]
	if len(pages) != 4 {
		t.Fatalf("%d pages for 13 cards, want 4 (fronts and backs of 2 sheets)", len(pages))
	}
	seen := 0
	for i := 0; i < len(pages); i += 2 {
		if !strings.HasPrefix(pages[i], "fronts") || !strings.HasPrefix(pages[i+1], "backs") {
			t.Fatalf("pages %d and %d are not fronts then backs", i+1, i+2)
		}
		fronts, backs := places(t, pages[i], "front"), places(t, pages[i+1], "back")
		if len(fronts) != len(backs) || len(fronts) > 10 {
			t.Fatalf("sheet %d: %d fronts, %d backs", i/2+1, len(fronts), len(backs))
		}
		for serial, f := range fronts {
			b, ok := backs[serial]
			if !ok {
				t.Fatalf("card %d has no back on the next page", serial)
			}
			if abs(b.y-f.y) > 0.01 || abs(b.x-(pageW-f.x-cardW)) > 0.01 {
				t.Errorf("card %d: front at (%.2f, %.2f), back at (%.2f, %.2f): not mirrored", serial, f.x, f.y, b.x, b.y)
			}
			if f.x < 5 || f.x+cardW > pageW-5 || f.y < 5 || f.y+cardH > pageH-5 {
				t.Errorf("card %d is off the printable part of the page", serial)
			}
			seen++
		}
		if n := strings.Count(pages[i], `class="mark"`); n != 18 {
			t.Errorf("sheet %d has %d cut marks, want 18", i/2+1, n)
		}
	}
	if seen != 13 {
		t.Errorf("%d cards placed, want 13", seen)
	}
	for _, c := range cards {
		for _, want := range []string{c.Secret.Groups()[0], "gpg --decrypt " + c.GPGFile, c.PatientID + " · card " + strconv.Itoa(c.Serial), "163F 89D6 95D2 6420"} {
			if !strings.Contains(html, want) {
				t.Errorf("the sheet lacks %q for card %d", want, c.Serial)
			}
		}
	}
}

func places(t *testing.T, page, side string) map[int]placed {
	t.Helper()
	out := map[int]placed{}
	for _, m := range cardRE.FindAllStringSubmatch(page, -1) {
		if m[1] != side {
			t.Errorf("a %s on the %ss page", m[1], side)
		}
		x, _ := strconv.ParseFloat(m[2], 64)
		y, _ := strconv.ParseFloat(m[3], 64)
		n, _ := strconv.Atoi(m[4])
		out[n] = placed{x, y}
	}
	return out
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Chromium prints the sheet as whole A4 pages: one page of fronts and one
// of backs per ten cards, never a card split over two pages.
func TestSheetPrintsAsA4PagesInChromium(t *testing.T) {
	testtool.Slow(t, "Chromium prints a sheet of cards to PDF")
	t.Parallel()
	needTool(t, "chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "sheet.html")
	var buf bytes.Buffer
	if err := RenderSheet(&buf, sheetTemplate(t), sheetCards(13), time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "sheet.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer",
		"--print-to-pdf="+pdf, "file://"+page).CombinedOutput()
	data, rerr := os.ReadFile(pdf)
	if rerr != nil {
		t.Fatalf("chromium made no PDF (%v):\n%s", err, out)
	}
	if n := len(regexp.MustCompile(`/Type\s*/Page\b`).FindAll(data, -1)); n != 4 {
		t.Errorf("the PDF has %d pages, want 4", n)
	}
	// A4 is 595.28 x 841.89 points; Chromium rounds to its own units.
	box := regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]`).FindSubmatch(data)
	if box == nil {
		t.Fatal("the PDF has no page size")
	}
	w, _ := strconv.ParseFloat(string(box[1]), 64)
	h, _ := strconv.ParseFloat(string(box[2]), 64)
	if abs(w-595.28) > 1 || abs(h-841.89) > 1 {
		t.Errorf("the PDF pages are %.1f x %.1f points, not A4", w, h)
	}
}

func sheetTemplate(t testing.TB) *template.Template {
	t.Helper()
	tmpl, err := template.ParseFS(templates.FS(), "keycard-faces.html", "keycard-sheet.html")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}
