package fhir

import (
	"strings"
	"testing"
)

func TestDeceasedPatientsReadDateOrFact(t *testing.T) {
	t.Parallel()
	patient := func(deceased string) []byte {
		return bundleOf("collection", ent{"urn:uuid:p1", `{"resourceType":"Patient","id":"p1",
			"name":[{"family":"Quixote","given":["Dulcie"]}],"birthDate":"1960-03-14",` + deceased + `}`})
	}
	rec := mustRead(t, patient(`"deceasedDateTime":"1971-06-02T10:15:00+01:00"`))
	if !rec.Patient.Deceased || rec.Patient.Died.ISO() != "1971-06-02" {
		t.Errorf("deceasedDateTime: deceased %v, died %q; want true, 1971-06-02", rec.Patient.Deceased, rec.Patient.Died.ISO())
	}
	rec = mustRead(t, patient(`"deceasedBoolean":true`))
	if !rec.Patient.Deceased || !rec.Patient.Died.IsZero() || !rec.Patient.HasDied() {
		t.Errorf("deceasedBoolean true: deceased %v, died %q; want true and no date", rec.Patient.Deceased, rec.Patient.Died.ISO())
	}
	rec = mustRead(t, patient(`"deceasedBoolean":false`))
	if rec.Patient.HasDied() {
		t.Errorf("deceasedBoolean false read as died")
	}
	_, err := Read("records/test.json", patient(`"deceasedDateTime":"2 June 1971"`))
	if err == nil || !strings.Contains(err.Error(), "deceasedDateTime") || strings.Contains(err.Error(), "June") {
		t.Errorf("bad deceasedDateTime: got %v, want an error naming the field and not the value", err)
	}
}

func TestDeceasedPatientInAGPConnectSTU3Export(t *testing.T) {
	t.Parallel()
	rec := mustRead(t, bundleOf("collection", ent{"urn:uuid:p1", `{"resourceType":"Patient","id":"p1",
		"meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"]},
		"name":[{"use":"official","family":"Quixote","given":["Dulcie"]}],"birthDate":"1901-02-03",
		"deceasedDateTime":"1977-05-06T00:00:00+00:00"}`}))
	if rec.Format != FormatSTU3 || !rec.Patient.Deceased || rec.Patient.Died.ISO() != "1977-05-06" {
		t.Errorf("STU3: format %s, deceased %v, died %q; want STU3, true, 1977-05-06", rec.Format, rec.Patient.Deceased, rec.Patient.Died.ISO())
	}
}
