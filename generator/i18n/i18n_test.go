package i18n

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestEveryLanguageHasEveryEnglishLabel(t *testing.T) {
	t.Parallel()
	en, err := Load(English)
	if err != nil {
		t.Fatal(err)
	}
	codes := Available()
	for _, want := range []string{"en", "fr", "es", "de"} {
		if !slices.Contains(codes, want) {
			t.Errorf("no %s labels", want)
		}
	}
	for _, code := range codes {
		l, err := Load(code)
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		if l.Code != code || l.Name == "" {
			t.Errorf("%s: code %q, name %q", code, l.Code, l.Name)
		}
		if !slices.Equal(l.Keys(), en.Keys()) {
			t.Errorf("%s: keys differ from English", code)
		}
	}
}

func TestTranslatedLabelsAreTranslated(t *testing.T) {
	t.Parallel()
	// A copied English label is the usual slip: no label of fr, es, de or
	// it may be the English one, except these, which are the same words
	// in that language (and must be: a stale entry here fails too).
	same := map[string][]string{
		"fr": {"allergies", "date", "nhs_short", "risk_anticoagulant", "risk_lithium", "date_day", "date_month", "date_day_month"},
		"es": {"nhs_short", "range_normal", "date_day", "date_month", "date_day_month"},
		"de": {"nhs_short", "range_normal", "date_month", "chart_trend"},
		"it": {"nhs_short", "date_day", "date_month", "date_day_month"},
	}
	en, err := Load(English)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range Available() {
		if code == English {
			continue
		}
		l, err := Load(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range en.Keys() {
			got, _ := l.Label(key)
			want, _ := en.Label(key)
			allowed := slices.Contains(same[code], key)
			if got == want && !allowed {
				t.Errorf("%s: label %s is the English one, %q", code, key, got)
			}
			if got != want && allowed {
				t.Errorf("%s: label %s is translated: take it off the list of labels the same as English", code, key)
			}
		}
	}
}

func TestLanguageFilesAreDecodedStrictly(t *testing.T) {
	t.Parallel()
	ref, err := parse("lang/en.toml", []byte("language = \"en\"\nname = \"English\"\n[labels]\nsummary = \"Emergency summary\"\nallergies = \"Allergies\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"missing key", "language = \"xx\"\nname = \"X\"\n[labels]\nsummary = \"S\"\n", `lang/xx.toml:3: field "labels.allergies": missing label`},
		{"extra key", "language = \"xx\"\nname = \"X\"\n[labels]\nsummary = \"S\"\nallergies = \"A\"\nalergies = \"A\"\n", `lang/xx.toml:6: field "labels.alergies": unknown label`},
		{"empty label", "language = \"xx\"\nname = \"X\"\n[labels]\nsummary = \" \"\nallergies = \"A\"\n", `field "labels.summary": label is empty`},
		{"unknown field", "language = \"xx\"\nname = \"X\"\nflag = \"x\"\n[labels]\nsummary = \"S\"\nallergies = \"A\"\n", `lang/xx.toml:3: unknown field`},
		{"wrong language code", "language = \"yy\"\nname = \"X\"\n[labels]\nsummary = \"S\"\nallergies = \"A\"\n", `field "language": must be "xx"`},
		{"label not a string", "language = \"xx\"\nname = \"X\"\n[labels]\nsummary = 3\nallergies = \"A\"\n", `lang/xx.toml:4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("lang/xx.toml", []byte(tt.data), ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestUnknownLanguageNamesWhatThereIs(t *testing.T) {
	t.Parallel()
	_, err := Load("zz")
	if err == nil || !strings.Contains(err.Error(), "de, en, es, fr") {
		t.Errorf("err = %v", err)
	}
	if _, err := Load("../en"); err == nil {
		t.Error("a path was accepted as a language code")
	}
}

// Text fills in placeholders exactly as a strings.Replacer of "{0}", "{1}"...
// would: every label of every language, and strings made to trip it.
func TestTextFillsPlaceholdersAsAReplacer(t *testing.T) {
	t.Parallel()
	args := []string{"A{1}", "b", "{0}", "ç"}
	replacer := func(s string, n int) string {
		var pairs []string
		for i, a := range args[:n] {
			pairs = append(pairs, "{"+strconv.Itoa(i)+"}", a)
		}
		return strings.NewReplacer(pairs...).Replace(s)
	}
	odd := []string{"", "{", "}", "{}", "{0", "0}", "{{0}}", "{00}", "{+1}", "{-1}", "{ 1}", "{1}{0}{2}{3}{4}", "x{0}y{1}z", "{9999999999999999999999}", "é{2}ü{"}
	for _, code := range Available() {
		l, err := Load(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range l.Keys() {
			s, _ := l.Label(k)
			odd = append(odd, s)
		}
	}
	for _, s := range odd {
		for n := 1; n <= len(args); n++ {
			l := &Language{labels: map[string]string{"k": s}}
			if got, want := l.Text("k", args[:n]...), replacer(s, n); got != want {
				t.Errorf("Text(%q) with %d args = %q, want %q", s, n, got, want)
			}
		}
	}
}
