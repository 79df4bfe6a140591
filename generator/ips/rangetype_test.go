package ips

import (
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

func TestATargetRangeIsWrittenAsATreatmentRange(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	day := record.NewDate(2026, time.August, 10)
	rec := &record.Record{Patient: record.Patient{Name: "Alex Smith"}, Results: []record.Result{
		{Title: "INR", Value: f(2.4), Low: f(2), High: f(3), RangeType: record.RangeTarget, Date: day},
		{Title: "Haemoglobin", Value: f(140), Unit: "g/L", Low: f(130), High: f(180), Date: day},
	}}
	b := validate(t, write(t, "target", rec, testMeta()))
	obs := b.byType("Observation")
	if len(obs) != 2 {
		t.Fatalf("%d Observations, want 2", len(obs))
	}
	inr, hb := obj(list(obs[0].res["referenceRange"])[0]), obj(list(obs[1].res["referenceRange"])[0])
	if got := str(obj(list(obj(inr["type"])["coding"])[0])["code"]); got != "treatment" {
		t.Errorf("INR target range type = %q, want treatment", got)
	}
	if hb["type"] != nil {
		t.Error("a normal range was given a type")
	}
	var divs string
	for _, s := range list(b.composition["section"]) {
		divs += str(obj(obj(s)["text"])["div"])
	}
	if !strings.Contains(divs, "2 to 3 (target)") {
		t.Error("the narrative does not call the INR range a target")
	}
}
