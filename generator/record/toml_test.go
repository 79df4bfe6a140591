package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodRecord = `[patient]
name = "Zed Quillfeather"
born = 1971-03-14
nhs_number = "999 000 0018"
sex = "male"

[[problems]]
code = "SNOMED:38341003"
title = "Hypertension"
onset = "2026-05"
status = "active"

[[results]]
code = "LOINC:8480-6"
title = "Systolic blood pressure"
value = 152.0
unit = "mmHg"
high = 140.0
date = 2026-05-02
panel = "Blood pressure"

[[letters]]
title = "Clinic letter"
date = 2026-06-01
file = "letter.md"
`

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadTOMLReadsEverySection(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "letter.md", "Dear colleague,\n")
	r, err := ReadTOML(write(t, dir, "p0001.toml", goodRecord))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "p0001" || r.Patient.Name != "Zed Quillfeather" || r.Patient.Born.ISO() != "1971-03-14" {
		t.Errorf("patient %+v", r.Patient)
	}
	if len(r.Problems) != 1 || r.Problems[0].Code.String() != "SNOMED:38341003" || r.Problems[0].Onset.Precision != Month {
		t.Errorf("problems %+v", r.Problems)
	}
	if len(r.Results) != 1 || *r.Results[0].Value != 152 || r.Results[0].Panel != "Blood pressure" {
		t.Errorf("results %+v", r.Results)
	}
	if len(r.Letters) != 1 || r.Letters[0].Body != "Dear colleague,\n" {
		t.Errorf("letters %+v", r.Letters)
	}
	if r.Problems[0].Key != "problems[0]" {
		t.Errorf("key %q", r.Problems[0].Key)
	}
}

// Bad input must be named by file, line and field, and never quote the
// patient's data.
func TestReadTOMLErrorsNameFileLineFieldNotData(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		want    []string
		secrets []string
	}{
		{"unknown key", func(s string) string {
			return strings.Replace(s, `sex = "male"`, `sex = "male"`+"\nmothers_maiden_name = \"Brightwater\"", 1)
		}, []string{"p.toml:6", `field "patient": unknown field`}, []string{"Brightwater", "mothers_maiden_name"}},
		{"malformed date", func(s string) string {
			return strings.Replace(s, "born = 1971-03-14", `born = "14/03/Quillfeather"`, 1)
		}, []string{"p.toml:3", `"patient.born"`, "invalid date"}, []string{"Quillfeather"}},
		{"wrong type", func(s string) string {
			return strings.Replace(s, "value = 152.0", `value = "Quillfeather high"`, 1)
		}, []string{"p.toml:16", `"results.value"`, "wrong type"}, []string{"Quillfeather"}},
		{"syntax error", func(s string) string {
			return strings.Replace(s, `title = "Hypertension"`, `title = "Hypertension Quillfeather`, 1)
		}, []string{"p.toml:9", "invalid TOML syntax"}, []string{"Quillfeather"}},
		{"bad status", func(s string) string {
			return strings.Replace(s, `status = "active"`, `status = "Quillfeather"`, 1)
		}, []string{"p.toml:11", `"problems[0].status"`, "must be one of"}, []string{"Quillfeather"}},
		{"missing letter file", func(s string) string {
			return strings.Replace(s, `file = "letter.md"`, `file = "nope.md"`, 1)
		}, []string{"p.toml:25", `"letters[0].file"`, "cannot read the letter"}, []string{"Quillfeather"}},
		{"bad code", func(s string) string {
			return strings.Replace(s, `code = "SNOMED:38341003"`, `code = "Quillfeather"`, 1)
		}, []string{"p.toml:8", `"problems.code"`, "invalid code"}, []string{"Quillfeather"}},
		{"unknown language", func(s string) string {
			return strings.Replace(s, `sex = "male"`, `sex = "male"`+"\nlanguage = \"xq\"", 1)
		}, []string{"p.toml:6", `"patient.language"`, "no labels for language", "fr"}, nil},
		{"bad theme name", func(s string) string {
			return strings.Replace(s, `sex = "male"`, `sex = "male"`+"\ntheme = \"../Quillfeather\"", 1)
		}, []string{"p.toml:6", `"patient.theme"`, "not a theme name"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "letter.md", "x")
			_, err := ReadTOML(write(t, dir, "p.toml", tt.edit(goodRecord)))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error quotes the record's data")
				}
			}
		})
	}
}

func TestReadTOMLReportsEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	body := strings.Replace(goodRecord, `title = "Hypertension"`, `title = ""`, 1)
	body = strings.Replace(body, `file = "letter.md"`, `file = "../../etc/passwd"`, 1)
	_, err := ReadTOML(write(t, dir, "p.toml", body))
	if err == nil || !strings.Contains(err.Error(), "problems[0].title") || !strings.Contains(err.Error(), "letters[0].file") {
		t.Fatalf("want both problems reported, got %v", err)
	}
}

func TestParseDatePrecision(t *testing.T) {
	for _, tt := range []struct {
		in   string
		prec Precision
		str  string
	}{
		{"2026", Year, "2026"}, {"2026-05", Month, "May 2026"}, {"2026-05-02", Day, "2 May 2026"},
		{"2026-05-02T10:00:00+01:00", Day, "2 May 2026"},
	} {
		d, err := ParseDate(tt.in)
		if err != nil || d.Precision != tt.prec || d.String() != tt.str {
			t.Errorf("ParseDate(%q) = %v %v %q", tt.in, err, d.Precision, d.String())
		}
	}
	for _, bad := range []string{"", "26", "2026-13", "2026-02-30", "yesterday"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func TestCodesListsOtherCodingsOnce(t *testing.T) {
	p := Problem{Code: Code{System: "SNOMED", Value: "38341003"}}
	p.Also = []Code{{System: "SNOMED", Value: "38341003"}, {System: "ICD10", Value: "I10"}, {}}
	got := p.Codes()
	if len(got) != 2 || got[0].Value != "38341003" || got[1].Value != "I10" {
		t.Errorf("Codes() = %v", got)
	}
	if len((&Letter{}).Codes()) != 0 {
		t.Error("a letter has codes")
	}
}

func TestAllergyStatusDefaultsToActiveAndIsChecked(t *testing.T) {
	dir := t.TempDir()
	r, err := ReadTOML(write(t, dir, "a.toml", "[patient]\nname = \"X\"\n\n[[allergies]]\nsubstance = \"Latex\"\n"))
	if err != nil || r.Allergies[0].Status != "active" {
		t.Fatalf("got %v, %+v", err, r)
	}
	_, err = ReadTOML(write(t, dir, "b.toml", "[patient]\nname = \"X\"\n\n[[allergies]]\nsubstance = \"Latex\"\nstatus = \"gone\"\n"))
	if err == nil || !strings.Contains(err.Error(), `b.toml:6: field "allergies[0].status"`) {
		t.Fatalf("got %v", err)
	}
}

func TestDiedIsReadAndMustFollowBirth(t *testing.T) {
	t.Parallel()
	r, err := DecodeTOML("p.toml", []byte("[patient]\nname = \"Ada Late\"\nborn = 1960-03-14\ndied = 1971-06-02\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Patient.Deceased || r.Patient.Died.ISO() != "1971-06-02" {
		t.Errorf("died: deceased %v, died %q", r.Patient.Deceased, r.Patient.Died.ISO())
	}
	r, err = DecodeTOML("p.toml", []byte("[patient]\nname = \"Ada Late\"\ndeceased = true\n"))
	if err != nil || !r.Patient.HasDied() {
		t.Errorf("deceased = true: err %v, has died %v", err, r != nil && r.Patient.HasDied())
	}
	_, err = DecodeTOML("p.toml", []byte("[patient]\nname = \"Ada Late\"\nborn = 1960-03-14\ndied = 1959-06-02\n"))
	if err == nil || !strings.Contains(err.Error(), "p.toml:4") || !strings.Contains(err.Error(), "patient.died") || strings.Contains(err.Error(), "1959") {
		t.Errorf("died before born: got %v, want p.toml:4 naming patient.died and no date", err)
	}
}
