// Package record holds Satchel's model of a patient record and the readers
// that load one from a practice's export: Satchel's own TOML format here,
// FHIR in the files beside it.
//
// A Record is everything the practice exported. Deciding what may leave the
// practice is the policy package's job, not this one's.
package record

import (
	"slices"
	"strings"
	"time"
)

// Record is one patient's exported record.
type Record struct {
	ID     string // the file's stem; never shown outside the practice
	Source string // path of the file the record was read from
	Format string // "satchel-toml", "fhir-r4", "fhir-stu3"
	// Dated is when the export was made, as the export says (FHIR
	// Bundle.timestamp, else Bundle.meta.lastUpdated); zero when it does
	// not say. A record's freshness counts from it, never from the build.
	Dated time.Time

	Patient       Patient
	Problems      []Problem
	Medications   []Medication
	Allergies     []Allergy
	Immunisations []Immunisation
	Results       []Result
	Procedures    []Procedure
	Letters       []Letter
	Devices       []Device
	Alerts        []Alert
	CarePlans     []CarePlan
	// Contacts are the people to contact about the patient: next of kin,
	// an emergency contact.
	Contacts   []Contact
	Encounters []Encounter
	Referrals  []Referral
	Findings   []Finding
	// AdvanceDecisions are DNACPR decisions, advance decisions to refuse
	// treatment, treatment escalation plans and other advance directives:
	// what a clinician must see first in an emergency.
	AdvanceDecisions []AdvanceDecision

	// Skipped counts resources a reader met but does not carry (e.g. FHIR
	// billing resources), by kind. No content, only counts.
	Skipped map[string]int
	// NotCarried counts, by reason in words ("billing: not clinical"), the
	// source's resources that end in no entry. With the entries a reader
	// made, it accounts for every resource of the source: each is an entry
	// (shown or withheld) or not carried, for a reason. Reasons hold no
	// patient data.
	NotCarried map[string]int
	// Unresolved lists where the export points at something it does not
	// hold, losing content (e.g. "Bundle.entry[4].resource.result[1]"):
	// paths only, never values. A build goes on; `satchel check` reports
	// them so the practice can fix the export before approving.
	Unresolved []string
}

// NotCarry counts one resource of the source not carried, for reason.
func (r *Record) NotCarry(reason string) {
	if r.NotCarried == nil {
		r.NotCarried = make(map[string]int)
	}
	r.NotCarried[reason]++
}

// Patient is the patient's identity.
type Patient struct {
	Name      string `toml:"name"`
	Born      Date   `toml:"born"`
	NHSNumber string `toml:"nhs_number"`
	Sex       string `toml:"sex"`
	// Died is the date of death, when the record gives one
	// ("died = 2020-01-02" in Satchel's TOML, Patient.deceasedDateTime in
	// FHIR). Deceased says the patient has died, with or without a date
	// ("deceased = true", Patient.deceasedBoolean); readers set it
	// whenever Died is set.
	Died     Date `toml:"died"`
	Deceased bool `toml:"deceased"`
	// PublicKey names the patient's own OpenPGP public key file, beside
	// the record: the bundle is then also encrypted to it, so the patient
	// can open it with their own gpg. The build reads it.
	PublicKey string `toml:"public_key"`
	// Language is the two-letter code of the language the patient's
	// record document and viewer open in ("fr"), instead of site.toml's
	// default; the reader can still switch. Satchel's TOML sets it as
	// patient.language; a FHIR record's Patient.communication gives it
	// (the preferred language, when Satchel has it). Empty: the site's.
	Language string `toml:"language"`
	// Theme is the name of the theme of the patient's record document
	// ("large-print"), instead of site.toml's theme; Satchel's TOML only.
	// Empty: the site's.
	Theme string `toml:"theme"`
}

// HasDied reports whether the record says the patient has died.
func (p Patient) HasDied() bool { return p.Deceased || !p.Died.IsZero() }

// Code is a coded concept, written "SYSTEM:VALUE" in Satchel's TOML format,
// e.g. "SNOMED:38341003".
type Code struct {
	// System is canonical (see ParseSystem) in every Code a reader makes:
	// SNOMED, ICD10, LOINC, DMD, READ2, CTV3, or an unknown system as the
	// export wrote it.
	System  System
	Value   string
	Display string
}

// String returns the "SYSTEM:VALUE" form.
func (c Code) String() string {
	if c.System == "" && c.Value == "" {
		return ""
	}
	return string(c.System) + ":" + c.Value
}

// IsZero reports whether c is empty.
func (c Code) IsZero() bool { return c.Value == "" }

// UnmarshalText reads the "SYSTEM:VALUE" form, making the system canonical
// (see ParseSystem): "SNOMED CT:38341003" and
// "https://snomed.info/sct:38341003" both read as SNOMED:38341003.
func (c *Code) UnmarshalText(b []byte) error {
	// Split at the last colon: a system may be a URL
	// ("http://snomed.info/sct:38341003"); code values never hold one.
	i := strings.LastIndexByte(string(b), ':')
	if i < 0 {
		return safe("invalid code: want SYSTEM:VALUE, such as SNOMED:38341003")
	}
	sys, val := strings.TrimSpace(string(b[:i])), strings.TrimSpace(string(b[i+1:]))
	if sys == "" || val == "" || strings.ContainsAny(val, " \t") || strings.ContainsAny(sys, "\t\r\n") {
		return safe("invalid code: want SYSTEM:VALUE, such as SNOMED:38341003")
	}
	c.System, c.Value = ParseSystem(sys), val
	return nil
}

// Mark is carried by every entry: whether the practice withholds it, and why.
type Mark struct {
	Withheld bool   `toml:"withheld"`
	Reason   string `toml:"withheld_reason"`
	// ThirdParty marks information about someone other than the patient.
	ThirdParty bool `toml:"third_party"`
	// Labels are security labels (confidentiality R/V, sensitivity such as
	// HIV, PSY, SDV) carried by an imported entry.
	Labels []string `toml:"labels"`
	// Key identifies the entry within its record (section and position, or a
	// FHIR resource id) for approvals and review sheets. Set by readers.
	Key string `toml:"-"`
	// Also holds other codings of the same concept (e.g. the ICD-10 beside
	// a SNOMED CT code), so policy and education pages match on any of
	// them. Set by readers.
	Also []Code `toml:"-"`
	// Linked holds codes that are not the entry's concept but decide its
	// fate all the same: an Observation's coded value and components, and
	// the codes of what the entry references (its Medication, Device,
	// request). The sensitive-code rule matches on them; nothing shows
	// them. Set by readers.
	Linked []Code `toml:"-"`
	// TextNotCarried names the free-text parts of the source entry that
	// Satchel does not carry ("note", "comment"): a clinician's
	// annotations may speak of others, so they never leave, and the review
	// sheet says which entries lost some. Set by readers.
	TextNotCarried []string `toml:"-"`
}

// Entry gives the policy package access to an entry's mark, codes and date.
type Entry interface {
	mark() *Mark
	Codes() []Code
	Label() string // a short description for the practice's review sheet
	When() Date    // when it was recorded, started or happened; may be zero
}

// Problem is a diagnosis or condition.
type Problem struct {
	Mark
	Code   Code   `toml:"code"`
	Title  string `toml:"title"`
	Onset  Date   `toml:"onset"`
	Status string `toml:"status"` // active, resolved, inactive
	// Recorded is when the problem was entered in the record, which may be
	// all an export says when the onset is unknown.
	Recorded Date `toml:"recorded"`
	// Pages is filled by the content matcher: education pages for this problem.
	Pages []string `toml:"-"`
}

// Medication is a medicine the patient takes or took.
type Medication struct {
	Mark
	Code   Code   `toml:"code"`
	Name   string `toml:"name"`
	Dose   string `toml:"dose"`
	Start  Date   `toml:"start"`
	End    Date   `toml:"end"`
	Status string `toml:"status"` // current, stopped
	Kind   string `toml:"kind"`   // repeat, acute
	Review Date   `toml:"review"` // next medication review, for repeats
}

// Allergy is an allergy or intolerance.
type Allergy struct {
	Mark
	Code      Code   `toml:"code"`
	Substance string `toml:"substance"`
	Reaction  string `toml:"reaction"`
	Severity  string `toml:"severity"` // mild, moderate, severe
	Recorded  Date   `toml:"recorded"`
	Status    string `toml:"status"` // active (default), inactive, resolved
}

// Immunisation is a vaccine given, or one recorded as not given.
type Immunisation struct {
	Mark
	Code    Code   `toml:"code"`
	Vaccine string `toml:"vaccine"`
	Date    Date   `toml:"date"`
	// NotGiven marks a vaccine recorded as not given (declined, contra-
	// indicated, ...); Reason says why, when the record does.
	NotGiven bool   `toml:"not_given"`
	Reason   string `toml:"reason"`
}

// Result is a test result or measurement.
type Result struct {
	Mark
	Code  Code     `toml:"code"`
	Title string   `toml:"title"`
	Value *float64 `toml:"value"` // nil for a text-only result
	Text  string   `toml:"text"`  // a result in words, e.g. an ECG report
	Unit  string   `toml:"unit"`
	Low   *float64 `toml:"low"`  // reference range, when known
	High  *float64 `toml:"high"` // reference range, when known
	// RangeType says what Low and High are: RangeTarget when the source
	// calls them a target (an INR of 2 to 3 on warfarin, FHIR
	// referenceRange.type "treatment" or "therapeutic"); empty for a
	// normal (reference) range.
	RangeType string `toml:"range_type"`
	Date      Date   `toml:"date"`
	// At is when on Date the result was taken, where the source gives a
	// time of day (a FHIR dateTime or instant); zero otherwise. It is
	// never shown: it only tells which of one day's results is the newest
	// (see CompareTaken). Not part of an entry's digest, which is of what
	// the reader is shown.
	At time.Time `toml:"-" json:"-"`
	// Panel groups results measured together (e.g. "Blood pressure" for
	// the systolic and diastolic components of one reading).
	Panel string `toml:"panel"`
}

// CompareTaken orders two results by when they were taken: by date, then,
// on the same day, by time of day where both give one. It returns -1 when
// a was taken before b, 1 after, and 0 when the record cannot tell: then
// the one the record lists first counts as the newer, everywhere a
// newest result is chosen or results are listed newest first.
func CompareTaken(a, b *Result) int {
	if a.Date.IsZero() || b.Date.IsZero() {
		return a.Date.Time.Compare(b.Date.Time)
	}
	return CompareMoments(a.Date.Time, a.At, b.Date.Time, b.At)
}

// CompareMoments is CompareTaken's rule for two readings taken on days
// dayA and dayB at times atA and atB (zero where not known): by day, then
// by time where both have one; 0 when that cannot tell them apart.
func CompareMoments(dayA, atA, dayB, atB time.Time) int {
	if c := dayA.Compare(dayB); c != 0 || atA.IsZero() || atB.IsZero() {
		return c
	}
	return atA.Compare(atB)
}

// Range types of a Result. The TOML format also accepts "normal", which
// reads as the empty default.
const (
	RangeNormal = ""
	RangeTarget = "target"
)

// Procedure is an operation or procedure done.
type Procedure struct {
	Mark
	Code  Code   `toml:"code"`
	Title string `toml:"title"`
	Date  Date   `toml:"date"`
}

// Letter is a clinical letter; its body is Markdown.
type Letter struct {
	Mark
	Title string `toml:"title"`
	Date  Date   `toml:"date"`
	From  string `toml:"from"`
	File  string `toml:"file"` // Markdown file beside the record
	Body  string `toml:"-"`    // loaded from File
}

// Device is an implanted or long-term device (pacemaker, stent, joint).
type Device struct {
	Mark
	Code  Code   `toml:"code"`
	Title string `toml:"title"`
	Date  Date   `toml:"date"`
}

// Alert is a flag a clinician should see first (e.g. "difficult airway").
type Alert struct {
	Mark
	Code  Code   `toml:"code"`
	Title string `toml:"title"`
	Date  Date   `toml:"date"`
}

// CarePlan is a plan of care (e.g. an asthma action plan).
type CarePlan struct {
	Mark
	Code    Code   `toml:"code"`
	Title   string `toml:"title"`
	Summary string `toml:"summary"`
	Date    Date   `toml:"date"`
	// Status is active (in force: the TOML default), or one FHIR's
	// CarePlan.status names: draft, on-hold, revoked, completed,
	// unknown. Only an active plan is in the emergency summary.
	Status string `toml:"status"`
}

// Active reports whether the plan is in force.
func (c *CarePlan) Active() bool { return c.Status == "" || c.Status == "active" }

// Contact is someone to contact about the patient: next of kin or an
// emergency contact (FHIR Patient.contact).
type Contact struct {
	Mark
	// Relationship is who they are to the patient, in words: "Wife",
	// "Next of kin", "Emergency contact".
	Relationship string `toml:"relationship"`
	Name         string `toml:"name"`
	// Phone is a telephone number as recorded.
	Phone string `toml:"phone"`
}

// Encounter is a consultation, visit or admission.
type Encounter struct {
	Mark
	Code  Code   `toml:"code"`
	Title string `toml:"title"`
	Date  Date   `toml:"date"`
}

// Finding is a coded observation with no value, such as "never smoked" or
// "enhanced review indicated before granting access". Readers must keep
// these: some of them decide whether a record may leave the practice.
type Finding struct {
	Mark
	Code  Code   `toml:"code"`
	Title string `toml:"title"`
	Date  Date   `toml:"date"`
}

// Codes returns the finding's codes.
func (f *Finding) Codes() []Code { return f.Mark.codes(f.Code) }

// When returns the date recorded.
func (f *Finding) When() Date { return f.Date }

// Label describes the entry for the review sheet.
func (f *Finding) Label() string { return "finding: " + f.Title }

// Kinds of AdvanceDecision.
const (
	DecisionDNACPR     = "dnacpr"     // do not attempt cardiopulmonary resuscitation
	DecisionADRT       = "adrt"       // advance decision to refuse treatment
	DecisionEscalation = "escalation" // treatment escalation plan (e.g. ReSPECT)
	DecisionDirective  = "directive"  // another advance directive or living will
)

// AdvanceDecision is a decision about care in an emergency made ahead of
// time: a DNACPR decision, an advance decision to refuse treatment, a
// treatment escalation plan or another advance directive.
type AdvanceDecision struct {
	Mark
	Kind   string `toml:"kind"` // one of the Decision kinds
	Code   Code   `toml:"code"`
	Title  string `toml:"title"` // the record's own words, if any
	Date   Date   `toml:"date"`
	Status string `toml:"status"` // active (default) or inactive
}

// Words says what the decision is in plain words, e.g. "Do not attempt
// CPR (DNACPR) decision".
func (a *AdvanceDecision) Words() string {
	switch a.Kind {
	case DecisionDNACPR:
		return "Do not attempt CPR (DNACPR) decision"
	case DecisionADRT:
		return "Advance decision to refuse treatment"
	case DecisionEscalation:
		return "Treatment escalation plan"
	}
	return "Advance directive"
}

// Codes returns the decision's codes.
func (a *AdvanceDecision) Codes() []Code { return a.Mark.codes(a.Code) }

// When returns the date the decision was recorded.
func (a *AdvanceDecision) When() Date { return a.Date }

// Label describes the entry for the review sheet.
func (a *AdvanceDecision) Label() string {
	if a.Title != "" {
		return "advance decision: " + a.Title
	}
	return "advance decision: " + a.Words()
}

// Referral is a referral or request for a service (FHIR ReferralRequest,
// ProcedureRequest, ServiceRequest).
type Referral struct {
	Mark
	Code   Code   `toml:"code"`
	Title  string `toml:"title"`
	Status string `toml:"status"`
	Date   Date   `toml:"date"`
}

func (m *Mark) mark() *Mark { return m }

// Marked returns the entry's Mark.
func Marked(e Entry) *Mark { return e.mark() }

// codes returns the primary code c followed by the mark's other codings,
// without repeats.
func (m *Mark) codes(c Code) []Code {
	var out []Code
	if !c.IsZero() {
		out = append(out, c)
	}
	for _, a := range m.Also {
		if !a.IsZero() && !slices.ContainsFunc(out, a.Same) {
			out = append(out, a)
		}
	}
	return out
}

// Codes returns the problem's codes.
func (p *Problem) Codes() []Code { return p.Mark.codes(p.Code) }

// Codes returns the medication's codes.
func (m *Medication) Codes() []Code { return m.Mark.codes(m.Code) }

// Codes returns the allergy's codes.
func (a *Allergy) Codes() []Code { return a.Mark.codes(a.Code) }

// Codes returns the immunisation's codes.
func (i *Immunisation) Codes() []Code { return i.Mark.codes(i.Code) }

// Codes returns the result's codes.
func (r *Result) Codes() []Code { return r.Mark.codes(r.Code) }

// Codes returns the procedure's codes.
func (p *Procedure) Codes() []Code { return p.Mark.codes(p.Code) }

// Codes returns no codes: letters are not coded.
func (l *Letter) Codes() []Code { return nil }

// Codes returns the device's codes.
func (d *Device) Codes() []Code { return d.Mark.codes(d.Code) }

// Codes returns the alert's codes.
func (a *Alert) Codes() []Code { return a.Mark.codes(a.Code) }

// Codes returns the care plan's codes.
func (c *CarePlan) Codes() []Code { return c.Mark.codes(c.Code) }

// Codes returns no codes: contacts are not coded.
func (c *Contact) Codes() []Code { return c.Mark.codes(Code{}) }

// Codes returns the encounter's codes.
func (e *Encounter) Codes() []Code { return e.Mark.codes(e.Code) }

// Codes returns the referral's codes.
func (r *Referral) Codes() []Code { return r.Mark.codes(r.Code) }

// When returns the onset, or failing that the date recorded.
func (p *Problem) When() Date {
	if p.Onset.IsZero() {
		return p.Recorded
	}
	return p.Onset
}

// When returns the start date.
func (m *Medication) When() Date { return m.Start }

// When returns the date recorded.
func (a *Allergy) When() Date { return a.Recorded }

// When returns the date given.
func (i *Immunisation) When() Date { return i.Date }

// When returns the date measured.
func (r *Result) When() Date { return r.Date }

// When returns the date done.
func (p *Procedure) When() Date { return p.Date }

// When returns the letter's date.
func (l *Letter) When() Date { return l.Date }

// When returns the date fitted.
func (d *Device) When() Date { return d.Date }

// When returns the date raised.
func (a *Alert) When() Date { return a.Date }

// When returns the plan's date.
func (c *CarePlan) When() Date { return c.Date }

// When returns no date: a contact is not dated.
func (c *Contact) When() Date { return Date{} }

// When returns the encounter's date.
func (e *Encounter) When() Date { return e.Date }

// When returns the date requested.
func (r *Referral) When() Date { return r.Date }

// Label describes the entry for the review sheet.
func (p *Problem) Label() string { return "problem: " + p.Title }

// Label describes the entry for the review sheet.
func (m *Medication) Label() string { return "medication: " + m.Name }

// Label describes the entry for the review sheet.
func (a *Allergy) Label() string { return "allergy: " + a.Substance }

// Label describes the entry for the review sheet.
func (i *Immunisation) Label() string { return "immunisation: " + i.Vaccine }

// Label describes the entry for the review sheet.
func (r *Result) Label() string { return "result: " + r.Title }

// Label describes the entry for the review sheet.
func (p *Procedure) Label() string { return "procedure: " + p.Title }

// Label describes the entry for the review sheet.
func (l *Letter) Label() string { return "letter: " + l.Title }

// Label describes the entry for the review sheet.
func (d *Device) Label() string { return "device: " + d.Title }

// Label describes the entry for the review sheet.
func (a *Alert) Label() string { return "alert: " + a.Title }

// Label describes the entry for the review sheet.
func (c *CarePlan) Label() string { return "care plan: " + c.Title }

// Label describes the entry for the review sheet.
func (c *Contact) Label() string {
	who := c.Name
	if who == "" {
		who = "name not recorded"
	}
	if c.Relationship != "" {
		who += " (" + c.Relationship + ")"
	}
	return "contact: " + who
}

// Label describes the entry for the review sheet.
func (e *Encounter) Label() string { return "encounter: " + e.Title }

// Label describes the entry for the review sheet.
func (r *Referral) Label() string { return "referral: " + r.Title }

// Entries returns every entry of r, in section order, as pointers into r.
func (r *Record) Entries() []Entry {
	var es []Entry
	for i := range r.Problems {
		es = append(es, &r.Problems[i])
	}
	for i := range r.Medications {
		es = append(es, &r.Medications[i])
	}
	for i := range r.Allergies {
		es = append(es, &r.Allergies[i])
	}
	for i := range r.Immunisations {
		es = append(es, &r.Immunisations[i])
	}
	for i := range r.Results {
		es = append(es, &r.Results[i])
	}
	for i := range r.Procedures {
		es = append(es, &r.Procedures[i])
	}
	for i := range r.Letters {
		es = append(es, &r.Letters[i])
	}
	for i := range r.Devices {
		es = append(es, &r.Devices[i])
	}
	for i := range r.Alerts {
		es = append(es, &r.Alerts[i])
	}
	for i := range r.CarePlans {
		es = append(es, &r.CarePlans[i])
	}
	for i := range r.Contacts {
		es = append(es, &r.Contacts[i])
	}
	for i := range r.Encounters {
		es = append(es, &r.Encounters[i])
	}
	for i := range r.Referrals {
		es = append(es, &r.Referrals[i])
	}
	for i := range r.Findings {
		es = append(es, &r.Findings[i])
	}
	for i := range r.AdvanceDecisions {
		es = append(es, &r.AdvanceDecisions[i])
	}
	return es
}

// Filter returns a copy of r holding only the entries for which keep is true.
func (r *Record) Filter(keep func(Entry) bool) *Record {
	out := &Record{ID: r.ID, Source: r.Source, Format: r.Format, Dated: r.Dated, Patient: r.Patient}
	out.Problems = filter(r.Problems, keep)
	out.Medications = filter(r.Medications, keep)
	out.Allergies = filter(r.Allergies, keep)
	out.Immunisations = filter(r.Immunisations, keep)
	out.Results = filter(r.Results, keep)
	out.Procedures = filter(r.Procedures, keep)
	out.Letters = filter(r.Letters, keep)
	out.Devices = filter(r.Devices, keep)
	out.Alerts = filter(r.Alerts, keep)
	out.CarePlans = filter(r.CarePlans, keep)
	out.Contacts = filter(r.Contacts, keep)
	out.Encounters = filter(r.Encounters, keep)
	out.Referrals = filter(r.Referrals, keep)
	out.Findings = filter(r.Findings, keep)
	out.AdvanceDecisions = filter(r.AdvanceDecisions, keep)
	return out
}

func filter[T any, P interface {
	*T
	Entry
}](in []T, keep func(Entry) bool) []T {
	var out []T
	for i := range in {
		if keep(P(&in[i])) {
			out = append(out, in[i])
		}
	}
	return out
}

// safe is an error message that carries no input data; see strict.IsSafe.
type safe string

func (s safe) Error() string { return string(s) }
