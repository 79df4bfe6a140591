package fhir

import (
	"testing"
	"time"
)

// A result keeps the time of day its date-time gives, in UTC, so that of
// one day's readings the later is the newest; a date alone gives none. The
// time comes from the same field as the date: effectiveDateTime, else the
// period's start, the instant, issued. A blood pressure's components share
// their observation's.
func TestResultsKeepTheTimeOfDayTheirDateTimeGives(t *testing.T) {
	t.Parallel()
	obs := func(dates string) ent {
		return ent{"-", `{"resourceType":"Observation","status":"final","code":{"text":"Potassium"},` + dates + `,"valueQuantity":{"value":4.5,"unit":"mmol/L"}}`}
	}
	bp := ent{"-", `{"resourceType":"Observation","status":"final","code":{"text":"Blood pressure"},"effectiveDateTime":"2026-11-16T08:05:00Z",` +
		`"component":[{"code":{"text":"Systolic"},"valueQuantity":{"value":140}},{"code":{"text":"Diastolic"},"valueQuantity":{"value":90}}]}`}
	rec := mustRead(t, withPatient("collection",
		obs(`"effectiveDateTime":"2026-11-16T12:40:00+01:00"`),
		obs(`"effectiveDateTime":"2026-11-16T09:10:00.250Z","issued":"2026-11-16T15:00:00Z"`),
		obs(`"effectiveDateTime":"2026-11-16"`),
		obs(`"effectivePeriod":{"start":"2026-11-16T07:00:00Z"},"issued":"2026-11-16T15:00:00Z"`),
		obs(`"effectiveDateTime":"2026-11-16","issued":"2026-11-16T15:00:00Z"`),
		obs(`"issued":"2026-11-16T15:00:00-05:00"`),
		bp))
	at := func(s string) time.Time {
		tm, _ := time.Parse(time.RFC3339, s)
		return tm
	}
	want := []time.Time{
		at("2026-11-16T11:40:00Z"),
		at("2026-11-16T09:10:00.25Z"),
		{}, // a date alone
		at("2026-11-16T07:00:00Z"),
		{}, // the date the reading was taken has no time; issued's is not the reading's
		at("2026-11-16T20:00:00Z"),
		at("2026-11-16T08:05:00Z"), at("2026-11-16T08:05:00Z"),
	}
	if len(rec.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(rec.Results), len(want))
	}
	for i, w := range want {
		if got := rec.Results[i].At; !got.Equal(w) || got.Location() != time.UTC {
			t.Errorf("result %d: taken at %v, want %v in UTC", i, got, w)
		}
	}
}
