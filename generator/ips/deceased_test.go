package ips

import (
	"testing"

	"github.com/satchel-records/satchel/generator/record"
)

func TestDeathIsWritten(t *testing.T) {
	t.Parallel()
	rec := &record.Record{ID: "d1", Patient: record.Patient{Name: "Ada Late", Born: record.NewDate(1950, 2, 3),
		Died: record.NewDate(2026, 10, 1), Deceased: true}}
	p := validate(t, write(t, "died", rec, testMeta())).byType("Patient")[0].res
	if str(p["deceasedDateTime"]) != "2026-10-01" || p["deceasedBoolean"] != nil {
		t.Errorf("date of death: got deceasedDateTime %v, deceasedBoolean %v", p["deceasedDateTime"], p["deceasedBoolean"])
	}
	rec.Patient.Died = record.Date{}
	p = validate(t, write(t, "deceased", rec, testMeta())).byType("Patient")[0].res
	if p["deceasedBoolean"] != true || p["deceasedDateTime"] != nil {
		t.Errorf("death without a date: got deceasedDateTime %v, deceasedBoolean %v", p["deceasedDateTime"], p["deceasedBoolean"])
	}
	rec.Patient.Deceased = false
	p = validate(t, write(t, "alive", rec, testMeta())).byType("Patient")[0].res
	if p["deceasedBoolean"] != nil || p["deceasedDateTime"] != nil {
		t.Error("a living patient got deceased[x]")
	}
}
