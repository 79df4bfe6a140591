package pipeline

import (
	"fmt"

	"github.com/satchel-records/satchel/generator/bundle"
)

// summaryPage is the self-opening page of a patient's emergency summary,
// beside record.html: summary-only key cards open it, and nothing else.
const summaryPage = "summary.html"

// summaryBundle is what a patient's summary-only cards open: the
// emergency summary as a document of its own, its PDF copy (nil when the
// site makes none), and the messages sealed for those cards alone.
type summaryBundle struct {
	doc, pdf []byte
	msg      *sealed
}

// summary renders the emergency summary alone (render.Document.
// SummaryOnly), packs it with the practice key and bundle.json, but no
// FHIR record, which would hold the whole record, and seals it to pass,
// the summary-only cards' passphrases: msg.All opens with any of them,
// msg.PerCard[i] with the i-th alone. The full record is never sealed to
// them (see patient).
func (b *builder) summary(pr *Prepared, m docMeta, info bundle.File, pass [][]byte) (*summaryBundle, error) {
	m.summaryOnly = true
	doc, v, err := b.renderDocument(pr, m)
	if err != nil {
		return nil, err
	}
	s := &summaryBundle{doc: doc}
	if b.pdf != nil {
		if s.pdf, _, err = b.recordPDF(pr, m, v); err != nil {
			return nil, err
		}
	}
	zipped, err := bundle.Pack([]bundle.File{{Name: bundle.Document, Data: doc}, b.keyFile, info}, b.now)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot pack the emergency summary: %w", pr.File, err)
	}
	if s.msg, err = b.seal(zipped, pass, nil, false); err != nil {
		return nil, fmt.Errorf("%s: cannot seal the emergency summary: %w", pr.File, err)
	}
	return s, nil
}
