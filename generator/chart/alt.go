package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
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
func Alt(c Chart) string {
	series := usable(c)
	c = Chart{Title: c.Title, Series: series}
	var b strings.Builder
	b.WriteString(sentence(c.Title))
	ds := dates(c)
	switch len(ds) {
	case 0:
		b.WriteString(": no readings.")
		return b.String()
	case 1:
		b.WriteString(": " + count(c) + " on " + day(ds[0]) + ".")
	default:
		b.WriteString(": " + count(c) + " from " + day(ds[0]) + " to " + day(ds[len(ds)-1]) + ".")
	}

	if len(series) == 1 {
		s := series[0]
		p := s.Points[latest(s)]
		b.WriteString(" Latest " + withUnit(p.Value, s.Unit) + " on " + day(p.Date))
		if st := rangeState(s, p.Value); st != "" {
			b.WriteString(", " + st + " the " + rangeName(s) + " (" + rangeText(s) + ")")
		}
		b.WriteString(".")
		if t := direction(s); t != none && len(s.Points) >= MinPoints {
			b.WriteString(" Trend: " + t.String() + ".")
		}
		return b.String()
	}

	series = newestFirst(series)
	for _, s := range series {
		p := s.Points[latest(s)]
		b.WriteString(" " + label(c, s) + ": " + count(Chart{Series: []Series{s}}) + ", latest " + withUnit(p.Value, s.Unit) + " on " + day(p.Date))
		if st := rangeState(s, p.Value); st != "" {
			b.WriteString(", " + st + " the " + rangeName(s) + " (" + rangeText(s) + ")")
		}
		if t := direction(s); t != none && len(s.Points) >= MinPoints {
			b.WriteString("; trend " + t.String())
		}
		b.WriteString(".")
	}
	return b.String()
}

// count says how many readings c holds: the distinct dates measured, so a
// blood pressure reading (systolic and diastolic) counts once.
func count(c Chart) string {
	n := len(dates(c))
	if n == 1 {
		return "1 reading"
	}
	return strconv.Itoa(n) + " readings"
}

// sentence trims s and gives it a name when it has none, so a sentence
// never starts with a colon.
func sentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "Readings"
	}
	return s
}

func day(t time.Time) string { return t.Format("2 Jan 2006") }

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
