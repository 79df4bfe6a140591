package bulk

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/internal/synth"
	"github.com/satchel-records/satchel/internal/testtool"
)

// bundles returns n synthetic patients' Bundles.
func bundles(n int) [][]byte {
	rng := rand.New(rand.NewPCG(7, 11))
	out := make([][]byte, n)
	for i := range out {
		out[i] = synth.FHIRBundle(rng, i)
	}
	return out
}

// normal returns what of a record must be the same whether it was read
// from a Bundle or from an export: everything but where it came from,
// with each list of entries in an order of its own.
func normal(t *testing.T, r *record.Record) map[string]any {
	t.Helper()
	c := *r
	c.ID, c.Source, c.Unresolved = "", "", nil
	c.Dated = c.Dated.UTC().Truncate(0)
	c.Dated = record.Record{}.Dated
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		if l, ok := v.([]any); ok {
			sort.Slice(l, func(i, j int) bool {
				a, _ := json.Marshal(l[i])
				b, _ := json.Marshal(l[j])
				return string(a) < string(b)
			})
			m[k] = l
		}
	}
	return m
}

// same checks that every Bundle's patient reads the same from the export
// in dir, and that the export has exactly their patients.
func same(t *testing.T, dir string, bs [][]byte, names []string, window ...int) {
	t.Helper()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(window) > 0 {
		x.window = window[0]
	}
	if err := x.Problems(); err != nil {
		t.Fatalf("export problems: %v", err)
	}
	byFHIR := map[string]*Patient{}
	for _, p := range x.Patients() {
		byFHIR[p.fhirID] = p
	}
	if len(byFHIR) != len(bs) {
		t.Fatalf("%d patients in the export, want %d", len(byFHIR), len(bs))
	}
	for i, b := range bs {
		want, err := fhir.Read(names[i], b)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		pid := patientID(t, b)
		p := byFHIR[pid]
		if p == nil {
			t.Fatalf("%s: patient not in the export", names[i])
		}
		_, got, err := x.Read(p)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		if got.ID != p.ID || !strings.HasPrefix(got.ID, filepath.Base(dir)+"-") {
			t.Errorf("%s: record id %q, want %q", names[i], got.ID, p.ID)
		}
		if g, w := normal(t, got), normal(t, want); !reflect.DeepEqual(g, w) {
			gj, _ := json.MarshalIndent(g, "", " ")
			wj, _ := json.MarshalIndent(w, "", " ")
			t.Errorf("%s: the export's record differs from the Bundle's:\n%s", names[i], firstDiff(string(gj), string(wj)))
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: got %s want %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}

func patientID(t *testing.T, b []byte) string {
	t.Helper()
	var bd struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bd); err != nil {
		t.Fatal(err)
	}
	for _, e := range bd.Entry {
		if e.Resource.ResourceType == "Patient" {
			return e.Resource.ID
		}
	}
	t.Fatal("no Patient")
	return ""
}

func TestSyntheticExportReadsAsBundles(t *testing.T) {
	bs := bundles(25)
	names := make([]string, len(bs))
	for i := range names {
		names[i] = fmt.Sprintf("syn-%d.json", i)
	}
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", gz), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "export")
			if err := synth.SplitNDJSON(bs, dir, gz); err != nil {
				t.Fatal(err)
			}
			same(t, dir, bs, names)
		})
	}
}

// A small window makes the gzip reader read its files many times, for a
// patient or a few at a time: each must still get their own lines.
func TestGzipWindowRefills(t *testing.T) {
	bs := bundles(6)
	dir := filepath.Join(t.TempDir(), "export")
	if err := synth.SplitNDJSON(bs, dir, true); err != nil {
		t.Fatal(err)
	}
	// Mix: one type plain, the rest gzip.
	plain := filepath.Join(dir, "Observation.ndjson")
	z, err := os.ReadFile(plain + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	os.Remove(plain + ".gz")
	if err := os.WriteFile(plain, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(bs))
	for i := range names {
		names[i] = fmt.Sprintf("syn-%d.json", i)
	}
	for _, w := range []int{1, 20 << 10} { // one patient a window; several
		same(t, dir, bs, names, w)
	}
}

// The public examples' patients read the same from an NDJSON split of
// their Bundle as from the Bundle.
func TestPublicExamplesSplit(t *testing.T) {
	compared := 0
	var joined [][]byte
	var names []string
	for _, f := range testtool.PublicFHIR(t) {
		if _, err := fhir.Read(f.Path, f.Data); err != nil {
			continue // refused as a Bundle too (several patients, a message, ...)
		}
		dir := filepath.Join(t.TempDir(), "export")
		if err := synth.SplitNDJSON([][]byte{f.Data}, dir, compared%2 == 1); err != nil {
			continue // a resource without an id cannot be in a bulk export
		}
		// A Bundle may leave out whose a resource is (it holds one
		// patient); an export may not, and says where.
		x, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Problems(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.Contains(line, "no subject or patient: cannot tell whose record it belongs to") || !strings.Contains(line, ".ndjson:") {
					t.Errorf("%s: unexpected export problem: %s", f.Name, line)
				}
			}
			t.Logf("%s: resources without a subject refused, as they must be", f.Name)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			same(t, dir, [][]byte{f.Data}, []string{f.Path})
		})
		joined, names = append(joined, f.Data), append(names, f.Path)
		compared++
	}
	// Joined: every patient in one export, each still read alone.
	t.Run("joined", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "export")
		if err := synth.SplitNDJSON(joined, dir, false); err != nil {
			t.Fatal(err)
		}
		same(t, dir, joined, names)
	})
	if compared < 4 {
		t.Fatalf("only %d public examples split into an export", compared)
	}
	t.Logf("%d public examples compared", compared)
}

// A build reads patients from several workers at once: each must get its
// own record, from plain and gzip files alike (run with -race).
func TestConcurrentReads(t *testing.T) {
	bs := bundles(40)
	for _, gz := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "export")
		if err := synth.SplitNDJSON(bs, dir, gz); err != nil {
			t.Fatal(err)
		}
		x, err := Open(dir)
		if err != nil || x.Problems() != nil {
			t.Fatal(err, x.Problems())
		}
		ps := x.Patients()
		errs := make(chan error, len(ps))
		for w := 0; w < 4; w++ {
			go func(w int) {
				for i := w; i < len(ps); i += 4 {
					_, rec, err := x.Read(ps[i])
					if err == nil && rec.Patient.NHSNumber != strings.ReplaceAll(synth.NHSNumber(i), " ", "") {
						err = fmt.Errorf("patient %d read as another", i)
					}
					errs <- err
				}
			}(w)
		}
		for range ps {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}

// A build asks for patients in the order of their paths, whatever the
// order of the Patient file: gzip files are then read once for a window of
// them, not once for each.
func TestGzipReadOncePerWindow(t *testing.T) {
	bs := bundles(30)
	dir := filepath.Join(t.TempDir(), "export")
	if err := synth.SplitNDJSON(bs, dir, false); err != nil {
		t.Fatal(err)
	}
	// Patients in reverse order, gzip.
	b, err := os.ReadFile(filepath.Join(dir, "Patient.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Reverse(lines)
	for _, name := range []string{"Patient.ndjson", "Condition.ndjson", "Observation.ndjson"} {
		data := []byte(strings.Join(lines, "\n") + "\n")
		if name != "Patient.ndjson" {
			if data, err = os.ReadFile(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(data)
		w.Close()
		os.Remove(filepath.Join(dir, name))
		if err := os.WriteFile(filepath.Join(dir, name+".gz"), z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	x, err := Open(dir)
	if err != nil || x.Problems() != nil {
		t.Fatal(err, x.Problems())
	}
	ps := x.Patients()
	paths := make([]string, len(ps))
	for i, p := range ps {
		paths[i] = p.Path
	}
	if !slices.IsSorted(paths) || len(ps) != 30 {
		t.Fatalf("patients not listed by path: %v", paths)
	}
	for _, p := range ps {
		if _, _, err := x.Read(p); err != nil {
			t.Fatal(err)
		}
	}
	if x.fills != 1 {
		t.Errorf("the gzip files were read %d times for 30 patients, want once", x.fills)
	}
}
