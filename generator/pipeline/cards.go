package pipeline

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/keycard"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// cardSecret is card c's secret: a card issued before check characters
// were letters and digits only keeps the secret it was issued with, which
// may end in a check symbol, so it goes on opening its record.
func cardSecret(master []byte, h cardkey.Holder, c registry.Card) cardkey.Secret {
	if c.Letters {
		return h.Secret(master, c.Serial)
	}
	return h.LegacySecret(master, c.Serial)
}

// qrContent is what a card's QR code holds: with base_url, the link that
// opens the hosted record with no typing (the key in the fragment, which
// browsers never send to the server); otherwise the secret alone.
// page is the page the card opens: record.html, or summary.html for a
// summary-only card.
func (b *builder) qrContent(bundleID, page string, s cardkey.Secret) string {
	if b.cfg.BaseURL == "" {
		return s.String()
	}
	return b.cfg.BaseURL + "bundles/" + bundleID + "/" + page + "#k=" + url.QueryEscape(s.String())
}

// cardPaths are the files in the bundle folder a card names: the message
// gpg opens, its PDF copy ("" when the site makes none) and the page a
// browser opens.
type cardPaths struct {
	gpg, pdf, viewer string
}

// writeCard writes the QR image and the printable card, both 0600: they
// hold the secret. A card whose HTML is unchanged since the last build is
// not rewritten. A card is returned as issued, for the print sheet, unless
// the registry says it was put on a sheet just as it is now: so a new or
// changed card is printed, and so is one written by a build that died
// before its sheet. tag is the card's short tag (cardkey.Holder.CardTag),
// printed on both faces, and its title also in language, the patient's.
// Both files, written or left as they were, are recorded in o for the
// build state.
func (b *builder) writeCard(o *outputs, dir, id string, c registry.Card, bundleID string, paths cardPaths, s cardkey.Secret, tag, language string) (CardFiles, *issuedCard, error) {
	card, err := b.keyCard(c, bundleID, paths, s, tag, language, nil)
	if err != nil {
		return CardFiles{}, nil, err
	}
	png := card.QRPNG
	var html bytes.Buffer
	if err := keycard.Render(&html, b.card, card); err != nil {
		return CardFiles{}, nil, err
	}
	pngPath := filepath.Join(dir, fmt.Sprintf("card-%d.png", c.Serial))
	htmlPath := filepath.Join(dir, fmt.Sprintf("card-%d.html", c.Serial))
	files := CardFiles{Serial: c.Serial, Label: c.Label, PNG: b.rel(pngPath), HTML: b.rel(htmlPath)}
	// Both are written again unless both are on disk as they are now: a
	// damaged image is repaired, and the print sheet takes its QR code
	// from it.
	old, err := os.ReadFile(htmlPath)
	oldPNG, pngErr := readSmall(pngPath, 1<<20)
	if err != nil || pngErr != nil || !bytes.Equal(old, html.Bytes()) || !bytes.Equal(oldPNG, png) {
		if err := b.sync.WriteLater(pngPath, png, 0o600); err != nil {
			return CardFiles{}, nil, err
		}
		if err := b.sync.WriteLater(htmlPath, html.Bytes(), 0o600); err != nil {
			return CardFiles{}, nil, err
		}
	}
	o.add(b, pngPath, png)
	o.add(b, htmlPath, html.Bytes())
	digest := printDigest(html.Bytes())
	if c.Printed == digest {
		return files, nil, nil
	}
	return files, &issuedCard{patient: id, serial: c.Serial, paths: paths, language: language, digest: digest}, nil
}

// keyCard is card c of the patient whose bundle is bundleID, as its page
// and the print sheet show it, with its QR code: png when given (the card's
// image as written), else drawn. s is its secret, tag its short tag, paths
// the files it names and language the patient's.
func (b *builder) keyCard(c registry.Card, bundleID string, paths cardPaths, s cardkey.Secret, tag, language string, png []byte) (keycard.Card, error) {
	qrContent := b.qrContent(bundleID, paths.viewer, s)
	if png == nil {
		var err error
		if png, err = keycard.QR(qrContent, keycard.QRPixels); err != nil {
			return keycard.Card{}, err
		}
	}
	return keycard.Card{
		PracticeName: b.cfg.Practice.Name,
		// In international form: a card travels abroad with its holder.
		PracticePhone: practicePhone(b.cfg.Practice),
		Issued:        c.Issued,
		Serial:        c.Serial,
		Tag:           tag,
		Label:         c.Label,
		BundleID:      bundleID,
		Secret:        s,
		QRContent:     qrContent,
		Fingerprint:   provenance.ShortFingerprint(b.key.Fingerprint),
		GPGFile:       paths.gpg,
		// The PDF copy per card (site option pdf) is named like its gpg file.
		PDFFile:     paths.pdf, // "" when the site writes no PDF copy
		ViewerFile:  paths.viewer,
		SummaryOnly: c.SummaryOnly(),
		QRPNG:       png,
		// In the patient's own language, the title in English too.
		Language: language,
		Labels:   b.langs[cmp.Or(language, i18n.English)],
	}, nil
}

// printDigest is what the registry records of a card put on a sheet: a
// SHA-256 of its page. The page holds a 135-bit secret, so the digest
// tells nothing about it.
func printDigest(html []byte) string {
	sum := sha256.Sum256(html)
	return hex.EncodeToString(sum[:])
}

// adoptPrinted brings a registry from before printed cards were recorded
// up to date: every live card whose page is on disk counts as printed as
// it is, which is what builds assumed then (they put a card on a sheet
// only when its page changed). It is saved at once, before this build
// writes any card that might not reach a sheet.
func (b *builder) adoptPrinted() error {
	if b.reg.Format >= registry.Format {
		return nil
	}
	for _, id := range b.reg.IDs() {
		for _, c := range b.reg.Live(id) {
			page, err := os.ReadFile(filepath.Join(b.cfg.PatientCardsDir(id), fmt.Sprintf("card-%d.html", c.Serial)))
			if c.Printed == "" && err == nil {
				b.reg.MarkPrinted(id, c.Serial, printDigest(page))
			}
		}
	}
	b.reg.Format = registry.Format
	if err := b.reg.Save(); err != nil {
		return fmt.Errorf("cannot save the card registry: %w", err)
	}
	return nil
}

// rotatedReason is the audit log's reason for the cards a build revokes
// and issues when an id names another patient. It holds no patient data.
const rotatedReason = "the patient id now names a different patient (NHS number or birth date differs)"

// bind checks that patient id still names the patient the registry knows
// under it, by a keyed digest of the record's NHS number and birth date
// (see cardkey.Identity: a record lacking either is known by what it
// has). When it names another patient, the old patient's cards are
// revoked, the id moves to a new generation (new secrets, a new bundle
// id), a first card is issued for the new patient, all of it saved and
// audited at once, and the old bundle folder is removed: no old card may
// open, or find, the new patient's record. bind returns the line saying
// so, which names the id and no one's data; "" if nothing changed.
func (b *builder) bind(id string, r *record.Record) (string, error) {
	digest := cardkey.Identity(b.master, r.Patient.NHSNumber, r.Patient.Born.ISO())
	b.regMu.Lock()
	defer b.regMu.Unlock()
	bd := b.reg.Bind(id, digest, b.now)
	if !bd.Rotated {
		return "", nil
	}
	var events []registry.Event
	for _, c := range bd.Revoked {
		events = append(events, registry.Event{Time: b.now, Who: b.by, What: registry.EventRevoke, Patient: id, Serial: c.Serial, Label: c.Label, Reason: rotatedReason})
	}
	// The new patient's first card is issued when its bundle is sealed
	// (see sealed), like any other. A shard leaves saving to merge.
	if b.shard != nil {
		b.shard.events = append(b.shard.events, events...)
	} else if err := b.reg.Save(); err != nil {
		return "", fmt.Errorf("cannot save the card registry: %w", err)
	}
	if b.shard == nil {
		if err := b.reg.Audit(events...); err != nil {
			return "", fmt.Errorf("cannot write the audit log: %w", err)
		}
	}
	if err := os.RemoveAll(b.cfg.BundleDir(bd.Old.BundleID(b.master))); err != nil {
		return "", fmt.Errorf("cannot remove the old bundle: %w", err)
	}
	return fmt.Sprintf("%s: this id now names a different patient than its cards were issued to: "+
		"revoked %d card%s, issued a new one and removed the old bundle; hand out only the new card", id, len(bd.Revoked), plural(len(bd.Revoked))), nil
}

// cards returns whose cards and bundle patient id names now, its live
// cards, and the serial of the first card of its generation.
func (b *builder) cards(id string) (cardkey.Holder, []registry.Card, int) {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	return b.reg.Holder(id), b.reg.Live(id), b.reg.FirstSerial(id)
}

// removeTemps removes the temp files a killed build (or card change) left
// in the folders builds write: public_dir, each bundle folder, private_dir
// and the card folders. Only a build holding the registry lock may: no
// other satchel is writing there then. It says how many it removed.
func (b *builder) removeTemps(rep *Report) {
	if b.shard != nil {
		// The other shards are writing: merge removes them.
		return
	}
	dirs := []string{b.cfg.PublicDir, b.cfg.BundlesDir(), b.cfg.PrivateDir, b.cfg.CardsDir()}
	for _, parent := range []string{b.cfg.BundlesDir(), b.cfg.CardsDir()} {
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(parent, e.Name()))
			}
		}
	}
	n := 0
	for _, d := range dirs {
		k, err := atomicfile.RemoveTemps(d)
		n += k
		if err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: cannot remove temp files left by an interrupted build: %v", b.rel(d), err))
		}
	}
	if n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("removed %d temp file%s left by an interrupted build", n, plural(n)))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// removeRevokedCards deletes the files of revoked cards: they hold secrets
// that must no longer be printed.
func (b *builder) removeRevokedCards(dir, id string) {
	b.regMu.Lock()
	cards := b.reg.Cards(id)
	b.regMu.Unlock()
	for _, c := range cards {
		if !c.Live() {
			os.Remove(filepath.Join(dir, fmt.Sprintf("card-%d.png", c.Serial)))
			os.Remove(filepath.Join(dir, fmt.Sprintf("card-%d.html", c.Serial)))
		}
	}
}

// pdfFile names a card's PDF copy after its gpg file: record-<tag>.pdf.
func pdfFile(cardFile string) string {
	return strings.TrimSuffix(cardFile, ".pgp") + ".pdf"
}

// pdfPassword is the password of a card's PDF copy: the key as printed,
// without its dashes, 28 capitals and digits. Poppler refuses passwords
// longer than 32 bytes, so the printed form with dashes would not do.
func pdfPassword(s cardkey.Secret) string {
	return strings.Join(s.Groups(), "")
}

// removeStaleCardFiles deletes the per-card files in a bundle folder
// (messages and PDF copies) that belong to no live card: a revoked card's
// file would still open the record as it was before the revocation, and a
// PDF copy left from a build with PDFs on would no longer be current.
func removeStaleCardFiles(bundleDir string, keep map[string]bool) {
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "record-") && (strings.HasSuffix(n, ".pgp") || strings.HasSuffix(n, ".pdf")) && !keep[n] {
			os.Remove(filepath.Join(bundleDir, n))
		}
	}
}

// practicePhone is the practice's number as a key card prints it: in
// international form (+44 1632 960123), or as written if it is not a UK
// number Satchel can read; "" if there is none.
func practicePhone(p site.Practice) string {
	if d := p.PhoneDial(); d != nil {
		return d.Text
	}
	return ""
}
