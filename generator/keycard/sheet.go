package keycard

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"iter"
	"sync"
	"time"
)

// SheetCard is one card on a print sheet and the patient it is for. The
// patient id is printed only in the margin beside the card's front, which
// the cut removes: the card itself never names its holder.
type SheetCard struct {
	Card
	PatientID string
}

// Sheet geometry in millimetres: A4 portrait, ID-1 cards edge to edge in 2
// columns and 5 rows, centred so the grid is symmetric left to right, which
// is what makes the mirrored backs land on their fronts.
const (
	pageW, pageH   = 210.0, 297.0
	cardW, cardH   = 85.6, 54.0
	sheetCols      = 2
	sheetRows      = 5
	perSheet       = sheetCols * sheetRows
	gridX0         = (pageW - sheetCols*cardW) / 2
	gridY0         = (pageH - sheetRows*cardH) / 2
	markGap, markL = 1.5, 5.0 // cut marks start this far from the grid and are this long
	markW          = 0.2
	// The margin code beside each face: a QR code this wide, this far
	// from the card grid and from the top of the card's row, with the id
	// in text under it. The holder note (keycard-sheet.html) takes the
	// lower 34 mm of the row.
	checkW, checkGap, checkTop = 11.0, 2.5, 3.0
)

// sheetView is what keycard-sheet.html sees. List and Pages are
// sequences (iter.Seq), made one item at a time as the template ranges
// over them, so a sheet of any size is never held whole in memory: a
// template ranges over them ({{range .List}}) but cannot index them or
// take their length; Count is the number of cards.
type sheetView struct {
	Date  string
	Count int
	List  iter.Seq[sheetItem]
	Pages iter.Seq[sheetPage]
	Marks []sheetMark
}

type sheetItem struct {
	Sheet          int
	Patient, Label string
	Serial         int
}

type sheetPage struct {
	Number int // sheet number; fronts and backs of one sheet share it
	Back   bool
	Slots  []sheetSlot
}

type sheetSlot struct {
	X, Y             string
	Side             string // "front" or "back"
	Card             cardView
	Holder           string // patient id and serial, fronts only
	HolderX, HolderY string
	// Check is a QR code of the card's id (serial and tag) in the margin
	// beside this face, at CheckX, CheckY: the codes beside a front and
	// the back printed behind it must read the same.
	Check          template.URL
	CheckX, CheckY string
}

type sheetMark struct{ X, Y, W, H string }

func mm(v float64) string { return fmt.Sprintf("%.2fmm", v) }

// RenderSheet writes cards as A4 print sheets: StreamSheet with the cards
// in a slice.
func RenderSheet(w io.Writer, tmpl *template.Template, cards []SheetCard, printed time.Time) error {
	return StreamSheet(w, tmpl, SheetSlice(cards), printed)
}

// A SheetSource is the cards of a print sheet, by index from 0 to Len()-1.
// Entry says who a card is for, for the list at the top of the sheet, and
// is called for every index first; Card is then called once for each
// index, in order, as its faces are written. A source may thus make each
// card afresh when asked, and need hold none of them.
type SheetSource interface {
	Len() int
	Entry(i int) (patientID string, serial int, label string, err error)
	Card(i int) (SheetCard, error)
}

// SheetSlice is a SheetSource of cards held in memory.
type SheetSlice []SheetCard

// Len returns how many cards s holds.
func (s SheetSlice) Len() int { return len(s) }

// Entry returns who card i is for.
func (s SheetSlice) Entry(i int) (string, int, string, error) {
	return s[i].PatientID, s[i].Serial, s[i].Label, nil
}

// Card returns card i.
func (s SheetSlice) Card(i int) (SheetCard, error) { return s[i], nil }

// StreamSheet writes the cards of src as A4 print sheets, executing
// template "keycard-sheet.html" of tmpl (templates/keycard-sheet.html with
// keycard-faces.html, or a practice's own): for each ten cards, a page of
// fronts and then a page of backs in mirrored columns, so that printing
// double-sided with a long-edge flip puts every back behind its front. Cut
// marks in the margins show where to cut. The sheet is written as the
// template runs, ten cards at a time, and only they are held: w should be
// a temp file that is removed unless StreamSheet returns nil (see
// atomicfile.WriteFunc), since on failure part of the sheet is written.
func StreamSheet(w io.Writer, tmpl *template.Template, src SheetSource, printed time.Time) error {
	n := src.Len()
	if n == 0 {
		return errors.New("no cards for the sheet")
	}
	if tmpl == nil {
		return errors.New("no sheet template")
	}
	// The first error making a card stops the sequence, and is returned
	// in place of the template's own.
	var cardErr error
	list := func(yield func(sheetItem) bool) {
		for i := range n {
			id, serial, label, err := src.Entry(i)
			if err != nil {
				cardErr = err
				return
			}
			if !yield(sheetItem{Sheet: i/perSheet + 1, Patient: id, Serial: serial, Label: label}) {
				return
			}
		}
	}
	// The template writes one page while the next is made: a page's
	// cards (their QR codes) are made on every core, the template runs
	// on one, and nothing else is left to do at that point of a build.
	// The maker reads the source alone, in order, one page ahead, and
	// has stopped before pages returns.
	pages := func(yield func(sheetPage) bool) {
		type pair struct {
			front, back sheetPage
			err         error
		}
		next := make(chan pair, 1)
		stop := make(chan struct{})
		go func() {
			defer close(next)
			for start := 0; start < n; start += perSheet {
				select {
				case <-stop:
					return
				default:
				}
				front, back, err := sheetPages(src, start, min(start+perSheet, n))
				select {
				case next <- pair{front, back, err}:
				case <-stop:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		defer func() {
			close(stop)
			for range next {
			}
		}()
		for p := range next {
			if p.err != nil {
				cardErr = p.err
				return
			}
			if !yield(p.front) || !yield(p.back) {
				return
			}
		}
	}
	v := sheetView{Date: printed.Format("2 January 2006"), Count: n, List: list, Pages: pages, Marks: cutMarks()}
	err := tmpl.ExecuteTemplate(w, "keycard-sheet.html", v)
	if cardErr != nil {
		return cardErr
	}
	if err != nil {
		return fmt.Errorf("rendering the print sheet: %w", err)
	}
	return nil
}

// sheetPages lays out cards start to end (at most perSheet) of src: the
// page of their fronts and the page of their backs.
func sheetPages(src SheetSource, start, end int) (front, back sheetPage, err error) {
	n := start/perSheet + 1
	front = sheetPage{Number: n}
	back = sheetPage{Number: n, Back: true}
	// The cards are read in order (a source may read them back one after
	// another); their views and margin codes, the QR work that is most of
	// a page's, are made side by side. The sheet is written once every
	// card has been built, so nothing else is left to keep the cores busy.
	cards := make([]SheetCard, end-start)
	for i := range cards {
		if cards[i], err = src.Card(start + i); err != nil {
			return front, back, err
		}
	}
	views := make([]cardView, len(cards))
	checks := make([]template.URL, len(cards))
	errs := make([]error, len(cards))
	var wg sync.WaitGroup
	for i, c := range cards {
		wg.Go(func() {
			cv, err := newCardView(c.Card)
			var check []byte
			if err == nil {
				check, err = CheckPNG(c.Card)
			}
			if err != nil {
				errs[i] = fmt.Errorf("sheet card %d of %s: %w", c.Serial, c.PatientID, err)
				return
			}
			views[i] = cv
			checks[i] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(check))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return front, back, err // the first card's, in sheet order
		}
	}
	for i, c := range cards {
		cv, checkURL := views[i], checks[i]
		col, row := i%sheetCols, i/sheetCols
		y := gridY0 + float64(row)*cardH
		fx := gridX0 + float64(col)*cardW
		// The holder note reads bottom to top in the margin beside
		// the card's outer edge, under the margin code.
		hx := gridX0 - markGap - markL - 5.5
		if col == sheetCols-1 {
			hx = gridX0 + sheetCols*cardW + markGap + markL + 1.5
		}
		front.Slots = append(front.Slots, sheetSlot{
			X: mm(fx), Y: mm(y), Side: "front", Card: cv,
			Holder:  fmt.Sprintf("%s · card %d", c.PatientID, c.Serial),
			HolderX: mm(hx), HolderY: mm(y + cardH),
			Check: checkURL, CheckX: mm(checkX(col)), CheckY: mm(y + checkTop),
		})
		bcol := sheetCols - 1 - col
		bx := gridX0 + float64(bcol)*cardW
		back.Slots = append(back.Slots, sheetSlot{
			X: mm(bx), Y: mm(y), Side: "back", Card: cv,
			Check: checkURL, CheckX: mm(checkX(bcol)), CheckY: mm(y + checkTop),
		})
	}
	return front, back, nil
}

// checkPixels is the size of a margin code's image: a version 1 code
// (21 modules and the quiet zone) at 4 pixels a module.
const checkPixels = 116

// checkX is the left edge of the margin code beside a card in column col:
// in the outer margin, checkGap from the grid.
func checkX(col int) float64 {
	if col == 0 {
		return gridX0 - checkGap - checkW
	}
	return gridX0 + sheetCols*cardW + checkGap
}

// cutMarks returns short lines in the margins continuing every edge of the
// card grid: above and below each column edge, left and right of each row
// edge. They stay outside the cards, so nothing of them is on a cut card.
func cutMarks() []sheetMark {
	var marks []sheetMark
	gridW, gridH := sheetCols*cardW, sheetRows*cardH
	for c := 0; c <= sheetCols; c++ {
		x := gridX0 + float64(c)*cardW - markW/2
		marks = append(marks,
			sheetMark{mm(x), mm(gridY0 - markGap - markL), mm(markW), mm(markL)},
			sheetMark{mm(x), mm(gridY0 + gridH + markGap), mm(markW), mm(markL)})
	}
	for r := 0; r <= sheetRows; r++ {
		y := gridY0 + float64(r)*cardH - markW/2
		marks = append(marks,
			sheetMark{mm(gridX0 - markGap - markL), mm(y), mm(markL), mm(markW)},
			sheetMark{mm(gridX0 + gridW + markGap), mm(y), mm(markL), mm(markW)})
	}
	return marks
}
