package chart

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

func f(v float64) *float64 { return &v }

// res builds a result; date is "YYYY-MM-DD".
func res(code, title string, v float64, unit, date, panel string) record.Result {
	r := record.Result{Title: title, Value: f(v), Unit: unit, Panel: panel}
	if code != "" {
		sys, val, _ := strings.Cut(code, ":")
		r.Code = record.Code{System: record.System(sys), Value: val}
	}
	d, err := record.ParseDate(date)
	if err != nil {
		panic(err)
	}
	r.Date = d
	return r
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// shape describes charts as "Title[series(n), ...]" for comparison.
func shape(cs []Chart) string {
	var parts []string
	for _, c := range cs {
		var ss []string
		for _, s := range c.Series {
			ss = append(ss, fmt.Sprintf("%s(%d)", s.Name, len(s.Points)))
		}
		parts = append(parts, c.Title+"["+strings.Join(ss, ", ")+"]")
	}
	return strings.Join(parts, "; ")
}

func bloodPressure() []record.Result {
	var rs []record.Result
	for i, v := range [][2]float64{{152, 94}, {158, 97}, {149, 92}, {161, 99}} {
		d := fmt.Sprintf("2026-09-%02d", 20+i)
		sys := res("LOINC:8480-6", "Systolic blood pressure", v[0], "mmHg", d, "Blood pressure")
		sys.High = f(135)
		dia := res("LOINC:8462-4", "Diastolic blood pressure", v[1], "mmHg", d, "Blood pressure")
		dia.High = f(85)
		rs = append(rs, sys, dia)
	}
	return rs
}

func TestFromResultsChartsEachQuantityOfAPanelApart(t *testing.T) {
	t.Parallel()
	// Systolic and diastolic on one chart put the diastolic readings in the
	// systolic normal range's band.
	got := shape(FromResults(bloodPressure()))
	if want := "Systolic blood pressure[Systolic blood pressure(4)]; Diastolic blood pressure[Diastolic blood pressure(4)]"; got != want {
		t.Errorf("FromResults = %s, want %s", got, want)
	}
}

func TestFromResultsChartsRepeatedCodedResultsSortedByDate(t *testing.T) {
	t.Parallel()
	rs := []record.Result{
		res("LOINC:59261-8", "HbA1c", 55, "mmol/mol", "2025-05-20", ""),
		res("LOINC:59261-8", "HbA1c", 62, "mmol/mol", "2024-05-14", ""),
		res("LOINC:59261-8", "HbA1c", 54, "mmol/mol", "2026-11-10", ""),
	}
	cs := FromResults(rs)
	if len(cs) != 1 || len(cs[0].Series) != 1 {
		t.Fatalf("FromResults = %s, want one chart of one series", shape(cs))
	}
	var order []float64
	for _, p := range cs[0].Series[0].Points {
		order = append(order, p.Value)
	}
	if fmt.Sprint(order) != "[62 55 54]" {
		t.Errorf("points in order %v, want oldest first [62 55 54]", order)
	}
	if cs[0].Title != "HbA1c" || cs[0].Series[0].Unit != "mmol/mol" {
		t.Errorf("chart %q unit %q, want HbA1c in mmol/mol", cs[0].Title, cs[0].Series[0].Unit)
	}
}

func TestFromResultsGroupsUncodedResultsByTitleIgnoringCaseAndSpacing(t *testing.T) {
	t.Parallel()
	rs := []record.Result{
		res("", "Weight", 82, "kg", "2026-01-01", ""),
		res("", "weight", 81, "kg", "2026-02-01", ""),
		res("", " Weight  ", 80, "kg", "2026-03-01", ""),
		res("", "Waist", 90, "cm", "2026-03-01", ""),
	}
	if got, want := shape(FromResults(rs)), "Weight[Weight(3)]"; got != want {
		t.Errorf("FromResults = %s, want %s", got, want)
	}
}

func TestFromResultsLeavesOutSeriesWithFewerThanThreeReadings(t *testing.T) {
	t.Parallel()
	rs := []record.Result{
		res("LOINC:1", "TSH", 2.1, "mU/L", "2025-05-06", ""),
		res("LOINC:1", "TSH", 1.8, "mU/L", "2026-05-05", ""),
		res("LOINC:2", "INR", 2.4, "", "2026-08-10", ""),
	}
	if cs := FromResults(rs); len(cs) != 0 {
		t.Errorf("FromResults = %s, want no charts", shape(cs))
	}
}

func TestFromResultsCountsOnlyDatedNumericResults(t *testing.T) {
	t.Parallel()
	text := res("LOINC:1", "ECG", 0, "", "2026-01-01", "")
	text.Value, text.Text = nil, "Sinus rhythm"
	nan := res("LOINC:1", "ECG", math.NaN(), "", "2026-01-02", "")
	inf := res("LOINC:1", "ECG", math.Inf(1), "", "2026-01-03", "")
	undated := res("LOINC:1", "ECG", 70, "", "2026-01-04", "")
	undated.Date = record.Date{}
	monthOnly := res("LOINC:1", "ECG", 70, "", "2026-02", "")
	ok1 := res("LOINC:1", "ECG", 70, "", "2026-01-05", "")
	ok2 := res("LOINC:1", "ECG", 72, "", "2026-01-06", "")
	if cs := FromResults([]record.Result{text, nan, inf, undated, monthOnly, ok1, ok2}); len(cs) != 0 {
		t.Errorf("FromResults = %s, want no chart: only two dated numeric readings", shape(cs))
	}
}

func TestFromResultsKeepsChartsInOrderOfFirstAppearance(t *testing.T) {
	t.Parallel()
	var rs []record.Result
	for i := range 3 {
		d := fmt.Sprintf("2026-0%d-01", i+1)
		rs = append(rs,
			res("LOINC:3", "INR", 2.5, "", d, ""),
			res("LOINC:1", "HbA1c", 50, "mmol/mol", d, ""),
		)
	}
	rs = append(bloodPressure(), rs...)
	if got, want := shape(FromResults(rs)), "Systolic blood pressure[Systolic blood pressure(4)]; Diastolic blood pressure[Diastolic blood pressure(4)]; INR[INR(3)]; HbA1c[HbA1c(3)]"; got != want {
		t.Errorf("FromResults = %s, want %s", got, want)
	}
}

func TestFromResultsNeverPutsTwoQuantitiesOnOneChart(t *testing.T) {
	t.Parallel()
	var rs []record.Result
	for i := range 3 {
		d := fmt.Sprintf("2026-0%d-01", i+1)
		rs = append(rs,
			res("LOINC:2951-2", "Sodium", 140, "mmol/L", d, "Urea and electrolytes"),
			res("LOINC:2823-3", "Potassium", 4.3, "mmol/L", d, "Urea and electrolytes"),
			res("", "Urea", 5.1, "mmol/L", d, "Urea and electrolytes"),
			res("LOINC:14682-9", "Creatinine", 91, "umol/L", d, "Urea and electrolytes"),
			res("LOINC:14647-2", "Total cholesterol", 5.9, "mmol/L", d, "Lipids"),
			res("LOINC:14646-4", "HDL cholesterol", 1.1, "mmol/L", d, "Lipids"),
		)
	}
	got := shape(FromResults(rs))
	want := "Sodium[Sodium(3)]; Potassium[Potassium(3)]; Urea[Urea(3)]; Creatinine[Creatinine(3)]; Total cholesterol[Total cholesterol(3)]; HDL cholesterol[HDL cholesterol(3)]"
	if got != want {
		t.Errorf("FromResults =\n %s\nwant\n %s", got, want)
	}
}

func TestFromResultsKeepsHomeAndClinicReadingsApart(t *testing.T) {
	t.Parallel()
	var rs []record.Result
	for i := range 3 {
		d := fmt.Sprintf("2026-0%d-01", i+1)
		home := res("LOINC:8480-6", "Systolic blood pressure (home)", 150, "mmHg", d, "")
		home.High = f(135)
		rs = append(rs, home, res("LOINC:8480-6", "Systolic blood pressure (clinic)", 160, "mmHg", d, ""))
	}
	cs := FromResults(rs)
	if got, want := shape(cs), "Systolic blood pressure[Systolic blood pressure (home)(3), Systolic blood pressure (clinic)(3)]"; got != want {
		t.Fatalf("FromResults = %s, want %s", got, want)
	}
	if cs[0].Series[0].High == nil || cs[0].Series[1].High != nil {
		t.Error("the home series' range leaked into the clinic series, or was lost")
	}
}

func TestFromResultsNeverJoinsDifferentUnitsWithALine(t *testing.T) {
	t.Parallel()
	var rs []record.Result
	for i := range 3 {
		d := fmt.Sprintf("2026-0%d-01", i+1)
		rs = append(rs, res("LOINC:1", "HbA1c", 50, "mmol/mol", d, ""), res("LOINC:1", "HbA1c", 6.7, "%", d, ""))
	}
	cs := FromResults(rs)
	if len(cs) != 2 {
		t.Fatalf("FromResults = %s, want two charts, one per unit", shape(cs))
	}
	for _, c := range cs {
		if len(c.Series) != 1 {
			t.Errorf("chart %s mixes units", c.Title)
		}
	}
}

func TestFromResultsUsesTheLatestStatedReferenceRange(t *testing.T) {
	t.Parallel()
	a := res("LOINC:1", "eGFR", 61, "mL/min", "2024-01-01", "")
	a.Low = f(90)
	b := res("LOINC:1", "eGFR", 58, "mL/min", "2025-01-01", "")
	b.Low = f(60)
	c := res("LOINC:1", "eGFR", 56, "mL/min", "2026-01-01", "") // no range stated
	cs := FromResults([]record.Result{b, c, a})
	if len(cs) != 1 {
		t.Fatalf("FromResults = %s", shape(cs))
	}
	s := cs[0].Series[0]
	if s.Low == nil || *s.Low != 60 || s.High != nil {
		t.Errorf("series range = %v..%v, want 60 and no upper limit", s.Low, s.High)
	}
}

func TestFromResultsCopiesRangesRatherThanPointingIntoTheRecord(t *testing.T) {
	t.Parallel()
	rs := bloodPressure()
	cs := FromResults(rs)
	*rs[len(rs)-2].High = 999
	if *cs[0].Series[0].High != 135 {
		t.Error("changing the record changed a chart's range")
	}
}
