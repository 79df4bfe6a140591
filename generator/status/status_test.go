package status

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// now is a fixed day on which the sample approvals are current.
var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// samplePractice copies the sample practice (site.toml and sample-data)
// into a temporary folder and loads it.
func samplePractice(t *testing.T) *site.Config {
	t.Helper()
	dir := testtool.SamplePractice(t)
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func statusOf(t *testing.T, cfg *site.Config) (*Report, string) {
	t.Helper()
	p, err := pipeline.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Of(p, now)
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	return rep, text.String() + js.String()
}

// On the sample practice, status lists all 12 patients with the state a
// build gives them and the next step; after a build the approved ones are
// built and have nothing to do.
func TestStatusOfTheSamplePractice(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	want := map[string]State{"rmc-0006": Awaiting, "rmc-0007": Changed, "rmc-0010": Blocked, "rmc-0012": Blocked}
	check := func(rep *Report, approved State) {
		t.Helper()
		if len(rep.Patients) != 12 {
			t.Fatalf("%d patients, want 12", len(rep.Patients))
		}
		for _, p := range rep.Patients {
			w, ok := want[p.ID]
			if !ok {
				w = approved
			}
			if p.State != w {
				t.Errorf("%s: %s, want %s", p.ID, p.State, w)
			}
			if (p.Next == "") != (p.State == Built) {
				t.Errorf("%s (%s): next step %q", p.ID, p.State, p.Next)
			}
			if p.State == Blocked && (len(p.Unblock) != len(p.Blocks) || len(p.Blocks) == 0 || strings.HasPrefix(p.Unblock[0], "see the review sheet")) {
				t.Errorf("%s: blocked by %v with no plain words to unblock it: %q", p.ID, p.Blocks, p.Unblock)
			}
		}
	}
	rep, out := statusOf(t, cfg)
	check(rep, NotBuilt)
	if !strings.Contains(out, "rmc-0012  blocked by rule under-16-without-competence-assessment") || !strings.Contains(out, "-competence-by NAME -competence-date DATE rmc-0012") {
		t.Errorf("rmc-0012's line does not say how to unblock it:\n%s", out)
	}
	if !strings.Contains(out, "12 patients: 8 approved, not built yet; 1 awaiting approval; 1 changed since approval; 2 blocked by rule\n") {
		t.Errorf("no summary line:\n%s", out)
	}
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Options{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	rep, _ = statusOf(t, cfg)
	check(rep, Built)
}

// Status prints nothing a record holds: no string of any sample record
// (name, NHS number, dates, titles, medicines, notes) appears in its text
// or JSON output.
func TestStatusNamesNoClinicalData(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	_, out := statusOf(t, cfg)
	files, err := load.Files(cfg.RecordsDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := load.Record(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stringsOf(reflect.ValueOf(r)) {
			s = strings.TrimSpace(s)
			// Entry keys (problems[0], Condition/c12-1) are the
			// record's structure, not its content; and a word of three
			// letters or fewer ("GP", "kg") says nothing of a patient.
			if len(s) <= 3 || s == r.ID || s == "active" || s == "current" || s == "repeat" {
				continue
			}
			n++
			if strings.Contains(out, s) {
				t.Errorf("%s: status output holds %q from the record", filepath.Base(f), s)
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d strings taken from the sample records: the walk misses fields", n)
	}
}

// stringsOf returns every string in v, and every date as the record
// writes it, walking pointers, structs, slices and maps.
func stringsOf(v reflect.Value) []string {
	var out []string
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			out = append(out, stringsOf(v.Elem())...)
		}
	case reflect.String:
		out = append(out, v.String())
	case reflect.Struct:
		if s, ok := v.Interface().(interface{ ISO() string }); ok && v.CanInterface() {
			out = append(out, s.ISO())
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, stringsOf(v.Field(i))...)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			out = append(out, stringsOf(v.Index(i))...)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			out = append(out, stringsOf(k)...)
			out = append(out, stringsOf(v.MapIndex(k))...)
		}
	}
	return out
}
