package keycard

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"testing"
	"time"
)

// oldSheetView and renderSheetAtOnce are the print sheet as it was made
// before StreamSheet: every page and list item built first, in slices,
// then the template executed once on them.
type oldSheetView struct {
	Date  string
	Count int
	List  []sheetItem
	Pages []sheetPage
	Marks []sheetMark
}

func renderSheetAtOnce(t *testing.T, tmpl *template.Template, cards []SheetCard, printed time.Time) []byte {
	t.Helper()
	v := oldSheetView{Date: printed.Format("2 January 2006"), Count: len(cards), Marks: cutMarks()}
	for start := 0; start < len(cards); start += perSheet {
		n := start/perSheet + 1
		front := sheetPage{Number: n}
		back := sheetPage{Number: n, Back: true}
		for i, c := range cards[start:min(start+perSheet, len(cards))] {
			cv, err := newCardView(c.Card)
			if err != nil {
				t.Fatal(err)
			}
			check, err := QR(cv.ID, checkPixels)
			if err != nil {
				t.Fatal(err)
			}
			checkURL := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(check))
			col, row := i%sheetCols, i/sheetCols
			y := gridY0 + float64(row)*cardH
			fx := gridX0 + float64(col)*cardW
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
			back.Slots = append(back.Slots, sheetSlot{
				X: mm(gridX0 + float64(bcol)*cardW), Y: mm(y), Side: "back", Card: cv,
				Check: checkURL, CheckX: mm(checkX(bcol)), CheckY: mm(y + checkTop),
			})
			v.List = append(v.List, sheetItem{Sheet: n, Patient: c.PatientID, Serial: c.Serial, Label: c.Label})
		}
		v.Pages = append(v.Pages, front, back)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "keycard-sheet.html", v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// countingSource hands out its cards one at a time, and counts how many
// were made before the sheet's list was done.
type countingSource struct {
	cards         []SheetCard
	made          int
	listed        int
	madeBeforeAll int
	fail          int // index whose card fails; -1 for none
}

func (s *countingSource) Len() int { return len(s.cards) }

func (s *countingSource) Entry(i int) (string, int, string, error) {
	s.listed++
	if s.listed == len(s.cards) {
		s.madeBeforeAll = s.made
	}
	return s.cards[i].PatientID, s.cards[i].Serial, s.cards[i].Label, nil
}

func (s *countingSource) Card(i int) (SheetCard, error) {
	if i != s.made {
		return SheetCard{}, fmt.Errorf("card %d asked for after %d cards", i, s.made)
	}
	s.made++
	if i == s.fail {
		return SheetCard{}, errors.New("this card cannot be made")
	}
	return s.cards[i], nil
}

// The sheet written card by card is byte for byte the sheet the old
// renderer made from all the cards at once, for a sheet ending on a full
// page, on a part page, and of one card; each card is made once, in
// order, after the list at the top.
func TestStreamedSheetIsTheSheetRenderedAtOnce(t *testing.T) {
	t.Parallel()
	tmpl := sheetTemplate(t)
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	for _, n := range []int{1, 10, 23} {
		cards := sheetCards(n)
		cards[0].Label = "Mum <& carer>"
		want := renderSheetAtOnce(t, tmpl, cards, at)
		src := &countingSource{cards: cards, fail: -1}
		var got bytes.Buffer
		if err := StreamSheet(&got, tmpl, src, at); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%d cards: the streamed sheet differs from the one rendered at once", n)
		}
		if src.made != n || src.madeBeforeAll != 0 {
			t.Errorf("%d cards: %d made, %d before the list was done", n, src.made, src.madeBeforeAll)
		}
		var old bytes.Buffer
		if err := RenderSheet(&old, tmpl, cards, at); err != nil || !bytes.Equal(old.Bytes(), want) {
			t.Errorf("%d cards: RenderSheet differs from the sheet rendered at once (%v)", n, err)
		}
	}
}

// A card that cannot be made stops the sheet with its own error, and the
// cards after it are never made.
func TestStreamedSheetStopsAtACardThatFails(t *testing.T) {
	t.Parallel()
	src := &countingSource{cards: sheetCards(23), fail: 12}
	var out bytes.Buffer
	err := StreamSheet(&out, sheetTemplate(t), src, time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC))
	if err == nil || !strings.Contains(err.Error(), "this card cannot be made") {
		t.Fatalf("err = %v, want the card's own", err)
	}
	if src.made != 13 {
		t.Errorf("%d cards made, want 13: none after the one that failed", src.made)
	}
}

// A template that fails part way through the pages stops the making of
// cards (at most a page ahead of it), which has stopped by the time
// StreamSheet returns: nothing reads the source after.
func TestStreamedSheetStopsMakingCardsWhenTheTemplateFails(t *testing.T) {
	t.Parallel()
	tmpl, err := template.New("keycard-sheet.html").Parse(`{{range .List}}{{end}}{{range .Pages}}{{if eq .Number 2}}{{.NoSuchField}}{{end}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	src := &slowSource{&countingSource{cards: sheetCards(95), fail: -1}}
	if err := StreamSheet(io.Discard, tmpl, src, time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("a template that fails gave no error")
	}
	made := src.made
	if made < 2*perSheet || made > 4*perSheet {
		t.Errorf("%d cards made for a template that failed on page 2, want %d to %d", made, 2*perSheet, 4*perSheet)
	}
	time.Sleep(50 * time.Millisecond)
	if src.made != made {
		t.Errorf("cards were still made after StreamSheet returned: %d, then %d", made, src.made)
	}
}

// slowSource takes its time over each card, so that cards are still being
// made when the template stops.
type slowSource struct{ *countingSource }

func (s *slowSource) Card(i int) (SheetCard, error) {
	time.Sleep(2 * time.Millisecond)
	return s.countingSource.Card(i)
}
