package policy

import (
	"testing"

	"github.com/satchel-records/satchel/generator/record/fhir"
)

// An Observation whose value (or a component's code or value) is a
// sensitive code is withheld like one whose code is.
func TestSensitiveValueCodesWithhold(t *testing.T) {
	obs := map[string]string{
		"value":           `"code":{"text":"Test interpretation"},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"165816005"}]}`,
		"component code":  `"code":{"text":"Panel"},"component":[{"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]},"valueString":"present"}]`,
		"component value": `"code":{"text":"Panel"},"component":[{"code":{"text":"Finding"},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"165816005"}]}}]`,
	}
	for name, body := range obs {
		t.Run(name, func(t *testing.T) {
			data := `{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","birthDate":"1970-01-02"}},
{"fullUrl":"urn:uuid:o1","resource":{"resourceType":"Observation","id":"o1","status":"final","effectiveDateTime":"2024-01-02",` + body + `}}]}`
			r, err := fhir.Read("records/p1.json", []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			d := DefaultRules().Apply(r, nil, buildDay)
			if len(d.Entries) == 0 {
				t.Fatal("no entries read")
			}
			for _, e := range d.Entries {
				if e.Rule != RuleSensitiveCode {
					t.Errorf("entry %s: rule %q, want %s", e.Key, e.Rule, RuleSensitiveCode)
				}
			}
			if d.Out != nil && len(d.Out.Results)+len(d.Out.Findings) != 0 {
				t.Error("the observation is exported")
			}
		})
	}
}
