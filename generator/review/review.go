// Package review writes the review sheet an approving clinician reads before
// signing off a record: every entry, whether it will leave the practice or
// is withheld and by which rule, the patient-level blocks, and what the
// patient will see. Sheets hold the whole record, so they are written 0600
// in the private folder only.
package review

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/load"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// Sheet is what the review template sees.
type Sheet struct {
	ID        string
	File      string
	Format    string
	Patient   record.Patient
	Approval  *policy.Approval
	Status    policy.Status
	Reason    string
	Blocks    []string
	Entries   []policy.EntryDecision
	Withheld  map[string]int
	Exported  int
	Pages     []string // titles of the education pages the patient gets
	Skipped   map[string]int
	Document  string // file name of "what the patient will see", beside the sheet
	Generated time.Time
}

// Reviewer writes review sheets for one site.
type Reviewer struct {
	cfg      *site.Config
	rules    policy.Rules
	lib      *content.Library
	renderer *render.Renderer
	tmpl     *template.Template
}

// New prepares a Reviewer: templates and education pages are loaded once.
func New(cfg *site.Config) (*Reviewer, error) {
	templateLayers, _ := render.Layers(cfg)
	md := content.NewMarkdown()
	lib, err := content.Load(cfg.EducationDir, md)
	if lib == nil {
		return nil, err
	}
	r, err := render.ForSite(cfg, md)
	if err != nil {
		return nil, err
	}
	tmpl, err := render.Load(templateLayers, "review.html")
	if err != nil {
		return nil, err
	}
	rules := policy.ForSite(cfg.Policy)
	return &Reviewer{cfg: cfg, rules: rules, lib: lib, renderer: r, tmpl: tmpl}, nil
}

// Write writes the review sheet of patient id, and the record document the
// patient would get, into private_dir/review/. It returns the sheet's path.
func (rv *Reviewer) Write(id string, now time.Time) (string, error) {
	file, err := load.Find(rv.cfg.RecordsDir, id)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: cannot read the record", file)
	}
	rec, err := load.Record(file, data)
	if err != nil {
		return "", err
	}
	appr, err := policy.ReadApproval(policy.ApprovalPath(file))
	if err != nil {
		return "", err
	}
	s := Sheet{ID: id, File: file, Format: rec.Format, Patient: rec.Patient, Approval: appr, Skipped: rec.Skipped, Generated: now}
	s.Status, s.Reason = policy.Check(appr, data, rec)
	// The rules are applied whatever the approval says: the sheet is how
	// the clinician decides whether to approve.
	d := rv.rules.Apply(rec, appr, now)
	s.Blocks, s.Entries, s.Withheld = d.Blocks, d.Entries, d.Withheld
	if s.Status == policy.Built {
		s.Status, s.Reason = d.Status, d.Reason
	}
	for _, e := range d.Entries {
		if e.Exported {
			s.Exported++
		}
	}
	dir := filepath.Join(rv.cfg.PrivateDir, "review")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if len(d.Blocks) == 0 {
		out := rec.Filter(func(e record.Entry) bool { return entryOut(d.Entries, e) })
		var codes []record.Code
		for i := range out.Problems {
			codes = append(codes, out.Problems[i].Codes()...)
		}
		pages := rv.lib.Match(codes)
		for _, p := range pages {
			s.Pages = append(s.Pages, p.Title)
		}
		a := render.Approval{}
		if appr != nil {
			a = render.Approval{By: appr.Approver, Role: appr.Role, Date: appr.Date}
		}
		var doc bytes.Buffer
		err := rv.renderer.Render(&doc, &render.Document{Practice: rv.cfg.Practice, Record: out, Pages: pages, Approval: a, Exported: now})
		if err != nil {
			return "", fmt.Errorf("%s: cannot render the record: %w", file, err)
		}
		s.Document = id + ".document.html"
		if err := atomicfile.Write(filepath.Join(dir, s.Document), doc.Bytes(), 0o600); err != nil {
			return "", err
		}
	}
	var buf bytes.Buffer
	if err := rv.tmpl.Execute(&buf, s); err != nil {
		return "", fmt.Errorf("review sheet: %w", err)
	}
	path := filepath.Join(dir, id+".html")
	return path, atomicfile.Write(path, buf.Bytes(), 0o600)
}

// entryOut reports whether the policy let entry e out. Entries are matched
// by key, which readers make unique within a record.
func entryOut(ds []policy.EntryDecision, e record.Entry) bool {
	k := record.Marked(e).Key
	for _, d := range ds {
		if d.Key == k {
			return d.Exported
		}
	}
	return false
}
