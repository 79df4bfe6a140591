package fhir

import (
	"strings"
	"testing"
)

// Patient.contact becomes the record's contacts, in R4 and STU3 alike:
// relationship in words (a bare v2-0131 code included), name and the
// first current phone; a contact with neither name nor phone, or whose
// period ended before the record's date, is not one; the Patient's
// security labels travel with each contact, so the release policy can
// withhold it.
func TestPatientContactsAreRead(t *testing.T) {
	for _, system := range []string{"http://terminology.hl7.org/CodeSystem/v2-0131", "http://hl7.org/fhir/v2/0131"} {
		t.Run(system, func(t *testing.T) {
			patient := strings.Replace(patientJSON, `"gender":"female"`, `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
			"contact":[
			 {"relationship":[{"coding":[{"system":"`+system+`","code":"N"}]}],
			  "name":{"family":"Quixote","given":["Sancho"],"prefix":["Mr"]},
			  "telecom":[{"system":"email","value":"s@example.invalid"},{"system":"phone","value":"01632 960001","use":"old"},{"system":"phone","value":"07700 900123","use":"mobile"}]},
			 {"relationship":[{"text":"Daughter"}],"name":{"text":"Dulcinea Quixote"}},
			 {"relationship":[{"text":"Employer"}],"organization":{"display":"La Mancha Ltd"}},
			 {"relationship":[{"text":"Former carer"}],"name":{"text":"Old Carer"},"period":{"start":"2001-01-01","end":"2010-01-01"}}
			],"gender":"female"`, 1)
			rec := mustRead(t, bundleOf("collection", ent{"urn:uuid:p1", patient}))
			if len(rec.Contacts) != 2 {
				t.Fatalf("%d contacts, want 2 (one with no name or phone, one ended)", len(rec.Contacts))
			}
			c := rec.Contacts[0]
			if c.Relationship != "Next of kin" || c.Name != "Mr Sancho Quixote" || c.Phone != "07700 900123" {
				t.Errorf("first contact %q, %q, %q; want Next of kin, Mr Sancho Quixote, 07700 900123", c.Relationship, c.Name, c.Phone)
			}
			if c := rec.Contacts[1]; c.Relationship != "Daughter" || c.Name != "Dulcinea Quixote" || c.Phone != "" {
				t.Errorf("second contact %q, %q, %q; want Daughter, Dulcinea Quixote, no phone", c.Relationship, c.Name, c.Phone)
			}
			if len(c.Labels) != 1 || c.Key == "" {
				t.Errorf("contact labels %v, key %q: want the Patient's label and a key", c.Labels, c.Key)
			}
		})
	}
}

// A CarePlan keeps its status, so the summary shows only the plans in
// force.
func TestCarePlanStatusIsKept(t *testing.T) {
	rec := mustRead(t, withPatient("collection",
		ent{"-", `{"resourceType":"CarePlan","status":"active","intent":"plan","title":"Asthma action plan"}`},
		ent{"-", `{"resourceType":"CarePlan","status":"completed","intent":"plan","title":"Post-operative plan"}`},
	))
	if len(rec.CarePlans) != 2 || !rec.CarePlans[0].Active() || rec.CarePlans[1].Active() || rec.CarePlans[1].Status != "completed" {
		t.Errorf("care plans %+v: want the active one active and the completed one completed", rec.CarePlans)
	}
}
