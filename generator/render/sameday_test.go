package render

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// Two potassium results on one day, as when a haemolysed sample (6.8) is
// taken again (4.5): the emergency summary's key result, the results list
// and the chart's caption must all call the same one the newest. Where
// the source gives the time of day (a FHIR dateTime), that is the later
// one, whatever order the record lists them in; where it gives only the
// date, it is the one the record lists first, everywhere.
func TestTheSummaryTheListAndTheChartAgreeOnTheNewestOfOneDay(t *testing.T) {
	t.Parallel()
	k := func(v float64, d record.Date, at string) record.Result {
		r := record.Result{Code: record.Code{System: record.LOINC, Value: "2823-3"}, Title: "Serum potassium", Value: ptr(v), Unit: "mmol/L", Date: d}
		if at != "" {
			tm, err := time.Parse(time.RFC3339, at)
			if err != nil {
				t.Fatal(err)
			}
			r.At = tm
		}
		return r
	}
	older := []record.Result{k(4.2, date(2026, time.November, 1), ""), k(4.4, date(2026, time.November, 8), "")}
	day := date(2026, time.November, 16)
	first, second := k(6.8, day, "2026-11-16T09:10:00Z"), k(4.5, day, "2026-11-16T11:40:00Z")
	undatedFirst, undatedSecond := k(6.8, day, ""), k(4.5, day, "")
	for _, c := range []struct {
		name    string
		results []record.Result
		want    string
	}{
		{"times, oldest listed first", append(slices.Clone(older), first, second), "4.5"},
		{"times, newest listed first", []record.Result{second, first, older[1], older[0]}, "4.5"},
		{"times, with an offset", []record.Result{k(4.5, day, "2026-11-16T12:40:00+01:00"), k(6.8, day, "2026-11-16T11:50:00Z"), older[0], older[1]}, "6.8"},
		{"dates only, 6.8 listed first", append(slices.Clone(older), undatedFirst, undatedSecond), "6.8"},
		{"dates only, 4.5 listed first", []record.Result{undatedSecond, undatedFirst, older[1], older[0]}, "4.5"},
	} {
		rec := fullRecord()
		rec.Results = c.results
		v := newRendererWith(t).View(testDocument(rec))
		var key []string
		for _, r := range v.KeyResults {
			if r.Title == "Serum potassium" {
				key = append(key, r.Measured)
			}
		}
		if len(key) != 1 || key[0] != c.want {
			t.Errorf("%s: the summary's potassium is %v, want %s", c.name, key, c.want)
		}
		if len(v.Results) == 0 || v.Results[0].Measured != c.want {
			t.Errorf("%s: the results list starts with %+v, want potassium %s", c.name, v.Results, c.want)
		}
		if len(v.Charts) != 1 {
			t.Fatalf("%s: %d charts, want one of potassium", c.name, len(v.Charts))
		}
		alt := string(v.Charts[0].Alt)
		if !strings.Contains(alt, fmt.Sprintf("atest %s mmol/L on 16 Nov 2026", c.want)) {
			t.Errorf("%s: the chart's caption does not give %s as the latest:\n%s", c.name, c.want, alt)
		}
		if !strings.Contains(alt, "4 readings from 1 Nov 2026 to 16 Nov 2026") {
			t.Errorf("%s: the chart's caption does not count the 4 readings:\n%s", c.name, alt)
		}
	}
}
