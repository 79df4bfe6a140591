package ips

// The structs below are the FHIR R4 elements Satchel writes, in the order
// the specification lists them, so the JSON reads like the examples in the
// specification. Every optional element is omitempty: FHIR forbids empty
// strings, arrays and objects.

type bundle struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	Identifier   *identifier `json:"identifier"`
	Type         string      `json:"type"`
	Timestamp    string      `json:"timestamp"`
	Entry        []entry     `json:"entry"`
}

type entry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"`
}

type identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type concept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type reference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type quantity struct {
	Value      *float64 `json:"value,omitempty"`
	Comparator string   `json:"comparator,omitempty"`
	Unit       string   `json:"unit,omitempty"`
}

type narrative struct {
	Status string `json:"status"`
	Div    string `json:"div"`
}

type annotation struct {
	Text string `json:"text"`
}

type dosage struct {
	Text string `json:"text"`
}

type humanName struct {
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
}

type contactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type address struct {
	Text string `json:"text"`
}

type composition struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	Status       string      `json:"status"`
	Type         concept     `json:"type"`
	Subject      reference   `json:"subject"`
	Date         string      `json:"date"`
	Author       []reference `json:"author"`
	Title        string      `json:"title"`
	Attester     []attester  `json:"attester,omitempty"`
	Custodian    *reference  `json:"custodian,omitempty"`
	Section      []section   `json:"section"`
}

type attester struct {
	Mode  string     `json:"mode"`
	Time  string     `json:"time,omitempty"`
	Party *reference `json:"party,omitempty"`
}

type section struct {
	Title       string      `json:"title"`
	Code        concept     `json:"code"`
	Text        narrative   `json:"text"`
	Entry       []reference `json:"entry,omitempty"`
	EmptyReason *concept    `json:"emptyReason,omitempty"`
}

type patient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Identifier   []identifier `json:"identifier,omitempty"`
	Name         []humanName  `json:"name,omitempty"`
	Gender       string       `json:"gender,omitempty"`
	BirthDate    string       `json:"birthDate,omitempty"`
	// deceased[x]: the date of death when known, else true.
	DeceasedDateTime string `json:"deceasedDateTime,omitempty"`
	DeceasedBoolean  *bool  `json:"deceasedBoolean,omitempty"`
	// Contact: next of kin and emergency contacts.
	Contact []patientContact `json:"contact,omitempty"`
}

// patientContact is one of Patient.contact.
type patientContact struct {
	Relationship []concept      `json:"relationship,omitempty"`
	Name         *humanName     `json:"name,omitempty"`
	Telecom      []contactPoint `json:"telecom,omitempty"`
}

type organization struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id"`
	Identifier   []identifier   `json:"identifier,omitempty"`
	Name         string         `json:"name,omitempty"`
	Telecom      []contactPoint `json:"telecom,omitempty"`
	Address      []address      `json:"address,omitempty"`
}

type practitioner struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	Name         []humanName `json:"name"`
}

type practitionerRole struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Practitioner reference `json:"practitioner"`
	Organization reference `json:"organization"`
	Code         []concept `json:"code,omitempty"`
}

type condition struct {
	ResourceType   string    `json:"resourceType"`
	ID             string    `json:"id"`
	ClinicalStatus *concept  `json:"clinicalStatus,omitempty"`
	Category       []concept `json:"category"`
	Code           concept   `json:"code"`
	Subject        reference `json:"subject"`
	OnsetDateTime  string    `json:"onsetDateTime,omitempty"`
	RecordedDate   string    `json:"recordedDate,omitempty"`
}

type medicationStatement struct {
	ResourceType              string       `json:"resourceType"`
	ID                        string       `json:"id"`
	BasedOn                   []reference  `json:"basedOn,omitempty"`
	Status                    string       `json:"status"`
	MedicationCodeableConcept concept      `json:"medicationCodeableConcept"`
	Subject                   reference    `json:"subject"`
	EffectivePeriod           *period      `json:"effectivePeriod,omitempty"`
	Note                      []annotation `json:"note,omitempty"`
	Dosage                    []dosage     `json:"dosage,omitempty"`
}

type medicationRequest struct {
	ResourceType              string    `json:"resourceType"`
	ID                        string    `json:"id"`
	Status                    string    `json:"status"`
	Intent                    string    `json:"intent"`
	MedicationCodeableConcept concept   `json:"medicationCodeableConcept"`
	Subject                   reference `json:"subject"`
	CourseOfTherapyType       *concept  `json:"courseOfTherapyType,omitempty"`
	DosageInstruction         []dosage  `json:"dosageInstruction,omitempty"`
}

type allergyIntolerance struct {
	ResourceType   string     `json:"resourceType"`
	ID             string     `json:"id"`
	ClinicalStatus *concept   `json:"clinicalStatus,omitempty"`
	Criticality    string     `json:"criticality,omitempty"`
	Code           concept    `json:"code"`
	Patient        reference  `json:"patient"`
	RecordedDate   string     `json:"recordedDate,omitempty"`
	Reaction       []reaction `json:"reaction,omitempty"`
}

type reaction struct {
	Manifestation []concept `json:"manifestation"`
	Severity      string    `json:"severity,omitempty"`
}

type immunization struct {
	ResourceType       string    `json:"resourceType"`
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	VaccineCode        concept   `json:"vaccineCode"`
	Patient            reference `json:"patient"`
	OccurrenceDateTime string    `json:"occurrenceDateTime,omitempty"`
	OccurrenceString   string    `json:"occurrenceString,omitempty"`
	StatusReason       *concept  `json:"statusReason,omitempty"`
}

// consent is an advance decision (DNACPR, advance decision to refuse
// treatment, ...), as the IPS Advance Directives section carries it.
type consent struct {
	ResourceType string     `json:"resourceType"`
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Scope        concept    `json:"scope"`
	Category     []concept  `json:"category"`
	Patient      reference  `json:"patient"`
	DateTime     string     `json:"dateTime,omitempty"`
	Provision    *provision `json:"provision,omitempty"`
}

type provision struct {
	Type string    `json:"type,omitempty"`
	Code []concept `json:"code,omitempty"`
}

type observation struct {
	ResourceType      string       `json:"resourceType"`
	ID                string       `json:"id"`
	Status            string       `json:"status"`
	Category          []concept    `json:"category,omitempty"`
	Code              concept      `json:"code"`
	Subject           reference    `json:"subject"`
	EffectiveDateTime string       `json:"effectiveDateTime,omitempty"`
	ValueQuantity     *quantity    `json:"valueQuantity,omitempty"`
	ValueString       string       `json:"valueString,omitempty"`
	DataAbsentReason  *concept     `json:"dataAbsentReason,omitempty"`
	Interpretation    []concept    `json:"interpretation,omitempty"`
	Note              []annotation `json:"note,omitempty"`
	ReferenceRange    []refRange   `json:"referenceRange,omitempty"`
	HasMember         []reference  `json:"hasMember,omitempty"`
}

type refRange struct {
	Low  *quantity `json:"low,omitempty"`
	High *quantity `json:"high,omitempty"`
	Type *concept  `json:"type,omitempty"`
}

type procedure struct {
	ResourceType      string    `json:"resourceType"`
	ID                string    `json:"id"`
	Status            string    `json:"status"`
	Code              concept   `json:"code"`
	Subject           reference `json:"subject"`
	PerformedDateTime string    `json:"performedDateTime,omitempty"`
}

type device struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Type         concept   `json:"type"`
	Patient      reference `json:"patient"`
}

type deviceUseStatement struct {
	ResourceType   string    `json:"resourceType"`
	ID             string    `json:"id"`
	Status         string    `json:"status"`
	Subject        reference `json:"subject"`
	TimingDateTime string    `json:"timingDateTime,omitempty"`
	Device         reference `json:"device"`
}

type flag struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Code         concept   `json:"code"`
	Subject      reference `json:"subject"`
	Period       *period   `json:"period,omitempty"`
}

type carePlan struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Intent       string    `json:"intent"`
	Category     []concept `json:"category,omitempty"`
	Title        string    `json:"title"`
	Description  string    `json:"description,omitempty"`
	Subject      reference `json:"subject"`
	Period       *period   `json:"period,omitempty"`
}

type serviceRequest struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Intent       string    `json:"intent"`
	Code         concept   `json:"code"`
	Subject      reference `json:"subject"`
	AuthoredOn   string    `json:"authoredOn,omitempty"`
}

type encounter struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Class        coding    `json:"class"`
	Type         []concept `json:"type"`
	Subject      reference `json:"subject"`
	Period       *period   `json:"period,omitempty"`
}

type documentReference struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Status       string       `json:"status"`
	Type         concept      `json:"type"`
	Subject      reference    `json:"subject"`
	Author       []reference  `json:"author,omitempty"`
	Description  string       `json:"description"`
	Content      []docContent `json:"content"`
	Context      *docContext  `json:"context,omitempty"`
}

type docContent struct {
	Attachment attachment `json:"attachment"`
}

type attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Data        string `json:"data,omitempty"`
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

type docContext struct {
	Period *period `json:"period,omitempty"`
}
