package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/render"
)

// CheckedPatient is what a build would do with one record.
type CheckedPatient struct {
	ID     string
	File   string
	Status Status // Built means it would build
	Reason string // for any other status; no patient data
	// Blocks are the patient-level rules that stop the record, when
	// Blocked.
	Blocks []string
}

// CheckReport is the outcome of a check.
type CheckReport struct {
	Problems []error // each must be fixed; the check fails if any
	Warnings []string
	Patients []CheckedPatient
}

// Check does everything a build does as of now, short of writing: every
// record is prepared, and every record that would build has its document
// and FHIR form rendered in memory, so Check fails exactly where Build
// would, and warns where Build would warn. It reports every problem at once, each naming its file and line.
// Open has already checked the site's templates, theme and decryptor.
func (p *Pipeline) Check(now time.Time) *CheckReport {
	rep := &CheckReport{}
	add := func(err error) { rep.Problems = append(rep.Problems, joinedErrors(err)...) }
	add(p.pageErr)
	for _, pg := range p.library.Stale(now) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: education page is past its review date (%s)", p.rel(pg.File), pg.NextReview))
	}
	for _, m := range p.library.Only999() {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s:%d: education page says 999 without 112: write \"999 in the UK, 112 in Europe and many other countries\" for readers abroad", p.rel(m.File), m.Line))
	}
	if _, err := cardkey.LoadMaster(p.cfg.MasterFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		add(err)
	}
	reg, err := registry.Load(p.cfg.PrivateDir)
	add(err)
	files, dups, err := p.records()
	if err != nil {
		add(err)
		return rep
	}
	// Each record is prepared and rendered on every core; what is found
	// is taken in file order, so the report reads the same however the
	// work was shared, and "same NHS number as" names the first file.
	type checked struct {
		pr     *Prepared
		docErr error // rendering the document or the PDF copy
	}
	work := func(i int) checked {
		f := files[i]
		if dups[f] != nil {
			return checked{}
		}
		pr := p.Prepare(f, now)
		var err error
		if pr.Status == Built {
			meta := docMeta{now: now, bundleID: "checkcheckcheckcheckcheck0", currentUntil: p.currentUntil(pr, now), fingerprint: "0000 0000 0000 0000"}
			var v *render.View
			_, _, v, _, err = p.document(pr, meta)
			if err == nil && p.pdf != nil {
				_, _, err = p.recordPDF(pr, meta, v)
			}
		}
		return checked{pr, err}
	}
	seen := map[string]string{} // NHS number -> the first file holding it
	use := func(i int, c checked) error {
		f := files[i]
		if err := dups[f]; err != nil {
			add(err)
			rep.Patients = append(rep.Patients, CheckedPatient{ID: record.Stem(f), File: p.rel(f), Status: Failed, Reason: "failed"})
			return nil
		}
		pr := c.pr
		add(pr.Err)
		rep.Warnings = append(rep.Warnings, nhsWarnings(pr, seen)...)
		rep.Warnings = append(rep.Warnings, pr.Warnings...)
		if c.docErr != nil {
			add(c.docErr)
			pr.Status, pr.Reason = Failed, "failed"
		}
		// A patient with cards, none of them live, fails to build: the
		// build only issues a first card to a patient who has none.
		if reg != nil && pr.Status == Built && len(reg.Cards(pr.ID)) > 0 && len(reg.Live(pr.ID)) == 0 {
			add(fmt.Errorf("%s: no live key card: issue one with satchel card add %s", pr.File, pr.ID))
			pr.Status, pr.Reason = Failed, "failed"
		}
		cp := CheckedPatient{ID: pr.ID, File: pr.File, Status: pr.Status, Reason: pr.Reason}
		if pr.Status == Blocked {
			cp.Blocks = pr.Decision.Blocks
		}
		rep.Patients = append(rep.Patients, cp)
		return nil
	}
	_ = inOrder(context.Background(), len(files), runtime.GOMAXPROCS(0), work, use) // use returns no error
	return rep
}

// nhsWarnings warns when pr's NHS number fails the modulus 11 check, or
// another record in seen has the same number. The warnings name the files
// and the field, never the number.
func nhsWarnings(pr *Prepared, seen map[string]string) []string {
	if pr.Record == nil || pr.Record.Patient.NHSNumber == "" {
		return nil
	}
	n := strings.ReplaceAll(pr.Record.Patient.NHSNumber, " ", "")
	field := pr.Record.NHSNumberField()
	var out []string
	if !record.ValidNHSNumber(n) {
		out = append(out, fmt.Sprintf("%s: %s: NHS number fails the modulus 11 check", pr.File, field))
	}
	if first, ok := seen[n]; ok {
		out = append(out, fmt.Sprintf("%s: %s: same NHS number as %s", pr.File, field, first))
	} else {
		seen[n] = pr.File
	}
	return out
}
