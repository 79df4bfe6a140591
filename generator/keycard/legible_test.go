package keycard

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// fitScript measures every card on the page as Chromium lays it out: the
// text elements smaller than 8 pt (10.67 CSS px), those reaching outside
// their card, and a back's QR code and key running into the lines below
// them, or a front's facts into its last line.
const fitScript = `(() => {
  const out = {cards: 0, texts: 0, small: [], spill: [], overlap: []};
  const name = el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "");
  for (const card of document.querySelectorAll(".card")) {
    out.cards++;
    const cr = card.getBoundingClientRect();
    for (const el of card.querySelectorAll("*")) {
      if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
      out.texts++;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 10.66) out.small.push(name(el) + " " + size.toFixed(2) + "px");
      for (const r of el.getClientRects()) {
        if (r.left < cr.left - 0.5 || r.right > cr.right + 0.5 || r.top < cr.top - 0.5 || r.bottom > cr.bottom + 0.5) {
          out.spill.push(name(el));
          break;
        }
      }
    }
    for (const [above, below] of [[".top", ".open"], [".body", ".keep"]]) {
      const a = card.querySelector(above), b = card.querySelector(below);
      if (a && b && a.getBoundingClientRect().bottom > b.getBoundingClientRect().top + 0.5) out.overlap.push(above + " runs into " + below);
    }
  }
  return out;
})()`

type fit struct {
	Cards, Texts          int
	Small, Spill, Overlap []string
}

func measureFit(t *testing.T, browser context.Context, html []byte) fit {
	t.Helper()
	page := filepath.Join(t.TempDir(), "card.html")
	if err := os.WriteFile(page, html, 0o600); err != nil {
		t.Fatal(err)
	}
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	f, err := chromedp.Run(ctx, chromedp.Evaluate[fit](fitScript))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Every word on a card is at least 8 pt and stays on the card, with the
// longest text a card can carry (a hosted record, a PDF copy, a card file
// of its own, a long label), on the single card page and on the print
// sheet, which has its own copy of the card style.
func TestCardTextIsAtLeast8PointAndFits(t *testing.T) {
	testtool.Slow(t, "Chromium lays out cards and measures their text")
	t.Parallel()
	browser, stop, err := browsers.Chromium(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// A summary-only card names its own page, summary.html, longer than
	// record.html.
	// A card in the patient's language carries its title twice (Italian
	// has the longest titles) and its other words in that language
	// (German and Italian have the longest).
	for _, tc := range []struct {
		summary bool
		lang    string
	}{{false, ""}, {true, ""}, {false, "it"}, {true, "it"}, {false, "de"}, {true, "de"}, {false, "fr"}, {false, "es"}} {
		summary := tc.summary
		c := sampleCard(true)
		c.Language = tc.lang
		c.GPGFile, c.PDFFile = "record-7k3mq9xr2a.pgp", "record-7k3mq9xr2a.pdf"
		c.Label = "Family abroad"
		c.Fingerprint = "163F89D695D26420" // as the pipeline prints it: provenance.ShortFingerprint
		c.Serial = 12
		c.Tag = cardkey.Holder{ID: "9434765919"}.CardTag(testMaster(9), 12)
		if summary {
			c.SummaryOnly, c.ViewerFile = true, "summary.html"
		}
		measureCard(t, browser, c)
	}
}

// measureCard checks that every word of c, on its own page and on a print
// sheet, is at least 8 pt and stays on the card.
func measureCard(t *testing.T, browser context.Context, c Card) {
	t.Helper()
	var sheet bytes.Buffer
	if err := RenderSheet(&sheet, sheetTemplate(t), []SheetCard{{Card: c, PatientID: "9434765919"}}, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for name, html := range map[string][]byte{"card page": []byte(render(t, c)), "print sheet": sheet.Bytes()} {
		if c.SummaryOnly {
			name = "summary-only " + name
		}
		if c.Language != "" {
			name += " in " + c.Language
		}
		f := measureFit(t, browser, html)
		if f.Cards != 2 || f.Texts < 15 {
			t.Fatalf("%s: measured %d faces and %d text elements: the page is not laid out as expected", name, f.Cards, f.Texts)
		}
		for _, s := range f.Small {
			t.Errorf("%s: text under 8 pt: %s", name, s)
		}
		for _, s := range f.Spill {
			t.Errorf("%s: text outside its card: %s", name, s)
		}
		for _, s := range f.Overlap {
			t.Errorf("%s: %s", name, s)
		}
	}
}
