// Package check validates a practice's inputs without building anything:
// the site, its templates and theme, every education page, every record and
// every approval. It reports every problem at once, each naming its file,
// line and field, never a patient's data.
package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/load"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/generator/site"
)

// Patient is what a build would do with one record.
type Patient struct {
	ID     string
	File   string
	Status policy.Status // built means it would build
	Reason string        // for any other status; no patient data
}

// Report is the outcome of a check.
type Report struct {
	Problems []error // each must be fixed; the check fails if any
	Warnings []string
	Patients []Patient
}

// Run checks the site cfg as of now.
func Run(cfg *site.Config, now time.Time) *Report {
	rep := &Report{}
	add := func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			rep.Problems = append(rep.Problems, j.Unwrap()...)
			return
		}
		rep.Problems = append(rep.Problems, err)
	}

	md := content.NewMarkdown()
	lib, err := content.Load(cfg.EducationDir, md)
	add(err)
	if lib != nil {
		for _, p := range lib.Stale(now) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: education page is past its review date (%s)", p.File, p.NextReview))
		}
	}
	if _, err := render.ForSite(cfg, md); err != nil {
		add(fmt.Errorf("%s: templates or theme: %w", cfg.File, err))
	}
	if _, err := cardkey.LoadMaster(cfg.PrivateDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		add(err)
	}
	if _, err := registry.Load(cfg.PrivateDir); err != nil {
		add(err)
	}

	files, err := load.Files(cfg.RecordsDir)
	if err != nil {
		add(err)
		return rep
	}
	rules := policy.ForSite(cfg.Policy)
	for _, f := range files {
		rep.Patients = append(rep.Patients, patient(f, rules, now, add))
	}
	return rep
}

// patient checks one record and its approval.
func patient(file string, rules policy.Rules, now time.Time, add func(error)) Patient {
	p := Patient{ID: record.Stem(file), File: file, Status: policy.Failed}
	data, err := os.ReadFile(file)
	if err != nil {
		add(fmt.Errorf("%s: cannot read the record", file))
		return p
	}
	rec, err := load.Record(file, data)
	add(err)
	if rec != nil {
		for _, path := range rec.Unresolved {
			add(fmt.Errorf("%s: %s: reference does not resolve: the export is missing what it points at", file, path))
		}
	}
	appr, aerr := policy.ReadApproval(policy.ApprovalPath(file))
	add(aerr)
	if err != nil || aerr != nil {
		return p
	}
	st, why := policy.Check(appr, data, rec)
	p.Status, p.Reason = st, why
	switch st {
	case policy.ChangedSinceApproval:
		add(fmt.Errorf("%s: approval does not match the record: %s", policy.ApprovalPath(file), why))
		return p
	case policy.AwaitingApproval:
		return p
	}
	d := rules.Apply(rec, appr, now)
	p.Status, p.Reason = d.Status, d.Reason
	for _, k := range appr.Named {
		if !hasKey(d.Entries, k) {
			add(fmt.Errorf("%s: field \"named\": names an entry the record does not have", policy.ApprovalPath(file)))
			break
		}
	}
	return p
}

func hasKey(es []policy.EntryDecision, k string) bool {
	for _, e := range es {
		if e.Key == k {
			return true
		}
	}
	return false
}
