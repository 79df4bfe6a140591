package chart

import (
	"strconv"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
)

// homeAndClinic is blood pressure as rmc-0001 has it: a clinic reading
// with no range, a week of home readings with the home ranges (135/85),
// and, newest of all, one more clinic reading after treatment started, so
// the newest reading is in the short series.
func homeAndClinic() []record.Result {
	var rs []record.Result
	add := func(setting, d string, sys, dia float64, high [2]*float64) {
		s := res("LOINC:8480-6", "Systolic blood pressure ("+setting+")", sys, "mmHg", d, "Blood pressure")
		di := res("LOINC:8462-4", "Diastolic blood pressure ("+setting+")", dia, "mmHg", d, "Blood pressure")
		s.High, di.High = high[0], high[1]
		rs = append(rs, s, di)
	}
	add("clinic", "2026-09-22", 166, 98, [2]*float64{})
	for i, v := range [][2]float64{{152, 94}, {158, 97}, {149, 92}, {161, 99}, {155, 95}, {150, 93}, {157, 96}} {
		add("home", date("2026-09-28").AddDate(0, 0, i).Format("2006-01-02"), v[0], v[1], [2]*float64{f(135), f(85)})
	}
	add("clinic", "2026-11-05", 142, 88, [2]*float64{})
	return rs
}

func TestHomeAndClinicSeriesShareAChartPerQuantity(t *testing.T) {
	t.Parallel()
	got := shape(FromResults(homeAndClinic()))
	want := "Systolic blood pressure[Systolic blood pressure (clinic)(2), Systolic blood pressure (home)(7)]; " +
		"Diastolic blood pressure[Diastolic blood pressure (clinic)(2), Diastolic blood pressure (home)(7)]"
	if got != want {
		t.Errorf("FromResults =\n %s\nwant\n %s", got, want)
	}
}

func TestTheCaptionStatesTheNewestReadingOfEverySeries(t *testing.T) {
	t.Parallel()
	cs := FromResults(homeAndClinic())
	if len(cs) != 2 {
		t.Fatalf("FromResults = %s", shape(cs))
	}
	for i, wants := range [][]string{
		{"Systolic blood pressure: 9 readings from 22 Sep 2026 to 5 Nov 2026.",
			"Clinic: 2 readings, latest 142 mmHg on 5 Nov 2026.",
			"Home: 7 readings, latest 157 mmHg on 4 Oct 2026, above the normal range (up to 135 mmHg); trend steady."},
		{"Clinic: 2 readings, latest 88 mmHg on 5 Nov 2026.",
			"Home: 7 readings, latest 96 mmHg on 4 Oct 2026, above the normal range (up to 85 mmHg)"},
	} {
		alt := Alt(cs[i], english())
		for _, w := range wants {
			if !strings.Contains(alt, w) {
				t.Errorf("Alt does not say %q; it says:\n %s", w, alt)
			}
		}
		if strings.Index(alt, "5 Nov 2026.") > strings.Index(alt, "4 Oct 2026") {
			t.Errorf("Alt does not give the newest reading first: %s", alt)
		}
	}
}

// seriesMarkers returns the centres of each series' markers, by series.
func seriesMarkers(root *element) [][][2]float64 {
	var out [][][2]float64
	for _, g := range root.all("g") {
		if g.attrs["stroke"] != "#ffffff" {
			continue
		}
		var pts [][2]float64
		for _, m := range g.children {
			switch m.name {
			case "circle":
				pts = append(pts, [2]float64{atof(m.attrs["cx"]), atof(m.attrs["cy"])})
			case "rect":
				pts = append(pts, [2]float64{atof(m.attrs["x"]) + 3.5, atof(m.attrs["y"]) + 3.5})
			}
		}
		out = append(out, pts)
	}
	return out
}

func atof(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func TestTheNewestReadingIsDrawnEvenInAShortSeries(t *testing.T) {
	t.Parallel()
	c := FromResults(homeAndClinic())[0]
	root := parseXML(t, string(SVG(c, "c", english())))
	ms := seriesMarkers(root)
	if len(ms) != 2 || len(ms[0]) != 2 || len(ms[1]) != 7 {
		t.Fatalf("markers by series = %v, want 2 clinic and 7 home", ms)
	}
	if ms[0][1][0] != plotRight {
		t.Errorf("the 5 Nov clinic reading is at x %v, want the right end of the plot (%d)", ms[0][1][0], plotRight)
	}
	for _, p := range ms[1] {
		if p[0] >= plotRight {
			t.Errorf("a home reading is drawn at the right end, where only 5 Nov belongs")
		}
	}
	var texts []string
	for _, e := range root.all("text") {
		texts = append(texts, e.text)
	}
	joined := strings.Join(texts, "|")
	for _, w := range []string{"Clinic", "Home", "5 Nov 2026", "Home normal range: up to 135 mmHg"} {
		if !strings.Contains(joined, w) {
			t.Errorf("no legend or axis text %q among %q", w, joined)
		}
	}
}

// band returns the top and bottom of the chart's one shaded band.
func band(t *testing.T, root *element) (float64, float64) {
	t.Helper()
	var bands []*element
	for _, r := range root.all("rect") {
		if r.attrs["x"] == strconv.Itoa(plotLeft) && r.attrs["fill"] == "#2e7d32" {
			bands = append(bands, r)
		}
	}
	if len(bands) != 1 {
		t.Fatalf("%d shaded bands, want 1", len(bands))
	}
	top := atof(bands[0].attrs["y"])
	return top, top + atof(bands[0].attrs["height"])
}

func TestHighDiastolicReadingsAreDrawnAboveTheirOwnBand(t *testing.T) {
	t.Parallel()
	cs := FromResults(homeAndClinic())
	for _, c := range cs {
		root := parseXML(t, string(SVG(c, "c", english())))
		top, bottom := band(t, root)
		if bottom-top < 10 {
			t.Errorf("%s: the band is %v units tall: too thin to see", c.Title, bottom-top)
		}
		home := seriesMarkers(root)[1]
		for _, p := range home {
			// Every home reading (systolic 149-161 against 135, diastolic
			// 92-99 against 85) is high: drawn above the band, y smaller.
			if !(p[1] < top) {
				t.Errorf("%s: a high home reading at y %v is drawn inside the band (top %v)", c.Title, p[1], top)
			}
		}
		rings := 0
		for _, e := range root.all("circle") {
			if e.attrs["r"] == "6.5" {
				rings++
			}
		}
		if rings != 7+1 { // the 7 high home readings and the legend
			t.Errorf("%s: %d rings, want the 7 high home readings and the legend's", c.Title, rings)
		}
	}
}

func TestATargetRangeIsCalledATarget(t *testing.T) {
	t.Parallel()
	var rs []record.Result
	for i, v := range []float64{2.4, 3.6, 2.9, 1.8} {
		r := res("LOINC:6301-6", "INR", v, "", date("2026-08-10").AddDate(0, 0, 14*i).Format("2006-01-02"), "")
		r.Low, r.High, r.RangeType = f(2), f(3), record.RangeTarget
		rs = append(rs, r)
	}
	cs := FromResults(rs)
	if len(cs) != 1 {
		t.Fatalf("FromResults = %s", shape(cs))
	}
	alt, svg := Alt(cs[0], english()), string(SVG(cs[0], "inr", english()))
	if !strings.Contains(alt, "Latest 1.8 on 21 Sep 2026, below the target range (2 to 3).") {
		t.Errorf("Alt does not call the range a target: %s", alt)
	}
	if !strings.Contains(svg, "Shaded: target range, 2 to 3") {
		t.Error("the chart's legend does not call the band a target range")
	}
	if strings.Contains(alt+svg, "normal range") {
		t.Error("a target range is called a normal range")
	}
}

func TestHomeAndClinicReadingsOnOneDayAreNotWrittenAsAPair(t *testing.T) {
	t.Parallel()
	var rs []record.Result
	for i, v := range [][2]float64{{150, 160}, {148, 158}, {142, 150}} {
		d := date("2026-09-01").AddDate(0, 0, 7*i).Format("2006-01-02")
		rs = append(rs, res("LOINC:8480-6", "Systolic blood pressure (home)", v[0], "mmHg", d, ""),
			res("LOINC:8480-6", "Systolic blood pressure (clinic)", v[1], "mmHg", d, ""))
	}
	alt := Alt(FromResults(rs)[0], english())
	if strings.Contains(alt, "142/150") || strings.Contains(alt, "150/142") {
		t.Errorf("Alt runs two settings' systolic readings together as a pair: %s", alt)
	}
	for _, want := range []string{"Home: 3 readings, latest 142 mmHg on 15 Sep 2026", "Clinic: 3 readings, latest 150 mmHg on 15 Sep 2026"} {
		if !strings.Contains(alt, want) {
			t.Errorf("Alt does not say %q: %s", want, alt)
		}
	}
}
