// Package ips writes a patient's record as a FHIR R4 document Bundle shaped
// like the International Patient Summary (IPS): the record.json a hospital
// clinician downloads from the bundle into their own system.
//
// The Bundle holds exactly what the record it is given holds: the caller
// passes the record the policy package has already filtered, and nothing
// is added but the practice, the approving clinician and the framing a
// FHIR document needs. Withholding marks, security labels, the record's
// internal id and source file never appear. Output is deterministic: the
// resource ids are UUIDs derived from the bundle id and the entry's place,
// so the same record and Meta give the same bytes.
package ips

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// IdentifierSystem is the system of Bundle.identifier, whose value is the
// Satchel bundle id printed on the patient's key card: a clinician can match
// the file to the card.
const IdentifierSystem = "https://github.com/satchel-records/satchel/bundle-id"

// Section codes (LOINC), as the IPS and C-CDA use them.
const (
	loincPatientSummary = "60591-5"
	loincProblems       = "11450-4"
	loincMedications    = "10160-0"
	loincAllergies      = "48765-2"
	loincImmunizations  = "11369-6"
	loincResults        = "30954-2"
	loincProcedures     = "47519-4"
	loincDevices        = "46264-8"
	loincAlerts         = "104605-1"
	loincDecisions      = "42348-3" // advance directives
	loincFindings       = "29545-1" // physical findings
	loincPlanOfCare     = "18776-5"
	loincEncounters     = "46240-8"
	loincNotes          = "34109-9"
)

// Meta is what the document says about itself beyond the record: who
// issued it, who approved it and when, and which bundle it belongs to.
type Meta struct {
	// Practice is the GP practice: the document's author and custodian.
	Practice site.Practice
	// Approver and Role name the clinician who approved the record, the
	// document's professional attester.
	Approver string
	Role     string
	// Approved is the date of approval.
	Approved record.Date
	// Exported is when the document was made: Composition.date and
	// Bundle.timestamp.
	Exported time.Time
	// BundleID is the Satchel bundle id (as on the key card): the value of
	// Bundle.identifier and the seed of every resource id. Never the
	// patient's id.
	BundleID string
}

// Document returns the record r as a FHIR R4 document Bundle in JSON
// (2-space indent). r must already be filtered by policy: every entry it
// holds is written, and nothing else. The first entry is the Composition;
// the problem, medication and allergy sections are always present (saying
// "No information" when empty), the others when they have entries.
//
// Errors name the missing Meta field; they never hold record content.
func Document(r *record.Record, m Meta) ([]byte, error) {
	switch {
	case r == nil:
		return nil, errors.New("no record")
	case strings.TrimSpace(m.BundleID) == "":
		return nil, errors.New("missing bundle id")
	case m.Exported.IsZero():
		return nil, errors.New("missing export time")
	case strings.TrimSpace(m.Practice.Name) == "":
		return nil, errors.New("missing practice name")
	}
	d := &doc{rec: r, m: m, seed: IdentifierSystem + "/" + m.BundleID}
	b := d.bundle()
	var buf bytes.Buffer
	buf.Grow(4096 + 1024*len(b.Entry))
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the narrative is XHTML: keep it readable
	if err := enc.Encode(b); err != nil {
		return nil, errors.New("cannot encode the Bundle")
	}
	// Indented as Encoder.SetIndent("", "  ") would, at a sixth of the cost.
	compact := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	out := indent(make([]byte, 0, 2*len(compact)), compact)
	return append(out, '\n'), nil
}

// doc builds one Bundle.
type doc struct {
	rec     *record.Record
	m       Meta
	seed    string
	entries []entry
	subject reference
	org     reference
}

// id returns the id of the resource key names (e.g. "problem/3").
func (d *doc) id(key string) string { return uuid5(d.seed + "#" + key) }

// add appends a resource whose id is d.id(key), and returns a reference
// to it.
func (d *doc) add(key string, res any) reference {
	u := "urn:uuid:" + d.id(key)
	d.entries = append(d.entries, entry{FullURL: u, Resource: res})
	return reference{Reference: u}
}

func (d *doc) bundle() bundle {
	when := d.m.Exported.UTC().Format(time.RFC3339)
	compKey := "composition"
	// The Composition comes first; its entry is filled in last, once the
	// sections know their entries.
	d.entries = append(d.entries, entry{FullURL: "urn:uuid:" + d.id(compKey)})
	d.subject = d.patient()
	d.org = d.organization()
	comp := composition{
		ResourceType: "Composition",
		ID:           d.id(compKey),
		Status:       "final",
		Type:         concept{Coding: []coding{{System: systemLOINC, Code: loincPatientSummary, Display: "Patient summary Document"}}},
		Subject:      reference{Reference: d.subject.Reference, Display: clean(d.rec.Patient.Name)},
		Date:         when,
		Author:       []reference{d.org},
		Title:        "Patient summary",
		Custodian:    &d.org,
	}
	if a, ok := d.attester(); ok {
		comp.Attester = []attester{a}
	}
	comp.Section = d.sections()
	d.entries[0].Resource = comp
	return bundle{
		ResourceType: "Bundle",
		ID:           d.id("bundle"),
		Identifier:   &identifier{System: IdentifierSystem, Value: clean(d.m.BundleID)},
		Type:         "document",
		Timestamp:    when,
		Entry:        d.entries,
	}
}

func (d *doc) patient() reference {
	p := d.rec.Patient
	res := patient{ResourceType: "Patient", ID: d.id("patient"), Gender: gender(p.Sex), BirthDate: p.Born.ISO()}
	if !p.Died.IsZero() {
		res.DeceasedDateTime = p.Died.ISO()
	} else if p.HasDied() {
		died := true
		res.DeceasedBoolean = &died
	}
	if n := nhsNumber(p.NHSNumber); n != "" {
		res.Identifier = []identifier{{System: systemNHSNumber, Value: n}}
	}
	if clean(p.Name) != "" {
		res.Name = []humanName{nameParts(p.Name)}
	}
	for _, c := range d.rec.Contacts {
		var pc patientContact
		if v := clean(c.Relationship); v != "" {
			pc.Relationship = []concept{{Text: v}}
		}
		if v := clean(c.Name); v != "" {
			pc.Name = &humanName{Text: v}
		}
		if v := clean(c.Phone); v != "" {
			pc.Telecom = []contactPoint{{System: "phone", Value: v}}
		}
		res.Contact = append(res.Contact, pc)
	}
	return d.add("patient", res)
}

func (d *doc) organization() reference {
	pr := d.m.Practice
	res := organization{ResourceType: "Organization", ID: d.id("organization"), Name: clean(pr.Name)}
	if v := clean(pr.ODS); v != "" {
		res.Identifier = []identifier{{System: systemODS, Value: v}}
	}
	if v := clean(pr.Phone); v != "" {
		res.Telecom = []contactPoint{{System: "phone", Value: v}}
	}
	if v := clean(pr.Address); v != "" {
		res.Address = []address{{Text: v}}
	}
	ref := d.add("organization", res)
	ref.Display = res.Name
	return ref
}

// attester names the approving clinician, as a PractitionerRole that
// carries both the person and their role at the practice.
func (d *doc) attester() (attester, bool) {
	name := clean(d.m.Approver)
	if name == "" {
		return attester{}, false
	}
	pr := d.add("practitioner", practitioner{ResourceType: "Practitioner", ID: d.id("practitioner"), Name: []humanName{nameParts(name)}})
	pr.Display = name
	role := practitionerRole{ResourceType: "PractitionerRole", ID: d.id("practitioner-role"), Practitioner: pr, Organization: d.org}
	if r := clean(d.m.Role); r != "" {
		role.Code = []concept{{Text: r}}
	}
	party := d.add("practitioner-role", role)
	party.Display = name
	if r := clean(d.m.Role); r != "" {
		party.Display += ", " + r
	}
	return attester{Mode: "professional", Time: d.m.Approved.ISO(), Party: &party}, true
}

// sectionCode returns a section's code.
func sectionCode(code, display string) concept {
	return concept{Coding: []coding{{System: systemLOINC, Code: code, Display: display}}}
}

// newSection returns a section with its narrative; an empty one says so.
func newSection(title, code, display string, refs []reference, tables ...table) section {
	s := section{Title: title, Code: sectionCode(code, display), Entry: refs}
	s.Text = narrative{Status: "generated", Div: div(tables...)}
	if len(refs) == 0 {
		s.EmptyReason = &concept{
			Coding: []coding{{System: systemListEmpty, Code: "unavailable", Display: "Unavailable"}},
			Text:   noInformation,
		}
	}
	return s
}

// sections writes every entry and returns the Composition's sections, in
// the order a clinician reads them: the emergency summary first.
func (d *doc) sections() []section {
	out := []section{d.allergies(), d.medications(), d.problems()}
	for _, f := range []func() (section, bool){
		d.decisions, d.alerts, d.devices, d.immunisations, d.results, d.findings, d.procedures, d.planOfCare, d.encounters, d.letters,
	} {
		if s, ok := f(); ok {
			out = append(out, s)
		}
	}
	return out
}

func key(kind string, i int) string { return kind + "/" + strconv.Itoa(i) }

func (d *doc) allergies() section {
	var refs []reference
	t := table{head: []string{"Substance", "Reaction", "Severity", "Status", "Recorded"}}
	for i := range d.rec.Allergies {
		a := &d.rec.Allergies[i]
		k := key("allergy", i)
		res := allergyIntolerance{
			ResourceType:   "AllergyIntolerance",
			ID:             d.id(k),
			ClinicalStatus: allergyStatus(a.Status),
			Criticality:    criticality(a.Severity),
			Code:           codeable(a.Code, a.Also, a.Substance),
			Patient:        d.subject,
			RecordedDate:   a.Recorded.ISO(),
		}
		// A reaction needs a manifestation; a severity with no reaction in
		// words is carried by the criticality and the narrative.
		if r := clean(a.Reaction); r != "" {
			res.Reaction = []reaction{{Manifestation: []concept{{Text: r}}, Severity: reactionSeverity(a.Severity)}}
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{a.Substance, a.Reaction, a.Severity, res.ClinicalStatus.Coding[0].Code, a.Recorded.String()})
	}
	return newSection("Allergies and intolerances", loincAllergies, "Allergies and adverse reactions Document", refs, t)
}

func (d *doc) medications() section {
	var refs []reference
	t := table{head: []string{"Medicine", "Dose", "Status", "Started", "Ended", "Prescription", "Next review"}}
	for i := range d.rec.Medications {
		m := &d.rec.Medications[i]
		k := key("medication", i)
		med := codeable(m.Code, m.Also, m.Name)
		status := "active"
		if m.Status == "stopped" {
			status = "stopped"
		}
		res := medicationStatement{
			ResourceType:              "MedicationStatement",
			ID:                        d.id(k),
			Status:                    status,
			MedicationCodeableConcept: med,
			Subject:                   d.subject,
		}
		if !m.Start.IsZero() || !m.End.IsZero() {
			res.EffectivePeriod = &period{Start: m.Start.ISO(), End: m.End.ISO()}
		}
		if v := clean(m.Dose); v != "" {
			res.Dosage = []dosage{{Text: v}}
		}
		if !m.Review.IsZero() {
			res.Note = []annotation{{Text: "Next medication review: " + m.Review.ISO()}}
		}
		// A repeat or acute prescription is an authorisation the statement
		// is based on, as GP systems export it; its course of therapy says
		// which.
		course := courseOfTherapy(m.Kind)
		rk := key("medication-request", i)
		if course != nil {
			res.BasedOn = []reference{{Reference: "urn:uuid:" + d.id(rk)}}
		}
		refs = append(refs, d.add(k, res))
		if course != nil {
			d.add(rk, medicationRequest{
				ResourceType:              "MedicationRequest",
				ID:                        d.id(rk),
				Status:                    status, // active or stopped, as the statement
				Intent:                    "order",
				MedicationCodeableConcept: med,
				Subject:                   d.subject,
				CourseOfTherapyType:       course,
				DosageInstruction:         res.Dosage,
			})
		}
		t.rows = append(t.rows, []string{m.Name, m.Dose, m.Status, m.Start.String(), m.End.String(), m.Kind, m.Review.String()})
	}
	return newSection("Medicines", loincMedications, "History of Medication use Narrative", refs, t)
}

// courseOfTherapy maps a prescription's kind: a repeat is continuous
// long-term therapy, an acute one a short course.
func courseOfTherapy(kind string) *concept {
	switch kind {
	case "repeat":
		return coded(systemCourseOfTherapy, "continuous", "Continuous long term therapy")
	case "acute":
		return coded(systemCourseOfTherapy, "acute", "Short course (acute) therapy")
	}
	return nil
}

func (d *doc) problems() section {
	var refs []reference
	t := table{head: []string{"Problem", "Status", "Onset", "Recorded"}}
	for i := range d.rec.Problems {
		p := &d.rec.Problems[i]
		k := key("problem", i)
		res := condition{
			ResourceType:   "Condition",
			ID:             d.id(k),
			ClinicalStatus: conditionStatus(p.Status),
			Category:       []concept{{Coding: []coding{{System: systemConditionCategory, Code: "problem-list-item", Display: "Problem List Item"}}}},
			Code:           codeable(p.Code, p.Also, p.Title),
			Subject:        d.subject,
			OnsetDateTime:  p.Onset.ISO(),
			RecordedDate:   p.Recorded.ISO(),
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{p.Title, res.ClinicalStatus.Coding[0].Code, p.Onset.String(), p.Recorded.String()})
	}
	return newSection("Problems", loincProblems, "Problem list - Reported", refs, t)
}

// decisions writes each advance decision (DNACPR and the like) as a
// Consent whose provision names the decision.
func (d *doc) decisions() (section, bool) {
	var refs []reference
	t := table{head: []string{"Decision", "Recorded", "Status"}}
	for i := range d.rec.AdvanceDecisions {
		a := &d.rec.AdvanceDecisions[i]
		k := key("advance-decision", i)
		words := a.Title
		if words == "" {
			words = a.Words()
		}
		res := consent{ResourceType: "Consent", ID: d.id(k), Status: a.Status,
			Scope:    *coded("http://terminology.hl7.org/CodeSystem/consentscope", "adr", "Advanced Care Directive"),
			Category: []concept{*coded("http://loinc.org", "59284-0", "Patient Consent")},
			Patient:  d.subject, DateTime: a.Date.ISO(),
			Provision: &provision{Code: []concept{codeable(a.Code, a.Also, words)}}}
		if a.Kind == record.DecisionDNACPR || a.Kind == record.DecisionADRT {
			res.Provision.Type = "deny"
		}
		refs = append(refs, d.add(k, res))
		status := "in force"
		if a.Status != "active" {
			status = "not in force"
		}
		t.rows = append(t.rows, []string{a.Words(), a.Date.String(), status})
	}
	return newSection("Advance directives", loincDecisions, "Advance directives", refs, t), len(refs) > 0
}

func (d *doc) alerts() (section, bool) {
	var refs []reference
	t := table{head: []string{"Alert", "Since"}}
	for i := range d.rec.Alerts {
		a := &d.rec.Alerts[i]
		k := key("alert", i)
		res := flag{ResourceType: "Flag", ID: d.id(k), Status: "active", Code: codeable(a.Code, a.Also, a.Title), Subject: d.subject}
		if !a.Date.IsZero() {
			res.Period = &period{Start: a.Date.ISO()}
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{a.Title, a.Date.String()})
	}
	return newSection("Alerts", loincAlerts, "Alert", refs, t), len(refs) > 0
}

// findings writes each coded observation without a value (e.g. "never
// smoked") as an Observation whose code is the finding and whose value is
// marked not applicable.
func (d *doc) findings() (section, bool) {
	var refs []reference
	t := table{head: []string{"Finding", "Recorded"}}
	for i := range d.rec.Findings {
		f := &d.rec.Findings[i]
		k := key("finding", i)
		res := observation{ResourceType: "Observation", ID: d.id(k), Status: "final",
			Code: codeable(f.Code, f.Also, f.Title), Subject: d.subject, EffectiveDateTime: f.Date.ISO(),
			// The finding is the code itself: it has no value to give.
			DataAbsentReason: coded(systemDataAbsent, "not-applicable", "Not Applicable")}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{f.Title, f.Date.String()})
	}
	return newSection("Other findings", loincFindings, "Physical findings Narrative", refs, t), len(refs) > 0
}

// devices writes each device as a Device and the DeviceUseStatement that
// says the patient has it; the section lists the statements, as the IPS
// does.
func (d *doc) devices() (section, bool) {
	var refs []reference
	t := table{head: []string{"Device", "Fitted"}}
	for i := range d.rec.Devices {
		dv := &d.rec.Devices[i]
		k, dk := key("device-use", i), key("device", i)
		res := deviceUseStatement{
			ResourceType:   "DeviceUseStatement",
			ID:             d.id(k),
			Status:         "active",
			Subject:        d.subject,
			TimingDateTime: dv.Date.ISO(),
			Device:         reference{Reference: "urn:uuid:" + d.id(dk), Display: clean(dv.Title)},
		}
		refs = append(refs, d.add(k, res))
		d.add(dk, device{ResourceType: "Device", ID: d.id(dk), Type: codeable(dv.Code, dv.Also, dv.Title), Patient: d.subject})
		t.rows = append(t.rows, []string{dv.Title, dv.Date.String()})
	}
	return newSection("Medical devices", loincDevices, "History of medical device use", refs, t), len(refs) > 0
}

func (d *doc) immunisations() (section, bool) {
	var refs []reference
	t := table{head: []string{"Vaccine", "Date"}}
	for i := range d.rec.Immunisations {
		im := &d.rec.Immunisations[i]
		k := key("immunisation", i)
		res := immunization{
			ResourceType:       "Immunization",
			ID:                 d.id(k),
			Status:             "completed",
			VaccineCode:        codeable(im.Code, im.Also, im.Vaccine),
			Patient:            d.subject,
			OccurrenceDateTime: im.Date.ISO(),
		}
		if im.Date.IsZero() {
			res.OccurrenceString = "Date not recorded" // occurrence[x] is required
		}
		given := im.Date.String()
		if im.NotGiven {
			res.Status = "not-done"
			if im.Reason != "" {
				res.StatusReason = &concept{Text: clean(im.Reason)}
			}
			given = "not given"
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{im.Vaccine, given})
	}
	return newSection("Immunisations", loincImmunizations, "History of Immunization Narrative", refs, t), len(refs) > 0
}

func (d *doc) procedures() (section, bool) {
	var refs []reference
	t := table{head: []string{"Procedure", "Date"}}
	for i := range d.rec.Procedures {
		p := &d.rec.Procedures[i]
		k := key("procedure", i)
		res := procedure{
			ResourceType:      "Procedure",
			ID:                d.id(k),
			Status:            "completed",
			Code:              codeable(p.Code, p.Also, p.Title),
			Subject:           d.subject,
			PerformedDateTime: p.Date.ISO(),
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{p.Title, p.Date.String()})
	}
	return newSection("Procedures", loincProcedures, "History of Procedures Document", refs, t), len(refs) > 0
}

// planOfCare holds care plans and referrals: both say what is planned, and
// the IPS has one section for that.
func (d *doc) planOfCare() (section, bool) {
	var refs []reference
	plans := table{caption: "Care plans", head: []string{"Plan", "Details", "Date"}}
	for i := range d.rec.CarePlans {
		c := &d.rec.CarePlans[i]
		k := key("care-plan", i)
		res := carePlan{
			ResourceType: "CarePlan",
			ID:           d.id(k),
			Status:       carePlanStatus(c.Status),
			Intent:       "plan",
			Title:        clean(c.Title),
			Description:  clean(c.Summary),
			Subject:      d.subject,
		}
		if cc := codeable(c.Code, c.Also, ""); len(cc.Coding) > 0 {
			res.Category = []concept{cc}
		}
		if res.Title == "" {
			res.Title = "Care plan"
		}
		if !c.Date.IsZero() {
			res.Period = &period{Start: c.Date.ISO()}
		}
		refs = append(refs, d.add(k, res))
		plans.rows = append(plans.rows, []string{c.Title, c.Summary, c.Date.String()})
	}
	referrals := table{caption: "Referrals", head: []string{"Referral", "Status", "Date"}}
	for i := range d.rec.Referrals {
		r := &d.rec.Referrals[i]
		k := key("referral", i)
		res := serviceRequest{
			ResourceType: "ServiceRequest",
			ID:           d.id(k),
			Status:       requestStatus(r.Status),
			Intent:       "order",
			Code:         codeable(r.Code, r.Also, r.Title),
			Subject:      d.subject,
			AuthoredOn:   r.Date.ISO(),
		}
		refs = append(refs, d.add(k, res))
		referrals.rows = append(referrals.rows, []string{r.Title, r.Status, r.Date.String()})
	}
	return newSection("Plan of care", loincPlanOfCare, "Plan of care note", refs, plans, referrals), len(refs) > 0
}

func (d *doc) encounters() (section, bool) {
	var refs []reference
	t := table{head: []string{"Encounter", "Date"}}
	for i := range d.rec.Encounters {
		e := &d.rec.Encounters[i]
		k := key("encounter", i)
		res := encounter{
			ResourceType: "Encounter",
			ID:           d.id(k),
			Status:       encounterStatus(e.Date, d.m.Exported),
			// The record does not say whether it was a visit, a call or a
			// stay; class is required, so it says that it does not know.
			Class:   coding{System: systemNullFlavor, Code: "UNK", Display: "unknown"},
			Type:    []concept{codeable(e.Code, e.Also, e.Title)},
			Subject: d.subject,
		}
		if !e.Date.IsZero() {
			res.Period = &period{Start: e.Date.ISO()}
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{e.Title, e.Date.String()})
	}
	return newSection("Encounters", loincEncounters, "History of Hospitalizations+Outpatient visits Narrative", refs, t), len(refs) > 0
}

// encounterStatus says an encounter dated before the export is finished;
// one with no date, or a later one, is not known to be.
func encounterStatus(date record.Date, exported time.Time) string {
	if !date.IsZero() && !date.Time.After(exported) {
		return "finished"
	}
	return "unknown"
}

// letters writes each letter as a DocumentReference with its Markdown body
// inline; one without a body (a PDF the practice holds) is listed by title.
func (d *doc) letters() (section, bool) {
	var refs []reference
	t := table{head: []string{"Letter", "From", "Date"}}
	for i := range d.rec.Letters {
		l := &d.rec.Letters[i]
		k := key("letter", i)
		title := clean(l.Title)
		if title == "" {
			title = "Document"
		}
		a := attachment{Title: title, Creation: l.Date.ISO()}
		if l.Body != "" {
			a.ContentType = "text/markdown; charset=utf-8"
			a.Data = base64.StdEncoding.EncodeToString([]byte(l.Body))
		}
		res := documentReference{
			ResourceType: "DocumentReference",
			ID:           d.id(k),
			Status:       "current",
			Type:         concept{Coding: []coding{{System: systemLOINC, Code: loincNotes, Display: "Note"}}, Text: "Letter"},
			Subject:      d.subject,
			Description:  title,
			Content:      []docContent{{Attachment: a}},
		}
		if from := clean(l.From); from != "" {
			res.Author = []reference{{Display: from}}
		}
		if !l.Date.IsZero() {
			res.Context = &docContext{Period: &period{Start: l.Date.ISO()}}
		}
		refs = append(refs, d.add(k, res))
		t.rows = append(t.rows, []string{l.Title, l.From, l.Date.String()})
	}
	return newSection("Letters and documents", loincNotes, "Note", refs, t), len(refs) > 0
}

// results writes one Observation per result. A run of results measured
// together (a panel: a full blood count, the two numbers of a blood
// pressure) also gets a grouping Observation that lists them in hasMember,
// and the section lists the group in their place, as the IPS does.
func (d *doc) results() (section, bool) {
	var refs []reference
	t := table{head: []string{"Test", "Result", "Reference range", "Panel", "Date"}}
	rs := d.rec.Results
	for i := 0; i < len(rs); {
		j := i + 1
		if rs[i].Panel != "" {
			for j < len(rs) && rs[j].Panel == rs[i].Panel && rs[j].Date == rs[i].Date {
				j++
			}
		}
		if rs[i].Panel != "" {
			gk := key("panel", i)
			group := observation{
				ResourceType:      "Observation",
				ID:                d.id(gk),
				Status:            "final",
				Category:          []concept{*observationCategory(&rs[i])},
				Code:              concept{Text: clean(rs[i].Panel)},
				Subject:           d.subject,
				EffectiveDateTime: rs[i].Date.ISO(),
			}
			for m := i; m < j; m++ {
				group.HasMember = append(group.HasMember, reference{Reference: "urn:uuid:" + d.id(key("result", m))})
			}
			refs = append(refs, d.add(gk, group))
		}
		for m := i; m < j; m++ {
			ref := d.add(key("result", m), d.observation(m))
			if rs[m].Panel == "" {
				refs = append(refs, ref)
			}
			t.rows = append(t.rows, []string{rs[m].Title, resultWords(&rs[m]), rangeWords(&rs[m]), rs[m].Panel, rs[m].Date.String()})
		}
		i = j
	}
	return newSection("Results", loincResults, "Relevant diagnostic tests/laboratory data Narrative", refs, t), len(refs) > 0
}

// observation writes result i: a number as a Quantity, words as a string.
func (d *doc) observation(i int) observation {
	r := &d.rec.Results[i]
	res := observation{
		ResourceType:      "Observation",
		ID:                d.id(key("result", i)),
		Status:            "final",
		Category:          []concept{*observationCategory(r)},
		Code:              codeable(r.Code, r.Also, r.Title),
		Subject:           d.subject,
		EffectiveDateTime: r.Date.ISO(),
	}
	if len(res.Code.Coding) == 0 && res.Code.Text == "" {
		res.Code.Text = "Result" // code is required
	}
	unit := clean(r.Unit)
	text := clean(r.Text)
	switch {
	case finite(r.Value):
		v := *r.Value
		res.ValueQuantity = &quantity{Value: &v, Unit: unit}
		if text != "" {
			res.Note = []annotation{{Text: text}}
		}
		if flag := outOfRange(r); flag != "" {
			code, display := "H", "High"
			if flag == "low" {
				code, display = "L", "Low"
			}
			res.Interpretation = []concept{*coded(systemInterpretation, code, display)}
		}
	case text != "":
		// "<5" is how an import keeps a value with a comparator: write it
		// back as the Quantity it came from.
		if cmp, v, ok := comparatorValue(text); ok {
			res.ValueQuantity = &quantity{Value: &v, Comparator: cmp, Unit: unit}
		} else {
			res.ValueString = text
		}
	case unit != "":
		res.ValueQuantity = &quantity{Unit: unit}
	default:
		res.DataAbsentReason = coded(systemDataAbsent, "unknown", "Unknown")
	}
	if finite(r.Low) || finite(r.High) {
		var rr refRange
		if finite(r.Low) {
			v := *r.Low
			rr.Low = &quantity{Value: &v, Unit: unit}
		}
		if finite(r.High) {
			v := *r.High
			rr.High = &quantity{Value: &v, Unit: unit}
		}
		if r.RangeType == record.RangeTarget {
			rr.Type = coded(systemRangeMeaning, "treatment", "Treatment Range")
		}
		res.ReferenceRange = []refRange{rr}
	}
	return res
}

// comparatorValue reads "<5", "<=5", ">=5" or ">5".
func comparatorValue(s string) (string, float64, bool) {
	for _, c := range []string{"<=", ">=", "<", ">"} {
		if rest, ok := strings.CutPrefix(s, c); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil || rest == "" || strings.ContainsAny(rest, "+ \t") {
				return "", 0, false
			}
			return c, v, true
		}
	}
	return "", 0, false
}

// finite reports whether p holds a number JSON can carry: TOML can spell
// nan and inf, which FHIR has no way to write, so they count as no number.
func finite(p *float64) bool { return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) }

// outOfRange says "high" or "low" for a number outside its reference range.
func outOfRange(r *record.Result) string {
	switch {
	case !finite(r.Value):
		return ""
	case finite(r.High) && *r.Value > *r.High:
		return "high"
	case finite(r.Low) && *r.Value < *r.Low:
		return "low"
	}
	return ""
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// resultWords is a result as the narrative shows it, out-of-range values
// marked in words.
func resultWords(r *record.Result) string {
	var s string
	switch {
	case finite(r.Value):
		s = num(*r.Value)
		if r.Unit != "" {
			s += " " + r.Unit
		}
		if f := outOfRange(r); f != "" {
			s += " (" + f + ")"
		}
		if r.Text != "" {
			s += "; " + r.Text
		}
	case r.Text != "":
		s = r.Text
		if r.Unit != "" {
			s += " " + r.Unit
		}
	}
	return s
}

func rangeWords(r *record.Result) string {
	unit := ""
	if r.Unit != "" {
		unit = " " + r.Unit
	}
	if r.RangeType == record.RangeTarget && (finite(r.Low) || finite(r.High)) {
		unit += " (target)"
	}
	switch {
	case finite(r.Low) && finite(r.High):
		return num(*r.Low) + " to " + num(*r.High) + unit
	case finite(r.Low):
		return "at least " + num(*r.Low) + unit
	case finite(r.High):
		return "up to " + num(*r.High) + unit
	}
	return ""
}

// carePlanStatus is a care plan's FHIR status: as recorded when FHIR has
// it, active when none is recorded, else unknown.
func carePlanStatus(s string) string {
	switch s {
	case "":
		return "active"
	case "active", "draft", "on-hold", "revoked", "completed", "entered-in-error", "unknown":
		return s
	}
	return "unknown"
}
