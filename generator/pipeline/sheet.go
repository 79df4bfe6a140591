package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/satchel-records/satchel/generator/keycard"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// issuedCard is a card for the print sheet, kept small until the sheet is
// written: which card it is, what its page was made from beside the
// registry, and the digest of its page, which the registry records once
// the sheet is safely on disk. The card itself, with its secret and QR
// code, is made again as the sheet is written (see sheetCards), so a build
// holds no card while it runs, however many it issues; the collector puts
// these aside on disk, one JSON line each (they hold no secret: the digest
// of a page holding a 135-bit secret tells nothing of it).
type issuedCard struct {
	patient  string
	serial   int
	paths    cardPaths
	language string
	digest   string
}

// issuedLine is an issuedCard as the collector puts it aside.
type issuedLine struct {
	Patient  string `json:"p"`
	Serial   int    `json:"s"`
	GPG      string `json:"g"`
	PDF      string `json:"f,omitempty"`
	Viewer   string `json:"v"`
	Language string `json:"l,omitempty"`
	Digest   string `json:"d"`
}

// addCard puts issued card ic aside for the print sheet.
func (c *collector) addCard(ic issuedCard) error {
	line, err := json.Marshal(issuedLine{Patient: ic.patient, Serial: ic.serial, GPG: ic.paths.gpg, PDF: ic.paths.pdf, Viewer: ic.paths.viewer, Language: ic.language, Digest: ic.digest})
	if err != nil {
		return err
	}
	if _, err := c.cards.add(append(line, '\n')); err != nil {
		return err
	}
	c.issued++
	return nil
}

// cardReader reads the issued cards back in order, from the first.
type cardReader struct {
	dec *json.Decoder
}

func (c *collector) readCards() (*cardReader, error) {
	if _, err := c.cards.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &cardReader{dec: json.NewDecoder(bufio.NewReader(c.cards.f))}, nil
}

func (r *cardReader) next() (issuedCard, error) {
	var l issuedLine
	if err := r.dec.Decode(&l); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return issuedCard{}, err
	}
	return issuedCard{patient: l.Patient, serial: l.Serial, paths: cardPaths{gpg: l.GPG, pdf: l.PDF, viewer: l.Viewer}, language: l.Language, digest: l.Digest}, nil
}

// eachCard calls fn with every issued card, in order.
func (c *collector) eachCard(fn func(issuedCard) error) error {
	r, err := c.readCards()
	if err != nil {
		return err
	}
	for range c.issued {
		ic, err := r.next()
		if err != nil {
			return err
		}
		if err := fn(ic); err != nil {
			return err
		}
	}
	return nil
}

// writeSheet writes private/cards/sheet-<date>.html: every card issued or
// changed in this build, on A4 sheets ready to print double-sided. An
// earlier sheet of the same day is never replaced (it may not be printed
// yet): the new one gets a number. The sheet is written as it is made, to
// its own 0600 temp file beside it, removed if any card fails.
func (b *builder) writeSheet(c *collector) (string, error) {
	return b.writeSheetFrom(&sheetCards{b: b, c: c})
}

// writeSheetFrom writes the print sheet of the cards of src (see
// writeSheet).
func (b *builder) writeSheetFrom(src keycard.SheetSource) (string, error) {
	dir := b.cfg.CardsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	date := b.now.Format("2006-01-02")
	path := filepath.Join(dir, "sheet-"+date+".html")
	for n := 2; ; n++ {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			break
		}
		path = filepath.Join(dir, fmt.Sprintf("sheet-%s-%d.html", date, n))
	}
	err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error {
		return keycard.StreamSheet(w, b.sheet, src, b.now)
	})
	if err != nil {
		return "", err
	}
	return b.rel(path), nil
}

// sheetCards is the print sheet's keycard.SheetSource: the issued cards
// read back in order, twice (once for the list, once for the faces), each
// card made again from the registry and the master secret, as its page
// was, when the sheet comes to it.
type sheetCards struct {
	b   *builder
	c   *collector
	r   *cardReader
	at  int // the index of cur; -1 before the first
	cur issuedCard
	// err is the first error reading the cards back: the sheet is then
	// not kept.
	err error
}

func (s *sheetCards) Len() int { return s.c.issued }

// card returns issued card i: the one after the last asked for, or the
// first again.
func (s *sheetCards) card(i int) (issuedCard, error) {
	if s.err != nil {
		return issuedCard{}, s.err
	}
	if s.r == nil || i == 0 && s.at != 0 {
		if s.r, s.err = s.c.readCards(); s.err != nil {
			return issuedCard{}, s.err
		}
		s.at = -1
	}
	if i == s.at {
		return s.cur, nil
	}
	if i != s.at+1 {
		s.err = fmt.Errorf("print sheet card %d asked for after card %d", i, s.at)
		return issuedCard{}, s.err
	}
	if s.cur, s.err = s.r.next(); s.err != nil {
		return issuedCard{}, s.err
	}
	s.at = i
	return s.cur, nil
}

func (s *sheetCards) Entry(i int) (string, int, string, error) {
	c, err := s.card(i)
	if err != nil {
		return "", 0, "", err
	}
	rc, _ := s.b.registryCard(c.patient, c.serial)
	return c.patient, c.serial, rc.Label, nil
}

// Card makes card i as writeCard made it, and checks that its page is
// the one whose digest the registry will record as printed: the card on
// the sheet is the card on disk.
func (s *sheetCards) Card(i int) (keycard.SheetCard, error) {
	b := s.b
	ic, err := s.card(i)
	if err != nil {
		return keycard.SheetCard{}, err
	}
	rc, ok := b.registryCard(ic.patient, ic.serial)
	if !ok {
		return keycard.SheetCard{}, fmt.Errorf("key card %d of %s is no longer in the card registry", ic.serial, ic.patient)
	}
	b.regMu.Lock()
	holder := b.reg.Holder(ic.patient)
	b.regMu.Unlock()
	// The QR code is taken from the card's image as written rather than
	// drawn again (most of a card's time); the page's digest covers it. An
	// image that does not read, or does not make the page recorded, is
	// drawn again.
	png, _ := readSmall(filepath.Join(b.cfg.PatientCardsDir(ic.patient), fmt.Sprintf("card-%d.png", ic.serial)), 1<<20)
	var card keycard.Card
	for {
		card, err = b.keyCard(rc, holder.BundleID(b.master), ic.paths, cardSecret(b.master, holder, rc), holder.CardTag(b.master, rc.Serial), ic.language, png)
		if err != nil {
			return keycard.SheetCard{}, fmt.Errorf("key card %d of %s: %w", ic.serial, ic.patient, err)
		}
		var page bytes.Buffer
		if err := keycard.Render(&page, b.card, card); err != nil {
			return keycard.SheetCard{}, fmt.Errorf("key card %d of %s: %w", ic.serial, ic.patient, err)
		}
		if printDigest(page.Bytes()) == ic.digest {
			break
		}
		if png == nil {
			return keycard.SheetCard{}, fmt.Errorf("key card %d of %s changed while the build ran: build again", ic.serial, ic.patient)
		}
		png = nil
	}
	return keycard.SheetCard{Card: card, PatientID: ic.patient}, nil
}

// readSmall returns the file at path, or nil and an error when it cannot
// be read or is larger than limit.
func readSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil || int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: cannot read it", filepath.Base(path))
	}
	return data, nil
}

// registryCard returns card serial of patient id as the registry has it.
func (b *builder) registryCard(id string, serial int) (registry.Card, bool) {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	for _, c := range b.reg.Cards(id) {
		if c.Serial == serial {
			return c, true
		}
	}
	return registry.Card{}, false
}
