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
	"strconv"
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
	// card's title is then in that language, with English below it, and
	// its other words in that language alone; "" or "en" prints English.
	Language string
	// Labels, when set, are the labels of Language (or of English), loaded
	// once by the caller for many cards; nil loads them for this card.
	Labels *i18n.Language `json:"-"`
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
	// W are the card's other words, in the patient's language (English
	// when it is English or not set).
	W cardWords
}

// cardWords are the words a card prints around its facts, in one
// language. The Open lines name the file to open in bold.
type cardWords struct {
	Lang                                   string // the words' language code
	Issued, Card, Record, SignedBy         string
	Keep                                   string // or the summary-only card's words
	Key, CardNo                            string // "Key", "card 12"
	QRAlt, How                             string
	Phone, PDFReader, Computer, PhoneOrPC  string
	Scan                                   string
	OpenPDF, OpenViewer, OpenViewerBrowser template.HTML
}

// words returns the words of card c in language l.
func words(l *i18n.Language, c Card, viewerFile string) cardWords {
	bold := func(key, file string) template.HTML {
		before, after, _ := strings.Cut(l.Text(key), "{0}")
		return template.HTML(template.HTMLEscapeString(before) + "<b>" + template.HTMLEscapeString(file) + "</b>" + template.HTMLEscapeString(after))
	}
	keep := "card_keep"
	if c.SummaryOnly {
		keep = "card_keep_summary"
	}
	return cardWords{
		Lang:     l.Code,
		Issued:   l.Text("card_issued"),
		Card:     l.Text("card_card"),
		Record:   l.Text("card_record"),
		SignedBy: l.Text("card_signed_by"),
		Keep:     l.Text(keep),
		Key:      l.Text("card_key"),
		CardNo:   l.Text("card_key_serial", strconv.Itoa(c.Serial)),
		QRAlt:    l.Text("card_qr_alt"),
		How:      l.Text("card_how"),
		Phone:    l.Text("card_phone"), PDFReader: l.Text("card_pdf_reader"),
		Computer: l.Text("card_computer"), PhoneOrPC: l.Text("card_phone_or_computer"),
		Scan:              l.Text("card_scan"),
		OpenPDF:           bold("card_open_pdf", c.PDFFile),
		OpenViewer:        bold("card_open_viewer", viewerFile),
		OpenViewerBrowser: bold("card_open_browser", viewerFile),
	}
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
	code := c.Language
	if code == "" {
		code = i18n.English
	}
	l := c.Labels
	if l == nil || l.Code != code {
		var err error
		if l, err = i18n.Load(code); err != nil {
			return cardView{}, fmt.Errorf("card %d: %w", c.Serial, err)
		}
	}
	var lang, langTitle string
	issued := c.Issued.Format("2 January 2006")
	if code != i18n.English {
		key := "card_title"
		if c.SummaryOnly {
			key = "card_title_summary"
		}
		lang, langTitle, issued = l.Code, mustLabel(l, key), l.Date(c.Issued)
	}
	return cardView{
		Lang:          lang,
		LangTitle:     langTitle,
		W:             words(l, c, viewerFile),
		PracticeName:  c.PracticeName,
		PracticePhone: c.PracticePhone,
		Issued:        issued,
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
