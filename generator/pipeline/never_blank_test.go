package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
)

// A nameless patient whose entries are coded but not named: an export as
// some systems write them.
const namelessFHIR = `{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","birthDate":"1970-05-06",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}]}},
{"fullUrl":"urn:uuid:c1","resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"urn:uuid:p1"},
 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"J03"}]}}},
{"fullUrl":"urn:uuid:c2","resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"urn:uuid:p1"},
 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
 "code":{"coding":[{"system":"https://example.org/local-codes","code":"LOC42"}]}}},
{"fullUrl":"urn:uuid:m1","resource":{"resourceType":"MedicationStatement","id":"m1","status":"active","subject":{"reference":"urn:uuid:p1"},
 "medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"109228008"},{"system":"https://example.org/drug-codes","code":"DRUG7"}]}}},
{"fullUrl":"urn:uuid:d1","resource":{"resourceType":"Device","id":"d1","patient":{"reference":"urn:uuid:p1"},
 "type":{"coding":[{"system":"http://snomed.info/sct","code":"14106009"},{"system":"https://example.org/device-codes","code":"DEV9"}]}}},
{"fullUrl":"urn:uuid:a1","resource":{"resourceType":"AllergyIntolerance","id":"a1","patient":{"reference":"urn:uuid:p1"},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}]}}}
]}
`

func TestNamelessCodeOnlyRecordIsNeverBlank(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", nil)
	file := filepath.Join(cfg.RecordsDir, "nameless.json")
	if err := os.WriteFile(file, []byte(namelessFHIR), 0o644); err != nil {
		t.Fatal(err)
	}
	approve(t, file)
	p := patientOf(t, buildAt(t, cfg, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)), "nameless")
	if p.Status != Built {
		t.Fatalf("status %s (%s), want built", p.Status, p.Reason)
	}
	files := openBundle(t, cfg, "nameless", filepath.Join(cfg.Root, p.Bundle))
	doc := string(bundle.Find(files, bundle.Document).Data)
	for _, want := range []string{
		"<title>Health record: Name not recorded</title>",
		"<h1>Name not recorded</h1>",
		"ICD-10 J03 (no description in the export)",
		"https://example.org/local-codes LOC42 (no description in the export)",
		"SNOMED CT 109228008 (no description in the export)",
		"SNOMED CT 14106009 (no description in the export)",
		"SNOMED CT 91936005 (no description in the export)",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the document does not say %q", want)
		}
	}
	js := string(bundle.Find(files, bundle.FHIR).Data)
	if strings.Contains(strings.ReplaceAll(js, " ", ""), `"code":{}`) {
		t.Error(`record.json has an empty "code": {}`)
	}
	for _, want := range []string{`"J03"`, `"LOC42"`, `"https://example.org/local-codes"`, `"109228008"`, `"DRUG7"`, `"14106009"`, `"DEV9"`, `"91936005"`} {
		if !strings.Contains(js, want) {
			t.Errorf("record.json lost the coding %s", want)
		}
	}

	// The review sheet names nobody either.
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := pl.Review("nameless", time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "<h1>Review sheet for Name not recorded</h1>") {
		t.Error("the review sheet does not say the name is not recorded")
	}
}
