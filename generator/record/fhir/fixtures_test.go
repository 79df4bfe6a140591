package fhir

import (
	"encoding/json"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Two sets of FHIR files drive these tests. Satchel's own synthetic
// Bundles (testtool.OwnFHIR) are always there. The public examples
// (testtool.PublicFHIR) are third-party files nobody on this project wrote,
// read unedited as a conformance suite; where they are is testtool's
// business, and the tests that need them skip when they are missing.

// publicNamed returns the public example at name, e.g.
// "ips/bundle-minimal.json".
func publicNamed(t *testing.T, name string) testtool.FHIRFile {
	t.Helper()
	for _, f := range testtool.PublicFHIR(t) {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("public FHIR example %s is missing", name)
	return testtool.FHIRFile{}
}

// ownNamed returns Satchel's own synthetic Bundle at name, e.g.
// "r4/summary.json".
func ownNamed(t *testing.T, name string) testtool.FHIRFile {
	t.Helper()
	for _, f := range testtool.OwnFHIR(t) {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("own FHIR test data %s is missing", name)
	return testtool.FHIRFile{}
}

// readFile reads f, failing the test if the reader refuses it.
func readFile(t *testing.T, f testtool.FHIRFile) *record.Record {
	t.Helper()
	rec, err := Read(f.Path, f.Data)
	if err != nil {
		t.Fatalf("%s does not read: %v", f.Name, err)
	}
	return rec
}

// counts are the entries a reader must produce, counted from the source.
type counts = testtool.FHIRCounts

// countFromSource counts from the Bundle decoded generically what the reader
// should carry; see testtool.CountFHIR for the rules. It shares no code with
// the reader.
func countFromSource(t *testing.T, data []byte) counts {
	t.Helper()
	c, err := testtool.CountFHIR(data)
	if err != nil {
		t.Fatalf("source does not decode: %v", err)
	}
	return c
}

// recordCounts counts what the reader produced, in the same sections.
func recordCounts(rec *record.Record) counts {
	return counts{Problems: len(rec.Problems), Medications: len(rec.Medications), Allergies: len(rec.Allergies),
		Immunisations: len(rec.Immunisations), Results: len(rec.Results), Findings: len(rec.Findings),
		AdvanceDecisions: len(rec.AdvanceDecisions)}
}

// checkReadsWithSourceCounts reads f and checks its counts against the
// source, its ID and Source, and that every entry has its own key.
func checkReadsWithSourceCounts(t *testing.T, f testtool.FHIRFile) *record.Record {
	t.Helper()
	rec := readFile(t, f)
	if got, want := recordCounts(rec), countFromSource(t, f.Data); got != want {
		t.Errorf("counts (problems, medications, allergies, immunisations, results, findings) = %+v, source has %+v", got, want)
	}
	if rec.ID != record.Stem(f.Path) || rec.Source != f.Path {
		t.Errorf("record ID/Source not taken from the path")
	}
	keys := map[string]bool{}
	for _, e := range rec.Entries() {
		k := record.Marked(e).Key
		if k == "" || keys[k] {
			t.Errorf("entry key empty or repeated")
		}
		keys[k] = true
	}
	return rec
}

// countTypes counts the Bundle's entries by resource type.
func countTypes(t *testing.T, data []byte) map[string]int {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("source does not decode: %v", err)
	}
	n := map[string]int{}
	for _, e := range asList(b["entry"]) {
		if rt := str(asMap(asMap(e)["resource"])["resourceType"]); rt != "" {
			n[rt]++
		}
	}
	return n
}

func asList(v any) []any         { l, _ := v.([]any); return l }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func str(v any) string           { s, _ := v.(string); return s }
