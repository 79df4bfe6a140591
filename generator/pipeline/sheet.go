package pipeline

import (
	"bytes"
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
// holds no card while it runs, however many it issues.
type issuedCard struct {
	patient  string
	serial   int
	paths    cardPaths
	language string
	digest   string
}

// writeSheet writes private/cards/sheet-<date>.html: every card issued or
// changed in this build, on A4 sheets ready to print double-sided. An
// earlier sheet of the same day is never replaced (it may not be printed
// yet): the new one gets a number. The sheet is written as it is made, to
// its own 0600 temp file beside it, removed if any card fails.
func (b *builder) writeSheet(cards []issuedCard) (string, error) {
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
		return keycard.StreamSheet(w, b.sheet, sheetCards{b: b, cards: cards}, b.now)
	})
	if err != nil {
		return "", err
	}
	return b.rel(path), nil
}

// sheetCards is the print sheet's keycard.SheetSource: each card made
// again from the registry and the master secret, as its page was, when
// the sheet comes to it.
type sheetCards struct {
	b     *builder
	cards []issuedCard
}

func (s sheetCards) Len() int { return len(s.cards) }

func (s sheetCards) Entry(i int) (string, int, string) {
	c := s.cards[i]
	rc, _ := s.b.registryCard(c.patient, c.serial)
	return c.patient, c.serial, rc.Label
}

// Card makes card i as writeCard made it, and checks that its page is
// the one whose digest the registry will record as printed: the card on
// the sheet is the card on disk.
func (s sheetCards) Card(i int) (keycard.SheetCard, error) {
	b, ic := s.b, s.cards[i]
	rc, ok := b.registryCard(ic.patient, ic.serial)
	if !ok {
		return keycard.SheetCard{}, fmt.Errorf("key card %d of %s is no longer in the card registry", ic.serial, ic.patient)
	}
	b.regMu.Lock()
	holder := b.reg.Holder(ic.patient)
	b.regMu.Unlock()
	card, err := b.keyCard(rc, holder.BundleID(b.master), ic.paths, cardSecret(b.master, holder, rc), holder.CardTag(b.master, rc.Serial), ic.language)
	if err != nil {
		return keycard.SheetCard{}, fmt.Errorf("key card %d of %s: %w", ic.serial, ic.patient, err)
	}
	var page bytes.Buffer
	if err := keycard.Render(&page, b.card, card); err != nil {
		return keycard.SheetCard{}, fmt.Errorf("key card %d of %s: %w", ic.serial, ic.patient, err)
	}
	if printDigest(page.Bytes()) != ic.digest {
		return keycard.SheetCard{}, fmt.Errorf("key card %d of %s changed while the build ran: build again", ic.serial, ic.patient)
	}
	return keycard.SheetCard{Card: card, PatientID: ic.patient}, nil
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
