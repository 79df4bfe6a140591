package fhir

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/strict"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Every public example reads unedited, with as many entries per section as
// an independent count of its source.
func TestEveryFixtureImportsWithCountsMatchingTheSource(t *testing.T) {
	for _, f := range testtool.PublicFHIR(t) {
		t.Run(f.Name, func(t *testing.T) { checkReadsWithSourceCounts(t, f) })
	}
}

func TestFixtureVersionsAreDetected(t *testing.T) {
	for name, want := range map[string]string{
		"uk-gpconnect-stu3/9690937287.structuredRecord.json": FormatSTU3,
		"ips/bundle-minimal.json":                            FormatR4,
		"ips/Bundle-IPS-examples-Bundle-01.json":             FormatR4,
		"uk-scr/UploadScrBundle.json":                        FormatR4,
	} {
		f := publicNamed(t, name)
		rec, err := Read(f.Path, f.Data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Format != want {
			t.Errorf("%s: format %q, want %q", name, rec.Format, want)
		}
	}
	for _, f := range testtool.PublicFHIR(t) {
		if strings.HasPrefix(f.Name, "synthea/") {
			if rec, err := Read(f.Path, f.Data); err != nil || rec.Format != FormatR4 {
				t.Errorf("%s: not read as R4 (err %v)", f.Name, err)
			}
		}
	}
}

func TestBillingResourcesAreSkippedAndCounted(t *testing.T) {
	for _, f := range testtool.PublicFHIR(t) {
		if !strings.HasPrefix(f.Name, "synthea/") {
			continue
		}
		rec, err := Read(f.Path, f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		src := countTypes(t, f.Data)
		for _, typ := range []string{"Claim", "ExplanationOfBenefit"} {
			if src[typ] == 0 || rec.Skipped[typ] != src[typ] {
				t.Errorf("%s: Skipped[%s] = %d, source has %d", f.Name, typ, rec.Skipped[typ], src[typ])
			}
		}
	}
}

func TestGPConnectRecordReadsItsSTU3Shapes(t *testing.T) {
	f := publicNamed(t, "uk-gpconnect-stu3/9690937287.structuredRecord.json")
	rec, err := Read(f.Path, f.Data)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Patient.NHSNumber != "9690937287" || rec.Patient.Born.ISO() != "1925-04-21" || rec.Patient.Name == "" {
		t.Errorf("patient identity not read from the STU3 Patient")
	}
	// Ten MedicationStatements, each folding in its authorisation and
	// issues (59 MedicationRequest orders, 10 plans).
	kinds := map[string]int{}
	for _, m := range rec.Medications {
		kinds[m.Kind+"/"+m.Status]++
	}
	if kinds["repeat/current"] != 5 || kinds["acute/stopped"] != 5 {
		t.Errorf("medication kinds/statuses = %v, want 5 current repeats and 5 stopped acutes", kinds)
	}
	// The ended peanut allergy sits in a List's contained resources.
	contained := 0
	for _, a := range rec.Allergies {
		if strings.Contains(a.Key, "#") {
			contained++
		}
	}
	if contained != 1 {
		t.Errorf("allergies from List.contained = %d, want 1", contained)
	}
	// Full blood count members take the panel's name and the report's date.
	fbc := 0
	for _, r := range rec.Results {
		if r.Panel == "FBC - Full blood count" && !r.Date.IsZero() {
			fbc++
		}
	}
	if fbc != 18 {
		t.Errorf("dated results in the FBC panel = %d, want 18", fbc)
	}
	if len(rec.Referrals) != 3 {
		t.Errorf("referrals = %d, want 3 (2 ReferralRequest, 1 ProcedureRequest)", len(rec.Referrals))
	}
	// Its DocumentReference names another patient id: not carried.
	if rec.Skipped[SkipOtherPatient] != 1 || len(rec.Letters) != 0 {
		t.Errorf("document about another patient: skipped %d, letters %d", rec.Skipped[SkipOtherPatient], len(rec.Letters))
	}
	for _, r := range rec.Results {
		if strings.ContainsAny(r.Code.Value, " \t") {
			t.Errorf("a code value keeps surrounding spaces")
		}
	}
}

func TestPatientWithOnlyAnNHSNumberGetsNothingInvented(t *testing.T) {
	f := publicNamed(t, "uk-scr/UploadScrBundle.json")
	rec, err := Read(f.Path, f.Data)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Patient.Name != "" || !rec.Patient.Born.IsZero() || rec.Patient.Sex != "" {
		t.Errorf("name, birth date or sex filled in although the source has none")
	}
	if rec.Patient.NHSNumber != "9000000009" {
		t.Errorf("NHS number not read")
	}
}

// --- Synthetic bundles -------------------------------------------------

// The patient's name appears in every bad input, and no error may show it.
const secretName = "Zebedee"

const patientJSON = `{"resourceType":"Patient","id":"p1",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
 "name":[{"use":"official","family":"Quixote","given":["` + secretName + `"]}],
 "gender":"female","birthDate":"1980-02-29"}`

type ent struct{ url, res string }

// bundleOf writes a Bundle of type typ, one entry per line so errors have
// distinct lines; a fullUrl of "-" leaves it out.
func bundleOf(typ string, es ...ent) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "{\"resourceType\":\"Bundle\",\n\"type\":%q,\n\"entry\":[\n", typ)
	for i, e := range es {
		if i > 0 {
			b.WriteString(",\n")
		}
		if e.url == "-" {
			fmt.Fprintf(&b, "{\"resource\":%s}", oneLine(e.res))
		} else {
			fmt.Fprintf(&b, "{\"fullUrl\":%q,\"resource\":%s}", e.url, oneLine(e.res))
		}
	}
	b.WriteString("\n]}\n")
	return []byte(b.String())
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func withPatient(typ string, es ...ent) []byte {
	return bundleOf(typ, append([]ent{{"urn:uuid:p1", patientJSON}}, es...)...)
}

func mustRead(t *testing.T, data []byte) *record.Record {
	t.Helper()
	rec, err := Read("records/test.json", data)
	if err != nil {
		t.Fatalf("read failed: %v", err)
	}
	return rec
}

func TestBadInputGetsAClearErrorWithoutPatientData(t *testing.T) {
	cond := func(extra string) ent {
		return ent{"urn:uuid:c1", `{"resourceType":"Condition","id":"c1","subject":{"reference":"urn:uuid:p1"},
			"code":{"text":"Asthma"}` + extra + `}`}
	}
	tests := []struct {
		name  string
		data  []byte
		line  int    // 0: not checked
		field string // "": not checked
		msg   string
	}{
		{name: "invalid JSON", line: 4, msg: "invalid JSON syntax",
			data: []byte("{\"resourceType\":\"Bundle\",\n\"type\":\"collection\",\n\"entry\":[\n{\"resource\": {\"name\": " + secretName + "}}\n]}")},
		{name: "truncated JSON", msg: "invalid JSON syntax",
			data: withPatient("collection")[:40]},
		{name: "empty file", msg: "empty file", data: []byte(" \n")},
		{name: "JSON list", msg: "not a FHIR Bundle", data: []byte(`[{"resourceType":"Bundle"}]`)},
		{name: "a Patient, not a Bundle", msg: "not a FHIR Bundle (resourceType is Patient)", data: []byte(patientJSON)},
		{name: "no resourceType", msg: "missing resourceType", data: []byte(`{"type":"collection","entry":[]}`)},
		{name: "message Bundle", field: "Bundle.type", line: 2, msg: "a message Bundle does not hold a patient record",
			data: withPatient("message")},
		{name: "history Bundle", field: "Bundle.type", msg: "a history Bundle", data: withPatient("history")},
		{name: "transaction-response Bundle", field: "Bundle.type", msg: "a transaction-response Bundle",
			data: withPatient("transaction-response")},
		{name: "missing Bundle.type", msg: "missing Bundle.type",
			data: []byte(`{"resourceType":"Bundle","entry":[{"resource":` + oneLine(patientJSON) + `}]}`)},
		{name: "unknown Bundle.type", msg: "unknown Bundle.type", data: withPatient(secretName)},
		{name: "no Patient", field: "Bundle.entry", msg: "no Patient resource",
			data: bundleOf("collection", ent{"urn:uuid:c1", `{"resourceType":"Condition","code":{"text":"x"}}`})},
		{name: "two Patients", field: "Bundle.entry[1].resource", line: 5, msg: "2 Patient resources",
			data: withPatient("collection", ent{"urn:uuid:p2", patientJSON})},
		{name: "bad onset date", field: "Bundle.entry[1].resource.onsetDateTime", line: 5, msg: "invalid date",
			data: withPatient("collection", cond(`,"onsetDateTime":"`+secretName+`-1999"`))},
		{name: "bad birth date", field: "Bundle.entry[0].resource.birthDate", line: 4, msg: "invalid date",
			data: bundleOf("document", ent{"urn:uuid:p1", strings.Replace(patientJSON, "1980-02-29", "1980-02-30", 1)})},
		{name: "bad date in a period", field: "Bundle.entry[1].resource.performedPeriod.start", line: 5, msg: "invalid date",
			data: withPatient("collection", ent{"urn:uuid:x", `{"resourceType":"Procedure","status":"completed",
				"code":{"text":"x"},"performedPeriod":{"start":"2020-02-30"}}`})},
		{name: "code is not a concept", field: "Bundle.entry[1].resource.code", line: 5, msg: "wrong type",
			data: withPatient("collection", ent{"urn:uuid:c1", `{"resourceType":"Condition","code":"` + secretName + `"}`})},
		{name: "element of the wrong type", field: "Bundle.entry[1].resource.onsetPeriod", line: 5, msg: "wrong type (want an object)",
			data: withPatient("collection", cond(`,"onsetPeriod":"`+secretName+`"`))},
		{name: "entry without resourceType", field: "Bundle.entry[1].resource.resourceType", msg: "missing resourceType",
			data: withPatient("collection", ent{"urn:uuid:x", `{"id":"x"}`})},
		{name: "entry list of the wrong type", field: "Bundle.entry", msg: "wrong type (want a list)",
			data: []byte(`{"resourceType":"Bundle","type":"collection","entry":"` + secretName + `"}`)},
		{name: "bad base64 in a document", field: "Bundle.entry[1].resource.content[0].attachment.data", msg: "invalid base64",
			data: withPatient("collection", ent{"urn:uuid:d", `{"resourceType":"DocumentReference","status":"current",
				"subject":{"reference":"urn:uuid:p1"},"description":"Letter",
				"content":[{"attachment":{"contentType":"text/plain","data":"!!` + secretName + `!!"}}]}`})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read("records/test.json", tt.data)
			if err == nil {
				t.Fatal("read succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, secretName) || strings.Contains(msg, "Quixote") {
				t.Errorf("error quotes the input's patient data")
			}
			if !strings.HasPrefix(msg, "records/test.json") {
				t.Errorf("error does not start with the file name: %s", msg)
			}
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q does not say %q", msg, tt.msg)
			}
			var se *strict.Error
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *strict.Error")
			}
			if tt.field != "" && se.Field != tt.field {
				t.Errorf("field %q, want %q", se.Field, tt.field)
			}
			if tt.line != 0 && se.Line != tt.line {
				t.Errorf("line %d, want %d", se.Line, tt.line)
			}
		})
	}
}

func TestAllProblemsOfAFileAreReportedAtOnce(t *testing.T) {
	data := withPatient("collection",
		ent{"urn:uuid:c1", `{"resourceType":"Condition","onsetDateTime":"2020-13"}`},
		ent{"urn:uuid:c2", `{"resourceType":"Condition","onsetDateTime":"20x0"}`})
	_, err := Read("r.json", data)
	if err == nil || !strings.Contains(err.Error(), "entry[1]") || !strings.Contains(err.Error(), "entry[2]") {
		t.Errorf("want both bad dates reported, got %v", err)
	}
}

func TestDanglingReferencesDoNotStopReading(t *testing.T) {
	data := withPatient("collection",
		ent{"urn:uuid:m1", `{"resourceType":"MedicationStatement","status":"active","subject":{"reference":"urn:uuid:p1"},
			"medicationReference":{"reference":"urn:uuid:gone","display":"Salbutamol inhaler"}}`},
		ent{"urn:uuid:m2", `{"resourceType":"MedicationStatement","status":"active","subject":{"reference":"urn:uuid:p1"},
			"medicationReference":{"reference":"Medication/gone"}}`},
		ent{"urn:uuid:r1", `{"resourceType":"DiagnosticReport","status":"final","code":{"text":"Panel"},
			"result":[{"reference":"Observation/gone"},{"reference":"urn:uuid:o1"}]}`},
		ent{"urn:uuid:o1", `{"resourceType":"Observation","status":"final","code":{"text":"Sodium"},
			"subject":{"reference":"urn:uuid:not-in-bundle"},"performer":[{"reference":"Practitioner?identifier=x|y"}],
			"valueQuantity":{"value":140,"unit":"mmol/L"}}`})
	rec := mustRead(t, data)
	if len(rec.Medications) != 2 || rec.Medications[0].Name != "Salbutamol inhaler" || rec.Medications[1].Name != "" {
		t.Errorf("medications with dangling references not read as expected")
	}
	if len(rec.Results) != 1 || rec.Results[0].Panel != "Panel" {
		t.Errorf("result behind a dangling report reference not read")
	}
}

func TestEveryReferenceFormResolves(t *testing.T) {
	med := func(id, name string) string {
		return `{"resourceType":"Medication","id":"` + id + `","code":{"text":"` + name + `"}}`
	}
	stmt := func(ref string) string {
		return `{"resourceType":"MedicationStatement","status":"active","medicationReference":{"reference":"` + ref + `"}}`
	}
	data := bundleOf("searchset",
		ent{"https://gp.example/fhir/Patient/p1", patientJSON},
		ent{"urn:uuid:1", med("m1", "by urn:uuid")},
		ent{"https://gp.example/fhir/Medication/m2", med("m2", "by absolute URL")},
		ent{"https://gp.example/fhir/Medication/m3", med("m3", "relative to the base")},
		ent{"-", med("m4", "by type and id")},
		ent{"-", `{"resourceType":"Medication","id":"m5","identifier":[{"system":"https://x","value":"abc"}],"code":{"text":"conditional"}}`},
		ent{"-", med("m6", "versioned")},
		ent{"https://gp.example/fhir/MedicationStatement/s1", stmt("urn:uuid:1")},
		ent{"https://gp.example/fhir/MedicationStatement/s2", stmt("https://gp.example/fhir/Medication/m2")},
		ent{"https://gp.example/fhir/MedicationStatement/s3", stmt("Medication/m3")},
		ent{"-", stmt("Medication/m4")},
		ent{"-", stmt("Medication?identifier=https://x|abc")},
		ent{"-", stmt("Medication/m6/_history/3")},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active",
			"contained":[{"resourceType":"Medication","id":"c","code":{"text":"contained"}}],
			"medicationReference":{"reference":"#c"}}`},
	)
	rec := mustRead(t, data)
	want := []string{"by urn:uuid", "by absolute URL", "relative to the base", "by type and id", "conditional", "versioned", "contained"}
	if len(rec.Medications) != len(want) {
		t.Fatalf("medications = %d, want %d", len(rec.Medications), len(want))
	}
	for i, w := range want {
		if rec.Medications[i].Name != w {
			t.Errorf("reference form %q did not resolve", w)
		}
	}
}

func TestAmbiguousReferenceResolvesToNothing(t *testing.T) {
	data := withPatient("collection",
		ent{"-", `{"resourceType":"Medication","id":"m","code":{"text":"one"}}`},
		ent{"-", `{"resourceType":"Medication","id":"m","code":{"text":"two"}}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active","medicationReference":{"reference":"Medication/m"}}`})
	rec := mustRead(t, data)
	if len(rec.Medications) != 1 || rec.Medications[0].Name != "" {
		t.Errorf("a reference matching two resources picked one")
	}
}

func TestBloodPressureComponentsAreResultsInTheObservationsPanel(t *testing.T) {
	data := withPatient("collection", ent{"urn:uuid:bp", `{"resourceType":"Observation","id":"bp","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}],"text":"Blood pressure"},
		"effectiveDateTime":"2024-05-01T09:30:00Z",
		"component":[
		 {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}]},
		  "valueQuantity":{"value":128,"unit":"mmHg"},"referenceRange":[{"low":{"value":90},"high":{"value":140}}]},
		 {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4","display":"Diastolic blood pressure"}]},
		  "valueQuantity":{"value":82,"unit":"mmHg"}},
		 {"code":{"text":"Cuff size"},"dataAbsentReason":{"text":"not asked"}}]}`})
	rec := mustRead(t, data)
	if len(rec.Results) != 2 {
		t.Fatalf("results = %d, want one per valued component (2)", len(rec.Results))
	}
	sys, dia := rec.Results[0], rec.Results[1]
	if sys.Panel != "Blood pressure" || dia.Panel != "Blood pressure" {
		t.Errorf("components not grouped under the observation's title")
	}
	if sys.Code.String() != "LOINC:8480-6" || sys.Value == nil || *sys.Value != 128 || sys.Unit != "mmHg" ||
		sys.Low == nil || *sys.Low != 90 || sys.High == nil || *sys.High != 140 {
		t.Errorf("systolic component not read with code, value, unit and range")
	}
	if sys.Key == dia.Key || !strings.HasPrefix(sys.Key, "Observation/bp") {
		t.Errorf("component keys not distinct and derived from the observation")
	}
	if sys.Date != record.NewDate(2024, time.May, 1) {
		t.Errorf("component date not the observation's")
	}
}

func TestResultValuesInWordsAndComparators(t *testing.T) {
	obs := func(v string) ent {
		return ent{"-", `{"resourceType":"Observation","status":"final","code":{"text":"t"},` + v + `}`}
	}
	rec := mustRead(t, withPatient("collection",
		obs(`"valueQuantity":{"value":5,"comparator":"<","unit":"mmol/L"}`),
		obs(`"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"10828004","display":"Positive"}]}`),
		obs(`"valueString":"Normal sinus rhythm"`),
		obs(`"valueBoolean":true`),
		obs(`"valueInteger":7`),
		obs(`"hasMember":[]`+`,"dataAbsentReason":{"text":"x"}`),
	))
	if len(rec.Results) != 5 {
		t.Fatalf("results = %d, want 5", len(rec.Results))
	}
	r := rec.Results
	if r[0].Value != nil || r[0].Text != "<5" || r[0].Unit != "mmol/L" {
		t.Errorf("a comparator value must stay in words, not become the number")
	}
	if r[1].Text != "Positive" || r[2].Text != "Normal sinus rhythm" || r[3].Text != "yes" {
		t.Errorf("text values not read")
	}
	if r[4].Value == nil || *r[4].Value != 7 {
		t.Errorf("integer value not read")
	}
	if len(rec.Findings) != 1 || rec.Skipped[SkipNoValue] != 0 {
		t.Errorf("a coded observation without a value is not kept as a finding")
	}
}

func TestEnteredInErrorResourcesAreSkippedAndCounted(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"Condition","verificationStatus":"entered-in-error","code":{"text":"a"}}`},
		ent{"-", `{"resourceType":"Condition","verificationStatus":{"coding":[{"code":"entered-in-error"}]},"code":{"text":"b"}}`},
		ent{"-", `{"resourceType":"Observation","status":"entered-in-error","code":{"text":"c"},"valueString":"x"}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"entered-in-error","medicationCodeableConcept":{"text":"d"}}`},
		ent{"-", `{"resourceType":"Condition","code":{"text":"kept"}}`},
		ent{"-", `{"resourceType":"Condition","verificationStatus":{"coding":[{"code":"refuted"}]},"code":{"text":"ruled out"}}`},
		ent{"-", `{"resourceType":"Immunization","status":"not-done","vaccineCode":{"text":"flu"}}`},
		ent{"-", `{"resourceType":"Coverage","status":"active"}`},
		ent{"-", `{"resourceType":"Questionnaire","status":"active","code":[{"code":"x"}]}`},
	))
	if len(rec.Problems) != 1 || len(rec.Results) != 0 || len(rec.Medications) != 0 {
		t.Errorf("skipped resources were carried")
	}
	// An immunisation not given is carried, as not given: it matters.
	if len(rec.Immunisations) != 1 || !rec.Immunisations[0].NotGiven {
		t.Errorf("an immunisation not given is not carried as not given")
	}
	want := map[string]int{SkipEnteredInError: 4, SkipRefuted: 1, SkipNotDone: 0, "Coverage": 1, "Questionnaire": 1}
	for k, n := range want {
		if rec.Skipped[k] != n {
			t.Errorf("Skipped[%s] = %d, want %d", k, rec.Skipped[k], n)
		}
	}
}

func TestStatusesOfSTU3AndR4(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"Condition","clinicalStatus":"resolved","code":{"text":"stu3 resolved"}}`},
		ent{"-", `{"resourceType":"Condition","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"r4 active"}}`},
		ent{"-", `{"resourceType":"Condition","clinicalStatus":{"coding":[{"code":"remission"}]},"code":{"text":"r4 remission"}}`},
		ent{"-", `{"resourceType":"Condition","abatementDateTime":"2019","code":{"text":"abated"}}`},
		ent{"-", `{"resourceType":"Condition","code":{"text":"no status"}}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active","taken":"n","medicationCodeableConcept":{"text":"not taken"}}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"text":"taking"}}`},
		ent{"-", `{"resourceType":"MedicationRequest","status":"stopped","intent":"order","medicationCodeableConcept":{"text":"stopped"},
			"courseOfTherapyType":{"coding":[{"code":"continuous"}]}}`},
	))
	var ps []string
	for _, p := range rec.Problems {
		ps = append(ps, p.Status)
	}
	if got := strings.Join(ps, ","); got != "resolved,active,inactive,resolved,active" {
		t.Errorf("problem statuses = %s", got)
	}
	var ms []string
	for _, m := range rec.Medications {
		ms = append(ms, m.Status+"/"+m.Kind)
	}
	if got := strings.Join(ms, ","); got != "stopped/,current/,stopped/repeat" {
		t.Errorf("medication statuses/kinds = %s", got)
	}
}

func TestSecurityLabelsAndThirdPartyMarks(t *testing.T) {
	data := bundleOf("collection",
		ent{"urn:uuid:p1", patientJSON},
		ent{"-", `{"resourceType":"Condition","id":"hiv","meta":{"security":[
			{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"},
			{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"},
			{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"code":{"text":"x"}}`},
		ent{"-", `{"resourceType":"Condition","id":"psy","meta":{"security":[
			{"system":"http://hl7.org/fhir/v3/ActCode","code":"PSY"},{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"V"}]},"code":{"text":"y"}}`},
		ent{"-", `{"resourceType":"Condition","id":"tp","extension":[{"url":"https://example.nhs.uk/Extension-ThirdPartyInformation","valueBoolean":true}],"code":{"text":"z"}}`},
		ent{"-", `{"resourceType":"Condition","meta":{"security":[{"system":"https://example.org/labels","code":"THIRD-PARTY"}]},"code":{"text":"w"}}`},
		ent{"-", `{"resourceType":"Condition","id":"plain","code":{"text":"v"}}`},
	)
	rec := mustRead(t, data)
	p := rec.Problems
	if len(p) != 5 {
		t.Fatalf("problems = %d", len(p))
	}
	if strings.Join(p[0].Labels, ",") != "HIV,R" || strings.Join(p[1].Labels, ",") != "PSY,V" {
		t.Errorf("labels = %v and %v, want [HIV R] and [PSY V]", p[0].Labels, p[1].Labels)
	}
	if !p[2].ThirdParty || !p[3].ThirdParty || p[0].ThirdParty || p[4].ThirdParty || len(p[4].Labels) != 0 {
		t.Errorf("third-party marks wrong")
	}
	if p[0].Key != "Condition/hiv" || p[3].Key != "Bundle.entry[4].resource" {
		t.Errorf("keys = %q, %q: want Type/id, or the path without an id", p[0].Key, p[3].Key)
	}
}

func TestBundleLabelsApplyToEveryEntry(t *testing.T) {
	data := []byte(`{"resourceType":"Bundle","type":"collection",
		"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
		"entry":[{"resource":` + oneLine(patientJSON) + `},
		{"resource":{"resourceType":"AllergyIntolerance","code":{"text":"Penicillin"}}}]}`)
	rec := mustRead(t, data)
	if len(rec.Allergies) != 1 || strings.Join(rec.Allergies[0].Labels, ",") != "R" {
		t.Errorf("a label on the Bundle does not reach its entries")
	}
}

func TestDocumentsBecomeLetters(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	data := withPatient("collection",
		ent{"urn:uuid:dr", `{"resourceType":"Practitioner","id":"dr","name":[{"family":"Okafor","given":["Ada"],"prefix":["Dr"]}]}`},
		ent{"-", `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"urn:uuid:p1"},
			"type":{"text":"Discharge summary"},"date":"2024-03-02T10:00:00Z","author":[{"reference":"urn:uuid:dr"}],
			"content":[{"attachment":{"contentType":"text/plain; charset=utf-8","data":"` + b64("# Line one\r\nLine two") + `"}}]}`},
		ent{"-", `{"resourceType":"DocumentReference","status":"current","description":"Clinic letter",
			"content":[{"attachment":{"contentType":"application/pdf","data":"` + b64("%PDF-1.4") + `"}}]}`},
		ent{"urn:uuid:bin", `{"resourceType":"Binary","contentType":"text/markdown","data":"` + b64("# Plan") + `"}`},
		ent{"-", `{"resourceType":"DocumentReference","status":"current","description":"In a Binary",
			"content":[{"attachment":{"contentType":"text/markdown","url":"urn:uuid:bin"}}]}`},
		ent{"-", `{"resourceType":"DocumentReference","status":"superseded","description":"Old",
			"content":[{"attachment":{"contentType":"text/plain","data":"` + b64("old") + `"}}]}`},
	)
	rec := mustRead(t, data)
	if len(rec.Letters) != 3 {
		t.Fatalf("letters = %d, want 3", len(rec.Letters))
	}
	l := rec.Letters
	if l[0].Title != "Discharge summary" || l[0].Body != "\\# Line one\\\nLine two" || l[0].From != "Dr Ada Okafor" ||
		l[0].Date != record.NewDate(2024, time.March, 2) {
		t.Errorf("text letter not read with title, body (plain text kept as typed, line by line), author and date")
	}
	if l[1].Title != "Clinic letter" || l[1].Body != "" {
		t.Errorf("a PDF must be listed by title only")
	}
	if l[2].Body != "# Plan" {
		t.Errorf("a body held in a Binary was not read")
	}
	if rec.Skipped[SkipSuperseded] != 1 {
		t.Errorf("superseded document not counted")
	}
}

func TestPartialDatesStayPartial(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"Condition","code":{"text":"a"},"onsetDateTime":"2015"}`},
		ent{"-", `{"resourceType":"Condition","code":{"text":"b"},"onsetDateTime":"2016-10"}`},
		ent{"-", `{"resourceType":"Condition","code":{"text":"c"},"onsetDateTime":"2017-03-28T10:30:00+01:00"}`}))
	got := []record.Precision{rec.Problems[0].Onset.Precision, rec.Problems[1].Onset.Precision, rec.Problems[2].Onset.Precision}
	if got[0] != record.Year || got[1] != record.Month || got[2] != record.Day || rec.Problems[2].Onset.ISO() != "2017-03-28" {
		t.Errorf("precisions = %v, want year, month, day", got)
	}
	if rec.Patient.Born.ISO() != "1980-02-29" || rec.Patient.Name != secretName+" Quixote" || rec.Patient.NHSNumber != "9990000018" {
		t.Errorf("patient identity not read")
	}
}

func TestCodesPreferSNOMEDAndKeepOnlyKnownSystems(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"Condition","code":{"coding":[
			{"system":"http://hl7.org/fhir/sid/icd-10","code":"J45","display":"Asthma (ICD)"},
			{"system":"http://snomed.info/sct","code":"195967001","display":"Asthma"}]}}`},
		ent{"-", `{"resourceType":"Condition","code":{"coding":[
			{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}],"text":"High blood pressure"}}`},
		ent{"-", `{"resourceType":"Condition","code":{"coding":[{"system":"http://read.info/ctv3","code":"XE0Uh","display":"Local"}]}}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"coding":[
			{"system":"http://snomed.info/sct","code":"39720311000001101","display":"Paracetamol 500mg tablets"}]}}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"coding":[
			{"system":"https://dmd.nhs.uk","code":"42109611000001109","display":"Paracetamol"}]}}`},
	))
	p := rec.Problems
	if p[0].Code.String() != "SNOMED:195967001" || p[0].Code.Display != "Asthma" || p[0].Title != "Asthma" {
		t.Errorf("SNOMED not preferred over ICD-10 listed first")
	}
	if p[1].Code.String() != "ICD10:I10" || p[1].Title != "High blood pressure" || p[1].Code.Display != "High blood pressure" {
		t.Errorf("ICD-10-CM not kept, or the concept text not used")
	}
	if !p[2].Code.IsZero() || p[2].Title != "Local" {
		t.Errorf("a code from another system was kept, or its words lost")
	}
	if rec.Medications[0].Code.System != "DMD" || rec.Medications[1].Code.System != "DMD" {
		t.Errorf("dm+d not identified in a SNOMED coding and in its own system")
	}
}

func TestMedicationIssuesFoldIntoTheirStatement(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"MedicationRequest","id":"plan","status":"active","intent":"plan",
			"extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
			"valueCodeableConcept":{"coding":[{"code":"repeat"}]}}],"medicationCodeableConcept":{"text":"Ramipril"},
			"dosageInstruction":[{"text":"One daily"}]}`},
		ent{"-", `{"resourceType":"MedicationRequest","id":"issue1","status":"completed","intent":"order",
			"basedOn":[{"reference":"MedicationRequest/plan"}],"medicationCodeableConcept":{"text":"Ramipril"}}`},
		ent{"-", `{"resourceType":"MedicationStatement","status":"active","basedOn":[{"reference":"MedicationRequest/plan"}],
			"medicationCodeableConcept":{"text":"Ramipril"},"effectivePeriod":{"start":"2023-01-05"}}`},
		ent{"-", `{"resourceType":"MedicationRequest","id":"lone","status":"active","intent":"order","medicationCodeableConcept":{"text":"Amoxicillin"}}`},
	))
	if len(rec.Medications) != 2 {
		t.Fatalf("medications = %d, want the statement and the lone request", len(rec.Medications))
	}
	m := rec.Medications[0]
	if m.Kind != "repeat" || m.Dose != "One daily" || m.Start != record.NewDate(2023, time.January, 5) {
		t.Errorf("statement did not take kind and dose from its authorisation")
	}
}

func TestDevicesFromDeviceAndDeviceUseStatement(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"urn:uuid:d1", `{"resourceType":"Device","type":{"coding":[{"system":"http://snomed.info/sct","code":"14106009","display":"Cardiac pacemaker"}]},
			"patient":{"reference":"urn:uuid:p1"}}`},
		ent{"urn:uuid:d2", `{"resourceType":"Device","type":{"text":"Hip prosthesis"},"patient":{"reference":"urn:uuid:p1"}}`},
		ent{"-", `{"resourceType":"DeviceUseStatement","status":"active","subject":{"reference":"urn:uuid:p1"},
			"device":{"reference":"urn:uuid:d2"},"timingPeriod":{"start":"2012-06"}}`},
		ent{"urn:uuid:d3", `{"resourceType":"Device","type":{"text":"Sending system"}}`},
	))
	if len(rec.Devices) != 2 {
		t.Fatalf("devices = %d, want 2 (the sending system's device is not the patient's)", len(rec.Devices))
	}
	if rec.Devices[0].Code.String() != "SNOMED:14106009" || rec.Devices[1].Title != "Hip prosthesis" ||
		rec.Devices[1].Date.ISO() != "2012-06" {
		t.Errorf("devices not read from Device and DeviceUseStatement")
	}
}

func TestFlagsCarePlansEncountersAndReferrals(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"Flag","status":"active","code":{"text":"Difficult airway"},"period":{"start":"2021-04-01"}}`},
		ent{"-", `{"resourceType":"Flag","status":"inactive","code":{"text":"Old"}}`},
		ent{"-", `{"resourceType":"CarePlan","status":"active","intent":"plan","title":"Asthma action plan","description":"Use the brown inhaler twice daily"}`},
		ent{"-", `{"resourceType":"Encounter","status":"finished","type":[{"text":"Surgery consultation"}],"period":{"start":"2024-01-02T09:00:00Z"}}`},
		ent{"-", `{"resourceType":"ReferralRequest","status":"active","intent":"order","serviceRequested":[{"text":"Physiotherapy"}],"authoredOn":"2024-01-02"}`},
		ent{"-", `{"resourceType":"ServiceRequest","status":"completed","intent":"order","code":{"text":"Chest X-ray"}}`},
	))
	if len(rec.Alerts) != 1 || rec.Alerts[0].Title != "Difficult airway" || rec.Skipped[SkipInactive] != 1 {
		t.Errorf("flags not read, or an inactive flag not skipped")
	}
	if len(rec.CarePlans) != 1 || rec.CarePlans[0].Title != "Asthma action plan" || rec.CarePlans[0].Summary == "" {
		t.Errorf("care plan not read")
	}
	if len(rec.Encounters) != 1 || rec.Encounters[0].Title != "Surgery consultation" || rec.Encounters[0].Date.ISO() != "2024-01-02" {
		t.Errorf("encounter not read")
	}
	if len(rec.Referrals) != 2 || rec.Referrals[0].Title != "Physiotherapy" || rec.Referrals[1].Status != "completed" {
		t.Errorf("referrals not read")
	}
	if rec.Format != FormatSTU3 && rec.Format != FormatR4 {
		t.Errorf("format not set")
	}
}

func TestEntriesAboutAnotherPatientAreSkipped(t *testing.T) {
	rec := mustRead(t, bundleOf("searchset",
		ent{"https://x/fhir/Patient/p1", strings.Replace(patientJSON, `"id":"p1"`, `"id":"p1"`, 1)},
		ent{"-", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"text":"mine"}}`},
		ent{"-", `{"resourceType":"Condition","subject":{"reference":"Patient/p2"},"code":{"text":"theirs"}}`},
		ent{"-", `{"resourceType":"AllergyIntolerance","patient":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}},"code":{"text":"theirs"}}`},
		ent{"-", `{"resourceType":"Condition","subject":{"reference":"urn:uuid:unknown"},"code":{"text":"dangling"}}`},
	))
	if len(rec.Problems) != 2 || len(rec.Allergies) != 0 || rec.Skipped[SkipOtherPatient] != 2 {
		t.Errorf("problems %d, allergies %d, other-patient %d: want 2, 0, 2",
			len(rec.Problems), len(rec.Allergies), rec.Skipped[SkipOtherPatient])
	}
}

func TestOddShapesInResourcesSatchelDoesNotReadAreNoProblem(t *testing.T) {
	// An R5-style Composition (subject is a list) cannot be decoded in the
	// single pass; the reader falls back to decoding entry by entry.
	rec := mustRead(t, withPatient("document",
		ent{"-", `{"resourceType":"Composition","subject":[{"reference":"urn:uuid:p1"}],"title":"Summary"}`},
		ent{"-", `{"resourceType":"Basic","period":"not a period"}`},
		ent{"-", `{"resourceType":"Condition","code":{"text":"Asthma"},"onsetDateTime":"2001"}`}))
	if len(rec.Problems) != 1 || rec.Problems[0].Onset.ISO() != "2001" || rec.Skipped["Basic"] != 1 {
		t.Errorf("record not read past an odd resource it does not need")
	}
}

func TestByteOrderMarkAndCRLFAreAccepted(t *testing.T) {
	data := append([]byte("\xef\xbb\xbf"), []byte(strings.ReplaceAll(string(withPatient("collection")), "\n", "\r\n"))...)
	if rec := mustRead(t, data); rec.Patient.NHSNumber != "9990000018" {
		t.Errorf("patient not read")
	}
}

func TestSyntheticNHSNumberPassesModulus11(t *testing.T) {
	n := "9990000018"
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(n[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || int(n[9]-'0') != check {
		t.Errorf("test NHS number fails the modulus 11 check")
	}
}

func TestSlowPathReadsEveryFixtureLikeTheFastPath(t *testing.T) {
	checkBothPathsAlike(t, testtool.PublicFHIR(t))
}

// checkBothPathsAlike checks that the one-pass and the entry-by-entry
// paths read each file alike.
func checkBothPathsAlike(t *testing.T, files []testtool.FHIRFile) {
	t.Helper()
	for _, f := range files {
		fast, err1 := read(f.Path, f.Data, true)
		slow, err2 := read(f.Path, f.Data, false)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: fast %v, slow %v", f.Name, err1, err2)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: the entry-by-entry path reads the file differently", f.Name)
		}
	}
}

// Bytes that are not UTF-8 are refused at their line, not turned into
// U+FFFD; a resourceType is named only when it is one of FHIR's own.
func TestInvalidUTF8AndUnknownResourceTypesAreNamedNotEchoed(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ json, want, not string }{
		"invalid UTF-8": {"{\"resourceType\":\"Bundle\",\n\"type\":\"collection\",\n\"id\":\"Quill\xfffeather\"}",
			"x.json:3: not valid UTF-8", "Quill"},
		"unknown type": {`{"resourceType":"Quillfeather"}`, "not a FHIR Bundle (resourceType is not a known resource type)", "Quill"},
		"known type":   {`{"resourceType":"Patient"}`, "not a FHIR Bundle (resourceType is Patient)", ""},
	} {
		_, err := Read("x.json", []byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
		if tc.not != "" && err != nil && strings.Contains(err.Error(), tc.not) {
			t.Errorf("%s: the error echoes the file: %v", name, err)
		}
	}
}
