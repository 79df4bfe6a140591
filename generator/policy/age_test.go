package policy

import (
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// Age fails closed: a partial birth date counts as its latest possible day
// and a missing one blocks, unless the approval confirms an adult or
// records competence. An exact adult date does not block.
func TestAgeFailsClosed(t *testing.T) {
	// On this day someone born 2010-12-01 is 16, one born 2010-12-31 is 15.
	day := time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC)
	date := func(s string) record.Date { return testDate(t, s) }
	competent := &Competence{AssessedBy: "Dr X", Date: record.NewDate(2026, 11, 1)}
	tests := []struct {
		name, born string
		a          Approval
		blocked    bool
	}{
		{"year only", "2010", Approval{}, true},
		{"year and month", "2010-12", Approval{}, true},
		{"no birth date", "", Approval{}, true},
		{"exact adult date", "2010-12-01", Approval{}, false},
		{"year of an adult", "2009", Approval{}, false},
		{"no birth date, adult confirmed", "", Approval{AdultConfirmed: true}, false},
		{"no birth date, competence assessed", "", Approval{Competence: competent}, false},
		{"year only, competence assessed", "2010", Approval{Competence: competent}, false},
		{"year only, adult confirmed does not override a known age", "2010", Approval{AdultConfirmed: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adult()
			r.Patient.Born = date(tt.born)
			d := DefaultRules().Apply(r, &tt.a, day)
			got := false
			for _, b := range d.Blocks {
				got = got || b == BlockUnder16
			}
			if got != tt.blocked {
				t.Errorf("blocked by %s = %v, want %v", BlockUnder16, got, tt.blocked)
			}
		})
	}
	// With no approval at all (a review sheet), a missing date blocks too.
	r := adult()
	r.Patient.Born = record.Date{}
	if d := DefaultRules().Apply(r, nil, day); !d.Blocked() {
		t.Error("no birth date and no approval is not blocked")
	}
}

// testDate parses s as a record date ("2010", "2010-12", "2010-12-01"); ""
// is no date.
func testDate(t *testing.T, s string) record.Date {
	t.Helper()
	if s == "" {
		return record.Date{}
	}
	d, err := record.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
