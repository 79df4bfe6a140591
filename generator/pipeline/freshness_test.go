package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
)

// approveOn approves the record file as approve does, dated on, under
// Satchel's default release policy: with the patient's key file when the
// record names one.
func approveOn(t *testing.T, file string, on record.Date) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := load.Record(file, data)
	if err != nil {
		t.Fatal(err)
	}
	in := policy.Inputs{Record: data, Letters: r.Letters, Rules: policy.DefaultRules()}
	if name := r.Patient.PublicKey; name != "" {
		// A key file that does not read fails the build on its own.
		in.Key, _ = os.ReadFile(filepath.Join(filepath.Dir(file), name))
	}
	a := &policy.Approval{Approver: "Dr Amara Okafor", Role: "GP partner", Date: on}
	if err := a.Write(policy.ApprovalPath(file), in); err != nil {
		t.Fatal(err)
	}
}

const dateFHIR = `{"resourceType":"Bundle","type":"collection","timestamp":"2026-01-10T08:30:00Z","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Datewell","given":["Fenella"]}],"birthDate":"1970-05-06"}}]}
`

// A nightly rebuild of a record approved a year ago is out of date: its
// "current until" counts from the record's own date (the approval date for
// Satchel TOML, the export's timestamp for FHIR), never from the build's
// clock, in the document, bundle.json and the viewer page alike.
func TestCurrentUntilCountsFromTheRecordsOwnDate(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "current_days = 90\n", nil)
	old := filepath.Join(cfg.RecordsDir, "old.toml")
	if err := os.WriteFile(old, []byte("[patient]\nname = \"Olwen Oldapproval\"\nborn = 1950-02-03\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	approveOn(t, old, record.NewDate(2025, 11, 18))
	exp := filepath.Join(cfg.RecordsDir, "exported.json")
	if err := os.WriteFile(exp, []byte(dateFHIR), 0o644); err != nil {
		t.Fatal(err)
	}
	approveOn(t, exp, record.NewDate(2026, 11, 18))

	rep := buildAt(t, cfg, time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)) // a nightly build
	for _, tc := range []struct{ id, until, day string }{
		{"old", "2026-02-16", "16 Feb 2026"},      // approved 18 Nov 2025 + 90 days
		{"exported", "2026-04-10", "10 Apr 2026"}, // exported 10 Jan 2026 + 90 days
	} {
		p := patientOf(t, rep, tc.id)
		if p.Status != Built {
			t.Fatalf("%s: status %s (%s)", tc.id, p.Status, p.Reason)
		}
		files := openBundle(t, cfg, tc.id, filepath.Join(cfg.Root, p.Bundle))
		var info provenance.Info
		if err := json.Unmarshal(bundle.Find(files, provenance.FileName).Data, &info); err != nil {
			t.Fatal(err)
		}
		if got := info.CurrentUntil.Format("2006-01-02"); got != tc.until {
			t.Errorf("%s: bundle.json current_until %s, want %s", tc.id, got, tc.until)
		}
		if !info.OutOfDate(time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: bundle.json does not say the record is out of date at the build", tc.id)
		}
		doc := string(bundle.Find(files, bundle.Document).Data)
		if !strings.Contains(doc, "was current only until "+tc.day+": it was already out of date when exported") {
			t.Errorf("%s: the document does not say it was out of date since %s", tc.id, tc.day)
		}
		page, err := os.ReadFile(filepath.Join(cfg.Root, p.Viewer))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), `data-current-until="`+tc.until+`T00:00:00Z"`) &&
			!strings.Contains(string(page), `data-current-until="`+tc.until+`T08:30:00Z"`) {
			t.Errorf("%s: the viewer page is not current until %s", tc.id, tc.until)
		}
	}
}
