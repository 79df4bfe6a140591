// Package pipeline is Satchel's one per-patient pipeline. `satchel build`,
// `check`, `review` and `approve` all go through it, so they agree on what
// every record means. It reads top to bottom like the data flow:
//
//   - Open loads and validates everything a build needs (the site's rules,
//     education pages, every template of every layer, the theme, the
//     viewer's decryptor) and writes nothing: a build that would fail on a
//     typo in a template fails here, before any key or folder exists.
//   - Prepare reads one patient's record once, with its approval, applies
//     the approval and withholding policy, and matches education pages.
//   - Build renders the record document, packs it with its FHIR form,
//     signs and encrypts it for each of the patient's key cards, and writes
//     the bundle, the self-opening viewer and the key cards, then the
//     manifest. Check does the same in memory and writes nothing; Review
//     writes the approving clinician's sheet; Approve signs a record off.
//
// One patient failing never stops the others; every failure names its file
// and line, never the patient's data.
package pipeline

import (
	"bytes"
	"errors"
	"html/template"
	"sync"
	"time"

	"github.com/satchel-records/satchel/education"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/keycard"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/pdfdoc"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/generator/viewer"
)

// Status is what happened, or would happen, to a patient's record.
type Status string

// Patient statuses, as the manifest reports them.
const (
	Built                Status = "built"
	AwaitingApproval     Status = "awaiting-approval"
	ChangedSinceApproval Status = "changed-since-approval"
	Blocked              Status = "blocked"
	Failed               Status = "failed"
)

// Pipeline holds everything a site's patients share, loaded and checked by
// Open. It is read-only afterwards, so workers share it without locks.
type Pipeline struct {
	cfg   *site.Config
	rules policy.Rules
	// library holds the education pages that read; pageErr names those
	// that did not. Bad pages are left out and reported, and patients
	// still build.
	library  *content.Library
	pageErr  error
	renderer *render.Renderer
	// renderers are those of patients whose record sets their own theme
	// or language (rendererFor), by theme and languages.
	renderers   map[string]*render.Renderer
	renderersMu sync.Mutex
	md          *content.Markdown
	// pdf lays out each record's PDF copy; nil when site.toml turns
	// the copy off.
	pdf  *pdfdoc.Maker
	tmpl layers.Stack
	// The templates of the pages Satchel writes beside the record.
	card, sheet, review *template.Template
	viewer              *viewer.Viewer
	// langs are the labels of every language, for key cards.
	langs map[string]*i18n.Language
	// recs is the records folder, with its bulk exports indexed each time
	// the records are listed (it locks for itself).
	recs *load.Folder
}

// Open loads and validates everything a build of cfg needs, reporting every
// problem at once, each naming its file and line. It writes nothing.
func Open(cfg *site.Config) (*Pipeline, error) {
	p := &Pipeline{cfg: cfg, rules: policy.ForSite(cfg.Policy), tmpl: layers.Templates(cfg), recs: load.NewFolder(cfg.RecordsDir)}
	var errs []error
	md := content.NewMarkdown()
	p.md = md
	lib, err := content.LoadWith(education.FS(), cfg.EducationDir, md)
	if lib == nil {
		errs = append(errs, err)
	}
	p.library, p.pageErr = lib, err
	if p.renderer, err = render.ForSite(cfg, md); err != nil {
		errs = append(errs, err)
	}
	if cfg.PDF {
		if p.pdf, err = pdfdoc.New(md); err != nil {
			errs = append(errs, err)
		}
	}
	// Each page template is parsed, then run once on an example, so that
	// a broken practice override fails here and not halfway through.
	var card keycard.Card
	if p.card, err = p.tmpl.Parse(nil, "keycard-faces.html", "keycard.html"); err == nil {
		card = exampleCard()
		err = keycard.Render(&bytes.Buffer{}, p.card, card)
		if err == nil {
			// A summary-only card takes the templates' other branches.
			card.SummaryOnly, card.ViewerFile = true, summaryPage
			err = keycard.Render(&bytes.Buffer{}, p.card, card)
		}
	}
	errs = append(errs, p.tmpl.Explain(err))
	if p.sheet, err = p.tmpl.Parse(nil, "keycard-faces.html", "keycard-sheet.html"); err == nil {
		err = keycard.RenderSheet(&bytes.Buffer{}, p.sheet, []keycard.SheetCard{{Card: exampleCard(), PatientID: "example"}}, exampleTime)
	}
	errs = append(errs, p.tmpl.Explain(err))
	if p.review, err = p.tmpl.Parse(nil, "review.html"); err == nil {
		err = p.review.Execute(&bytes.Buffer{}, exampleSheet())
	}
	errs = append(errs, p.tmpl.Explain(err))
	// Every language's labels, loaded once: the lock screen and the key
	// cards use them.
	if p.langs, err = i18n.LoadAll(); err != nil {
		errs = append(errs, err)
	} else if p.viewer, err = viewer.New(p.langs); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// Config returns the site the pipeline was opened for.
func (p *Pipeline) Config() *site.Config { return p.cfg }

// exampleTime is the fixed time of the examples Open renders.
var exampleTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// exampleCard is an invented card with every field set, for trying the
// card templates. Its secret derives from a master of zeros: it opens
// nothing.
func exampleCard() keycard.Card {
	s := cardkey.Derive(make([]byte, 32), "example", 1)
	return keycard.Card{
		PracticeName: "Example Practice", PracticePhone: "01632 960000",
		Issued: exampleTime, Serial: 1, Label: "Patient",
		BundleID: cardkey.BundleID(make([]byte, 32), "example"), Secret: s, QRContent: s.String(),
		Fingerprint: "0000 0000 0000 0000", GPGFile: "record.pgp", PDFFile: "record.pdf",
	}
}

// exampleSheet is an invented review sheet, for trying its template.
func exampleSheet() Sheet {
	return Sheet{
		ID: "example", File: "example.toml", Format: "Satchel TOML",
		Patient:  record.Patient{Name: "Example Patient", Born: record.NewDate(1970, 1, 1)},
		Approval: &policy.Approval{Approver: "Dr Example", Role: "GP", Date: record.NewDate(2026, 1, 1)},
		Status:   Built, Blocks: []string{policy.BlockDeclined},
		Entries:  []policy.EntryDecision{{Key: "problems[0]", Label: "Example", Exported: true}, {Key: "problems[1]", Label: "Example", Rule: policy.RuleThirdParty}},
		Withheld: map[string]int{policy.RuleThirdParty: 1}, Exported: 1, Pages: []string{"Example page"},
		Skipped:    map[string]int{"Claim": 1},
		Accounting: Accounting{Shown: 1, Withheld: map[string]int{policy.RuleThirdParty: 1}, NotCarried: map[string]int{"billing: not clinical": 1}}, Document: "example.document.html", Generated: exampleTime,
		Changed: true, Changes: []policy.Change{{Kind: "changed", Key: "problems[0]", Label: "Example", Was: "Earlier example"}},
	}
}

// rel returns path relative to the site's folder, for messages and the
// manifest.
func (p *Pipeline) rel(path string) string { return p.cfg.Rel(path) }

// joinedErrors flattens errors.Join trees, so that each problem is reported
// on its own line.
func joinedErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, joinedErrors(e)...)
		}
		return out
	}
	return []error{err}
}
