package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/satchel-records/satchel/internal/testtool"
)

// fixtureDir holds public FHIR example files that nobody on this project
// wrote (see SOURCES.md there). They are read as they are, never edited.
const fixtureDir = "../../../../shared/fixtures/fhir"

type fixture struct {
	name string // path below fixtureDir, e.g. "ips/bundle-minimal.json"
	path string
	data []byte
}

func loadFixtures(tb testing.TB) []fixture {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no FHIR fixtures under %s: the shared fixtures folder /work/shared/fixtures/fhir is missing", fixtureDir)
	}
	sort.Strings(paths)
	var out []fixture
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("cannot read fixture %s: %v", p, err)
		}
		rel, _ := filepath.Rel(fixtureDir, p)
		out = append(out, fixture{name: filepath.ToSlash(rel), path: p, data: data})
	}
	return out
}

func fixtureNamed(t *testing.T, name string) fixture {
	t.Helper()
	for _, f := range loadFixtures(t) {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("fixture %s is missing from %s", name, fixtureDir)
	return fixture{}
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

func countTypes(t *testing.T, data []byte) map[string]int {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("source does not decode: %v", err)
	}
	n := map[string]int{}
	for _, e := range asList(b["entry"]) {
		n[str(asMap(asMap(e)["resource"])["resourceType"])]++
	}
	return n
}

func asList(v any) []any         { l, _ := v.([]any); return l }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func str(v any) string           { s, _ := v.(string); return s }
