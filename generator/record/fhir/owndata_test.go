package fhir

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Satchel's own synthetic Bundles (internal/testtool/testdata/fhir) cover,
// in R4 and in STU3, every resource type and every reference form this
// reader supports. They are always there: these tests never skip.

func TestOwnBundlesReadWithCountsMatchingTheSource(t *testing.T) {
	for _, f := range testtool.OwnFHIR(t) {
		t.Run(f.Name, func(t *testing.T) {
			rec := checkReadsWithSourceCounts(t, f)
			want := FormatR4
			if strings.HasPrefix(f.Name, "stu3/") {
				want = FormatSTU3
			}
			if rec.Format != want {
				t.Errorf("format %q, want %q", rec.Format, want)
			}
			if len(rec.Unresolved) != 0 {
				t.Errorf("unresolved references at %v: every reference in our own data points at something", rec.Unresolved)
			}
		})
	}
}

func TestSlowPathReadsOurOwnBundlesLikeTheFastPath(t *testing.T) {
	checkBothPathsAlike(t, testtool.OwnFHIR(t))
}

// Each bundle counts exactly what it leaves out: by reason, and by
// resource type for billing and unknown resources (as many as the source
// holds of each). Resources that only frame a record (Composition,
// Location, Specimen, Provenance, OperationOutcome) are passed over
// without a count.
func TestOwnBundlesCountWhatTheyLeaveOut(t *testing.T) {
	want := map[string]map[string]int{
		"r4/labels.json":      {},
		"r4/letters.json":     {SkipInactive: 1, SkipNotDone: 1, SkipSuperseded: 1},
		"r4/results.json":     {SkipEnteredInError: 1, SkipNoValue: 1},
		"r4/server.json":      {SkipOtherPatient: 2},
		"r4/summary.json":     {SkipEnteredInError: 1, SkipRefuted: 2},
		"r4/decisions.json":   {SkipConsent: 1},
		"r4/transaction.json": {"Basic": 1, "Claim": 2, "Coverage": 1, "ExplanationOfBenefit": 2, SkipNotDone: 1},
		"stu3/document.json":  {SkipInactive: 1, SkipSuperseded: 1},
		"stu3/gpconnect.json": {SkipCommentNote: 2, SkipEnteredInError: 1, SkipNotDone: 1, SkipOtherPatient: 1, SkipRefuted: 1},
		"stu3/labels.json":    {},
		"stu3/transaction.json": {"Basic": 1, "Claim": 1, "EligibilityRequest": 1, "ExplanationOfBenefit": 1,
			SkipEnteredInError: 1, SkipNotDone: 1, SkipOtherPatient: 2},
	}
	countedTypes := 0
	for _, f := range testtool.OwnFHIR(t) {
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("%s: no expectation here: add what it leaves out", f.Name)
			continue
		}
		rec := readFile(t, f)
		if !reflect.DeepEqual(nonZero(rec.Skipped), w) {
			t.Errorf("%s: skipped %v, want %v", f.Name, rec.Skipped, w)
		}
		src := countTypes(t, f.Data)
		for _, typ := range []string{"Claim", "ExplanationOfBenefit", "Coverage", "EligibilityRequest", "Basic"} {
			if rec.Skipped[typ] != src[typ] {
				t.Errorf("%s: Skipped[%s] = %d, the source has %d", f.Name, typ, rec.Skipped[typ], src[typ])
			}
			countedTypes += src[typ]
		}
		for _, typ := range []string{"Composition", "Location", "Specimen", "Provenance", "OperationOutcome"} {
			if rec.Skipped[typ] != 0 {
				t.Errorf("%s: %s counted as skipped: it only frames the record", f.Name, typ)
			}
		}
	}
	if countedTypes == 0 {
		t.Error("no billing or unknown resource in our own data: the check proved nothing")
	}
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// The sections CountFHIR does not count: devices, letters, alerts,
// referrals, care plans, encounters and procedures.
func TestOwnBundlesFillTheOtherSections(t *testing.T) {
	type other struct{ devices, letters, alerts, referrals, carePlans, encounters, procedures int }
	want := map[string]other{
		"r4/labels.json":        {letters: 1},
		"r4/letters.json":       {letters: 4, alerts: 1, referrals: 1, carePlans: 1, encounters: 1, procedures: 1},
		"r4/results.json":       {},
		"r4/server.json":        {devices: 2, referrals: 1, encounters: 1, procedures: 1},
		"r4/summary.json":       {procedures: 1},
		"r4/decisions.json":     {},
		"r4/transaction.json":   {carePlans: 1, encounters: 1, procedures: 1},
		"stu3/document.json":    {devices: 2, letters: 1, alerts: 1, referrals: 1, carePlans: 1, encounters: 1, procedures: 1},
		"stu3/gpconnect.json":   {alerts: 1, referrals: 2, encounters: 1},
		"stu3/labels.json":      {},
		"stu3/transaction.json": {devices: 2, referrals: 1},
	}
	for _, f := range testtool.OwnFHIR(t) {
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("%s: no expectation here: add its other sections", f.Name)
			continue
		}
		r := readFile(t, f)
		got := other{len(r.Devices), len(r.Letters), len(r.Alerts), len(r.Referrals), len(r.CarePlans), len(r.Encounters), len(r.Procedures)}
		if got != w {
			t.Errorf("%s: %+v, want %+v", f.Name, got, w)
		}
	}
}

// r4/summary.json: an IPS-like document Bundle whose references are all
// urn:uuid fullUrls, with every core section in its R4 shape.
func TestOwnR4SummaryReadsTheCoreSections(t *testing.T) {
	rec := readFile(t, ownNamed(t, "r4/summary.json"))
	p := rec.Patient
	if p.Name != "Ottilie Rue Fernsby" || p.NHSNumber != "9990041008" || p.Born.ISO() != "1961-05-14" || p.Sex != "female" {
		t.Errorf("patient not read from the official name (without title), NHS number, birth date and sex")
	}
	if got := problemStatuses(rec); got != "active,active,resolved,inactive" {
		t.Errorf("problem statuses from R4 clinicalStatus = %s", got)
	}
	if c := rec.Problems[0].Code.String(); c != "SNOMED:44054006" {
		t.Errorf("code %s: SNOMED CT not preferred over the ICD-10 coding listed first", c)
	}
	a := rec.Allergies
	if a[0].Severity != "severe" || a[0].Reaction != "Urticaria, Swollen lips" {
		t.Errorf("allergy reactions not joined, or the worst severity not kept")
	}
	if a[1].Substance != "Latex" || a[1].Recorded.ISO() != "2003" {
		t.Errorf("an allergy coded only as unknown does not take its reaction's substance and its onset")
	}
	if a[2].Status != "resolved" || !strings.HasSuffix(a[2].Key, "#ended-1") {
		t.Errorf("an ended allergy contained in a List is not read as one")
	}
	m := rec.Medications
	if m[0].Name != "Metformin 500mg tablets" || m[0].Dose == "" {
		t.Errorf("medicine named by a urn:uuid Medication not read")
	}
	if m[1].Code.System != "DMD" || m[2].Status != "stopped" || m[2].End.ISO() != "2024-02-08" ||
		m[3].Kind != "repeat" || m[3].Start.ISO() != "2016-09-12" {
		t.Errorf("medicines: dm+d code, stopped course with its end, or continuous request not read")
	}
	if rec.Immunisations[1].Date.ISO() != "2024-10-01" {
		t.Errorf("immunisation date not read from occurrenceDateTime")
	}
}

// r4/results.json and the STU3 panels: every kind of value, components,
// panels (R4 hasMember, STU3 related) taking their group's name and date,
// results contained in a report, and coded findings without a value.
func TestOwnResultsReadEveryKindOfValue(t *testing.T) {
	rec := readFile(t, ownNamed(t, "r4/results.json"))
	text := map[string]string{}
	for _, r := range rec.Results {
		text[r.Title] = r.Text
	}
	for title, want := range map[string]string{
		"eGFR": ">90", "Urine dipstick for protein": "Negative", "Foot pulses present": "yes",
		"HbA1c target": "48 mmol/mol to 53 mmol/mol", "Rubella antibody titre": "1 / 64",
		"Time blood sample taken": "08:30:00", "Date of last retinal screening": "2026-01-12",
		"Period of fit note": "2025-11-03 to 2025-11-17", "ECG rhythm strip": "sampled data (not shown)",
		"Retinal photograph": "attachment (not shown)", "Fasting lipid profile": "Cholesterol slightly raised. Recheck in twelve months.",
	} {
		if got, ok := text[title]; !ok || got != want {
			t.Errorf("%s: text %q, want %q", title, got, want)
		}
	}
	panels := map[string]int{}
	for _, r := range rec.Results {
		if r.Panel != "" && r.Panel != r.Title {
			panels[r.Panel+" "+r.Date.ISO()]++
		}
	}
	if panels["Blood pressure 2026-03-10"] != 2 || panels["Full blood count 2026-02-03"] != 3 || panels["Fasting lipid profile 2026-02-05"] != 2 {
		t.Errorf("components, panel members and contained report results not filed under their panel and date: %v", panels)
	}
	var findings []string
	for _, f := range rec.Findings {
		findings = append(findings, f.Title)
	}
	if strings.Join(findings, ",") != "Never smoked tobacco,Lives alone,Seen in diabetic clinic" {
		t.Errorf("findings = %v", findings)
	}

	stu3 := readFile(t, ownNamed(t, "stu3/gpconnect.json"))
	tft := 0
	for _, r := range stu3.Results {
		if r.Panel == "Thyroid function test" && r.Date.ISO() == "2026-09-23" {
			tft++
		}
	}
	if tft != 2 {
		t.Errorf("STU3 panel members (related has-member) in the panel with the report's date = %d, want 2", tft)
	}
}

// r4/server.json and stu3/transaction.json: absolute fullUrls, and every
// reference form resolved (each where a miss would show): a relative
// Type/id against the entry's own base when another server's resource has
// the same Type/id, an absolute URL, a version-specific reference and a
// conditional one. The GP Connect bundle has no fullUrls at all, and
// stu3/document.json uses contained resources ("#id") and urn:uuid.
func TestOwnBundlesResolveEveryReferenceForm(t *testing.T) {
	type want struct {
		// What a reference of each form reaches: a medicine's name, a
		// report's panel, or a device in use.
		conditional, sameBase, absolute, versioned string
	}
	for name, w := range map[string]want{
		"r4/server.json": {conditional: "Salbutamol 100micrograms/dose inhaler", sameBase: "Beclometasone 100micrograms/dose inhaler",
			absolute: "Spirometry report", versioned: "Behind-the-ear hearing aid"},
		"stu3/transaction.json": {conditional: "Sumatriptan 50mg tablets", sameBase: "Levothyroxine sodium 50microgram tablets",
			absolute: "Intrauterine contraceptive device", versioned: "Thyroid function tests"},
	} {
		rec := readFile(t, ownNamed(t, name))
		// Relative, absolute and versioned subjects all name the patient;
		// only the other patient's entries (by reference and by NHS
		// number) are left out.
		if len(rec.Problems) < 3 || rec.Skipped[SkipOtherPatient] != 2 {
			t.Errorf("%s: problems %d, other-patient %d", name, len(rec.Problems), rec.Skipped[SkipOtherPatient])
		}
		seen := map[string]bool{}
		for _, m := range rec.Medications {
			seen[m.Name] = true
		}
		for _, r := range rec.Results {
			seen[r.Panel] = true
		}
		for _, d := range rec.Devices {
			seen[d.Title] = true
		}
		for _, s := range []string{w.conditional, w.sameBase, w.absolute, w.versioned} {
			if !seen[s] {
				t.Errorf("%s: %q not reached through its reference", name, s)
			}
		}
	}
	if m := readFile(t, ownNamed(t, "stu3/transaction.json")).Medications; m[0].Kind != "repeat" || m[0].Dose == "" {
		t.Errorf("a statement's relative basedOn did not reach its repeat-dispensing plan")
	}
	gpc := readFile(t, ownNamed(t, "stu3/gpconnect.json"))
	if m := gpc.Medications; len(m) != 2 || m[0].Name != "Levothyroxine sodium 50microgram tablets" || m[0].Kind != "repeat" ||
		m[0].Dose != "One tablet each morning" || m[1].Kind != "acute" || m[1].Status != "stopped" {
		t.Errorf("GP Connect medicines (Type/id references, no fullUrl) not folded with their plans")
	}
	if gpc.Immunisations[0].Vaccine != "Seasonal influenza vaccination" {
		t.Errorf("an immunisation whose vaccine is unknown does not take its vaccination procedure")
	}
	doc := readFile(t, ownNamed(t, "stu3/document.json"))
	if doc.Medications[0].Name != "Salbutamol 100micrograms/dose inhaler" || doc.Devices[1].Title != "Spacer, paediatric, with mask" {
		t.Errorf("contained Medication or Device (#id) not followed")
	}
	if doc.Letters[0].From != "Dr Cornelius Ashdown" || !strings.HasPrefix(doc.Letters[0].Body, "Asthma review") {
		t.Errorf("STU3 letter: author through a PractitionerRole, or body in a Binary's content, not read")
	}
}

// r4/labels.json (terminology.hl7.org and urn:oid systems) and
// stu3/labels.json (hl7.org/fhir/v3 systems, and a label on the Bundle
// itself).
func TestOwnBundlesCarryTheirSecurityLabels(t *testing.T) {
	r4 := readFile(t, ownNamed(t, "r4/labels.json"))
	got := map[string]string{}
	third := map[string]bool{}
	for _, p := range r4.Problems {
		got[p.Title] = strings.Join(p.Labels, ",")
		third[p.Title] = p.ThirdParty
	}
	for title, want := range map[string]string{"Depressive disorder": "PSY,R", "Alcohol dependence": "ETH",
		"Safeguarding concern recorded": "SDV,V", "Asthma": "", "Migraine": ""} {
		if got[title] != want {
			t.Errorf("%s: labels %q, want %q", title, got[title], want)
		}
	}
	if !third["Family history of malignant neoplasm of breast"] || third["Migraine"] || third["Asthma"] {
		t.Errorf("third-party extension (true, false) not read")
	}
	if strings.Join(r4.Medications[0].Labels, ",") != "PSY" || !r4.Letters[0].ThirdParty {
		t.Errorf("a medicine's label, or a letter's third-party label, not read")
	}

	stu3 := readFile(t, ownNamed(t, "stu3/labels.json"))
	n := 0
	for _, e := range stu3.Entries() {
		m := record.Marked(e)
		if !slices.Contains(m.Labels, "R") {
			t.Errorf("%s: the Bundle's label R does not reach the entry", m.Key)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no entries")
	}
	r := stu3.Results
	if strings.Join(r[0].Labels, ",") != "HIV,R,V" || !r[1].ThirdParty || r[0].ThirdParty {
		t.Errorf("labels %v / third party %v, %v: want HIV,R,V and the display-labelled result third-party", r[0].Labels, r[0].ThirdParty, r[1].ThirdParty)
	}
	if p := stu3.Problems; strings.Join(p[1].Labels, ",") != "R,STD" || !p[2].ThirdParty {
		t.Errorf("STU3 ActCode label, or third-party extension without a value, not read")
	}
}

// r4/letters.json: documents become letters, with a body from inline
// text, a Binary in the Bundle, or a contained Binary; others by title.
func TestOwnLettersAreRead(t *testing.T) {
	rec := readFile(t, ownNamed(t, "r4/letters.json"))
	l := rec.Letters
	if len(l) != 4 {
		t.Fatalf("letters = %d, want 4", len(l))
	}
	if l[0].Title != "Outpatient letter" || l[0].From != "Mr Tobias Wrenfield" || l[0].Date.ISO() != "2026-05-06" ||
		!strings.HasPrefix(l[0].Body, "Dear Dr Castlebury") || strings.Contains(l[0].Body, "\r") {
		t.Errorf("inline plain-text letter: title, author through a PractitionerRole, date or body wrong")
	}
	if l[1].From != "Saltmarsh General Hospital (fictional)" || l[1].Date.ISO() != "2026-06-01" || !strings.HasPrefix(l[1].Body, "# Care plan") {
		t.Errorf("Markdown letter in a Binary: custodian, context date or body wrong")
	}
	if l[2].From != "Community physiotherapy team" || !strings.HasPrefix(l[2].Body, "Clinic note") {
		t.Errorf("letter with a contained Binary: author display or body wrong")
	}
	if l[3].Title != "MRI head report" || l[3].Body != "" || l[3].Date.ISO() != "2026-05-20" {
		t.Errorf("a PDF must be listed by its attachment's title and date only")
	}
}

// Message and history Bundles are refused with a clear message that
// names none of the patient's details.
func TestOwnRefusedBundlesAreRefusedWithoutPatientData(t *testing.T) {
	for _, f := range testtool.RefusedFHIR(t) {
		var b struct {
			Type  string `json:"type"`
			Entry []struct {
				Resource struct {
					ResourceType string `json:"resourceType"`
					Name         []struct {
						Family string   `json:"family"`
						Given  []string `json:"given"`
					} `json:"name"`
					Identifier []struct {
						Value string `json:"value"`
					} `json:"identifier"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(f.Data, &b); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		_, err := Read(f.Path, f.Data)
		if err == nil {
			t.Errorf("%s: a %s Bundle was read as a record", f.Name, b.Type)
			continue
		}
		if want := "a " + b.Type + " Bundle does not hold a patient record"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error does not say %q", f.Name, want)
		}
		var secrets []string
		for _, e := range b.Entry {
			for _, n := range e.Resource.Name {
				secrets = append(append(secrets, n.Family), n.Given...)
			}
			for _, id := range e.Resource.Identifier {
				secrets = append(secrets, id.Value)
			}
		}
		if len(secrets) == 0 {
			t.Errorf("%s: no patient details to look for", f.Name)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: the error shows a patient detail", f.Name)
			}
		}
	}
}

func problemStatuses(rec *record.Record) string {
	var s []string
	for _, p := range rec.Problems {
		s = append(s, p.Status)
	}
	return strings.Join(s, ",")
}

// Advance decisions are read from Consents and coded observations, with
// their kind, date and status; a research Consent is not one; an
// immunisation not given keeps its reason.
func TestOwnDecisionsAreRead(t *testing.T) {
	for _, f := range testtool.OwnFHIR(t) {
		if f.Name != "r4/decisions.json" {
			continue
		}
		r := readFile(t, f)
		type got struct {
			kind, status, date, key string
		}
		var gots []got
		for _, a := range r.AdvanceDecisions {
			gots = append(gots, got{a.Kind, a.Status, a.Date.ISO(), a.Key})
		}
		want := []got{
			{record.DecisionDNACPR, "active", "2026-09-14", "Consent/dnacpr"},
			{record.DecisionDNACPR, "active", "2026-09-15", "Observation/dnacpr-coded"},
			{record.DecisionADRT, "active", "2025-02-01", "Observation/adrt"},
		}
		if !slices.Equal(gots, want) {
			t.Errorf("advance decisions %+v, want %+v", gots, want)
		}
		if len(r.Findings) != 0 {
			t.Errorf("%d findings: the coded decisions are read as findings too", len(r.Findings))
		}
		if len(r.Immunisations) != 2 || !r.Immunisations[0].NotGiven || r.Immunisations[0].Reason != "patient objection" || r.Immunisations[1].NotGiven {
			t.Errorf("immunisations %+v: want one not given (patient objection), one given", r.Immunisations)
		}
		return
	}
	t.Fatal("r4/decisions.json is missing")
}

// GP Connect "Comment note" observations are not shown as empty findings:
// with text or without, they are not carried, and counted as such.
func TestOwnCommentNotesAreNotCarriedButCounted(t *testing.T) {
	for _, f := range testtool.OwnFHIR(t) {
		if f.Name != "stu3/gpconnect.json" {
			continue
		}
		r := readFile(t, f)
		for _, e := range r.Findings {
			if strings.EqualFold(e.Title, "Comment note") {
				t.Error("a comment note is shown as a finding")
			}
		}
		if r.NotCarried["consultation comment note: free text, not carried"] != 2 {
			t.Errorf("not carried %v: want the two comment notes", r.NotCarried)
		}
		return
	}
	t.Fatal("stu3/gpconnect.json is missing")
}
