package fhir

import (
	"slices"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
)

// An entry whose export held free text that Satchel does not carry (a
// note, an STU3 comment, a reaction's note) says so, for the review sheet;
// the text itself goes nowhere. Empty or null notes are no text.
func TestEntriesSayWhichFreeTextIsNotCarried(t *testing.T) {
	const secret = "Discussed with daughter Zebedee"
	data := withPatient("collection",
		ent{"-", `{"resourceType":"Condition","id":"noted","code":{"text":"a"},"note":[{"text":"` + secret + `"}]}`},
		ent{"-", `{"resourceType":"Condition","id":"plain","code":{"text":"b"},"note":[]}`},
		ent{"-", `{"resourceType":"Condition","id":"null","code":{"text":"c"},"note":null}`},
		ent{"-", `{"resourceType":"AllergyIntolerance","id":"rx","code":{"text":"d"},"reaction":[{"manifestation":[{"text":"rash"}],"note":[{"text":"` + secret + `"}]}]}`},
		ent{"-", `{"resourceType":"Observation","id":"obs","status":"final","code":{"text":"e"},"valueString":"ok","effectiveDateTime":"2020-01-01","comment":"` + secret + `"}`},
	)
	rec := mustRead(t, data)
	got := map[string][]string{}
	for _, e := range rec.Entries() {
		m := record.Marked(e)
		got[m.Key] = m.TextNotCarried
	}
	want := map[string][]string{
		"Condition/noted":       {"note"},
		"Condition/plain":       nil,
		"Condition/null":        nil,
		"AllergyIntolerance/rx": {"note"},
		"Observation/obs":       {"comment"},
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: no entry", k)
		} else if !slices.Equal(g, w) {
			t.Errorf("%s: text not carried %v, want %v", k, g, w)
		}
	}
	for _, e := range rec.Entries() {
		if strings.Contains(e.Label(), "Zebedee") {
			t.Errorf("%s: the note's text reached the entry", record.Marked(e).Key)
		}
	}
}
