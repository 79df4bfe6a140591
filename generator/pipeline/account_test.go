package pipeline

import (
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/internal/testtool"
)

// checkAccounting applies the rules to r and checks that shown + withheld
// + not carried is the source count want, and that no reason quotes the
// patient.
func checkAccounting(t *testing.T, name string, r *record.Record, approval *policy.Approval, want int) Accounting {
	t.Helper()
	a := Account(r, policy.DefaultRules().Apply(r, approval, clock()))
	if a.Total() != want {
		t.Errorf("%s: shown %d + withheld %v + not carried %v = %d, the source holds %d",
			name, a.Shown, a.Withheld, a.NotCarried, a.Total(), want)
	}
	for reason := range a.NotCarried {
		if reason == "" || r.Patient.Name != "" && strings.Contains(reason, r.Patient.Name) ||
			r.Patient.NHSNumber != "" && strings.Contains(reason, r.Patient.NHSNumber) {
			t.Errorf("%s: a not-carried reason is empty or quotes the patient", name)
		}
	}
	return a
}

// Every resource of every FHIR file we have (our own, and the public
// examples when present) is shown, withheld or not carried: the three add
// up to the resource count made independently from the JSON.
func TestAccountingCoversEveryResourceOfRealRecords(t *testing.T) {
	t.Parallel()
	// Own files always; the public ones when present (required on CI).
	files := append(testtool.OwnFHIR(t), testtool.PublicFHIRIfPresent(t)...)
	for _, f := range files {
		r, err := load.Record(f.Path, f.Data)
		if err != nil {
			t.Fatalf("%s does not read: %v", f.Name, err)
		}
		want, err := testtool.CountResources(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		checkAccounting(t, f.Name, r, &policy.Approval{}, want)
	}
}

// Our own data names the reasons the issue asks for.
func TestAccountingNamesWhyResourcesAreNotCarried(t *testing.T) {
	t.Parallel()
	got := map[string]int{}
	for _, f := range testtool.OwnFHIR(t) {
		r, err := load.Record(f.Path, f.Data)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range r.NotCarried {
			got[k] += v
		}
	}
	for _, want := range []string{"billing: not clinical", "entered in error", "about another patient",
		"consent to share or to research: not an advance decision", "prescription issue or plan: folded into its medicine",
		"patient details: shown as the record's heading, not an entry",
		"consultation comment note: free text, not carried"} {
		if got[want] == 0 {
			t.Errorf("no resource of our own data is not carried for %q", want)
		}
	}
}

// For random Bundles of every kind of resource (context, billing, unknown,
// skipped, grouped, contained), the accounting adds up to the resources in
// the source; and for random Satchel TOML records, to the entries in it.
func TestAccountingAddsUpForRandomRecords(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(10, 1))
	for n := range 200 {
		data := randomBundle(rng, n)
		r, err := fhir.Read(fmt.Sprintf("random-%d.json", n), data)
		if err != nil {
			t.Fatalf("random bundle %d does not read: %v", n, err)
		}
		want, err := testtool.CountResources(data)
		if err != nil {
			t.Fatal(err)
		}
		checkAccounting(t, fmt.Sprintf("random bundle %d", n), r, &policy.Approval{}, want)
	}
	for n := range 100 {
		p := genRecord(rng, n)
		file := p.entries[len(p.entries)-1].toml
		r, err := record.DecodeTOML(p.id+".toml", []byte(file))
		if err != nil {
			t.Fatalf("random record %d does not read: %v", n, err)
		}
		a := checkAccounting(t, p.id, r, &policy.Approval{Named: p.named}, strings.Count(file, "\n[["))
		if len(a.NotCarried) != 0 {
			t.Errorf("%s: a Satchel record has nothing to leave out, yet %v", p.id, a.NotCarried)
		}
	}
}

// randomBundle makes a Bundle of random resources about one patient.
func randomBundle(rng *rand.Rand, n int) []byte {
	subject := map[string]any{"reference": "Patient/p"}
	coded := func(text string) map[string]any { return map[string]any{"text": text} }
	makers := []func(i int) map[string]any{
		func(int) map[string]any {
			return map[string]any{"resourceType": "Condition", "subject": subject, "code": coded("Asthma")}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Condition", "subject": subject, "code": coded("x"),
				"verificationStatus": map[string]any{"coding": []any{map[string]any{"code": "entered-in-error"}}}}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Condition", "subject": map[string]any{"reference": "Patient/other"}, "code": coded("x")}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Observation", "status": "final", "subject": subject, "code": coded("Blood pressure"),
				"component": []any{
					map[string]any{"code": coded("Systolic"), "valueQuantity": map[string]any{"value": 120}},
					map[string]any{"code": coded("Diastolic"), "valueQuantity": map[string]any{"value": 80}}}}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Observation", "status": "final", "subject": subject, "code": map[string]any{}}
		},
		func(i int) map[string]any {
			return map[string]any{"resourceType": "Observation", "status": "final", "subject": subject, "code": coded("Panel"),
				"hasMember": []any{map[string]any{"reference": "#m"}},
				"contained": []any{map[string]any{"resourceType": "Observation", "id": "m", "status": "final", "code": coded("Hb"),
					"valueQuantity": map[string]any{"value": 140}}}}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Observation", "status": "final", "subject": subject,
				"code": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "304253006"}}}}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Consent", "status": "active", "patient": subject,
				"category": []any{map[string]any{"coding": []any{map[string]any{"code": []string{"dnr", "research"}[rng.IntN(2)]}}}}}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Immunization", "status": []string{"completed", "not-done"}[rng.IntN(2)],
				"patient": subject, "vaccineCode": coded("Flu")}
		},
		func(i int) map[string]any {
			return map[string]any{"resourceType": "MedicationRequest", "id": fmt.Sprintf("rq%d", i), "status": "active",
				"subject": subject, "medicationCodeableConcept": coded("Drug")}
		},
		func(i int) map[string]any {
			return map[string]any{"resourceType": "MedicationStatement", "status": "active", "subject": subject,
				"medicationReference": map[string]any{"reference": "Medication/med"},
				"basedOn":             []any{map[string]any{"reference": fmt.Sprintf("MedicationRequest/rq%d", i-1)}}}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "DiagnosticReport", "status": "final", "subject": subject, "code": coded("Report")}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "Procedure", "status": "not-done", "subject": subject, "code": coded("x")}
		},
		func(int) map[string]any {
			return map[string]any{"resourceType": "List", "status": "current", "subject": subject,
				"contained": []any{map[string]any{"resourceType": "AllergyIntolerance", "id": "a", "patient": subject, "code": coded("Nuts")},
					map[string]any{"resourceType": "Claim", "id": "c"}}}
		},
		func(int) map[string]any { return map[string]any{"resourceType": "Practitioner", "name": []any{}} },
		func(int) map[string]any { return map[string]any{"resourceType": "Claim", "status": "active"} },
		func(int) map[string]any {
			return map[string]any{"resourceType": "QuestionnaireResponse", "status": "completed"}
		},
		func(int) map[string]any { return map[string]any{"resourceType": "Composition", "status": "final"} },
		func(int) map[string]any { return map[string]any{"resourceType": "Basic"} },
		func(int) map[string]any {
			return map[string]any{"resourceType": "Device", "patient": subject, "type": coded("Pacemaker")}
		},
	}
	entries := []any{
		map[string]any{"resource": map[string]any{"resourceType": "Patient", "id": "p", "name": []any{map[string]any{"text": "Rand Om"}}}},
		map[string]any{"resource": map[string]any{"resourceType": "Medication", "id": "med", "code": coded("Drug")}},
	}
	for i := range 1 + rng.IntN(25) {
		k := rng.IntN(len(makers))
		if k == 10 && i == 0 {
			k = 0
		}
		entries = append(entries, map[string]any{"resource": makers[k](i)})
	}
	rng.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	data, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries})
	return data
}

// The review sheet lists where everything ended, and the manifest counts
// what is not carried, per reason.
func TestReviewSheetAndManifestAccountForEverything(t *testing.T) {
	t.Parallel()
	var files []testtool.FHIRFile
	for _, f := range testtool.OwnFHIR(t) {
		if f.Name == "r4/decisions.json" {
			files = append(files, f)
		}
	}
	cfg, rep := buildPractice(t, files, func(testtool.FHIRFile) string { return "decisions.json" })
	if rep.Patients[0].Status != Built {
		t.Fatalf("status %s", rep.Patients[0].Status)
	}
	data, err := os.ReadFile(cfg.ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	nc := m.Patients[0].NotCarried
	if nc["consent to share or to research: not an advance decision"] != 1 || nc["patient details: shown as the record's heading, not an entry"] != 1 {
		t.Errorf("manifest not_carried = %v", nc)
	}
	p, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path, err := p.Review("decisions", clock())
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// 8 resources: the patient, a research consent not carried; 6 entries shown.
	text := html.UnescapeString(words(string(sheet)))
	for _, want := range []string{"Where everything in the source ended (8)", "Shown: 6",
		"Not carried (consent to share or to research: not an advance decision): 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the review sheet does not say %q", want)
		}
	}
}
