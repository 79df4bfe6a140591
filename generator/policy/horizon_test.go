package policy

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// Horizon is what lets an incremental build skip a record it does not read
// again: Apply must judge the record the same at every instant from now
// until the horizon, in every time zone, and the horizon must come no
// more than two days before the judgment really changes.
func TestHorizonIsWhenTheJudgmentCanChange(t *testing.T) {
	now := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)
	date := func(s string) record.Date { return testDate(t, s) }
	zones := []*time.Location{time.UTC, time.FixedZone("UTC-12", -12*3600), time.FixedZone("UTC+14", 14*3600)}
	rules := DefaultRules()
	blocks := func(r *record.Record, at time.Time) []string {
		return rules.Apply(r, nil, at).Blocks
	}
	tests := []struct {
		born, died string
		// change is the day the judgment changes (UTC), "" for never.
		change string
	}{
		{"1970-05-01", "", ""},
		{"2010-12-25", "", "2026-12-25"},
		{"2010-12", "", "2026-12-31"},
		{"2011", "", "2027-12-31"},
		{"2012-02-29", "", "2028-02-29"},
		{"2020-01-01", "2025-06-01", ""}, // died aged 5: the age is fixed
		{"1950-01-01", "2027-03-01", ""}, // a date of death to come changes nothing for an adult's blocks
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("born %s died %s", tt.born, tt.died), func(t *testing.T) {
			r := adult()
			r.Patient.Born, r.Patient.Died = date(tt.born), date(tt.died)
			h := rules.Horizon(r, now)
			if !h.IsZero() && !h.After(now) {
				t.Fatalf("Horizon = %v, not after now", h)
			}
			want := blocks(r, now)
			end := h
			if end.IsZero() {
				end = now.AddDate(20, 0, 0)
			}
			instants := []time.Time{end.Add(-time.Nanosecond)}
			for at := now; at.Before(end); at = at.Add(31 * time.Hour) {
				instants = append(instants, at)
			}
			for _, at := range instants {
				for _, z := range zones {
					if got := blocks(r, at.In(z)); !slices.Equal(got, want) {
						t.Fatalf("at %v blocks = %v, at now %v: the horizon %v is too late", at.In(z), got, want, h)
					}
				}
			}
			if tt.change == "" {
				if tt.died == "" && !h.IsZero() {
					t.Errorf("Horizon = %v, want none: nothing changes", h)
				}
				return
			}
			change, err := time.Parse(time.DateOnly, tt.change)
			if err != nil {
				t.Fatal(err)
			}
			if h.IsZero() || h.Before(change.Add(-49*time.Hour)) || h.After(change) {
				t.Errorf("Horizon = %v, want within two days before %s", h, tt.change)
			}
			if got := blocks(r, change.Add(time.Hour)); slices.Equal(got, want) {
				t.Errorf("the judgment did not change on %s: the test's dates are wrong", tt.change)
			}
		})
	}
}
