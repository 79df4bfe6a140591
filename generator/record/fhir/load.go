package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
)

// class says what the reader does with a resource type.
type class uint8

const (
	classUnknown  class = iota // counted in Skipped by type
	classBilling               // counted in Skipped by type
	classIgnored               // context only (Location, Composition, ...): not decoded, not counted
	classClinical              // read into an entry
	classSupport               // Patient, Medication, List: decoded, read through
	classParty                 // Practitioner, Organization, Binary, ...: names and bodies
)

func classOf(rt string) class {
	switch rt {
	case "Condition", "AllergyIntolerance", "MedicationStatement", "MedicationRequest",
		"Immunization", "Observation", "Procedure", "DiagnosticReport", "DocumentReference",
		"Device", "DeviceUseStatement", "Flag", "CarePlan", "Encounter",
		"ReferralRequest", "ProcedureRequest", "ServiceRequest", "Consent":
		return classClinical
	case "Patient", "Medication", "List":
		return classSupport
	case "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Binary":
		return classParty
	case "Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage",
		"CoverageEligibilityRequest", "CoverageEligibilityResponse",
		"EligibilityRequest", "EligibilityResponse", "EnrollmentRequest", "EnrollmentResponse",
		"PaymentNotice", "PaymentReconciliation", "Invoice", "Account", "ChargeItem",
		"ChargeItemDefinition", "InsurancePlan":
		return classBilling
	case "Location", "Composition", "Specimen", "Substance", "Provenance", "Endpoint",
		"HealthcareService", "Group", "OperationOutcome", "AuditEvent", "Bundle":
		return classIgnored
	}
	return classUnknown
}

// versionOfType reports resource types that exist in only one of STU3 and
// R4: +1 for STU3, -1 for R4.
func versionOfType(rt string) int {
	switch rt {
	case "ReferralRequest", "ProcedureRequest", "ProcessRequest", "ProcessResponse",
		"EligibilityRequest", "EligibilityResponse", "DataElement", "ServiceDefinition",
		"ImagingManifest", "BodySite", "DeviceComponent", "Sequence", "ExpansionProfile":
		return 1
	case "ServiceRequest", "CoverageEligibilityRequest", "CoverageEligibilityResponse",
		"MedicationKnowledge", "MolecularSequence", "ImmunizationEvaluation", "InsurancePlan",
		"Invoice", "BiologicallyDerivedProduct", "DeviceDefinition", "ObservationDefinition",
		"SpecimenDefinition", "VerificationResult", "OrganizationAffiliation", "ChargeItemDefinition":
		return -1
	}
	return 0
}

// node is one decoded resource of the Bundle, or one contained in another.
type node struct {
	rt      string
	id      string
	fullURL string
	path    string // FHIR path, e.g. "Bundle.entry[3].resource"
	res     *resource
	parent  *node // the container of a contained resource

	contained map[string]*node // by local id
	children  []*node          // contained resources, in order

	idents       []identifier
	identsParsed bool
	code         *concept // the code element, read on first use
	codeParsed   bool

	key    string
	labels []string
	third  bool

	// Filled before conversion.
	skip      string      // why the resource is not carried, if it is not
	panel     string      // the group or report a result belongs to
	panelDate record.Date // that group's or report's date, for undated results
	covered   bool        // a MedicationRequest folded into a statement or plan
	plan      *node       // a MedicationStatement's authorising request
	usedBy    bool        // a Device a DeviceUseStatement reports

	produced bool // an entry was made of it
}

// reader holds the state of one Read.
type reader struct {
	file string
	data []byte
	rec  *record.Record
	errs []pathError

	nodes    []*node          // top-level resources, in Bundle order
	byURL    map[string]*node // by fullUrl; nil value when ambiguous
	byTypeID map[string]*node // by "Type/id"; nil value when ambiguous
	patient  *node

	bundleLabels []string
	bundleThird  bool

	stu3, r4 int // evidence for each version
}

func (r *reader) skipped(kind string) {
	if r.rec.Skipped == nil {
		r.rec.Skipped = make(map[string]int)
	}
	r.rec.Skipped[kind]++
}

// load indexes the decoded entries for references and gives each its key.
func (r *reader) load(entries []entry) {
	for i, e := range entries {
		if e.Resource == nil {
			continue // e.g. a DELETE in a transaction: nothing to read
		}
		r.add(e.Resource, e.FullURL, "Bundle.entry["+strconv.Itoa(i)+"].resource")
	}
	r.keys()
}

// loadRaw decodes entries one by one, so that a problem in a resource Satchel
// does not read (an unknown or billing type) is no problem, and one in a
// resource it reads is reported at its own path.
func (r *reader) loadRaw(entries []rawEntry) {
	for i, e := range entries {
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			continue
		}
		path := "Bundle.entry[" + strconv.Itoa(i) + "].resource"
		if res := r.decodeRaw(e.Resource, path, true); res != nil {
			r.add(res, e.FullURL, path)
		}
	}
	r.keys()
}

// decodeRaw decodes one resource whose type Satchel reads; it counts or
// ignores the others, and returns nil for them.
//
// count says whether a resource it does not read is accounted for in
// Record.NotCarried: top-level ones are, and those contained in a clinical
// resource or a List.
func (r *reader) decodeRaw(raw []byte, path string, count bool) *resource {
	rt := peekType(raw)
	if rt == "" {
		r.fail(path+".resourceType", "missing resourceType")
		return nil
	}
	switch classOf(rt) {
	case classUnknown, classBilling:
		r.note(rt)
		r.skipped(rt)
		if count {
			r.rec.NotCarry(typeReason(rt))
		}
		return nil
	case classIgnored:
		r.note(rt)
		if count {
			r.rec.NotCarry(typeReason(rt))
		}
		return nil
	}
	res := new(resource)
	if !r.unmarshal(raw, res, path) {
		return nil
	}
	return res
}

// add files a top-level resource.
func (r *reader) add(res *resource, fullURL, path string) {
	n := r.node(res, path, nil)
	if n == nil {
		return
	}
	n.fullURL = fullURL
	r.nodes = append(r.nodes, n)
	if fullURL != "" {
		index(r.byURL, fullURL, n)
	}
	if n.id != "" {
		index(r.byTypeID, n.rt+"/"+n.id, n)
	}
}

// keys gives every resource its Mark.Key: "Type/id" when that is unique in
// the Bundle, its FHIR path otherwise; a contained resource's is its
// container's plus "#id".
func (r *reader) keys() {
	for _, n := range r.nodes {
		n.key = n.path
		if n.id != "" && r.byTypeID[n.rt+"/"+n.id] == n {
			n.key = n.rt + "/" + n.id
		}
		for i, c := range n.children {
			c.key = n.key + ".contained[" + strconv.Itoa(i) + "]"
			if c.id != "" && n.contained[c.id] == c {
				c.key = n.key + "#" + c.id
			}
		}
	}
}

// note weighs a resource type as evidence of the FHIR version.
func (r *reader) note(rt string) {
	switch v := versionOfType(rt); {
	case v > 0:
		r.stu3++
	case v < 0:
		r.r4++
	}
}

// index adds n under k, or marks k ambiguous if it is taken: a reference
// that could mean two resources resolves to neither.
func index(m map[string]*node, k string, n *node) {
	if _, taken := m[k]; taken {
		m[k] = nil
		return
	}
	m[k] = n
}

// node makes a node of a decoded resource, or counts it (unknown and
// billing types) or passes over it (context only), returning nil.
func (r *reader) node(res *resource, path string, parent *node) *node {
	rt := res.ResourceType
	if rt == "" {
		r.fail(path+".resourceType", "missing resourceType")
		return nil
	}
	r.note(rt)
	switch classOf(rt) {
	case classUnknown, classBilling:
		r.skipped(rt)
		r.rec.NotCarry(typeReason(rt)) // top-level: contained ones go through decodeRaw
		return nil
	case classIgnored:
		r.rec.NotCarry(typeReason(rt))
		return nil
	}
	n := &node{rt: rt, id: res.ID, path: path, parent: parent, res: res}
	r.evidence(res)
	n.labels, n.third = marks(res.Meta.labels(), res.Extension)
	if classOf(rt) == classParty {
		return n // context only: what it contains is not read
	}
	for i, raw := range res.Contained {
		cpath := path + ".contained[" + strconv.Itoa(i) + "]"
		cres := r.decodeRaw(raw, cpath, countsContained(rt))
		if cres == nil {
			continue
		}
		child := r.node(cres, cpath, n)
		if child == nil {
			continue
		}
		n.children = append(n.children, child)
		if child.id != "" {
			if n.contained == nil {
				n.contained = make(map[string]*node)
			}
			index(n.contained, child.id, child)
		}
	}
	return n
}

// unmarshal decodes raw into v, recording a wrong-typed element by its path.
func (r *reader) unmarshal(raw []byte, v any, path string) bool {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := path
		if te.Field != "" {
			field += "." + te.Field
		}
		r.errs = append(r.errs, pathError{field: field, base: path, off: int(te.Offset),
			msg: "wrong type (want " + goKind(te.Type) + ")"})
		return false
	}
	r.fail(path, "cannot decode resource")
	return false
}

// findPatient requires exactly one top-level Patient.
func (r *reader) findPatient() {
	var found []*node
	for _, n := range r.nodes {
		if n.rt == "Patient" {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		r.fail("Bundle.entry", "no Patient resource: a record file holds exactly one patient")
		return
	case 1:
	default:
		r.fail(found[1].path, "%d Patient resources: a record file holds exactly one patient", len(found))
		return
	}
	r.patient = found[0]
	p := r.patient.res
	r.rec.Patient.Sex = p.Gender
	r.rec.Patient.Language = preferredLanguage(p)
	r.rec.Patient.Born = r.date(r.patient, "birthDate", p.BirthDate)
	r.rec.Patient.Died = r.date(r.patient, "deceasedDateTime", p.DeceasedDateTime)
	r.rec.Patient.Deceased = !r.rec.Patient.Died.IsZero() || (p.DeceasedBoolean != nil && *p.DeceasedBoolean)
	for _, id := range r.identifiers(r.patient) {
		if isNHSNumberSystem(id.System) {
			r.rec.Patient.NHSNumber = strings.ReplaceAll(id.Value, " ", "")
			break
		}
	}
	names, ok := humanNames(p.Name)
	if !ok {
		r.fail(r.patient.path+".name", "wrong type (want a list of names)")
		return
	}
	r.rec.Patient.Name = chooseName(names, false)
	r.contacts()
}

// contacts reads Patient.contact: each person with a name or a phone
// number becomes a contact, under the Patient's own security labels. A
// contact whose period ended before the record's date is no longer one
// (in an undated record, any recorded end counts as past).
func (r *reader) contacts() {
	p := r.patient
	for i, c := range p.res.Contact {
		var name string
		if c.Name != nil {
			name = chooseName([]humanName{*c.Name}, true)
		}
		var phone string
		for _, t := range c.Telecom {
			if t.System == "phone" && strings.TrimSpace(t.Value) != "" && t.Use != "old" {
				phone = strings.TrimSpace(t.Value)
				break
			}
		}
		if name == "" && phone == "" {
			continue
		}
		if c.Period != nil && c.Period.End != "" {
			end := r.date(p, fmt.Sprintf("contact[%d].period.end", i), c.Period.End)
			if !end.IsZero() && (r.rec.Dated.IsZero() || end.Time.Before(r.rec.Dated)) {
				continue
			}
		}
		labels, third := slices.Clone(p.labels), p.third
		r.rec.Contacts = append(r.rec.Contacts, record.Contact{
			Mark:         record.Mark{Key: fmt.Sprintf("%s.contact[%d]", p.key, i), Labels: labels, ThirdParty: third},
			Relationship: relationship(c.Relationship),
			Name:         name,
			Phone:        phone,
		})
	}
}

// relationship says in words who a contact is to the patient: the text
// or display of the first relationship that has words, else the meaning
// of an HL7 v2 table 0131 code (C, N, ...: R4 names the system
// terminology.hl7.org/CodeSystem/v2-0131, STU3 hl7.org/fhir/v2/0131), which exports often send
// without a display.
func relationship(cs []concept) string {
	if t := title(firstTitled(cs)); t != "" {
		return t
	}
	for _, cc := range cs {
		for _, c := range cc.Coding {
			if !strings.HasSuffix(c.System, "v2-0131") && !strings.HasSuffix(c.System, "v2/0131") {
				continue
			}
			switch c.Code {
			case "C":
				return "Emergency contact"
			case "N":
				return "Next of kin"
			case "E":
				return "Employer"
			case "O":
				return "Other"
			}
		}
	}
	return ""
}

func isNHSNumberSystem(s string) bool {
	return s == "https://fhir.nhs.uk/Id/nhs-number" || s == "http://fhir.nhs.net/Id/nhs-number"
}

// humanNames reads a name element: a list of HumanName (or, in
// Organization and Location, a string, which is returned as text).
func humanNames(raw json.RawMessage) ([]humanName, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return []humanName{{Text: s}}, true
	}
	var ns []humanName
	if json.Unmarshal(raw, &ns) != nil {
		return nil, false
	}
	return ns, true
}

// chooseName picks the official or usual name and writes it as people do.
// Titles ("Dr") are kept for clinicians, not for the patient.
func chooseName(ns []humanName, withPrefix bool) string {
	best := -1
	rank := func(use string) int {
		switch use {
		case "official":
			return 0
		case "usual":
			return 1
		case "":
			return 2
		case "old", "maiden":
			return 4
		}
		return 3
	}
	for i := range ns {
		if best < 0 || rank(ns[i].Use) < rank(ns[best].Use) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	n := ns[best]
	if t := strings.TrimSpace(n.Text); t != "" {
		return t
	}
	var parts []string
	if withPrefix {
		parts = append(parts, n.Prefix...)
	}
	parts = append(parts, n.Given...)
	if n.Family != "" {
		parts = append(parts, n.Family)
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// identifiers returns a resource's identifiers, read on first use.
func (r *reader) identifiers(n *node) []identifier {
	if n.identsParsed {
		return n.idents
	}
	n.identsParsed = true
	raw := n.res.Identifier
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '{' { // Composition and Bundle have one
		var id identifier
		if json.Unmarshal(raw, &id) == nil {
			n.idents = []identifier{id}
		}
		return n.idents
	}
	if json.Unmarshal(raw, &n.idents) != nil {
		n.idents = nil
	}
	return n.idents
}

// evidence weighs a resource's shape as STU3 or R4.
func (r *reader) evidence(res *resource) {
	r.profiles(res.Meta.Profile)
	stu3, r4 := 0, 0
	shape := func(raw json.RawMessage) {
		if len(raw) > 0 {
			switch raw[0] {
			case '"':
				stu3++
			case '{':
				r4++
			}
		}
	}
	shape(res.ClinicalStatus)
	shape(res.VerificationStatus)
	if res.Taken != "" || res.NotGiven != nil || res.NotDone != nil || res.AssertedDate != "" || len(res.Related) > 0 {
		stu3++
	}
	if res.ResourceType == "Immunization" {
		if res.Date != "" {
			stu3++
		}
		if res.OccurrenceDateTime != "" {
			r4++
		}
	}
	if res.RecordedDate != "" || len(res.HasMember) > 0 || res.CourseOfTherapyType != nil {
		r4++
	}
	r.stu3 += stu3
	r.r4 += r4
}

// profiles weighs profile URLs: CareConnect and GP Connect profiles are
// STU3; UK Core, IPS and US Core are R4.
func (r *reader) profiles(ps []string) {
	for _, p := range ps {
		switch {
		case strings.Contains(p, "/STU3/"), strings.Contains(p, "CareConnect"),
			strings.Contains(p, "GPConnect"), strings.Contains(p, "/stu3/"):
			r.stu3++
		case strings.Contains(p, "/R4/"), strings.Contains(p, "UKCore"),
			strings.Contains(p, "/uv/ips/"), strings.Contains(p, "/us/core/"):
			r.r4++
		}
	}
}

// peekType finds a resource's resourceType without decoding the rest, so
// resources that are only counted cost one scan. raw is valid JSON (the
// Bundle decoded without error).
func peekType(raw []byte) string {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return ""
	}
	i++
	for {
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] != '"' {
			break
		}
		end := skipString(raw, i)
		key := raw[i+1 : end-1]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			break
		}
		i = skipSpace(raw, i+1)
		if string(key) == "resourceType" {
			if i < len(raw) && raw[i] == '"' {
				v := raw[i+1 : skipString(raw, i)-1]
				if !strings.ContainsRune(string(v), '\\') {
					return string(v)
				}
			}
			break
		}
		i = skipSpace(raw, skipValue(raw, i))
		if i >= len(raw) || raw[i] != ',' {
			break
		}
		i++
	}
	// Unusual spelling (escapes): let the decoder decide.
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if json.Unmarshal(raw, &head) != nil {
		return ""
	}
	return head.ResourceType
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}

// preferredLanguage returns the patient's preferred language from
// Patient.communication (a BCP-47 code such as "fr" or "fr-FR", in
// language.coding or language.text) when Satchel has labels in it, else
// "". The first preferred one counts, else the only one listed. A language
// Satchel does not have is no error: it is the patient's, not Satchel's.
func preferredLanguage(p *resource) string {
	pick := -1
	for i, c := range p.Communication {
		if c.Preferred {
			pick = i
			break
		}
	}
	if pick < 0 && len(p.Communication) == 1 {
		pick = 0
	}
	if pick < 0 {
		return ""
	}
	var cc struct {
		Coding []struct {
			Code string `json:"code"`
		} `json:"coding"`
	}
	if json.Unmarshal(p.Communication[pick].Language, &cc) != nil {
		return ""
	}
	for _, c := range cc.Coding {
		code := strings.ToLower(c.Code)
		if i := strings.IndexAny(code, "-_"); i >= 0 {
			code = code[:i]
		}
		if slices.Contains(i18n.Available(), code) {
			return code
		}
	}
	return ""
}
