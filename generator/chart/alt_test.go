package chart

import (
	"math"
	"strings"
	"testing"
)

// series builds a series of readings one week apart from 5 Jan 2026.
func series(name, unit string, values ...float64) Series {
	s := Series{Name: name, Unit: unit}
	for i, v := range values {
		s.Points = append(s.Points, Point{Date: date("2026-01-05").AddDate(0, 0, 7*i), Value: v})
	}
	return s
}

func TestAltStatesTheLatestReadingWithUnitAndDate(t *testing.T) {
	t.Parallel()
	c := Chart{Title: "HbA1c", Series: []Series{series("HbA1c", "mmol/mol", 62, 58, 55, 57, 53, 54)}}
	got := Alt(c, english())
	want := "HbA1c: 6 readings from 5 Jan 2026 to 9 Feb 2026. Latest 54 mmol/mol on 9 Feb 2026. Trend: falling."
	if got != want {
		t.Errorf("Alt =\n %s\nwant\n %s", got, want)
	}
}

func TestAltStatesEachSeriesOfAChart(t *testing.T) {
	t.Parallel()
	sys := series("Systolic blood pressure (home)", "mmHg", 152, 158, 149, 161, 155, 150, 157)
	sys.High = f(135)
	dia := series("Diastolic blood pressure (home)", "mmHg", 94, 97, 92, 99, 95, 93, 96)
	dia.High = f(85)
	got := Alt(Chart{Title: "Blood pressure", Series: []Series{sys, dia}}, english())
	for _, want := range []string{
		"Blood pressure: 7 readings from 5 Jan 2026 to 16 Feb 2026.",
		"Systolic blood pressure (home): 7 readings, latest 157 mmHg on 16 Feb 2026, above the normal range (up to 135 mmHg); trend steady.",
		"Diastolic blood pressure (home): 7 readings, latest 96 mmHg on 16 Feb 2026, above the normal range (up to 85 mmHg); trend steady.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Alt does not say %q; it says:\n %s", want, got)
		}
	}
}

func TestAltSaysWhereTheLatestReadingLiesAgainstTheNormalRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		low, high *float64
		latest    float64
		want      string
	}{
		{f(2), f(3), 3.6, "Latest 3.6 on 19 Jan 2026, above the normal range (2 to 3)."},
		{f(2), f(3), 1.8, "Latest 1.8 on 19 Jan 2026, below the normal range (2 to 3)."},
		{f(2), f(3), 3, "Latest 3 on 19 Jan 2026, within the normal range (2 to 3)."},
		{f(60), nil, 47, "Latest 47 on 19 Jan 2026, below the normal range (60 or more)."},
		{nil, f(41), 39, "Latest 39 on 19 Jan 2026, within the normal range (up to 41)."},
		{nil, nil, 39, "Latest 39 on 19 Jan 2026. "},
	}
	for _, tt := range tests {
		s := series("INR", "", 2.5, 2.5, tt.latest)
		s.Low, s.High = tt.low, tt.high
		if got := Alt(Chart{Title: "INR", Series: []Series{s}}, english()); !strings.Contains(got, tt.want) {
			t.Errorf("Alt = %s\nwant it to contain %q", got, tt.want)
		}
	}
}

func TestAltStatesTheTrend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []float64
		want   string
	}{
		{"rising", []float64{4.1, 4.4, 4.9, 5.3, 5.8}, "Trend: rising."},
		{"falling", []float64{61, 58, 56, 52, 48, 47}, "Trend: falling."},
		{"steady", []float64{140, 138, 141, 139, 140, 141}, "Trend: steady."},
		{"steady when every value is equal", []float64{5, 5, 5}, "Trend: steady."},
		{"up and down", []float64{410, 290, 430}, "Trend: up and down, with no clear direction."},
		{"one high reading at the end", []float64{2.1, 1.8, 6.4}, "Trend: rising."},
		{"a dip and recovery is not a trend", []float64{5, 4, 3, 3, 4, 5}, "Trend: up and down, with no clear direction."},
		{"small changes are steady", []float64{100, 101, 102, 103}, "Trend: steady."},
		{"negative values falling", []float64{-1, -2, -3, -4}, "Trend: falling."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Alt(Chart{Title: "Test", Series: []Series{series("Test", "units", tt.values...)}}, english())
			if !strings.HasSuffix(got, tt.want) {
				t.Errorf("Alt = %s\nwant it to end %q", got, tt.want)
			}
		})
	}
}

// A reading is counted once however many series show it (a blood
// pressure's systolic and diastolic), and two readings on one day count
// twice.
func TestAltCountsEveryReadingAndHandlesOddCharts(t *testing.T) {
	t.Parallel()
	same := Series{Name: "Weight", Unit: "kg"}
	for _, v := range []float64{80, 81, 82} {
		same.Points = append(same.Points, Point{Date: date("2026-03-01"), Value: v})
	}
	sys, dia := series("Systolic", "mmHg", 150, 140), series("Diastolic", "mmHg", 95, 90)
	sys.Points = append(sys.Points, Point{Date: sys.Points[1].Date, Value: 135})
	dia.Points = append(dia.Points, Point{Date: dia.Points[1].Date, Value: 85})
	tests := []struct {
		c    Chart
		want string
	}{
		{Chart{Title: "Weight", Series: []Series{same}}, "Weight: 3 readings on 1 Mar 2026. Latest 82 kg on 1 Mar 2026."},
		{Chart{Title: "Blood pressure", Series: []Series{sys, dia}}, "Blood pressure: 3 readings from 5 Jan 2026 to 12 Jan 2026."},
		{Chart{Title: "", Series: nil}, "Readings: no readings."},
		{Chart{Title: "Ratio", Series: []Series{series("Ratio", "%", 10, 12.5, 15)}}, "Latest 15% on 19 Jan 2026."},
	}
	for _, tt := range tests {
		if got := Alt(tt.c, english()); !strings.Contains(got, tt.want) {
			t.Errorf("Alt = %s\nwant it to contain %q", got, tt.want)
		}
	}
}

func TestAltNamesEachSeriesWhenReadingsAreNotPaired(t *testing.T) {
	t.Parallel()
	a := series("Total cholesterol", "mmol/L", 5.9, 5.5, 5.0)
	b := series("HDL cholesterol", "mmol/L", 1.1, 1.1, 1.2)
	c := series("LDL cholesterol", "mmol/L", 3.9, 3.5, 3.1)
	got := Alt(Chart{Title: "Lipids", Series: []Series{a, b, c}}, english())
	if strings.Contains(got, "Latest ") {
		t.Errorf("Alt pairs three series: %s", got)
	}
	for _, want := range []string{"Total cholesterol: 3 readings, latest 5 mmol/L on 19 Jan 2026", "HDL cholesterol: 3 readings, latest 1.2 mmol/L", "LDL cholesterol: 3 readings, latest 3.1 mmol/L"} {
		if !strings.Contains(got, want) {
			t.Errorf("Alt does not say %q: %s", want, got)
		}
	}
}

func TestAltFormatsValuesAsRecorded(t *testing.T) {
	t.Parallel()
	// math.Copysign makes a negative zero: the literal -0.0 is plain 0 in Go.
	for v, want := range map[float64]string{0.32: "0.32", 166: "166", 2.0: "2", math.Copysign(0, -1): "0", 1e20: "1e+20", 12345.678: "12345.678"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
