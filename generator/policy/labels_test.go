package policy

import (
	"fmt"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
)

// Every spelling of a security label an export may use withholds the entry:
// any case, stray spaces, no system, a trailing slash, http or https, the
// STU3 system names, and meta.tag as well as meta.security.
func TestEverySpellingOfALabelWithholds(t *testing.T) {
	const conf = "terminology.hl7.org/CodeSystem/v3-Confidentiality"
	const act = "terminology.hl7.org/CodeSystem/v3-ActCode"
	tests := []struct{ name, meta string }{
		{"R", `"security":[{"system":"http://` + conf + `","code":"R"}]`},
		{"R with a trailing space", `"security":[{"system":"http://` + conf + `","code":"R "}]`},
		{"V with spaces around", `"security":[{"system":"http://` + conf + `","code":"  V"}]`},
		{"lowercase v", `"security":[{"system":"http://` + conf + `","code":"v"}]`},
		{"R without a system", `"security":[{"code":"R"}]`},
		{"HIV without a system", `"security":[{"code":"hiv"}]`},
		{"trailing slash", `"security":[{"system":"http://` + conf + `/","code":"R"}]`},
		{"https", `"security":[{"system":"https://` + conf + `","code":"V"}]`},
		{"system with spaces", `"security":[{"system":" http://` + conf + ` ","code":"V"}]`},
		{"STU3 confidentiality", `"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"r"}]`},
		{"STU3 ActCode with a slash", `"security":[{"system":"http://hl7.org/fhir/v3/ActCode/","code":"PSY"}]`},
		{"ActCode over https", `"security":[{"system":"https://` + act + `","code":"hiv"}]`},
		{"ActCode with a space inside", `"security":[{"system":"http://` + act + `","code":"H IV"}]`},
		{"HIV in meta.tag", `"tag":[{"system":"http://` + act + `","code":"HIV"}]`},
		{"HIV in meta.tag without a system", `"tag":[{"code":"HIV"}]`},
		{"R in meta.tag", `"tag":[{"system":"http://` + conf + `","code":"R"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := fmt.Sprintf(`{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","birthDate":"1970-01-02"}},
{"fullUrl":"urn:uuid:c1","resource":{"resourceType":"Condition","id":"c1","meta":{%s},"code":{"text":"x"}}}]}`, tt.meta)
			r, err := fhir.Read("records/p1.json", []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			d := DefaultRules().Apply(r, nil, buildDay)
			if len(d.Entries) != 1 || d.Entries[0].Rule != RuleSecurityLabel {
				t.Fatalf("decisions %+v, want the entry withheld by %s", d.Entries, RuleSecurityLabel)
			}
		})
	}
}

// Labels in Satchel's own TOML, and in site.toml's list, match in any case
// and with stray spaces.
func TestLabelsMatchWhateverTheirCaseAndSpaces(t *testing.T) {
	for _, l := range []string{"R ", " v", "hiv", "P S Y"} {
		r := adult()
		r.Problems = []record.Problem{{Title: "x", Mark: record.Mark{Labels: []string{l}}}}
		if d := DefaultRules().Apply(r, nil, buildDay); d.Entries[0].Rule != RuleSecurityLabel {
			t.Errorf("label %q: rule %q, want %s", l, d.Entries[0].Rule, RuleSecurityLabel)
		}
	}
	rules := DefaultRules()
	rules.Labels = []string{" psy "}
	r := adult()
	r.Problems = []record.Problem{{Title: "x", Mark: record.Mark{Labels: []string{"PSY"}}}}
	if d := rules.Apply(r, nil, buildDay); d.Entries[0].Rule != RuleSecurityLabel {
		t.Errorf("site label %q does not match PSY", rules.Labels[0])
	}
}
