package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Each bundle carries record.json: a FHIR R4 document Bundle holding, per
// section, as many entries as the record document shows, and nothing
// withheld.
func TestBundleFHIRMatchesTheDocumentAndHoldsNothingWithheld(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	checked := 0
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		files := openBundle(t, cfg, p.ID, filepath.Join(cfg.Root, p.Bundle))
		js := bundle.Find(files, bundle.FHIR)
		if js == nil {
			t.Fatalf("%s: no %s in the bundle", p.ID, bundle.FHIR)
		}
		if !strings.Contains(string(js.Data), `"type": "document"`) {
			t.Errorf("%s: record.json is not a document Bundle", p.ID)
		}
		r, err := fhir.Read("record.json", js.Data)
		if err != nil {
			t.Fatalf("%s: record.json does not read back as FHIR R4: %v", p.ID, err)
		}
		doc := string(bundle.Find(files, bundle.Document).Data)
		got := testtool.FHIRCounts{Problems: len(r.Problems), Medications: len(r.Medications), Allergies: len(r.Allergies),
			Immunisations: len(r.Immunisations), Results: len(r.Results), Findings: len(r.Findings),
			AdvanceDecisions: len(r.AdvanceDecisions)}
		want := documentCounts(doc)
		if got != want {
			t.Errorf("%s: record.json holds %+v, the document shows %+v", p.ID, got, want)
		}
		// Nothing withheld from this patient is in record.json.
		file, _ := load.Find(cfg.RecordsDir, p.ID)
		data, _ := os.ReadFile(file)
		full, _ := load.Record(file, data)
		appr, _ := policy.ReadApproval(policy.ApprovalPath(file))
		for _, e := range policy.DefaultRules().Apply(full, appr, clock()).Entries {
			if e.Exported {
				continue
			}
			_, text, _ := strings.Cut(e.Label, ": ")
			if strings.Contains(string(js.Data), text) {
				t.Errorf("%s: a withheld entry is in record.json", p.ID)
			}
		}
		checked++
	}
	if checked < 6 {
		t.Errorf("only %d bundles checked", checked)
	}
}
