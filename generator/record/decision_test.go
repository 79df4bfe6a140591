package record

import (
	"strings"
	"testing"
)

// A Satchel TOML record writes advance decisions as [[advance_decisions]]
// and immunisations not given with not_given and a reason.
func TestReadTOMLReadsAdvanceDecisionsAndImmunisationsNotGiven(t *testing.T) {
	data := `[patient]
name = "Zed Quillfeather"

[[advance_decisions]]
kind = "dnacpr"
date = 2026-09-14

[[advance_decisions]]
kind = "escalation"
title = "ReSPECT form: ward-based care"
status = "inactive"

[[immunisations]]
vaccine = "Shingles vaccine"
not_given = true
reason = "Declined"
`
	r, err := DecodeTOML("p.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.AdvanceDecisions) != 2 {
		t.Fatalf("%d advance decisions, want 2", len(r.AdvanceDecisions))
	}
	a := r.AdvanceDecisions[0]
	if a.Kind != DecisionDNACPR || a.Status != "active" || a.Date != NewDate(2026, 9, 14) || a.Key != "advance_decisions[0]" {
		t.Errorf("first decision read as %+v", a)
	}
	if a.Words() != "Do not attempt CPR (DNACPR) decision" {
		t.Errorf("a DNACPR decision reads %q", a.Words())
	}
	if r.AdvanceDecisions[1].Status != "inactive" || r.AdvanceDecisions[1].Words() != "Treatment escalation plan" {
		t.Errorf("second decision read as %+v", r.AdvanceDecisions[1])
	}
	if len(r.Entries()) != 3 {
		t.Errorf("Entries() holds %d entries, want 3: decisions are entries the policy sees", len(r.Entries()))
	}
	if i := r.Immunisations[0]; !i.NotGiven || i.Reason != "Declined" {
		t.Errorf("immunisation not given read as %+v", i)
	}
	kept := r.Filter(func(e Entry) bool { _, ok := e.(*AdvanceDecision); return !ok })
	if len(kept.AdvanceDecisions) != 0 || len(kept.Immunisations) != 1 {
		t.Error("Filter does not filter advance decisions")
	}
}

// A decision of an unknown kind is refused, naming the field, not the value.
func TestReadTOMLRefusesAnUnknownDecisionKind(t *testing.T) {
	_, err := DecodeTOML("p.toml", []byte("[patient]\nname = \"Zed Quillfeather\"\n\n[[advance_decisions]]\nkind = \"secret-word\"\n"))
	if err == nil || !strings.Contains(err.Error(), "p.toml:5") || !strings.Contains(err.Error(), "advance_decisions[0].kind") ||
		strings.Contains(err.Error(), "secret-word") {
		t.Errorf("error %v: want file, line and field, without the value", err)
	}
}

// Entries are advance decisions by their codes, or failing that by their
// words; others are not.
func TestDecisionKind(t *testing.T) {
	for _, c := range []struct {
		codes []Code
		words string
		want  string
	}{
		{[]Code{{System: SNOMED, Value: "304253006"}}, "", DecisionDNACPR},
		{[]Code{{System: SNOMED, Value: "816301000000100"}}, "", DecisionADRT},
		{[]Code{{System: SNOMED, Value: "1"}}, "DNACPR form completed", DecisionDNACPR},
		{nil, "Treatment escalation plan", DecisionEscalation},
		{nil, "For attempted cardiopulmonary resuscitation", ""},
		{[]Code{{System: SNOMED, Value: "38341003"}}, "Hypertension", ""},
	} {
		if got := DecisionKind(c.codes, c.words); got != c.want {
			t.Errorf("DecisionKind(%v, %q) = %q, want %q", c.codes, c.words, got, c.want)
		}
	}
}
