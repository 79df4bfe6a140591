package render

import (
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

func TestAgeIsCountedFromTheBirthDateAsFarAsItIsKnown(t *testing.T) {
	on := time.Date(2026, time.November, 19, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		born record.Date
		want string
	}{
		{"birthday passed this year", record.NewDate(1945, time.May, 27), "81 years"},
		{"birthday still to come", record.NewDate(1945, time.December, 1), "80 years"},
		{"birthday today", record.NewDate(1945, time.November, 19), "81 years"},
		{"one year old", record.NewDate(2025, time.November, 19), "12 months"},
		{"two years old", record.NewDate(2024, time.November, 19), "2 years"},
		{"toddler in months", record.NewDate(2025, time.March, 2), "20 months"},
		{"born today", record.NewDate(2026, time.November, 19), "0 months"},
		{"year only: birthday may or may not have passed", record.Date{Time: time.Date(1945, 1, 1, 0, 0, 0, 0, time.UTC), Precision: record.Year}, "80 or 81 years"},
		{"month only, an earlier month", record.Date{Time: time.Date(1945, 5, 1, 0, 0, 0, 0, time.UTC), Precision: record.Month}, "81 years"},
		{"month only, this month", record.Date{Time: time.Date(1945, 11, 1, 0, 0, 0, 0, time.UTC), Precision: record.Month}, "80 or 81 years"},
		{"not recorded", record.Date{}, ""},
		{"born after the record's date", record.NewDate(2027, time.January, 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := age(tt.born, on); got != tt.want {
				t.Errorf("age = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAgeIsAsOfTheRecordsDateOrDeath(t *testing.T) {
	rec := fullRecord()
	rec.Patient.Born = record.NewDate(1950, time.June, 1)
	d := testDocument(rec)
	d.Exported = time.Date(2026, time.November, 19, 0, 0, 0, 0, time.UTC)
	d.Record.Dated = time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC)
	r := newRenderer(t, "default", nil)
	if got := r.View(d).Age; got != "75 years" {
		t.Errorf("age as of the export's own date = %q, want 75 years (not the build's 76)", got)
	}
	rec.Patient.Died = record.NewDate(2020, time.January, 2)
	if got := r.View(d).Age; got != "69 years" {
		t.Errorf("age of a patient who died = %q, want 69 years (at death)", got)
	}
	rec.Patient.Died, rec.Patient.Deceased = record.Date{}, true
	if got := r.View(d).Age; got != "" {
		t.Errorf("age of a patient who died on an unrecorded date = %q, want none", got)
	}
}

func TestKeyResultsAreTheNewestOfEachTestByCodeOrName(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	loinc := func(s string) record.Code { return record.Code{System: record.LOINC, Value: s} }
	results := []record.Result{
		{Code: loinc("6301-6"), Title: "INR", Value: v(2.4), Date: record.NewDate(2026, 8, 10)},
		{Code: loinc("6301-6"), Title: "INR", Value: v(2.6), Date: record.NewDate(2026, 11, 16)},
		{Code: loinc("6301-6"), Title: "INR", Value: v(1.8), Date: record.NewDate(2026, 10, 26)},
		{Title: "Serum potassium", Value: v(4.1), Unit: "mmol/L", Date: record.NewDate(2025, 1, 2)},
		{Code: record.Code{System: "http://loinc.org", Value: "62238-1"}, Title: "Kidney function", Value: v(52), Unit: "mL/min/1.73m2", Date: record.NewDate(2025, 11, 18)},
		{Title: "Haemoglobin", Value: v(128), Date: record.NewDate(2026, 1, 1)},
		{Title: "Sodium", Value: v(140), Date: record.NewDate(2026, 1, 1)},
		{Title: "Urinary K+", Value: v(30), Date: record.NewDate(2024, 1, 1)},
	}
	got := keyResults(results)
	want := []struct{ title, value, when string }{
		{"INR", "2.6", "16 Nov 2026"},
		{"Kidney function", "52", "18 Nov 2025"},
		{"Serum potassium", "4.1", "2 Jan 2025"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d key results, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Title != w.title || got[i].Measured != w.value || got[i].When != w.when {
			t.Errorf("key result %d = %s %s %s, want %s %s %s", i, got[i].Title, got[i].Measured, got[i].When, w.title, w.value, w.when)
		}
	}
}

func TestRecentProceduresAreTheLastTwoYearsNewestFirst(t *testing.T) {
	on := time.Date(2026, time.November, 19, 0, 0, 0, 0, time.UTC)
	list := []record.Procedure{
		{Title: "old", Date: record.NewDate(2021, 4, 19)},
		{Title: "ablation", Date: record.NewDate(2025, 2, 3)},
		{Title: "year only", Date: record.Date{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Precision: record.Year}},
		{Title: "just too old", Date: record.NewDate(2024, 11, 18)},
		{Title: "undated"},
		{Title: "recent", Date: record.NewDate(2026, 9, 1)},
	}
	var got []string
	for _, p := range recentProcedures(list, on) {
		got = append(got, p.Title)
	}
	want := []string{"recent", "ablation", "year only"}
	if len(got) != len(want) {
		t.Fatalf("recent procedures %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("recent procedures %v, want %v", got, want)
		}
	}
}
