package chart

import (
	"math"
	"strconv"
	"strings"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
)

// Alt states in plain English what c shows: how many readings and over what
// period, the latest value of every series with its unit and date, whether
// that value is above, below or within the series' normal (or target)
// range when one is known, and the trend: rising, falling, steady, or up
// and down with no clear direction. For example:
//
//	HbA1c: 6 readings from 14 May 2024 to 10 Nov 2026. Latest 54 mmol/mol
//	on 10 Nov 2026. Trend: falling.
//
// A chart of several series names each, newest reading first, with its
// own count, so the newest reading is always the first one stated:
//
//	Systolic blood pressure: 9 readings from 22 Sep 2026 to 5 Nov 2026.
//	Clinic: 2 readings, latest 142 mmHg on 5 Nov 2026. Home: 7 readings,
//	latest 157 mmHg on 4 Oct 2026, above the normal range (up to 135
//	mmHg); trend steady.
//
// Series are never run together as "157/96": a chart's series are one
// quantity in different settings, not the parts of one reading. A trend is
// stated only for a series of at least MinPoints readings. Alt never interprets beyond the numbers: no
// advice, no diagnosis.
func Alt(c Chart, l *i18n.Language) string {
	series := usable(c)
	c = Chart{Title: c.Title, Series: series}
	title := titleOf(c.Title, l)
	ds := dates(c)
	var b strings.Builder
	switch len(ds) {
	case 0:
		return l.Text("chart_no_readings", title)
	case 1:
		b.WriteString(l.Text("chart_count_on", title, count(c, l), l.Date(ds[0])))
	default:
		b.WriteString(l.Text("chart_count_from_to", title, count(c, l), l.Date(ds[0]), l.Date(ds[len(ds)-1])))
	}

	if len(series) == 1 {
		s := series[0]
		p := s.Points[latest(s)]
		b.WriteString(" " + l.Text("chart_latest", withUnit(p.Value, s.Unit), l.Date(p.Date)))
		if st := stateText(s, p.Value, l); st != "" {
			b.WriteString(", " + st)
		}
		b.WriteString(".")
		if t := direction(s); t != none && len(s.Points) >= MinPoints {
			b.WriteString(" " + l.Text("chart_trend", t.in(l)))
		}
		return b.String()
	}

	series = newestFirst(series)
	for _, s := range series {
		p := s.Points[latest(s)]
		b.WriteString(" " + l.Text("chart_series_latest", label(c, s, l), count(Chart{Series: []Series{s}}, l), withUnit(p.Value, s.Unit), l.Date(p.Date)))
		if st := stateText(s, p.Value, l); st != "" {
			b.WriteString(", " + st)
		}
		if t := direction(s); t != none && len(s.Points) >= MinPoints {
			b.WriteString("; " + l.Text("chart_series_trend", t.in(l)))
		}
		b.WriteString(".")
	}
	return b.String()
}

// count says how many readings c holds: for each day, the most that any
// one series has that day. A blood pressure reading (a systolic and a
// diastolic point) counts once, and two readings on one day count twice.
func count(c Chart, l *i18n.Language) string {
	most := map[int64]int{} // by day
	for _, s := range c.Series {
		on := map[int64]int{}
		for _, p := range s.Points {
			on[p.Date.Unix()]++
		}
		for d, k := range on {
			most[d] = max(most[d], k)
		}
	}
	n := 0
	for _, k := range most {
		n += k
	}
	if n == 1 {
		return l.Text("chart_one_reading")
	}
	return l.Text("chart_readings", strconv.Itoa(n))
}

// sentence trims s, so a title spaced differently in two exports reads
// the same.
func sentence(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// titleOf is a chart's title as its text states it: "Readings" (in l) when
// it has none, so a sentence never starts with a colon.
func titleOf(s string, l *i18n.Language) string {
	if s = sentence(s); s == "" {
		return l.Text("chart_readings_title")
	}
	return s
}

// stateText says where v lies against s's range, with the range: "above
// the normal range (up to 135 mmHg)"; "" when s has no range.
func stateText(s Series, v float64, l *i18n.Language) string {
	st := rangeState(s, v)
	if st == "" {
		return ""
	}
	kind := "normal"
	if s.RangeType == record.RangeTarget {
		kind = "target"
	}
	return l.Text("chart_"+st+"_"+kind, rangeText(s, l))
}

// num formats a value as recorded: the shortest form that reads back as
// the same number, never in exponent form for everyday sizes.
func num(v float64) string {
	if v == 0 {
		v = 0 // no "-0"
	}
	if a := math.Abs(v); a != 0 && (a >= 1e15 || a < 1e-6) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// withUnit writes v with its unit: "157 mmHg", "12.6%", "2.6".
func withUnit(v float64, unit string) string {
	unit = strings.TrimSpace(unit)
	switch unit {
	case "":
		return num(v)
	case "%":
		return num(v) + "%"
	}
	return num(v) + " " + unit
}
