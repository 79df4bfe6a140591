// Package keycard prints key cards: the wallet-sized card that carries one
// card secret (from package cardkey) as text and as a QR code, and the A4
// print sheets of many cards with their backs mirrored for double-sided
// printing.
package keycard

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/i18n"

	qrcode "github.com/skip2/go-qrcode"
)

// QR returns content as a QR code PNG at error-correction level Medium, at
// most size pixels wide (larger only if the code needs more than one pixel
// per module). Each module is a whole number of pixels so the printed code
// stays sharp; the quiet zone scanners need is included.
func QR(content string, size int) ([]byte, error) {
	if size <= 0 {
		return nil, errors.New("QR size must be positive")
	}
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err) // go-qrcode's errors do not quote content
	}
	// Drawn here rather than by q.PNG, which encodes the code twice and
	// compresses hardest: together three quarters of a card's build time.
	// qrPNG writes what image/png would, without its per-pixel work.
	bitmap := q.Bitmap()
	return qrPNG(bitmap, max(size/len(bitmap), 1)), nil
}

// CheckPNG returns the margin code printed beside c on a print sheet: a
// QR code of its id (serial and tag).
func CheckPNG(c Card) ([]byte, error) {
	return QR(cardID(c), checkPixels)
}

// QRPixels bounds the QR image on cards: about 200 dpi at the 30 mm it is
// printed, five or more pixels per module, which scanners read easily; 300
// dpi would double the PNG work of every card for no gain.
const QRPixels = 240

// Card is what one printed key card shows. It carries no clinical data and
// no patient name: a lost card tells the finder nothing about its holder.
type Card struct {
	PracticeName, PracticePhone string
	// Issued is the date the card was made.
	Issued time.Time
	// Serial numbers the patient's cards; revoking one bumps it.
	Serial int
	// Tag is the card's short tag (cardkey.Holder.CardTag), printed with
	// the serial on both faces, so cut cards can be told apart and a front
	// printed behind another card's back shows; may be empty.
	Tag string
	// Label says whose card it is, e.g. "Patient" or "Carer"; may be empty.
	Label string
	// BundleID names the patient's record bundle.
	BundleID string
	// Secret opens the record.
	Secret cardkey.Secret
	// QRContent is what the QR code holds: the secret's printed form, or a
	// URL ending #k=<secret> when the practice hosts bundles.
	QRContent string
	// Fingerprint is a short form of the practice key fingerprint, so a
	// reader can check who signed the record; may be empty.
	Fingerprint string
	// GPGFile is the file a GnuPG user decrypts with this card, e.g.
	// "record-7k3mq9xr2a.pgp" (see CardFile); empty means "record.pgp".
	GPGFile string
	// PDFFile is the encrypted PDF copy a phone opens with this card's key
	// (typed in capitals, without dashes), named like GPGFile with .pdf,
	// e.g. "record-7k3mq9xr2a.pdf"; empty when the practice makes no PDF,
	// and the card then names none.
	PDFFile string
	// SummaryOnly says the card opens the emergency summary alone, not
	// the whole record: the card says so on both faces.
	SummaryOnly bool
	// ViewerFile is the page a browser opens with this card, e.g.
	// "summary.html" for a summary-only card; empty means "record.html".
	ViewerFile string
	// QRPNG is the QR code already drawn by QR(QRContent, QRPixels), for
	// a caller that also saves it as a file; nil means Render draws it.
	QRPNG []byte
	// Language is the patient's language (an i18n code, e.g. "fr"): the
	// card's title is then in that language, with English below it; ""
	// or "en" prints English alone.
	Language string
}

// cardView is what the keycard.html template sees.
type cardView struct {
	PracticeName, PracticePhone string
	Issued                      string // e.g. "14 March 2025"
	IssuedISO                   string // e.g. "2025-03-14", for <time>
	Serial                      int
	Tag                         string
	ID                          string // "CARD 2 7K3MQ9": what the sheet's margin codes hold
	Label                       string
	BundleID                    string
	SecretGroups                []string
	Fingerprint                 string // grouped in fours for reading aloud
	GPGFile                     string // the file gpg opens with this card
	PDFFile                     string // the PDF a phone opens; "" if none
	ViewerFile                  string // the page a browser opens with this card
	SummaryOnly                 bool   // the card opens the emergency summary alone
	Hosted                      bool   // the QR code is a link to the hosted record
	QR                          template.URL
	// Lang and LangTitle are the patient's language and the card's title
	// in it; both empty for English.
	Lang, LangTitle string
}

// Render writes card c as HTML by executing template "keycard.html" of
// tmpl, with the QR code embedded as a data: URI so the page needs nothing
// else. Nothing is written unless the whole card rendered.
func Render(w io.Writer, tmpl *template.Template, c Card) error {
	v, err := newCardView(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "keycard.html", v); err != nil {
		return fmt.Errorf("rendering card %d: %w", c.Serial, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// newCardView checks c and turns it into what templates see, drawing the
// QR code if c does not carry it.
func newCardView(c Card) (cardView, error) {
	if c.Secret == (cardkey.Secret{}) {
		return cardView{}, errors.New("card has no secret")
	}
	if c.QRContent == "" {
		return cardView{}, errors.New("card has no QR content")
	}
	png := c.QRPNG
	if png == nil {
		var err error
		if png, err = QR(c.QRContent, QRPixels); err != nil {
			return cardView{}, err
		}
	}
	gpgFile := c.GPGFile
	if gpgFile == "" {
		gpgFile = "record.pgp"
	}
	viewerFile := c.ViewerFile
	if viewerFile == "" {
		viewerFile = "record.html"
	}
	var lang, langTitle string
	if c.Language != "" && c.Language != i18n.English {
		l, err := i18n.Load(c.Language)
		if err != nil {
			return cardView{}, fmt.Errorf("card %d: %w", c.Serial, err)
		}
		key := "card_title"
		if c.SummaryOnly {
			key = "card_title_summary"
		}
		lang, langTitle = l.Code, mustLabel(l, key)
	}
	return cardView{
		Lang:          lang,
		LangTitle:     langTitle,
		PracticeName:  c.PracticeName,
		PracticePhone: c.PracticePhone,
		Issued:        c.Issued.Format("2 January 2006"),
		IssuedISO:     c.Issued.Format(time.DateOnly),
		Serial:        c.Serial,
		Tag:           c.Tag,
		ID:            cardID(c),
		Label:         c.Label,
		BundleID:      c.BundleID,
		SecretGroups:  c.Secret.Groups(),
		Fingerprint:   groupFingerprint(c.Fingerprint),
		GPGFile:       gpgFile,
		PDFFile:       c.PDFFile,
		ViewerFile:    viewerFile,
		SummaryOnly:   c.SummaryOnly,
		// QRContent is either a link or the secret, whose printed form
		// (Crockford base32 groups) never starts with a scheme.
		Hosted: strings.HasPrefix(c.QRContent, "https://") || strings.HasPrefix(c.QRContent, "http://"),
		// A data: URI is not a URL html/template trusts by default; this
		// one is built here from PNG bytes only.
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	}, nil
}

// mustLabel returns l's label key; every language has every label (i18n
// checks it when it loads), so a missing one is a bug.
func mustLabel(l *i18n.Language, key string) string {
	s, ok := l.Label(key)
	if !ok {
		panic("keycard: no label " + key + " in " + l.Code)
	}
	return s
}

// cardID is what the print sheet's margin codes beside both faces of c
// hold: its serial and tag, in the characters a QR code stores most
// compactly (capitals, digits, space), e.g. "CARD 2 7K3MQ9".
func cardID(c Card) string {
	id := fmt.Sprintf("CARD %d", c.Serial)
	if c.Tag != "" {
		id += " " + strings.ToUpper(c.Tag)
	}
	return id
}

// groupFingerprint writes an unspaced hex fingerprint in groups of four, as
// gpg prints them; anything already spaced is left alone.
func groupFingerprint(fp string) string {
	if fp == "" || strings.ContainsRune(fp, ' ') {
		return fp
	}
	var b strings.Builder
	for i, r := range fp {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
