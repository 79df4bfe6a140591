package pipeline

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/ips"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/internal/strict"
)

// docMeta is what a record document says about its own bundle.
type docMeta struct {
	now          time.Time
	bundleID     string
	currentUntil time.Time
	fingerprint  string
	// summaryOnly makes the document the emergency summary alone, for
	// summary-only key cards.
	summaryOnly bool
}

// document renders what a bundle holds for a patient whose record builds:
// the record document people read, and the same filtered record as FHIR
// for the hospital's systems (it holds exactly what the document shows).
// took is the time spent rendering the document; v is the record as the
// document groups it, for recordPDF. Check renders the same, in memory, so
// that it finds what a build would fail on.
func (p *Pipeline) document(pr *Prepared, m docMeta) (doc, fhir []byte, v *render.View, took time.Duration, err error) {
	start := time.Now()
	doc, v, err = p.renderDocument(pr, m)
	took = time.Since(start)
	if err != nil {
		return nil, nil, nil, took, err
	}
	appr := pr.Approval
	fhir, err = ips.Document(pr.Out(), ips.Meta{Practice: p.cfg.Practice, Approver: appr.Approver,
		Role: appr.Role, Approved: appr.Date, Exported: m.now, BundleID: m.bundleID})
	if err != nil {
		return nil, nil, nil, took, fmt.Errorf("%s: cannot write the FHIR record: %w", pr.File, err)
	}
	return doc, fhir, v, took, nil
}

// renderDocument renders the record document of pr. An approval that is
// still missing (a review sheet's preview) shows as none. v is the record
// as the document groups it (render.View), which recordPDF lays out too.
func (p *Pipeline) renderDocument(pr *Prepared, m docMeta) (doc []byte, v *render.View, err error) {
	r, err := p.rendererFor(pr)
	if err != nil {
		return nil, nil, err
	}
	d := p.recordDocument(pr, m)
	v = r.View(d)
	var buf bytes.Buffer
	if err := r.RenderView(&buf, d, v); err != nil {
		return nil, nil, fmt.Errorf("%s: cannot render the record: %w", pr.File, err)
	}
	return buf.Bytes(), v, nil
}

// recordDocument is what the record document, and its PDF copy, show.
func (p *Pipeline) recordDocument(pr *Prepared, m docMeta) *render.Document {
	var a render.Approval
	if appr := pr.Approval; appr != nil {
		a = render.Approval{By: appr.Approver, Role: appr.Role, Date: appr.Date}
	}
	return &render.Document{
		Practice: p.cfg.Practice,
		Record:   pr.Out(),
		Pages:    pr.Pages,
		Approval: a,
		Exported: m.now,
		BundleID: m.bundleID,
		// The same dates and key bundle.json and the card carry.
		CurrentUntil: m.currentUntil,
		Fingerprint:  m.fingerprint,
		SummaryOnly:  m.summaryOnly,
		Language:     pr.Record.Patient.Language,
	}
}

// rendererFor returns the renderer of pr's record document: the site's,
// or, when the patient's record sets a theme or a language the site's
// renderer lacks, one with that theme and the site's languages plus the
// patient's, made once and kept.
func (p *Pipeline) rendererFor(pr *Prepared) (*render.Renderer, error) {
	pat := pr.Record.Patient
	theme := p.cfg.Theme
	if pat.Theme != "" {
		theme = pat.Theme
	}
	langs := p.cfg.Languages
	if pat.Language != "" && !p.renderer.Has(pat.Language) {
		langs = append(slices.Clip(langs), pat.Language)
	}
	if theme == p.cfg.Theme && len(langs) == len(p.cfg.Languages) {
		return p.renderer, nil
	}
	key := theme + "|" + strings.Join(langs, ",")
	p.renderersMu.Lock()
	defer p.renderersMu.Unlock()
	if r, ok := p.renderers[key]; ok {
		return r, nil
	}
	r, err := render.New(theme, p.tmpl, layers.Themes(p.cfg), p.md, render.Languages(langs...), render.HighRisk(p.cfg.HighRisk))
	if err != nil {
		field := "patient.theme"
		if theme == p.cfg.Theme {
			field = "patient.language"
		}
		return nil, strict.Errorf(pr.File, 0, field, "%v", err)
	}
	if p.renderers == nil {
		p.renderers = map[string]*render.Renderer{}
	}
	p.renderers[key] = r
	return r, nil
}

// recordPDF lays out the same record as the document, unencrypted: the
// build locks a copy of it for each card. took is the time it took. v is
// the view renderDocument returned for the same pr and m, or nil to make it
// here.
func (p *Pipeline) recordPDF(pr *Prepared, m docMeta, v *render.View) (pdf []byte, took time.Duration, err error) {
	start := time.Now()
	d := p.recordDocument(pr, m)
	r, err := p.rendererFor(pr)
	if err != nil {
		return nil, time.Since(start), err
	}
	// In the language the document opens in: the patient's own, when the
	// site shows it.
	if v == nil {
		v = r.View(d)
	}
	pdf, err = p.pdf.Make(d, v, r.Plain(v.Lang))
	took = time.Since(start)
	if err != nil {
		return nil, took, fmt.Errorf("%s: %w", pr.File, err)
	}
	return pdf, took, nil
}
