package fhir

import (
	"testing"

	"github.com/satchel-records/satchel/generator/record"
)

func TestReferenceRangeOfTypeTreatmentIsATarget(t *testing.T) {
	obs := func(rr string) ent {
		return ent{"-", `{"resourceType":"Observation","status":"final","code":{"text":"INR"},` +
			`"effectiveDateTime":"2026-08-10","valueQuantity":{"value":2.4},"referenceRange":[` + rr + `]}`}
	}
	rec := mustRead(t, withPatient("collection",
		obs(`{"low":{"value":2},"high":{"value":3},"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/referencerange-meaning","code":"treatment"}]}}`),
		obs(`{"low":{"value":2},"high":{"value":3},"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/referencerange-meaning","code":"therapeutic"}]}}`),
		obs(`{"low":{"value":2},"high":{"value":3},"text":"Target INR 2.0 to 3.0"}`),
		obs(`{"low":{"value":2},"high":{"value":3},"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/referencerange-meaning","code":"normal"}]}}`),
		obs(`{"low":{"value":0.8},"high":{"value":1.2}}`),
		obs(`{"text":"target 2 to 3"}`)))
	want := []string{record.RangeTarget, record.RangeTarget, record.RangeTarget, record.RangeNormal, record.RangeNormal, record.RangeNormal}
	if len(rec.Results) != len(want) {
		t.Fatalf("results = %d, want %d", len(rec.Results), len(want))
	}
	for i, w := range want {
		if got := rec.Results[i].RangeType; got != w {
			t.Errorf("result %d: range type %q, want %q", i, got, w)
		}
	}
}
