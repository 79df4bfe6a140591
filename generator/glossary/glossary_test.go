package glossary

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/satchel-records/satchel/internal/strict"
)

func defaultGlossary(t testing.TB) *Glossary {
	t.Helper()
	g, err := Default()
	if err != nil {
		t.Fatalf("built-in glossary does not load: %v", err)
	}
	return g
}

func TestBuiltInGlossaryHasAtLeast150Terms(t *testing.T) {
	t.Parallel()
	if n := len(defaultGlossary(t).Terms()); n < 150 {
		t.Fatalf("built-in glossary has %d terms, want at least 150", n)
	}
}

func TestEveryExplanationIsOneOrTwoPlainSentences(t *testing.T) {
	t.Parallel()
	sentenceEnd := regexp.MustCompile(`[.!?](\s|$)`)
	for _, term := range defaultGlossary(t).Terms() {
		e := term.Explanation
		if strings.TrimSpace(e) == "" {
			t.Errorf("%s: empty explanation", term.Term)
			continue
		}
		if !strings.HasSuffix(e, ".") {
			t.Errorf("%s: explanation does not end with a full stop", term.Term)
		}
		if n := len(sentenceEnd.FindAllString(e, -1)); n > 2 {
			t.Errorf("%s: explanation has %d sentences, want one or two", term.Term, n)
		}
		if n := utf8.RuneCountInString(e); n > 240 {
			t.Errorf("%s: explanation is %d characters, want a short one", term.Term, n)
		}
	}
}

func TestBuiltInGlossaryExplainsTheTermsGPRecordsUse(t *testing.T) {
	t.Parallel()
	want := []string{
		"BP", "eGFR", "HbA1c", "INR", "ECG", "AF", "PRN", "bd", "tds", "od", "qds",
		"mane", "nocte", "mg", "mcg", "mmol/L", "mmHg", "U&E", "LFT", "FBC", "TSH",
		"CRP", "ESR", "BMI", "COPD", "DOAC", "NSAID", "PPI", "ACE inhibitor",
		"statin", "anticoagulant", "antiplatelet", "hypertension", "hypoglycaemia",
		"hyperlipidaemia", "ablation", "flutter", "fibrillation", "iritis", "uveitis",
		"spondylitis", "biologic", "immunosuppressant", "steroid", "inhaler",
		"spirometry", "peak flow", "retinopathy", "neuropathy", "nephropathy",
		"microalbuminuria", "creatinine", "potassium", "sodium", "cholesterol", "HDL",
		"LDL", "triglycerides", "TIA", "MI", "CVA", "CKD", "T2DM", "GP", "A&E", "NHS",
		"SNOMED CT",
	}
	have := map[string]bool{}
	for _, term := range defaultGlossary(t).Terms() {
		have[term.Term] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("built-in glossary has no entry %q", w)
		}
	}
}

func TestAbbreviationsThatAreAlsoWordsAreCaseSensitive(t *testing.T) {
	t.Parallel()
	// Each of these, matched ignoring case, would hit ordinary English
	// ("Od", "Mi", "ace", "pe", "im") or another meaning.
	risky := []string{"od", "bd", "tds", "qds", "mane", "nocte", "AF", "MI", "ACE", "PE", "IM", "IV", "CT", "GP", "TB", "FIT", "NICE", "mg", "mL"}
	byTerm := map[string]Term{}
	for _, term := range defaultGlossary(t).Terms() {
		byTerm[term.Term] = term
	}
	for _, r := range risky {
		if term, ok := byTerm[r]; !ok || !term.CaseSensitive {
			t.Errorf("%q must be in the glossary and case-sensitive", r)
		}
	}
}

func TestSlugsAreUniqueAndSafeInAnID(t *testing.T) {
	t.Parallel()
	ok := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]string{}
	for _, term := range defaultGlossary(t).Terms() {
		s := Slug(term.Term)
		if !ok.MatchString(s) {
			t.Errorf("%s: slug %q is not lower-case letters, digits and single hyphens", term.Term, s)
		}
		if o, dup := seen[s]; dup {
			t.Errorf("%s and %s share slug %q", term.Term, o, s)
		}
		seen[s] = term.Term
	}
	for in, want := range map[string]string{"U&E": "u-e", "mmol/L": "mmol-l", "ACE inhibitor": "ace-inhibitor", "  A&E ": "a-e", "HbA1c": "hba1c"} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTermsReturnsACopy(t *testing.T) {
	t.Parallel()
	g := defaultGlossary(t)
	ts := g.Terms()
	for i := range ts {
		if len(ts[i].Aliases) > 0 {
			ts[i].Aliases[0] = "changed"
		}
		ts[i].Explanation = "changed"
	}
	for _, term := range g.Terms() {
		if term.Explanation == "changed" || len(term.Aliases) > 0 && term.Aliases[0] == "changed" {
			t.Fatal("changing the slice Terms returned changed the glossary")
		}
	}
}

// loadErr loads a dictionary that must fail and returns its errors.
func loadErr(t *testing.T, src string) []*strict.Error {
	t.Helper()
	g, err := Load([]byte(src), "test.toml")
	if err == nil || g != nil {
		t.Fatalf("Load accepted a bad dictionary")
	}
	var out []*strict.Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var se *strict.Error
		if !errors.As(err, &se) {
			t.Fatalf("error is not a *strict.Error: %v", err)
		}
		out = append(out, se)
	}
	walk(err)
	return out
}

func TestLoadRejectsBadDictionariesNamingFileAndLine(t *testing.T) {
	t.Parallel()
	const ok1 = "[[term]]\nterm = \"BP\"\ncase_sensitive = true\nexplanation = \"Blood pressure.\"\n\n"
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"unknown key", ok1 + "[[term]]\nterm = \"INR\"\nexplain = \"x.\"\nexplanation = \"A clotting test.\"\n", 8, "term", "unknown field"},
		{"duplicate term", ok1 + "[[term]]\nterm = \"INR\"\nexplanation = \"A clotting test.\"\n\n[[term]]\nterm = \"INR\"\nexplanation = \"Again.\"\n", 11, "term[2].term", "duplicate term: already defined at line 7"},
		{"alias clashes with another term ignoring case", ok1 + "[[term]]\nterm = \"blood pressure\"\naliases = [\"bp\"]\nexplanation = \"Pressure.\"\n", 8, "term[1].aliases", "duplicate term: already defined at line 2"},
		{"missing explanation", ok1 + "[[term]]\nterm = \"INR\"\n", 6, "term[1].explanation", "missing explanation"},
		{"no full stop", ok1 + "[[term]]\nterm = \"INR\"\nexplanation = \"A clotting test\"\n", 8, "term[1].explanation", "explanation must end with a full stop"},
		{"term that cannot match whole words", ok1 + "[[term]]\nterm = \"(INR)\"\nexplanation = \"A clotting test.\"\n", 7, "term[1].term", "term must start and end with a letter or digit"},
		{"same glossary id", ok1 + "[[term]]\nterm = \"U&E\"\nexplanation = \"A test.\"\n\n[[term]]\nterm = \"U-E\"\nexplanation = \"Again.\"\n", 11, "term[2].term", "term has the same glossary id as the term at line 7"},
		{"wrong type", "[[term]]\nterm = \"BP\"\ncase_sensitive = \"yes\"\nexplanation = \"Blood pressure.\"\n", 3, "", "wrong type"},
		{"repeated spelling in a case-insensitive entry", "[[term]]\nterm = \"statin\"\naliases = [\"Statin\"]\nexplanation = \"A medicine.\"\n", 3, "term[0].aliases", "spelling repeated within the entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := loadErr(t, tt.src)
			found := false
			for _, e := range errs {
				if e.File == "test.toml" && e.Line == tt.line && strings.HasPrefix(e.Msg, tt.msg) && (tt.field == "" || e.Field == tt.field) {
					found = true
				}
			}
			if !found {
				t.Errorf("want test.toml:%d field %q %q, got %v", tt.line, tt.field, tt.msg, errs)
			}
		})
	}
}

func TestLoadErrorsDoNotQuoteTheEntry(t *testing.T) {
	t.Parallel()
	src := "[[term]]\nterm = \"Zebrafish\"\nexplanation = \"Quokka stripes\"\n\n[[term]]\nterm = \"zebrafish\"\nexplanation = \"Quokka.\"\n"
	_, err := Load([]byte(src), "test.toml")
	if err == nil {
		t.Fatal("Load accepted a bad dictionary")
	}
	if s := strings.ToLower(err.Error()); strings.Contains(s, "zebrafish") || strings.Contains(s, "quokka") {
		t.Error("a Load error quotes the dictionary's content")
	}
}

func TestLoadAcceptsCaseVariantsWithinACaseSensitiveEntry(t *testing.T) {
	t.Parallel()
	g, err := Load([]byte("[[term]]\nterm = \"HbA1c\"\naliases = [\"HBA1C\", \"Hba1c\"]\ncase_sensitive = true\nexplanation = \"A test.\"\n"), "t.toml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	m := g.NewMarker()
	if out := string(m.Mark("<p>HBA1C</p>")); !strings.Contains(out, `href="#glossary-hba1c"`) {
		t.Error("an alias differing only in case did not match")
	}
}

func TestLoadRejectsAnEmptyDictionary(t *testing.T) {
	t.Parallel()
	if _, err := Load([]byte("# nothing\n"), "t.toml"); err == nil {
		t.Error("Load accepted a dictionary with no terms")
	}
}
