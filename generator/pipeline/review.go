package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// Sheet is what the review template sees: everything an approving
// clinician reads before signing a record off. Sheets hold the whole
// record, so they are written 0600 in the private folder only.
type Sheet struct {
	ID     string
	File   string
	Format string
	// Export and ExportPatient are, for a patient of a bulk export, the
	// export's folder and the id of their Patient resource: File names
	// no file then.
	Export, ExportPatient string
	Patient               record.Patient
	Approval              *policy.Approval
	Status                Status
	Reason                string
	Blocks                []string
	Entries               []policy.EntryDecision
	Withheld              map[string]int
	Exported              int
	Pages                 []string // titles of the education pages the patient gets
	Skipped               map[string]int
	// Accounting says where every resource or entry of the source ended:
	// shown, withheld (by rule) or not carried (by reason).
	Accounting Accounting
	Document   string // file name of "what the patient will see", beside the sheet
	Generated  time.Time
	// Changes are the entries added, removed or changed since the
	// approval, from its snapshot; Changed says the record differs from
	// what was approved, and NoSnapshot that the approval kept no snapshot
	// to compare with (one from before Satchel kept them).
	Changes    []policy.Change
	Changed    bool
	NoSnapshot bool
}

// Review writes the review sheet of patient id into private_dir/review/:
// every entry, whether it leaves the practice or is withheld and by which
// rule, the patient-level blocks, and, beside it, the record document the
// patient would get. It returns the sheet's path.
func (p *Pipeline) Review(id string, now time.Time) (string, error) {
	file, err := p.recs.Find(id)
	if err != nil {
		return "", err
	}
	pr := p.Prepare(file, now)
	if pr.Status == Failed {
		return "", pr.Err
	}
	d := pr.Decision
	s := Sheet{ID: id, File: pr.File, Format: pr.Record.Format, Patient: pr.Record.Patient, Approval: pr.Approval,
		Skipped: pr.Record.Skipped, Generated: now, Status: pr.Status, Reason: pr.Reason,
		Blocks: d.Blocks, Entries: d.Entries, Withheld: d.Withheld, Accounting: Account(pr.Record, d)}
	for _, e := range d.Entries {
		if e.Exported {
			s.Exported++
		}
	}
	if folder, fhirID, ok := p.recs.ExportOf(file); ok {
		s.Export, s.ExportPatient = p.rel(folder), fhirID
	}
	if a := pr.Approval; a != nil && a.SHA256 != policy.Digest(pr.Data, pr.Record.Letters) {
		s.Changed = true
		snap, err := policy.ReadSnapshot(p.cfg.SnapshotFile(id))
		if err != nil {
			return "", err
		}
		if snap == nil || snap.SHA256 != a.SHA256 {
			s.NoSnapshot = true
		} else {
			s.Changes = snap.Changes(pr.Record)
		}
	}
	dir := p.cfg.ReviewDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if !d.Blocked() {
		// What the patient would see, approved or not yet.
		pages := p.pages(d.Out)
		for _, pg := range pages {
			s.Pages = append(s.Pages, pg.Title)
		}
		view := *pr
		view.Status, view.Pages = Built, pages
		doc, _, err := p.renderDocument(&view, docMeta{now: now})
		if err != nil {
			return "", err
		}
		s.Document = id + ".document.html"
		if err := atomicfile.Write(filepath.Join(dir, s.Document), doc, 0o600); err != nil {
			return "", err
		}
	}
	var buf bytes.Buffer
	if err := p.review.Execute(&buf, s); err != nil {
		return "", fmt.Errorf("review sheet: %w", p.tmpl.Explain(err))
	}
	path := filepath.Join(dir, id+".html")
	return path, atomicfile.Write(path, buf.Bytes(), 0o600)
}
