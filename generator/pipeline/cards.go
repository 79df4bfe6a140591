package pipeline

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/keycard"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// qrContent is what a card's QR code holds: with base_url, the link that
// opens the hosted record with no typing (the key in the fragment, which
// browsers never send to the server); otherwise the secret alone.
func (b *builder) qrContent(bundleID string, s cardkey.Secret) string {
	if b.cfg.BaseURL == "" {
		return s.String()
	}
	return b.cfg.BaseURL + "bundles/" + bundleID + "/record.html#k=" + url.QueryEscape(s.String())
}

// writeCard writes the QR image and the printable card, both 0600: they
// hold the secret. A card whose HTML is unchanged since the last build is
// not rewritten; a new or changed one is returned as issued, for the print
// sheet.
func (b *builder) writeCard(dir, id string, c registry.Card, bundleID, gpgFile string, s cardkey.Secret) (CardFiles, *keycard.SheetCard, error) {
	qrContent := b.qrContent(bundleID, s)
	png, err := keycard.QR(qrContent, keycard.QRPixels)
	if err != nil {
		return CardFiles{}, nil, err
	}
	card := keycard.Card{
		PracticeName:  b.cfg.Practice.Name,
		PracticePhone: b.cfg.Practice.Phone,
		Issued:        c.Issued,
		Serial:        c.Serial,
		Label:         c.Label,
		BundleID:      bundleID,
		Secret:        s,
		QRContent:     qrContent,
		Fingerprint:   provenance.ShortFingerprint(b.key.Fingerprint),
		GPGFile:       gpgFile,
		QRPNG:         png,
	}
	var html bytes.Buffer
	if err := keycard.Render(&html, b.card, card); err != nil {
		return CardFiles{}, nil, err
	}
	pngPath := filepath.Join(dir, fmt.Sprintf("card-%d.png", c.Serial))
	htmlPath := filepath.Join(dir, fmt.Sprintf("card-%d.html", c.Serial))
	files := CardFiles{Serial: c.Serial, Label: c.Label, PNG: b.rel(pngPath), HTML: b.rel(htmlPath)}
	old, err := os.ReadFile(htmlPath)
	_, pngErr := os.Stat(pngPath)
	if err == nil && pngErr == nil && bytes.Equal(old, html.Bytes()) {
		return files, nil, nil
	}
	if err := b.sync.WriteLater(pngPath, png, 0o600); err != nil {
		return CardFiles{}, nil, err
	}
	if err := b.sync.WriteLater(htmlPath, html.Bytes(), 0o600); err != nil {
		return CardFiles{}, nil, err
	}
	return files, &keycard.SheetCard{Card: card, PatientID: id}, nil
}

// removeRevokedCards deletes the files of revoked cards: they hold secrets
// that must no longer be printed.
func (b *builder) removeRevokedCards(dir, id string) {
	for _, c := range b.reg.Cards(id) {
		if !c.Live() {
			os.Remove(filepath.Join(dir, fmt.Sprintf("card-%d.png", c.Serial)))
			os.Remove(filepath.Join(dir, fmt.Sprintf("card-%d.html", c.Serial)))
		}
	}
}

// removeStaleCardFiles deletes the per-card messages in a bundle folder
// that belong to no live card: a revoked card's file would still open the
// record as it was before the revocation.
func removeStaleCardFiles(bundleDir string, keep map[string]bool) {
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "record-") && strings.HasSuffix(n, ".pgp") && !keep[n] {
			os.Remove(filepath.Join(bundleDir, n))
		}
	}
}

// writeSheet writes private/cards/sheet-<date>.html: every card issued or
// changed in this build, on A4 sheets ready to print double-sided. An
// earlier sheet of the same day is never replaced (it may not be printed
// yet): the new one gets a number.
func (b *builder) writeSheet(cards []keycard.SheetCard) (string, error) {
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
	var buf bytes.Buffer
	if err := keycard.RenderSheet(&buf, b.sheet, cards, b.now); err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return "", err
	}
	return b.rel(path), nil
}
