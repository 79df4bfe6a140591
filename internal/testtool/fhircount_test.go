package testtool

import "testing"

// The counter's own rules, on a Bundle small enough to count by eye.
func TestCountFHIRRules(t *testing.T) {
	data := []byte(`{"resourceType":"Bundle","type":"collection","entry":[
	{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p",
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990041008"}]}},
	{"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:p"},"code":{"text":"counted"}}},
	{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/q"},"code":{"text":"another patient's"}}},
	{"resource":{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990041016"}}}},
	{"resource":{"resourceType":"Condition","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990041008"}}}},
	{"resource":{"resourceType":"Condition","subject":{"identifier":{"system":"https://example.org/local","value":"1"}}}},
	{"resource":{"resourceType":"Condition","verificationStatus":"refuted"}},
	{"resource":{"resourceType":"Observation","code":{"coding":[{"system":"http://snomed.info/sct","code":"266919005"}]}}},
	{"resource":{"resourceType":"Observation","code":{"text":"a finding in words"}}},
	{"resource":{"resourceType":"Observation","code":{"coding":[{"system":"https://example.org/local","code":"X"}]}}},
	{"resource":{"resourceType":"Observation","code":{"text":"panel"},"hasMember":[{"reference":"Observation/m"}]}},
	{"resource":{"resourceType":"Observation","code":{"text":"STU3 panel"},"related":[{"type":"has-member","target":{"reference":"Observation/m"}}]}},
	{"resource":{"resourceType":"Observation","code":{"text":"replaced"},"related":[{"type":"replaces","target":{"reference":"Observation/m"}}]}},
	{"resource":{"resourceType":"Observation","code":{"text":"bp"},"component":[{"code":{"text":"s"},"valueQuantity":{"value":1}},{"code":{"text":"cuff"}}]}},
	{"resource":{"resourceType":"Observation","status":"entered-in-error","code":{"text":"mistake"}}},
	{"resource":{"resourceType":"Observation","code":{"coding":[{"system":"http://snomed.info/sct","code":"450476008"}]}}},
	{"resource":{"resourceType":"Observation","code":{"text":"DNACPR form completed"}}},
	{"resource":{"resourceType":"Consent","category":[{"coding":[{"code":"dnr"}]}]}},
	{"resource":{"resourceType":"Consent","scope":{"coding":[{"code":"research"}]}}},
	{"resource":{"resourceType":"Immunization","status":"not-done","vaccineCode":{"text":"declined"}}},
	{"resource":{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"given"}}}
	]}`)
	got, err := CountFHIR(data)
	if err != nil {
		t.Fatal(err)
	}
	// Problems: the patient's own, by reference or by NHS number, and one
	// linked by an identifier in a system the patient has none in.
	// Findings: SNOMED code, words, and an Observation related otherwise
	// than as a panel.
	// Advance decisions: a coded and a worded DNACPR observation and a DNR
	// Consent, not a research one. Immunisations: given or not.
	want := FHIRCounts{Problems: 3, Results: 1, Findings: 3, AdvanceDecisions: 3, Immunisations: 2}
	if got != want {
		t.Errorf("CountFHIR = %+v, want %+v", got, want)
	}
}
