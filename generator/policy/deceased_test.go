package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

func TestDeceasedPatientsAreBlockedUnlessTheSiteAllowsThem(t *testing.T) {
	t.Parallel()
	died := func(born, died record.Date, deceased bool) *record.Record {
		r := adult()
		r.Patient.Born, r.Patient.Died, r.Patient.Deceased = born, died, deceased
		return r
	}
	allow := ForSite(site.Policy{AllowDeceased: true})
	tests := []struct {
		name   string
		r      *record.Record
		rules  Rules
		blocks []string
	}{
		{"died 1977, default rules", died(record.NewDate(1920, 2, 3), record.NewDate(1977, 5, 6), true), DefaultRules(), []string{BlockDeceased}},
		{"deceased without a date", died(record.NewDate(1920, 2, 3), record.Date{}, true), DefaultRules(), []string{BlockDeceased}},
		{"died recently, allowed", died(record.NewDate(1950, 2, 3), record.NewDate(2026, 10, 1), true), allow, nil},
		// A child who died aged 11 in 1971 is 11, not 66: the under-16
		// rule applies at the date of death.
		{"child died 1971, allowed", died(record.NewDate(1960, 3, 14), record.NewDate(1971, 6, 2), true), allow, []string{BlockUnder16}},
		{"child died 1971, default", died(record.NewDate(1960, 3, 14), record.NewDate(1971, 6, 2), true), DefaultRules(), []string{BlockDeceased, BlockUnder16}},
		{"died at 40, allowed", died(record.NewDate(1930, 3, 14), record.NewDate(1970, 6, 2), true), allow, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.rules.Apply(tt.r, &Approval{}, buildDay)
			if !slices.Equal(d.Blocks, tt.blocks) {
				t.Fatalf("blocks %v, want %v", d.Blocks, tt.blocks)
			}
			if (d.Out == nil) != (len(tt.blocks) > 0) {
				t.Errorf("output %v with blocks %v", d.Out != nil, d.Blocks)
			}
			if len(tt.blocks) > 0 && d.Reason != "blocked by rule: "+strings.Join(tt.blocks, ", ") {
				t.Errorf("reason %q", d.Reason)
			}
		})
	}
}
