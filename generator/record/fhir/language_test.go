package fhir

import "testing"

// Patient.communication gives the language a patient's record opens in:
// the preferred one, or the only one, when Satchel has labels in it.
func TestPatientsPreferredLanguage(t *testing.T) {
	t.Parallel()
	patient := func(communication string) []byte {
		return bundleOf("collection", ent{"urn:uuid:p1", `{"resourceType":"Patient","id":"p1",
			"name":[{"family":"Quixote","given":["Dulcie"]}],"birthDate":"1960-03-14"` + communication + `}`})
	}
	for _, tt := range []struct{ communication, want string }{
		{``, ""},
		{`,"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"fr-FR"}]}}]`, "fr"},
		{`,"communication":[{"language":{"coding":[{"code":"pl"}]},"preferred":true},{"language":{"coding":[{"code":"de"}]}}]`, ""},
		{`,"communication":[{"language":{"coding":[{"code":"en"}]}},{"language":{"coding":[{"code":"it"}]},"preferred":true}]`, "it"},
		{`,"communication":[{"language":{"coding":[{"code":"en"}]}},{"language":{"coding":[{"code":"it"}]}}]`, ""},
	} {
		if got := mustRead(t, patient(tt.communication)).Patient.Language; got != tt.want {
			t.Errorf("%s: language %q, want %q", tt.communication, got, tt.want)
		}
	}
}
