package record

import "testing"

func TestCodedEntriesWithoutWordsShowTheirCode(t *testing.T) {
	t.Parallel()
	r := &Record{
		Problems:    []Problem{{Code: Code{System: ICD10, Value: "J03"}}, {Title: "Asthma", Code: Code{System: SNOMED, Value: "195967001"}}},
		Medications: []Medication{{Code: Code{System: SNOMED, Value: "109228008"}}},
		Devices:     []Device{{Mark: Mark{Also: []Code{{System: "https://example.org/local", Value: "X1"}}}}},
		Results:     []Result{{}},
	}
	r.NameUntitled()
	for _, c := range [][2]string{
		{r.Problems[0].Title, "ICD-10 J03 (no description in the export)"},
		{r.Problems[1].Title, "Asthma"},
		{r.Medications[0].Name, "SNOMED CT 109228008 (no description in the export)"},
		{r.Devices[0].Title, "https://example.org/local X1 (no description in the export)"},
		{r.Results[0].Title, ""},
	} {
		if got, want := c[0], c[1]; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
