package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record/load"
)

// A label on what an entry points to withholds the entry: a Medication
// labelled R behind a statement, a MedicationRequest labelled R that a
// statement derives from, a Device labelled R behind a use statement, a
// Binary labelled V behind a document. So does a sensitive code in an
// Observation's value. Each is withheld in the policy decision, listed on
// the review sheet as withheld with its rule, and absent from the built,
// decrypted bundle, while an unlabelled entry beside them goes out.
func TestLabelsOnReferencedResourcesWithholdTheEntry(t *testing.T) {
	t.Parallel()
	const conf = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	rec := `{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Linkwell","given":["Test"]}],"birthDate":"1970-05-06"}},
{"fullUrl":"urn:uuid:plain","resource":{"resourceType":"Condition","id":"plain","subject":{"reference":"urn:uuid:p1"},"code":{"text":"Plainfold syndrome"}}},
{"fullUrl":"urn:uuid:med","resource":{"resourceType":"Medication","id":"med","meta":{"security":[{"system":"` + conf + `","code":"R"}]},"code":{"text":"Zorblax tablets"}}},
{"fullUrl":"urn:uuid:ms1","resource":{"resourceType":"MedicationStatement","id":"ms1","status":"active","subject":{"reference":"urn:uuid:p1"},"medicationReference":{"reference":"urn:uuid:med"},"effectiveDateTime":"2024-01-02"}},
{"fullUrl":"urn:uuid:rq","resource":{"resourceType":"MedicationRequest","id":"rq","meta":{"security":[{"system":"` + conf + `","code":"R"}]},"status":"active","intent":"order","subject":{"reference":"urn:uuid:p1"},"medicationCodeableConcept":{"text":"Wobbleton capsules"},"authoredOn":"2024-01-02"}},
{"fullUrl":"urn:uuid:ms2","resource":{"resourceType":"MedicationStatement","id":"ms2","status":"active","subject":{"reference":"urn:uuid:p1"},"basedOn":[{"reference":"urn:uuid:rq"}],"medicationCodeableConcept":{"text":"Wobbleton capsules"},"effectiveDateTime":"2024-01-02"}},
{"fullUrl":"urn:uuid:dev","resource":{"resourceType":"Device","id":"dev","meta":{"security":[{"system":"` + conf + `","code":"R"}]},"deviceName":[{"name":"Glimmerpump","type":"user-friendly-name"}]}},
{"fullUrl":"urn:uuid:dus","resource":{"resourceType":"DeviceUseStatement","id":"dus","status":"active","subject":{"reference":"urn:uuid:p1"},"device":{"reference":"urn:uuid:dev"},"recordedOn":"2024-01-02"}},
{"fullUrl":"urn:uuid:bin","resource":{"resourceType":"Binary","id":"bin","meta":{"security":[{"system":"` + conf + `","code":"V"}]},"contentType":"text/plain","data":"UXVpdmVybGVhZiBsZXR0ZXIgdGV4dA=="}},
{"fullUrl":"urn:uuid:doc","resource":{"resourceType":"DocumentReference","id":"doc","status":"current","subject":{"reference":"urn:uuid:p1"},"type":{"text":"Clinic letter"},"date":"2024-03-02T10:00:00Z","content":[{"attachment":{"contentType":"text/plain","url":"urn:uuid:bin","title":"Snorkmere clinic letter"}}]}},
{"fullUrl":"urn:uuid:obs","resource":{"resourceType":"Observation","id":"obs","status":"final","subject":{"reference":"urn:uuid:p1"},"code":{"text":"Brindlewick interpretation"},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"165816005"}]},"effectiveDateTime":"2024-01-02"}}
]}`
	cfg := tinyPractice(t, "", nil)
	file := filepath.Join(cfg.RecordsDir, "p1.json")
	if err := os.WriteFile(file, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	approve(t, file)

	data, _ := os.ReadFile(file)
	full, err := load.Record(file, data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Condition/plain":         "",
		"MedicationStatement/ms1": policy.RuleSecurityLabel,
		"MedicationStatement/ms2": policy.RuleSecurityLabel,
		"DeviceUseStatement/dus":  policy.RuleSecurityLabel,
		"DocumentReference/doc":   policy.RuleSecurityLabel,
		"Observation/obs":         policy.RuleSensitiveCode,
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for _, e := range policy.DefaultRules().Apply(full, nil, at).Entries {
		rule, ok := want[e.Key]
		if !ok {
			continue
		}
		seen[e.Key] = true
		if e.Rule != rule {
			t.Errorf("%s: rule %q, want %q", e.Key, e.Rule, rule)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("%s: no decision for it", k)
		}
	}

	// The review sheet lists each as withheld, with its rule.
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path, err := pl.Review("p1", at)
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, rule := range want {
		if rule == "" {
			continue
		}
		row := "<code>" + key + `</code></td><td class="held">withheld</td><td><code>` + rule + "</code>"
		if !strings.Contains(string(sheet), row) {
			t.Errorf("the review sheet does not list %s as withheld by %s", key, rule)
		}
	}

	rep := buildAt(t, cfg, at)
	p := patientOf(t, rep, "p1")
	if p.Status != Built {
		t.Fatalf("status %s", p.Status)
	}
	files := openBundle(t, cfg, "p1", filepath.Join(cfg.Root, p.Bundle))
	var all strings.Builder
	for _, f := range files {
		all.Write(f.Data)
	}
	doc := string(bundle.Find(files, bundle.Document).Data)
	if !strings.Contains(doc, "Plainfold") {
		t.Fatal("the unlabelled entry is not in the document: the test proves nothing")
	}
	for _, word := range []string{"Zorblax", "Wobbleton", "Glimmerpump", "Quiverleaf", "Snorkmere", "Brindlewick", "165816005"} {
		if strings.Contains(all.String(), word) {
			t.Errorf("the bundle carries %s, which is withheld", word)
		}
	}
}
