package ips

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

const samplesDir = "../../sample-data/records"

// testNow is the build time the tests pretend: after every sample approval.
func testNow() time.Time { return time.Date(2026, time.November, 20, 10, 30, 0, 0, time.UTC) }

func testMeta() Meta {
	return Meta{
		Practice: site.Practice{Name: "Riverside Medical Centre", Address: "14 Mill Lane, Riverside, Exampleton EX9 1RM",
			Phone: "01632 960123", ODS: "Y99999"},
		Approver: "Dr Amara Okafor",
		Role:     "GP partner",
		Approved: record.NewDate(2026, time.November, 18),
		Exported: testNow(),
		BundleID: "7m2q9x4k1c8v3b6n5z0p2r4t6w",
	}
}

// input is one record the tests write out.
type input struct {
	name string // file name, never record content
	rec  *record.Record
}

// samples returns every sample patient the policy lets out, filtered as a
// build filters them.
func samples(t testing.TB) []input {
	t.Helper()
	var out []input
	files, err := filepath.Glob(filepath.Join(samplesDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".approval.toml") || !(strings.HasSuffix(f, ".toml") || strings.HasSuffix(f, ".json")) {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%s: cannot read", f)
		}
		rec, err := load.Record(f, data)
		if err != nil {
			t.Fatalf("%s: the sample record does not load", f)
		}
		appr, err := policy.ReadApproval(policy.ApprovalPath(f))
		if err != nil {
			t.Fatalf("%s: the sample approval does not load", f)
		}
		if appr == nil {
			continue // awaiting approval: never built
		}
		d := policy.DefaultRules().Apply(rec, appr, testNow())
		if d.Out == nil {
			continue
		}
		out = append(out, input{name: filepath.Base(f), rec: d.Out})
	}
	if len(out) < 8 {
		t.Fatalf("only %d sample patients build: want the sample practice in %s", len(out), samplesDir)
	}
	return out
}

// fhirInputs returns Satchel's own synthetic FHIR bundles and, when they
// are there, the public FHIR examples nobody on this project wrote, read
// with our own reader.
func fhirInputs(t testing.TB) []input {
	t.Helper()
	var out []input
	for _, f := range append(testtool.OwnFHIR(t), testtool.PublicFHIRIfPresent(t)...) {
		rec, err := fhir.Read(f.Path, f.Data)
		if err != nil {
			t.Fatalf("%s: FHIR file does not read", f.Name)
		}
		out = append(out, input{name: f.Name, rec: rec})
	}
	return out
}

func allInputs(t testing.TB) []input { return append(samples(t), fhirInputs(t)...) }

func write(t testing.TB, name string, rec *record.Record, m Meta) []byte {
	t.Helper()
	out, err := Document(rec, m)
	if err != nil {
		t.Fatalf("%s: Document failed: %v", name, err)
	}
	return out
}

func TestEveryRecordBecomesAValidIPSDocument(t *testing.T) {
	t.Parallel()
	for _, in := range allInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			out := write(t, in.name, in.rec, testMeta())
			b := validate(t, out)
			if t.Failed() {
				return
			}
			got := sectionCounts(t, b)
			want := recordCounts(in.rec)
			for _, k := range sortedKeys(want) {
				if got[k] != want[k] {
					t.Errorf("section %s lists %d entries, the record holds %d", k, got[k], want[k])
				}
			}
			for _, k := range sortedKeys(got) {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected section content %s", k)
				}
			}
		})
	}
}

func TestOurFHIRReaderReadsBackWhatWeWrite(t *testing.T) {
	t.Parallel()
	for _, in := range allInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			out := write(t, in.name, in.rec, testMeta())
			back, err := fhir.Read("record.json", out)
			if err != nil {
				t.Fatalf("our reader refuses the document: %v", err)
			}
			for _, k := range sortedKeys(recordCounts(in.rec)) {
				if a, b := recordCounts(back)[k], recordCounts(in.rec)[k]; a != b {
					t.Errorf("%s: read back %d, wrote %d", k, a, b)
				}
			}
			if n := skippedTotal(back); n != 0 {
				t.Errorf("the reader skipped %d resources of the document", n)
			}
			// An independent count (no code shared with the reader or writer).
			c, err := testtool.CountFHIR(out)
			if err != nil {
				t.Fatal("CountFHIR cannot decode the document")
			}
			want := testtool.FHIRCounts{Problems: len(in.rec.Problems), Medications: len(in.rec.Medications),
				Allergies: len(in.rec.Allergies), Immunisations: len(in.rec.Immunisations), Results: resultsWithValue(in.rec),
				Findings: len(in.rec.Findings), AdvanceDecisions: len(in.rec.AdvanceDecisions)}
			if c != want {
				t.Errorf("independent counts %+v, want %+v", c, want)
			}
		})
	}
}

// TestRoundTripKeepsWhatTheDocumentShows checks, field by field, that what
// a receiver reads from record.json is what the patient's document shows.
func TestRoundTripKeepsWhatTheDocumentShows(t *testing.T) {
	t.Parallel()
	for _, in := range allInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			out := write(t, in.name, in.rec, testMeta())
			back, err := fhir.Read("record.json", out)
			if err != nil {
				t.Fatalf("our reader refuses the document: %v", err)
			}
			compareRecords(t, view(in.rec, true), view(back, false))
		})
	}
}

func TestWithheldEntriesNeverReachFHIR(t *testing.T) {
	t.Parallel()
	f := filepath.Join(samplesDir, "rmc-0005.toml")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal("cannot read the sample with third-party information")
	}
	rec, err := load.Record(f, data)
	if err != nil {
		t.Fatal("the sample does not load")
	}
	// Entries withheld each way the policy knows, each with words of its own.
	rec.Problems = append(rec.Problems,
		record.Problem{Mark: record.Mark{Labels: []string{"PSY"}, Key: "Condition/zq-label-key"}, Title: "Zqlabelled condition", Code: record.Code{System: "SNOMED", Value: "192080009"}},
		record.Problem{Title: "Zqsensitive termination", Code: record.Code{System: "SNOMED", Value: "386639001"}})
	rec.Results = append(rec.Results, record.Result{Mark: record.Mark{Withheld: true, Reason: "Zqreason given"}, Title: "Zqwithheld result", Text: "Zqwithheld value"})
	rec.Letters = append(rec.Letters, record.Letter{Mark: record.Mark{ThirdParty: true}, Title: "Zqthird letter", Body: "Zqthird body"})
	appr := &policy.Approval{Approver: "Dr A", Role: "GP", Date: record.NewDate(2026, time.November, 18)}
	d := policy.DefaultRules().Apply(rec, appr, testNow())
	if d.Out == nil {
		t.Fatal("the record is blocked: the test needs one that builds")
	}
	if d.Withheld[policy.RuleSecurityLabel] == 0 || d.Withheld[policy.RuleSensitiveCode] == 0 ||
		d.Withheld[policy.RuleMarkedWithheld] == 0 || d.Withheld[policy.RuleThirdParty] == 0 {
		t.Fatal("the policy did not withhold an entry under every rule: the test proves nothing")
	}
	out := write(t, "rmc-0005", d.Out, testMeta())
	probes := []string{"Brambleworth", "brambleworth", "Zq", "zq", "386639001", "PSY", "withheld", "Withheld",
		"third", "Third", "confidence", "rmc-0005", "sample-data", ".toml", "problems[", "Condition/"}
	for i, word := range probes {
		if bytes.Contains(out, []byte(word)) {
			t.Errorf("a withheld entry, its mark or the record's internal id reached record.json (probe %d)", i)
		}
	}
	// The words are also absent once base64 is undone (letters are encoded).
	b := validate(t, out)
	for _, e := range b.entries {
		if e.resourceType != "DocumentReference" {
			continue
		}
		for _, c := range list(e.res["content"]) {
			data, _ := base64.StdEncoding.DecodeString(str(obj(obj(c)["attachment"])["data"]))
			if bytes.Contains(data, []byte("Zq")) || bytes.Contains(data, []byte("Brambleworth")) {
				t.Error("a withheld letter body reached record.json")
			}
		}
	}
}

func TestSameInputGivesTheSameBytes(t *testing.T) {
	t.Parallel()
	for _, in := range samples(t)[:3] {
		a := write(t, in.name, in.rec, testMeta())
		b := write(t, in.name, in.rec, testMeta())
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", in.name)
		}
		m := testMeta()
		m.BundleID = "0000000000000000000000000a"
		c := write(t, in.name, in.rec, m)
		if bytes.Equal(a, c) {
			t.Errorf("%s: another bundle id gives the same document", in.name)
		}
		ids := func(data []byte) []string {
			var ids []string
			for _, e := range validate(t, data).entries {
				ids = append(ids, e.fullURL)
			}
			return ids
		}
		idsA := ids(a)
		for _, id := range ids(c) {
			if slices.Contains(idsA, id) {
				t.Errorf("%s: a resource id does not depend on the bundle id", in.name)
				break
			}
		}
	}
}

func TestEmptyRecordKeepsTheThreeRequiredSections(t *testing.T) {
	t.Parallel()
	rec := &record.Record{Patient: record.Patient{Name: "Alex Smith"}}
	b := validate(t, write(t, "empty", rec, testMeta()))
	secs := list(b.composition["section"])
	if len(secs) != 3 {
		t.Fatalf("an empty record has %d sections, want the 3 the IPS requires", len(secs))
	}
	for i, want := range []string{loincAllergies, loincMedications, loincProblems} {
		s := obj(secs[i])
		if code := str(obj(list(obj(s["code"])["coding"])[0])["code"]); code != want {
			t.Errorf("section %d has code %s, want %s", i, code, want)
		}
		if s["entry"] != nil || s["emptyReason"] == nil {
			t.Errorf("empty section %s must have an emptyReason and no entries", want)
		}
		if !strings.Contains(str(obj(s["text"])["div"]), noInformation) {
			t.Errorf("empty section %s does not say %q", want, noInformation)
		}
	}
}

func TestPatientIdentityIsWritten(t *testing.T) {
	t.Parallel()
	rec := &record.Record{ID: "rmc-9999", Source: "/secret/path/rmc-9999.toml", Patient: record.Patient{
		Name: "Mrs Jane Q Public", Born: record.Date{Time: time.Date(1971, 3, 1, 0, 0, 0, 0, time.UTC), Precision: record.Month},
		NHSNumber: "999 123 4560", Sex: "female"}}
	out := write(t, "patient", rec, testMeta())
	b := validate(t, out)
	p := b.byType("Patient")[0].res
	id := obj(list(p["identifier"])[0])
	name := obj(list(p["name"])[0])
	switch {
	case str(id["system"]) != systemNHSNumber || str(id["value"]) != "9991234560":
		t.Error("NHS number: want the NHS number system and the digits without spaces")
	case str(p["gender"]) != "female" || str(p["birthDate"]) != "1971-03":
		t.Error("gender or partial birth date not written as FHIR wants")
	case str(name["text"]) != "Mrs Jane Q Public" || str(name["family"]) != "Public" ||
		!slices.Equal(strs(name["given"]), []string{"Jane", "Q"}) || !slices.Equal(strs(name["prefix"]), []string{"Mrs"}):
		t.Error("name not split into text, prefix, given and family")
	}
	if bytes.Contains(out, []byte("rmc-9999")) || bytes.Contains(out, []byte("/secret/path")) {
		t.Error("the record's internal id or source path reached record.json")
	}
}

func TestNarrativeEscapesWhatTheRecordSays(t *testing.T) {
	t.Parallel()
	evil := `<script>alert("x")</script> & <b onclick=x>`
	v := 7.0
	rec := &record.Record{Patient: record.Patient{Name: "Alex Smith"},
		Problems:    []record.Problem{{Title: evil, Status: "active"}},
		Medications: []record.Medication{{Name: evil, Dose: "a\nb\x00c"}},
		Allergies:   []record.Allergy{{Substance: evil, Reaction: evil}},
		Results:     []record.Result{{Title: evil, Value: &v, Unit: evil, Panel: evil}},
		CarePlans:   []record.CarePlan{{Title: evil, Summary: "line one\nline two"}},
	}
	b := validate(t, write(t, "evil", rec, testMeta())) // parses every narrative as XHTML, refusing script
	var divs string
	for _, s := range list(b.composition["section"]) {
		divs += str(obj(obj(s)["text"])["div"])
	}
	if strings.Contains(divs, "<script") || strings.Contains(divs, "<b ") {
		t.Error("markup from the record reached a narrative unescaped")
	}
	if !strings.Contains(divs, "&lt;script&gt;") || !strings.Contains(divs, "line one<br/>line two") {
		t.Error("the record's words or line breaks are missing from the narrative")
	}
}

func TestResultsKeepValuesRangesAndPanels(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	day := record.NewDate(2026, time.September, 15)
	rec := &record.Record{Patient: record.Patient{Name: "Alex Smith"}, Results: []record.Result{
		{Title: "Haemoglobin", Code: record.Code{System: "LOINC", Value: "718-7"}, Value: f(118), Unit: "g/L", Low: f(130), High: f(180), Date: day, Panel: "Full blood count"},
		{Title: "Platelets", Value: f(254), Unit: "10*9/L", Low: f(150), High: f(400), Date: day, Panel: "Full blood count"},
		{Title: "Systolic blood pressure", Code: record.Code{System: "LOINC", Value: "8480-6"}, Value: f(152), Unit: "mmHg", High: f(140), Date: day, Panel: "Blood pressure"},
		{Title: "Diastolic blood pressure", Value: f(78), Unit: "mmHg", Date: day, Panel: "Blood pressure"},
		{Title: "CRP", Text: "<5", Unit: "mg/L", Date: day},
		{Title: "ECG", Text: "Sinus rhythm", Date: day},
	}}
	b := validate(t, write(t, "results", rec, testMeta()))
	obs := b.byType("Observation")
	if len(obs) != 8 {
		t.Fatalf("%d Observations, want 6 results and 2 panels", len(obs))
	}
	hb, bp := obs[1].res, obs[4].res
	switch {
	case len(list(obs[0].res["hasMember"])) != 2 || str(obj(obs[0].res["code"])["text"]) != "Full blood count":
		t.Error("the full blood count panel does not group its two results")
	case jsonNum(obj(hb["valueQuantity"])["value"]) != 118 || str(obj(hb["valueQuantity"])["unit"]) != "g/L":
		t.Error("haemoglobin value or unit lost")
	case jsonNum(obj(obj(list(hb["referenceRange"])[0])["low"])["value"]) != 130:
		t.Error("reference range lost")
	case str(obj(list(obj(list(hb["interpretation"])[0])["coding"])[0])["code"]) != "L":
		t.Error("a value under its range is not interpreted as low")
	case str(obj(list(obj(list(bp["category"])[0])["coding"])[0])["code"]) != "vital-signs":
		t.Error("blood pressure not filed as a vital sign")
	case str(obj(obs[6].res["valueQuantity"])["comparator"]) != "<":
		t.Error("a value with a comparator did not become a Quantity")
	case str(obs[7].res["valueString"]) != "Sinus rhythm":
		t.Error("a result in words did not become valueString")
	}
	// The section lists the panels and the standalone results, not the members.
	if n := len(list(b.section(loincResults)["entry"])); n != 4 {
		t.Errorf("results section lists %d entries, want 2 panels and 2 results", n)
	}
}

func TestNumbersJSONCannotHoldAreLeftOut(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	rec := &record.Record{Patient: record.Patient{Name: "Alex Smith"}, Results: []record.Result{
		{Title: "Odd", Value: &nan, Low: &inf, High: &nan, Unit: "mmol/L"},
	}}
	b := validate(t, write(t, "nan", rec, testMeta()))
	o := b.byType("Observation")[0].res
	if o["referenceRange"] != nil || obj(o["valueQuantity"])["value"] != nil {
		t.Error("a NaN or infinite number reached record.json")
	}
}

func TestMissingMetaIsRefused(t *testing.T) {
	t.Parallel()
	rec := &record.Record{Patient: record.Patient{Name: "Alex Smith"}}
	for name, m := range map[string]func(*Meta){
		"bundle id":   func(m *Meta) { m.BundleID = " " },
		"export time": func(m *Meta) { m.Exported = time.Time{} },
		"practice":    func(m *Meta) { m.Practice.Name = "" },
	} {
		meta := testMeta()
		m(&meta)
		if _, err := Document(rec, meta); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("missing %s: want an error naming it", name)
		}
	}
	if _, err := Document(nil, testMeta()); err == nil {
		t.Error("a nil record: want an error")
	}
}

func TestUUIDsAreVersion5(t *testing.T) {
	t.Parallel()
	// A known answer: Python's uuid.uuid5(uuid.NAMESPACE_URL, "http://example.com/").
	if got := uuid5("http://example.com/"); got != "0a300ee9-f9e4-5697-a51a-efc7fafaba67" {
		t.Errorf("uuid5 = %s, want Python's answer", got)
	}
}

func BenchmarkDocument(b *testing.B) {
	var in input
	for _, s := range samples(b) {
		if s.name == "rmc-0001.toml" {
			in = s
		}
	}
	if in.rec == nil {
		b.Fatal("sample rmc-0001 is missing")
	}
	m := testMeta()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Document(in.rec, m); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- structural validation of a FHIR R4 document Bundle ----

type res struct {
	fullURL, resourceType string
	res                   map[string]any
}

type decoded struct {
	entries     []res
	byURL       map[string]res
	composition map[string]any
}

func (b *decoded) byType(rt string) []res {
	var out []res
	for _, e := range b.entries {
		if e.resourceType == rt {
			out = append(out, e)
		}
	}
	return out
}

func (b *decoded) section(code string) map[string]any {
	for _, s := range list(b.composition["section"]) {
		if str(obj(list(obj(obj(s)["code"])["coding"])[0])["code"]) == code {
			return obj(s)
		}
	}
	return nil
}

var (
	uuidURN  = regexp.MustCompile(`^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)
	instant  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
	dateTime = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?)?)?$`)
	fhirID   = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)
)

// requiredElements lists, per resource type, elements R4 (or the IPS
// shape we promise) requires; "a|b" means one of them.
func requiredElements() map[string][]string {
	return map[string][]string{
		"Composition":         {"status", "type", "subject", "date", "author", "title", "section"},
		"Patient":             {},
		"Organization":        {"name"},
		"Practitioner":        {"name"},
		"PractitionerRole":    {"practitioner", "organization"},
		"Condition":           {"clinicalStatus", "category", "code", "subject"},
		"MedicationStatement": {"status", "medicationCodeableConcept", "subject"},
		"MedicationRequest":   {"status", "intent", "medicationCodeableConcept", "subject"},
		"AllergyIntolerance":  {"clinicalStatus", "code", "patient"},
		"Immunization":        {"status", "vaccineCode", "patient", "occurrenceDateTime|occurrenceString"},
		"Observation":         {"status", "code", "subject", "valueQuantity|valueString|dataAbsentReason|hasMember"},
		"Procedure":           {"status", "code", "subject"},
		"Device":              {"type", "patient"},
		"DeviceUseStatement":  {"status", "subject", "device"},
		"Flag":                {"status", "code", "subject"},
		"CarePlan":            {"status", "intent", "subject", "title"},
		"ServiceRequest":      {"status", "intent", "code", "subject"},
		"Encounter":           {"status", "class", "type", "subject"},
		"DocumentReference":   {"status", "type", "subject", "description", "content"},
		"Consent":             {"status", "scope", "category", "patient"},
	}
}

// allowedCodes lists, per resource type and element, the codes we may write.
func allowedCodes() map[string]map[string][]string {
	return map[string]map[string][]string{
		"Composition":         {"status": {"final"}},
		"Condition":           {},
		"MedicationStatement": {"status": {"active", "stopped"}},
		"MedicationRequest":   {"status": {"active", "stopped"}, "intent": {"order"}},
		"AllergyIntolerance":  {"criticality": {"low", "high", "unable-to-assess"}},
		"Immunization":        {"status": {"completed", "not-done"}},
		"Consent":             {"status": {"active", "inactive"}},
		"Observation":         {"status": {"final"}},
		"Procedure":           {"status": {"completed"}},
		"DeviceUseStatement":  {"status": {"active"}},
		"Flag":                {"status": {"active"}},
		"CarePlan":            {"status": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}, "intent": {"plan"}},
		"ServiceRequest":      {"status": {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}, "intent": {"order"}},
		"Encounter":           {"status": {"finished", "unknown"}},
		"DocumentReference":   {"status": {"current"}},
		"Patient":             {"gender": {"male", "female", "other", "unknown"}},
	}
}

// validate checks data against the R4 rules for a document Bundle and
// the elements we promise, and returns it decoded. Messages name paths,
// never values: the values are patient data.
func validate(t testing.TB, data []byte) *decoded {
	t.Helper()
	var b map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		t.Fatal("record.json is not JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatal("record.json holds more than one JSON value")
	}
	if str(b["resourceType"]) != "Bundle" || str(b["type"]) != "document" {
		t.Fatal("not a Bundle of type document")
	}
	id := obj(b["identifier"])
	if str(id["system"]) == "" || str(id["value"]) == "" {
		t.Error("Bundle.identifier needs a system and a value (bdl-9)")
	}
	if !instant.MatchString(str(b["timestamp"])) {
		t.Error("Bundle.timestamp is not an instant (bdl-10)")
	}
	out := &decoded{byURL: map[string]res{}}
	for i, e := range list(b["entry"]) {
		em := obj(e)
		r := obj(em["resource"])
		u := str(em["fullUrl"])
		m := uuidURN.FindStringSubmatch(u)
		if m == nil {
			t.Errorf("Bundle.entry[%d].fullUrl is not a urn:uuid of a version 5 UUID", i)
			continue
		}
		if _, dup := out.byURL[u]; dup {
			t.Errorf("Bundle.entry[%d].fullUrl repeats another entry's (bdl-7)", i)
		}
		rt := str(r["resourceType"])
		if rt == "" {
			t.Errorf("Bundle.entry[%d].resource has no resourceType", i)
		}
		if str(r["id"]) != m[1] || !fhirID.MatchString(str(r["id"])) {
			t.Errorf("Bundle.entry[%d].resource.id does not match its fullUrl", i)
		}
		e := res{fullURL: u, resourceType: rt, res: r}
		out.entries = append(out.entries, e)
		out.byURL[u] = e
	}
	if len(out.entries) == 0 || out.entries[0].resourceType != "Composition" {
		t.Fatal("the first entry is not a Composition (bdl-11)")
	}
	out.composition = out.entries[0].res
	if !instant.MatchString(str(out.composition["date"])) || str(out.composition["date"]) != str(b["timestamp"]) {
		t.Error("Composition.date is not the export instant")
	}
	if code := obj(list(obj(out.composition["type"])["coding"])[0]); str(code["system"]) != systemLOINC || str(code["code"]) != loincPatientSummary {
		t.Error("Composition.type is not LOINC 60591-5")
	}
	for _, a := range list(out.composition["attester"]) {
		if str(obj(a)["mode"]) != "professional" || obj(a)["party"] == nil {
			t.Error("Composition.attester is not a professional attester with a party")
		}
	}
	required, codes := requiredElements(), allowedCodes()
	for i, e := range out.entries {
		path := fmt.Sprintf("Bundle.entry[%d].resource(%s)", i, e.resourceType)
		reqs, ok := required[e.resourceType]
		if !ok {
			t.Errorf("%s: a resource type we do not mean to write", path)
		}
		for _, req := range reqs {
			found := false
			for _, alt := range strings.Split(req, "|") {
				if e.res[alt] != nil {
					found = true
				}
			}
			if !found {
				t.Errorf("%s.%s is required", path, req)
			}
		}
		for field, allowed := range codes[e.resourceType] {
			if v, ok := e.res[field]; ok && !slices.Contains(allowed, str(v)) {
				t.Errorf("%s.%s is not a code R4 allows here", path, field)
			}
		}
		if e.resourceType == "Observation" {
			n := 0
			for _, k := range []string{"valueQuantity", "valueString", "dataAbsentReason"} {
				if e.res[k] != nil {
					n++
				}
			}
			if n > 1 {
				t.Errorf("%s has more than one of value[x] and dataAbsentReason (obs-6)", path)
			}
			if e.res["component"] != nil {
				t.Errorf("%s has components: we write one Observation per result", path)
			}
		}
		if e.resourceType == "MedicationStatement" {
			for _, bo := range list(e.res["basedOn"]) {
				req := out.byURL[str(obj(bo)["reference"])]
				if req.resourceType != "MedicationRequest" || str(req.res["status"]) != str(e.res["status"]) {
					t.Errorf("%s.basedOn is not a MedicationRequest of the same status", path)
				}
			}
		}
		if e.resourceType == "DocumentReference" {
			for _, c := range list(e.res["content"]) {
				a := obj(obj(c)["attachment"])
				if a["data"] != nil && a["contentType"] == nil {
					t.Errorf("%s: attachment data without a contentType (att-1)", path)
				}
				if _, err := base64.StdEncoding.DecodeString(str(a["data"])); err != nil {
					t.Errorf("%s: attachment data is not base64", path)
				}
			}
		}
		walk(t, path, e.res, out)
	}
	// Sections: narrative, and entries or an emptyReason, never both.
	for i, s := range list(out.composition["section"]) {
		sm := obj(s)
		path := fmt.Sprintf("Composition.section[%d]", i)
		if str(sm["title"]) == "" || sm["code"] == nil {
			t.Errorf("%s needs a title and a code", path)
		}
		txt := obj(sm["text"])
		if str(txt["status"]) != "generated" {
			t.Errorf("%s.text.status is not generated", path)
		}
		checkXHTML(t, path+".text.div", str(txt["div"]))
		if (sm["entry"] == nil) == (sm["emptyReason"] == nil) {
			t.Errorf("%s needs entries or an emptyReason, not both (cmp-2)", path)
		}
	}
	// Every resource is reachable from the Composition.
	seen := map[string]bool{out.entries[0].fullURL: true}
	queue := []map[string]any{out.composition}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for _, ref := range refs(r) {
			if e, ok := out.byURL[ref]; ok && !seen[ref] {
				seen[ref] = true
				queue = append(queue, e.res)
			}
		}
	}
	for i, e := range out.entries {
		if !seen[e.fullURL] {
			t.Errorf("Bundle.entry[%d] (%s) is not reachable from the Composition", i, e.resourceType)
		}
	}
	return out
}

// walk checks every element: no empty values (FHIR forbids them), strings
// without surrounding whitespace, references that resolve inside the
// Bundle, codings with a system and a code, dates FHIR can read.
func walk(t testing.TB, path string, v any, b *decoded) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			t.Errorf("%s is an empty object", path)
		}
		for _, k := range sortedKeys(v) {
			p := path + "." + k
			switch k {
			case "reference":
				if _, ok := b.byURL[str(v[k])]; !ok {
					t.Errorf("%s does not resolve inside the Bundle", p)
				}
			case "coding":
				for _, c := range list(v[k]) {
					sys := str(obj(c)["system"])
					if !strings.Contains(sys, ":") || str(obj(c)["code"]) == "" {
						t.Errorf("%s needs an absolute system and a code", p)
					}
				}
			case "birthDate", "deceasedDateTime", "onsetDateTime", "recordedDate", "effectiveDateTime", "occurrenceDateTime",
				"performedDateTime", "timingDateTime", "authoredOn", "start", "end", "creation", "time":
				if !dateTime.MatchString(str(v[k])) {
					t.Errorf("%s is not a FHIR date or dateTime", p)
				}
			case "date", "timestamp":
				if !instant.MatchString(str(v[k])) {
					t.Errorf("%s is not an instant", p)
				}
			case "security", "meta", "contained", "extension":
				t.Errorf("%s: we write no %s", p, k)
			}
			walk(t, p, v[k], b)
		}
	case []any:
		if len(v) == 0 {
			t.Errorf("%s is an empty list", path)
		}
		for i, x := range v {
			walk(t, fmt.Sprintf("%s[%d]", path, i), x, b)
		}
	case string:
		if strings.TrimSpace(v) == "" || strings.TrimSpace(v) != v {
			t.Errorf("%s is blank or has surrounding whitespace", path)
		}
	}
}

// checkXHTML parses a narrative as XML and checks FHIR's rules for it: a
// div in the XHTML namespace, no scripts, no event handlers, no forms.
func checkXHTML(t testing.TB, path, div string) {
	t.Helper()
	if !strings.HasPrefix(div, `<div xmlns="http://www.w3.org/1999/xhtml">`) || !strings.HasSuffix(div, "</div>") {
		t.Errorf("%s is not an XHTML div", path)
		return
	}
	allowed := map[string]bool{"div": true, "p": true, "table": true, "caption": true, "thead": true, "tbody": true,
		"tr": true, "th": true, "td": true, "br": true}
	dec := xml.NewDecoder(strings.NewReader(div))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Errorf("%s is not well-formed XHTML", path)
			return
		}
		if se, ok := tok.(xml.StartElement); ok {
			if !allowed[se.Name.Local] || se.Name.Space != "http://www.w3.org/1999/xhtml" {
				t.Errorf("%s holds an element FHIR narrative should not", path)
			}
			for _, a := range se.Attr {
				if a.Name.Local != "xmlns" {
					t.Errorf("%s holds an attribute", path)
				}
			}
		}
	}
}

// refs returns every reference in a resource.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if k == "reference" {
				out = append(out, str(v[k]))
			} else {
				out = append(out, refs(v[k])...)
			}
		}
	case []any:
		for _, x := range v {
			out = append(out, refs(x)...)
		}
	}
	return out
}

// sectionCounts counts, per section, the resources its entries stand for:
// each entry, and the members of a panel (a panel itself is not a result).
func sectionCounts(t testing.TB, b *decoded) map[string]int {
	t.Helper()
	names := map[string]string{loincAllergies: "allergies", loincMedications: "medications", loincProblems: "problems",
		loincImmunizations: "immunisations", loincResults: "results", loincProcedures: "procedures", loincDevices: "devices",
		loincAlerts: "alerts", loincPlanOfCare: "plan", loincEncounters: "encounters", loincNotes: "letters", loincFindings: "findings",
		loincDecisions: "advance decisions"}
	kinds := map[string]string{"AllergyIntolerance": "allergies", "MedicationStatement": "medications", "Condition": "problems",
		"Immunization": "immunisations", "Observation": "results", "Procedure": "procedures", "DeviceUseStatement": "devices",
		"Flag": "alerts", "CarePlan": "care plans", "ServiceRequest": "referrals", "Encounter": "encounters", "DocumentReference": "letters",
		"Consent": "advance decisions"}
	got := map[string]int{}
	for _, s := range list(b.composition["section"]) {
		sec := names[str(obj(list(obj(obj(s)["code"])["coding"])[0])["code"])]
		if sec == "" {
			t.Error("a section with a code we do not mean to write")
		}
		for _, e := range list(obj(s)["entry"]) {
			r, ok := b.byURL[str(obj(e)["reference"])]
			if !ok {
				t.Error("a section entry does not resolve inside the Bundle")
				continue
			}
			members := []res{r}
			if r.resourceType == "Observation" && r.res["hasMember"] != nil {
				members = nil
				for _, m := range list(r.res["hasMember"]) {
					members = append(members, b.byURL[str(obj(m)["reference"])])
				}
			}
			for _, m := range members {
				kind := kinds[m.resourceType]
				if sec == "findings" && m.resourceType == "Observation" {
					kind = "findings"
				}
				if kind == "" || sec != "plan" && kind != sec || sec == "plan" && kind != "care plans" && kind != "referrals" {
					t.Errorf("section %s lists a %s", sec, m.resourceType)
				}
				got[kind]++
			}
		}
	}
	return got
}

// recordCounts counts a record's entries per section, leaving out empty
// sections (as the Bundle does, but for the three it always has).
func recordCounts(r *record.Record) map[string]int {
	c := map[string]int{"allergies": len(r.Allergies), "medications": len(r.Medications), "problems": len(r.Problems),
		"immunisations": len(r.Immunisations), "results": len(r.Results), "procedures": len(r.Procedures),
		"devices": len(r.Devices), "alerts": len(r.Alerts), "care plans": len(r.CarePlans), "referrals": len(r.Referrals),
		"encounters": len(r.Encounters), "letters": len(r.Letters), "findings": len(r.Findings),
		"advance decisions": len(r.AdvanceDecisions)}
	for k, v := range c {
		if v == 0 {
			delete(c, k)
		}
	}
	return c
}

func resultsWithValue(r *record.Record) int {
	n := 0
	for _, x := range r.Results {
		if x.Value != nil || x.Text != "" || x.Unit != "" {
			n++
		}
	}
	return n
}

func skippedTotal(r *record.Record) int {
	n := 0
	for _, v := range r.Skipped {
		n += v
	}
	return n
}

// ---- field-by-field comparison of what the document shows ----

type codeKey struct{ system, value string }

type row struct {
	section string
	fields  []any
}

// view returns what the record document shows of r, entry by entry, in
// the form a round trip must keep. written says r is the record given to
// Document: values FHIR cannot carry, or carries in another shape, are
// turned into what the reader gives back.
func view(r *record.Record, written bool) []row {
	codes := func(e record.Entry) []codeKey {
		var out []codeKey
		for _, c := range e.Codes() {
			k := codeKey{c.System.URI(), c.Value}
			if k.system != "" && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].system+out[i].value < out[j].system+out[j].value })
		return out
	}
	fl := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	p := r.Patient
	sex := p.Sex
	if written {
		sex = gender(sex)
	}
	rows := []row{{"patient", []any{clean(p.Name), p.Born, nhsNumber(p.NHSNumber), sex}}}
	for i := range r.Problems {
		x := &r.Problems[i]
		rows = append(rows, row{"problem", []any{x.Title, x.Status, x.Onset, x.Recorded, codes(x)}})
	}
	for i := range r.Medications {
		x := &r.Medications[i]
		rows = append(rows, row{"medication", []any{x.Name, x.Dose, x.Status, x.Start, x.End, x.Kind, codes(x)}})
	}
	for i := range r.Allergies {
		x := &r.Allergies[i]
		sev := x.Severity
		if written && clean(x.Reaction) == "" {
			sev = "" // carried by criticality only
		}
		rows = append(rows, row{"allergy", []any{x.Substance, x.Reaction, sev, x.Status, x.Recorded, codes(x)}})
	}
	for i := range r.Immunisations {
		x := &r.Immunisations[i]
		rows = append(rows, row{"immunisation", []any{x.Vaccine, x.Date, codes(x)}})
	}
	for i := range r.Results {
		x := &r.Results[i]
		text := x.Text
		if written && x.Value != nil {
			text = "" // kept as a note, which the reader does not read
		}
		rows = append(rows, row{"result", []any{x.Title, fl(x.Value), text, x.Unit, fl(x.Low), fl(x.High), x.Date, x.Panel, codes(x)}})
	}
	for i := range r.Procedures {
		x := &r.Procedures[i]
		rows = append(rows, row{"procedure", []any{x.Title, x.Date, codes(x)}})
	}
	for i := range r.Letters {
		x := &r.Letters[i]
		rows = append(rows, row{"letter", []any{x.Title, x.Date, x.From, x.Body}})
	}
	for i := range r.Devices {
		x := &r.Devices[i]
		rows = append(rows, row{"device", []any{x.Title, x.Date, codes(x)}})
	}
	for i := range r.Alerts {
		x := &r.Alerts[i]
		rows = append(rows, row{"alert", []any{x.Title, x.Date, codes(x)}})
	}
	for i := range r.CarePlans {
		x := &r.CarePlans[i]
		rows = append(rows, row{"care plan", []any{x.Title, x.Summary, x.Date, codes(x)}})
	}
	for i := range r.Encounters {
		x := &r.Encounters[i]
		rows = append(rows, row{"encounter", []any{x.Title, x.Date, codes(x)}})
	}
	for i := range r.Referrals {
		x := &r.Referrals[i]
		st := x.Status
		if written {
			st = requestStatus(st)
		}
		rows = append(rows, row{"referral", []any{x.Title, st, x.Date, codes(x)}})
	}
	return rows
}

// compareRecords reports, by section, index and field number (never the
// values: they are patient data), where two views differ.
func compareRecords(t *testing.T, want, got []row) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("read back %d entries, wrote %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		if want[i].section != got[i].section {
			t.Fatalf("entry %d: read back a %s, wrote a %s", i, got[i].section, want[i].section)
		}
		for f := range want[i].fields {
			if fmt.Sprint(want[i].fields[f]) != fmt.Sprint(got[i].fields[f]) {
				if bad++; bad <= 10 {
					t.Errorf("%s (entry %d): field %d differs after the round trip", want[i].section, i, f)
				}
			}
		}
	}
}

// ---- helpers for decoded JSON ----

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any         { l, _ := v.([]any); return l }
func str(v any) string         { s, _ := v.(string); return s }

func jsonNum(v any) float64 {
	n, _ := v.(json.Number)
	f, _ := n.Float64()
	return f
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, str(x))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Contacts go out as Patient.contact and a care plan keeps its status:
// our own reader reads back the same contacts and statuses.
func TestContactsAndCarePlanStatusGoOutAndComeBack(t *testing.T) {
	t.Parallel()
	rec := &record.Record{
		Patient:   record.Patient{Name: "Jane Example", Born: record.NewDate(1960, 1, 2)},
		Contacts:  []record.Contact{{Relationship: "Husband", Name: "John Example", Phone: "07700 900123"}, {Relationship: "Neighbour", Name: "Ann Other"}},
		CarePlans: []record.CarePlan{{Title: "Asthma action plan", Status: "active"}, {Title: "Old plan", Status: "completed"}},
	}
	back, err := fhir.Read("record.json", write(t, "contacts", rec, testMeta()))
	if err != nil {
		t.Fatalf("our reader refuses the document: %v", err)
	}
	if len(back.Contacts) != 2 || back.Contacts[0].Relationship != "Husband" || back.Contacts[0].Name != "John Example" ||
		back.Contacts[0].Phone != "07700 900123" || back.Contacts[1].Name != "Ann Other" || back.Contacts[1].Phone != "" {
		t.Errorf("contacts read back: %+v", back.Contacts)
	}
	if len(back.CarePlans) != 2 || back.CarePlans[0].Status != "active" || back.CarePlans[1].Status != "completed" {
		t.Errorf("care plans read back: %+v", back.CarePlans)
	}
}
