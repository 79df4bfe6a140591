package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/internal/synth"
)

// A default sensitive code (SNOMED CT 86406008, HIV infection) is withheld
// however the export spells SNOMED CT: in Satchel TOML as SNOMEDCT,
// SNOMED-CT, "SNOMED CT" or either SNOMED CT URI, and in a FHIR R4 export
// with the https URI. Neither the record document nor record.json in the
// decrypted bundle may hold the problem, and both must hold the record's
// uncontroversial problem, so the test cannot pass by building nothing.
func TestSensitiveCodeIsWithheldInEverySpelling(t *testing.T) {
	t.Parallel()
	const (
		sensitive = "86406008"
		control   = "38341003" // hypertension: exported
	)
	spellings := []string{
		"SNOMED", // the spelling that always worked, as a baseline
		"SNOMEDCT",
		"SNOMED-CT",
		"SNOMED CT",
		"snomed ct",
		"http://snomed.info/sct",
		"https://snomed.info/sct",
	}
	// withheld and shown are the problem titles each record must lose and
	// keep, by patient id; spelt says how the record spells SNOMED CT.
	withheld, shown, spelt := map[string]string{}, map[string]string{}, map[string]string{}
	records := map[string]string{}
	var ids []string
	for i, sys := range spellings {
		id := fmt.Sprintf("spelt-%d", i)
		ids = append(ids, id)
		spelt[id] = fmt.Sprintf("toml %q", sys)
		withheld[id] = fmt.Sprintf("Quillon infection %d", i)
		shown[id] = fmt.Sprintf("Marrowby pressure %d", i)
		records[id] = fmt.Sprintf(`[patient]
name = "Spelling Patient %d"
born = 1970-05-05
nhs_number = %q

[[problems]]
code = %q
title = %q
onset = "2019-03"

[[problems]]
code = %q
title = %q
onset = "2015"
`, i, synth.NHSNumber(9100+i), sys+":"+sensitive, withheld[id], "SNOMED:"+control, shown[id])
	}
	cfg := tinyPractice(t, "", records)

	// The same in a FHIR R4 export, coded with the https URI.
	fhirID := "spelt-fhir"
	ids = append(ids, fhirID)
	spelt[fhirID] = `fhir "https://snomed.info/sct"`
	withheld[fhirID], shown[fhirID] = "Quillon infection FHIR", "Marrowby pressure FHIR"
	nhs := strings.ReplaceAll(synth.NHSNumber(9199), " ", "")
	fhirRecord := `{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:5e1f0000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","id":"sp1",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],
 "name":[{"use":"official","family":"Patient","given":["Spelling"]}],"gender":"female","birthDate":"1970-05-05"}},
{"fullUrl":"urn:uuid:5e1f0000-0000-4000-8000-000000000002","resource":{"resourceType":"Condition","id":"sp-c1",
 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
 "code":{"coding":[{"system":"https://snomed.info/sct","code":"` + sensitive + `"}],"text":"` + withheld[fhirID] + `"},
 "subject":{"reference":"urn:uuid:5e1f0000-0000-4000-8000-000000000001"},"onsetDateTime":"2019-03"}},
{"fullUrl":"urn:uuid:5e1f0000-0000-4000-8000-000000000003","resource":{"resourceType":"Condition","id":"sp-c2",
 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"` + control + `"}],"text":"` + shown[fhirID] + `"},
 "subject":{"reference":"urn:uuid:5e1f0000-0000-4000-8000-000000000001"},"onsetDateTime":"2015"}}
]}
`
	file := filepath.Join(cfg.RecordsDir, fhirID+".json")
	if err := os.WriteFile(file, []byte(fhirRecord), 0o644); err != nil {
		t.Fatal(err)
	}
	approve(t, file)

	rep := buildAt(t, cfg, clock())
	for _, id := range ids {
		t.Run(spelt[id], func(t *testing.T) {
			p := patientOf(t, rep, id)
			if p.Status != Built {
				t.Fatalf("status %s: %s", p.Status, p.Reason)
			}
			if p.Withheld[policy.RuleSensitiveCode] != 1 {
				t.Errorf("the report counts %d entries withheld for a sensitive code, want 1", p.Withheld[policy.RuleSensitiveCode])
			}
			files := openBundle(t, cfg, p.ID, filepath.Join(cfg.Root, p.Bundle))
			for _, name := range []string{bundle.Document, bundle.FHIR} {
				f := bundle.Find(files, name)
				if f == nil {
					t.Fatalf("no %s in the bundle", name)
				}
				got := string(f.Data)
				if strings.Contains(got, withheld[id]) || strings.Contains(got, "Quillon") {
					t.Errorf("%s holds the problem withheld for its sensitive code", name)
				}
				if strings.Contains(got, sensitive) {
					t.Errorf("%s holds the sensitive code", name)
				}
				if !strings.Contains(got, shown[id]) {
					t.Errorf("%s lacks the problem that is not sensitive: the test proves nothing", name)
				}
			}
		})
	}
}
