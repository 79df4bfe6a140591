package render

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// keyTest is a test a clinician looks for first in an emergency summary:
// its results are matched by code, else by a word or phrase in the title.
type keyTest struct {
	codes   []record.Code
	words   []string // whole words of the title, lower case
	phrases []string // phrases anywhere in the title, lower case
}

// keyTests are the tests whose newest result the summary shows, in this
// order: INR (anticoagulation), eGFR (kidney function, for dosing), HbA1c
// (diabetes control) and potassium.
var keyTests = []keyTest{
	{ // INR
		codes: []record.Code{{System: record.LOINC, Value: "6301-6"}, {System: record.LOINC, Value: "34714-6"}, {System: record.LOINC, Value: "46418-0"},
			{System: record.SNOMED, Value: "440685005"}, {System: record.SNOMED, Value: "1016331000000102"}},
		words:   []string{"inr"},
		phrases: []string{"international normalised ratio", "international normalized ratio"},
	},
	{ // eGFR
		codes: []record.Code{{System: record.LOINC, Value: "33914-3"}, {System: record.LOINC, Value: "62238-1"}, {System: record.LOINC, Value: "69405-9"},
			{System: record.LOINC, Value: "48642-3"}, {System: record.LOINC, Value: "48643-1"}, {System: record.LOINC, Value: "50044-7"}, {System: record.LOINC, Value: "98979-8"},
			{System: record.SNOMED, Value: "80274001"}, {System: record.SNOMED, Value: "1011481000000105"}, {System: record.SNOMED, Value: "1020291000000106"}},
		words:   []string{"egfr"},
		phrases: []string{"glomerular filtration"},
	},
	{ // HbA1c
		codes: []record.Code{{System: record.LOINC, Value: "4548-4"}, {System: record.LOINC, Value: "17856-6"}, {System: record.LOINC, Value: "59261-8"},
			{System: record.SNOMED, Value: "1019431000000105"}, {System: record.SNOMED, Value: "999791000000106"}, {System: record.SNOMED, Value: "43396009"}},
		words:   []string{"hba1c"},
		phrases: []string{"glycated haemoglobin", "glycated hemoglobin", "haemoglobin a1c", "hemoglobin a1c"},
	},
	{ // potassium
		codes: []record.Code{{System: record.LOINC, Value: "2823-3"}, {System: record.LOINC, Value: "6298-4"}, {System: record.LOINC, Value: "2824-1"},
			{System: record.SNOMED, Value: "1000651000000109"}, {System: record.SNOMED, Value: "59573005"}},
		words: []string{"potassium", "k+"},
	},
}

// matches reports whether res is a result of the test t.
func (t keyTest) matches(res *record.Result) bool {
	if !res.Code.IsZero() {
		for _, c := range t.codes {
			if res.Code.Same(c) {
				return true
			}
		}
	}
	title := strings.ToLower(res.Title)
	for _, p := range t.phrases {
		if strings.Contains(title, p) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return r != '+' && !('a' <= r && r <= 'z') && !('0' <= r && r <= '9')
	}) {
		if slices.Contains(t.words, w) {
			return true
		}
	}
	return false
}

// keyResults returns the newest result of each key test the record holds,
// in keyTests' order. A result without a date is used only when the test
// has no dated one: an undated value cannot be called the latest.
func keyResults(results []record.Result) []Result {
	var out []Result
	for _, t := range keyTests {
		best := -1
		for i := range results {
			res := &results[i]
			if res.Value == nil && res.Text == "" || !t.matches(res) {
				continue
			}
			// The first of results the record cannot tell apart counts
			// as the newer, as in the results list (record.CompareTaken).
			if best < 0 || newerResult(res, &results[best]) {
				best = i
			}
		}
		if best >= 0 {
			out = append(out, result(results[best]))
		}
	}
	return out
}

// newerResult reports whether a was taken after b, a recorded date being
// later than none.
func newerResult(a, b *record.Result) bool {
	switch {
	case a.Date.IsZero():
		return false
	case b.Date.IsZero():
		return true
	}
	return record.CompareTaken(a, b) > 0
}

// newer reports whether a is later than b, a recorded date being later
// than none.
func newer(a, b record.Date) bool {
	switch {
	case a.IsZero():
		return false
	case b.IsZero():
		return true
	}
	return b.Before(a)
}

// end returns the first instant after the period d covers.
func end(d record.Date) time.Time {
	switch d.Precision {
	case record.Year:
		return d.Time.AddDate(1, 0, 0)
	case record.Month:
		return d.Time.AddDate(0, 1, 0)
	}
	return d.Time.AddDate(0, 0, 1)
}

// recentProcedures returns the procedures that may have been done in the
// two years up to asOf, newest first. A partial date counts when any part
// of it falls in those two years; an undated procedure cannot be placed,
// and stays in the full list only.
func recentProcedures(list []record.Procedure, asOf time.Time) []record.Procedure {
	from := asOf.AddDate(-2, 0, 0)
	var out []record.Procedure
	for _, p := range list {
		if p.Date.IsZero() || !end(p.Date).After(from) || p.Date.Time.After(asOf) {
			continue
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b record.Procedure) int {
		switch {
		case newer(a.Date, b.Date):
			return -1
		case newer(b.Date, a.Date):
			return 1
		}
		return 0
	})
	return out
}

// age says how old someone born on born is on the day on, in years: "81
// years". A partial birth date gives a range when the day on falls inside
// it ("80 or 81 years" for someone born in 1945, on 19 Nov 2026); a child
// under two is aged in months. Empty when born is not recorded or after
// on.
func age(born record.Date, on time.Time) string {
	if born.IsZero() || on.Before(born.Time) {
		return ""
	}
	on = time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	oldest := months(born.Time, on)
	youngest := oldest
	if last := end(born).AddDate(0, 0, -1); !on.Before(last) {
		youngest = months(last, on)
	} else {
		youngest = 0
	}
	if oldest < 24 {
		if youngest == oldest {
			return plural(oldest, "month")
		}
		return strconv.Itoa(youngest) + " to " + plural(oldest, "month")
	}
	if youngest/12 == oldest/12 {
		return plural(oldest/12, "year")
	}
	return strconv.Itoa(youngest/12) + " or " + plural(oldest/12, "year")
}

// months returns the whole months from born to on.
func months(born, on time.Time) int {
	n := (on.Year()-born.Year())*12 + int(on.Month()) - int(born.Month())
	if on.Day() < born.Day() {
		n--
	}
	return n
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// asOf is the day the record speaks for: the export's own date, else the
// approval date, else the build's; never later than the build.
func asOf(d *Document) time.Time {
	t := d.Exported
	if d.Record != nil && !d.Record.Dated.IsZero() {
		t = d.Record.Dated
	} else if !d.Approval.Date.IsZero() {
		t = d.Approval.Date.Time
	}
	if !d.Exported.IsZero() && t.After(d.Exported) {
		t = d.Exported
	}
	return t.UTC()
}
