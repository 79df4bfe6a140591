package pipeline

import (
	"bytes"
	"fmt"
	"time"

	"github.com/satchel-records/satchel/generator/ips"
	"github.com/satchel-records/satchel/generator/render"
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
// took is the time spent rendering the document. Check renders the same,
// in memory, so that it finds what a build would fail on.
func (p *Pipeline) document(pr *Prepared, m docMeta) (doc, fhir []byte, took time.Duration, err error) {
	start := time.Now()
	doc, err = p.renderDocument(pr, m)
	took = time.Since(start)
	if err != nil {
		return nil, nil, took, err
	}
	appr := pr.Approval
	fhir, err = ips.Document(pr.Out(), ips.Meta{Practice: p.cfg.Practice, Approver: appr.Approver,
		Role: appr.Role, Approved: appr.Date, Exported: m.now, BundleID: m.bundleID})
	if err != nil {
		return nil, nil, took, fmt.Errorf("%s: cannot write the FHIR record: %w", pr.File, err)
	}
	return doc, fhir, took, nil
}

// renderDocument renders the record document of pr. An approval that is
// still missing (a review sheet's preview) shows as none.
func (p *Pipeline) renderDocument(pr *Prepared, m docMeta) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.renderer.Render(&buf, p.recordDocument(pr, m)); err != nil {
		return nil, fmt.Errorf("%s: cannot render the record: %w", pr.File, err)
	}
	return buf.Bytes(), nil
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
	}
}

// recordPDF lays out the same record as the document, unencrypted: the
// build locks a copy of it for each card. took is the time it took.
func (p *Pipeline) recordPDF(pr *Prepared, m docMeta) (pdf []byte, took time.Duration, err error) {
	start := time.Now()
	d := p.recordDocument(pr, m)
	pdf, err = p.pdf.Make(d, p.renderer.View(d))
	took = time.Since(start)
	if err != nil {
		return nil, took, fmt.Errorf("%s: %w", pr.File, err)
	}
	return pdf, took, nil
}
