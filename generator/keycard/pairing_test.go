package keycard

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/internal/testtool"
)

// printSheet renders cards as a print sheet, prints it to PDF in headless
// Chromium and rasterises each page with poppler's pdftoppm at dpi. It
// returns the pages in order.
func printSheet(t *testing.T, cards []SheetCard, dpi int) []image.Image {
	t.Helper()
	needTool(t, "chromium")
	needTool(t, "pdftoppm")
	dir := t.TempDir()
	page := filepath.Join(dir, "sheet.html")
	var buf bytes.Buffer
	if err := RenderSheet(&buf, sheetTemplate(t), cards, time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "sheet.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer",
		"--print-to-pdf="+pdf, "file://"+page).CombinedOutput()
	if _, serr := os.Stat(pdf); serr != nil {
		t.Fatalf("chromium made no PDF (%v):\n%s", err, out)
	}
	if out, err := exec.CommandContext(ctx, "pdftoppm", "-r", fmt.Sprint(dpi), "-png", pdf, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	var pages []image.Image
	for _, n := range names { // pdftoppm pads page numbers, so they sort
		f, err := os.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, img)
	}
	return pages
}

// scanMargin reads the QR code in the sheet margin beside the card in
// column col and row row of page img with zbarimg, from a crop of the
// margin alone (the card's own QR code, which holds the key, is outside
// it). It returns "" when there is none.
func scanMargin(t *testing.T, img image.Image, dpi, col, row int) string {
	t.Helper()
	px := func(v float64) int { return int(v * float64(dpi) / 25.4) }
	x, y := checkX(col), gridY0+float64(row)*cardH+checkTop
	r := image.Rect(px(x-1.5), px(y-1.5), px(x+checkW+1.5), px(y+checkW+1.5))
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
	path := filepath.Join(t.TempDir(), "margin.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, sub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := zbar(t, path) // zbarimg exits 4 when it finds no code
	return got
}

// Printed from Chromium to PDF and rasterised, each card's front has a
// margin code naming its serial and tag, and the back printed behind it
// (mirrored, on the next page) has the same one: a duplex misfeed that put
// a back behind the wrong front shows before anything is cut.
func TestSheetMarginCodesPairEachFrontWithItsBack(t *testing.T) {
	testtool.Slow(t, "Chromium prints a sheet of cards to PDF; zbarimg reads its margins")
	t.Parallel()
	needTool(t, "zbarimg")
	m := testMaster(3)
	cards := sheetCards(13)
	for i := range cards {
		cards[i].Tag = cardkey.Holder{ID: cards[i].PatientID}.CardTag(m, cards[i].Serial)
	}
	const dpi = 200
	pages := printSheet(t, cards, dpi)
	if len(pages) != 4 {
		t.Fatalf("%d pages printed, want 4 (fronts and backs of 2 sheets)", len(pages))
	}
	seen := map[string]bool{}
	for i, c := range cards {
		sheet, slot := i/perSheet, i%perSheet
		col, row := slot%sheetCols, slot/sheetCols
		want := fmt.Sprintf("CARD %d %s", c.Serial, c.Tag)
		front := scanMargin(t, pages[2*sheet], dpi, col, row)
		back := scanMargin(t, pages[2*sheet+1], dpi, sheetCols-1-col, row)
		if front != want {
			t.Errorf("card %d: the margin code beside its front reads %q, want %q", c.Serial, front, want)
		}
		if back != front {
			t.Errorf("card %d: the margin code behind its front reads %q, its front's %q", c.Serial, back, front)
		}
		if seen[want] {
			t.Errorf("two cards on the sheet share the id %q", want)
		}
		seen[want] = true
	}
}
