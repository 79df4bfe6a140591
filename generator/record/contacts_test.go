package record

import (
	"strings"
	"testing"
)

// [[contacts]] and a care plan's status read from TOML: a plan is active
// unless it says otherwise, an unknown status and a contact with neither
// name nor phone are refused, naming the field.
func TestTOMLContactsAndCarePlanStatus(t *testing.T) {
	const head = "[patient]\nname = \"Test Patient\"\nborn = 1970-01-02\n"
	r, err := DecodeTOML("records/t.toml", []byte(head+`
[[care_plans]]
title = "Asthma action plan"

[[care_plans]]
title = "Old plan"
status = "completed"

[[contacts]]
relationship = "Wife"
name = "A Person"
phone = "07700 900123"
withheld = true
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.CarePlans) != 2 || !r.CarePlans[0].Active() || r.CarePlans[1].Active() {
		t.Errorf("care plans %+v: want the first active, the second completed", r.CarePlans)
	}
	if len(r.Contacts) != 1 || r.Contacts[0].Relationship != "Wife" || r.Contacts[0].Phone != "07700 900123" ||
		!r.Contacts[0].Withheld || r.Contacts[0].Key != "contacts[0]" {
		t.Errorf("contacts %+v", r.Contacts)
	}
	for _, tt := range []struct{ body, field string }{
		{"[[care_plans]]\ntitle = \"x\"\nstatus = \"finished\"\n", "care_plans[0].status"},
		{"[[contacts]]\nrelationship = \"Son\"\n", "contacts[0].name"},
	} {
		_, err := DecodeTOML("records/t.toml", []byte(head+tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%q: error %v, want one naming %s", tt.body, err, tt.field)
		}
	}
}
