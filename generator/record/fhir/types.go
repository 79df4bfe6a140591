package fhir

import (
	"encoding/json"
	"slices"
)

// The structs below hold only the FHIR elements Satchel reads. Decoding into
// them, rather than into map[string]any, is what keeps import fast: the
// decoder skips everything else without allocating. Elements whose shape
// differs between resource types or between STU3 and R4 are kept as
// json.RawMessage and read on demand.

// bundle is a FHIR Bundle decoded in one pass, every resource into the same
// struct. This is the fast path; it fails as a whole if any element of any
// resource, read or not, has an unexpected shape.
type bundle struct {
	ResourceType string  `json:"resourceType"`
	Type         string  `json:"type"`
	Timestamp    string  `json:"timestamp"`
	Meta         meta    `json:"meta"`
	Entry        []entry `json:"entry"`
}

type entry struct {
	FullURL  string    `json:"fullUrl"`
	Resource *resource `json:"resource"`
}

// rawBundle is a FHIR Bundle with its entries left undecoded, so each can be
// decoded by type and its problems told apart: the slow path, taken when
// the fast one fails.
type rawBundle struct {
	ResourceType string     `json:"resourceType"`
	Type         string     `json:"type"`
	Timestamp    string     `json:"timestamp"`
	Meta         meta       `json:"meta"`
	Entry        []rawEntry `json:"entry"`
}

type rawEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
}

type meta struct {
	Profile     []string `json:"profile"`
	Security    []coding `json:"security"`
	Tag         []coding `json:"tag"`
	LastUpdated string   `json:"lastUpdated"`
}

// labels returns the codings that may carry a security label: meta.security
// and meta.tag.
func (m meta) labels() []coding {
	if len(m.Tag) == 0 {
		return m.Security
	}
	return append(slices.Clone(m.Security), m.Tag...)
}

type coding struct {
	System  string `json:"system"`
	Version string `json:"version"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type concept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Type       string      `json:"type"`
	Identifier *identifier `json:"identifier"`
	Display    string      `json:"display"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type quantity struct {
	Value      *float64 `json:"value"`
	Comparator string   `json:"comparator"`
	Unit       string   `json:"unit"`
	Code       string   `json:"code"`
}

type valueRange struct {
	Low  *quantity `json:"low"`
	High *quantity `json:"high"`
}

type ratio struct {
	Numerator   *quantity `json:"numerator"`
	Denominator *quantity `json:"denominator"`
}

type extension struct {
	URL                  string      `json:"url"`
	Extension            []extension `json:"extension"`
	ValueCodeableConcept *concept    `json:"valueCodeableConcept"`
	ValueBoolean         *bool       `json:"valueBoolean"`
}

type humanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
}

// patientContact is one of Patient.contact.
type patientContact struct {
	Relationship []concept   `json:"relationship"`
	Name         *humanName  `json:"name"`
	Telecom      []contactPt `json:"telecom"`
	Period       *period     `json:"period"`
}

// contactPt is a ContactPoint: a phone number, an email address.
type contactPt struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use"`
}

type dosage struct {
	Text string `json:"text"`
}

type reaction struct {
	Substance     *concept  `json:"substance"`
	Manifestation []concept `json:"manifestation"`
	Severity      string    `json:"severity"`
	// Note is the reaction's annotation: read only to say it is not
	// carried.
	Note json.RawMessage `json:"note"`
}

type refRange struct {
	Low  *quantity `json:"low"`
	High *quantity `json:"high"`
	Type *concept  `json:"type"`
	Text string    `json:"text"`
}

// values is an Observation's (or a component's) value[x].
type values struct {
	ValueQuantity        *quantity       `json:"valueQuantity"`
	ValueCodeableConcept *concept        `json:"valueCodeableConcept"`
	ValueString          *string         `json:"valueString"`
	ValueBoolean         *bool           `json:"valueBoolean"`
	ValueInteger         *float64        `json:"valueInteger"`
	ValueRange           *valueRange     `json:"valueRange"`
	ValueRatio           *ratio          `json:"valueRatio"`
	ValueTime            *string         `json:"valueTime"`
	ValueDateTime        *string         `json:"valueDateTime"`
	ValuePeriod          *period         `json:"valuePeriod"`
	ValueSampledData     json.RawMessage `json:"valueSampledData"`
	ValueAttachment      json.RawMessage `json:"valueAttachment"`
}

type component struct {
	Code *concept `json:"code"`
	values
	ReferenceRange []refRange `json:"referenceRange"`
}

type related struct {
	Type   string    `json:"type"`
	Target reference `json:"target"`
}

type attachment struct {
	ContentType string `json:"contentType"`
	Data        string `json:"data"`
	URL         string `json:"url"`
	Title       string `json:"title"`
	Creation    string `json:"creation"`
}

type docContent struct {
	Attachment attachment `json:"attachment"`
}

type deviceName struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// resource holds the elements Satchel reads from any resource. One struct
// serves every type, so a whole Bundle decodes in one pass: the elements it
// declares have the same shape in every FHIR STU3 and R4 resource type that
// has them, and those that do not (code, category, type, name, dosage,
// result, content, ...) are raw and read on demand.
type resource struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Meta         meta              `json:"meta"`
	Extension    []extension       `json:"extension"`
	Contained    []json.RawMessage `json:"contained"`
	Identifier   json.RawMessage   `json:"identifier"`

	Status             string          `json:"status"`
	ClinicalStatus     json.RawMessage `json:"clinicalStatus"`     // STU3 code, R4 CodeableConcept
	VerificationStatus json.RawMessage `json:"verificationStatus"` // STU3 code, R4 CodeableConcept
	Code               json.RawMessage `json:"code"`               // a list in PractitionerRole, a string elsewhere
	Category           json.RawMessage `json:"category"`           // a list or one concept, or codes
	Type               json.RawMessage `json:"type"`               // a list or one concept, or a code
	Subject            *reference      `json:"subject"`
	Patient            *reference      `json:"patient"`

	// Patient
	Name      json.RawMessage `json:"name"`
	Gender    string          `json:"gender"`
	BirthDate string          `json:"birthDate"`
	// deceased[x], R4 and STU3 alike
	DeceasedBoolean  *bool  `json:"deceasedBoolean"`
	DeceasedDateTime string `json:"deceasedDateTime"`
	// Patient.contact: next of kin, emergency contacts (R4 and STU3 alike)
	Contact       []patientContact `json:"contact"`
	Communication []struct {
		Language  json.RawMessage `json:"language"`
		Preferred bool            `json:"preferred"`
	} `json:"communication"`

	// Condition, AllergyIntolerance
	OnsetDateTime     string     `json:"onsetDateTime"`
	OnsetPeriod       *period    `json:"onsetPeriod"`
	AbatementDateTime string     `json:"abatementDateTime"`
	AbatementPeriod   *period    `json:"abatementPeriod"`
	AbatementString   string     `json:"abatementString"`
	AbatementBoolean  *bool      `json:"abatementBoolean"`
	RecordedDate      string     `json:"recordedDate"` // R4
	AssertedDate      string     `json:"assertedDate"` // STU3
	Reaction          []reaction `json:"reaction"`

	// MedicationStatement, MedicationRequest
	MedicationCodeableConcept *concept        `json:"medicationCodeableConcept"`
	MedicationReference       *reference      `json:"medicationReference"`
	Taken                     string          `json:"taken"` // STU3 only
	BasedOn                   []reference     `json:"basedOn"`
	DateAsserted              string          `json:"dateAsserted"`
	Dosage                    json.RawMessage `json:"dosage"` // one object in MedicationAdministration
	DosageInstruction         []dosage        `json:"dosageInstruction"`
	Intent                    string          `json:"intent"`
	AuthoredOn                string          `json:"authoredOn"`
	CourseOfTherapyType       *concept        `json:"courseOfTherapyType"`

	// Observation, DiagnosticReport
	EffectiveDateTime string  `json:"effectiveDateTime"`
	EffectivePeriod   *period `json:"effectivePeriod"`
	EffectiveInstant  string  `json:"effectiveInstant"`
	Issued            string  `json:"issued"`
	values
	Component      []component     `json:"component"`
	ReferenceRange []refRange      `json:"referenceRange"`
	HasMember      []reference     `json:"hasMember"` // R4
	Related        []related       `json:"related"`   // STU3
	Result         json.RawMessage `json:"result"`    // one reference in GuidanceResponse
	Conclusion     string          `json:"conclusion"`
	// Free text Satchel does not carry, read only to say so: R4's
	// annotations (Condition, AllergyIntolerance, Observation, ...) and
	// STU3's Observation comment.
	// Raw, so an oddly typed one never stops the resource being read.
	Note          json.RawMessage `json:"note"`
	Comment       json.RawMessage `json:"comment"`
	PresentedForm []attachment    `json:"presentedForm"`

	// Immunization
	VaccineCode        *concept `json:"vaccineCode"`
	OccurrenceDateTime string   `json:"occurrenceDateTime"`
	OccurrencePeriod   *period  `json:"occurrencePeriod"`
	Date               string   `json:"date"`     // STU3 Immunization; R4 DocumentReference
	NotGiven           *bool    `json:"notGiven"` // STU3
	// Why an immunisation was not given: R4 statusReason, STU3
	// explanation.reasonNotGiven.
	StatusReason json.RawMessage `json:"statusReason"`
	Explanation  *struct {
		ReasonNotGiven json.RawMessage `json:"reasonNotGiven"`
	} `json:"explanation"`

	// Consent
	Scope      json.RawMessage `json:"scope"`      // R4
	PolicyRule json.RawMessage `json:"policyRule"` // a concept in R4, a URI in STU3
	Provision  *struct {
		Code json.RawMessage `json:"code"`
	} `json:"provision"` // R4
	DateTime string `json:"dateTime"`

	// Procedure
	PerformedDateTime string  `json:"performedDateTime"`
	PerformedPeriod   *period `json:"performedPeriod"`
	NotDone           *bool   `json:"notDone"` // STU3

	// DocumentReference
	Description string          `json:"description"`
	Created     string          `json:"created"`
	Indexed     string          `json:"indexed"`
	Author      json.RawMessage `json:"author"` // a list, or one reference in R4 CarePlan
	Custodian   *reference      `json:"custodian"`
	Context     json.RawMessage `json:"context"`
	Content     json.RawMessage `json:"content"` // a string in STU3 Binary

	// Device, DeviceUseStatement
	DeviceName     []deviceName `json:"deviceName"`
	Model          string       `json:"model"`
	Device         *reference   `json:"device"`
	TimingPeriod   *period      `json:"timingPeriod"`
	TimingDateTime string       `json:"timingDateTime"`
	RecordedOn     string       `json:"recordedOn"`
	WhenUsed       *period      `json:"whenUsed"`

	// Flag, CarePlan, Encounter, ReferralRequest, ProcedureRequest, ServiceRequest
	Period           *period         `json:"period"`
	Title            string          `json:"title"`
	Class            json.RawMessage `json:"class"`
	ServiceType      json.RawMessage `json:"serviceType"`
	ReasonCode       []concept       `json:"reasonCode"`
	ServiceRequested []concept       `json:"serviceRequested"`

	// Practitioner, PractitionerRole, Organization, Binary: names and
	// document bodies that entries point to.
	Practitioner json.RawMessage `json:"practitioner"` // a list in STU3 Immunization
	Organization json.RawMessage `json:"organization"` // a list in R4 Consent
	ContentType  string          `json:"contentType"`
	Data         string          `json:"data"` // R4 Binary; STU3 Binary has content
}

// docContext is DocumentReference.context.
type docContext struct {
	Period *period `json:"period"`
}
