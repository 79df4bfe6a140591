package policy

import (
	"testing"

	"github.com/satchel-records/satchel/generator/record"
)

// Care plans and contacts are entries like any other: a withhold label,
// a withheld mark or a third-party mark keeps them out of the export, and
// the rest go out.
func TestCarePlansAndContactsFollowTheReleasePolicy(t *testing.T) {
	r := adult()
	r.CarePlans = []record.CarePlan{
		{Title: "Asthma action plan"},
		{Title: "Crisis plan", Mark: record.Mark{Key: "care_plans[1]", Labels: []string{"PSY"}}},
		{Title: "Plan marked withheld", Mark: record.Mark{Withheld: true}},
	}
	r.Contacts = []record.Contact{
		{Name: "Next of kin", Phone: "07700 900318"},
		{Name: "Withheld contact", Mark: record.Mark{Withheld: true}},
		{Name: "Third-party contact", Mark: record.Mark{ThirdParty: true}},
	}
	d := DefaultRules().Apply(r, nil, buildDay)
	if d.Out == nil {
		t.Fatalf("blocked: %s", d.Reason)
	}
	if len(d.Out.CarePlans) != 1 || d.Out.CarePlans[0].Title != "Asthma action plan" {
		t.Errorf("care plans exported: %+v, want the asthma plan alone", d.Out.CarePlans)
	}
	if len(d.Out.Contacts) != 1 || d.Out.Contacts[0].Name != "Next of kin" {
		t.Errorf("contacts exported: %+v, want the next of kin alone", d.Out.Contacts)
	}
	if d.Withheld[RuleSecurityLabel] != 1 || d.Withheld[RuleMarkedWithheld] != 2 || d.Withheld[RuleThirdParty] != 1 {
		t.Errorf("withheld %v, want 1 by label, 2 marked withheld, 1 third party", d.Withheld)
	}
	// A clinician can name the labelled plan in the approval to release it.
	d = DefaultRules().Apply(r, &Approval{Named: []string{"care_plans[1]"}, AdultConfirmed: true}, buildDay)
	if d.Out == nil || len(d.Out.CarePlans) != 2 {
		t.Errorf("a named care plan is still withheld")
	}
}
