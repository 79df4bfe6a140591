// Package chart draws trend charts of a record's repeated results (blood
// pressure, HbA1c, eGFR, INR, weight...) as inline SVG at build time.
//
// The record document opens in a sandboxed frame with scripts off, so a chart
// must be complete as drawn: no script, no external reference, no styling
// that depends on classes defined elsewhere. Every chart also has a
// plain-English text alternative (Alt) that states the latest reading and
// the trend, for screen readers and for anyone who cannot read a graph.
package chart

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
)

// Point is one dated reading.
type Point struct {
	Date  time.Time
	Value float64
	// At is when on Date it was taken, where the record says (a FHIR
	// dateTime); zero otherwise. It orders one day's readings only.
	At time.Time
}

// compareTaken orders two points by when they were taken, as the record
// orders results (record.CompareMoments); 0 when it cannot tell.
func compareTaken(a, b Point) int {
	return record.CompareMoments(a.Date, a.At, b.Date, b.At)
}

// Series is the readings of one quantity taken in one setting, such as
// systolic blood pressure measured at home. Low and High give the
// reference range when the record states one; either may be nil.
// RangeType is record.RangeTarget when that range is a treatment target
// (an INR of 2 to 3), empty for a normal range.
type Series struct {
	Name      string
	Unit      string
	Points    []Point // sorted by date, oldest first
	Low, High *float64
	RangeType string
}

// Chart is one trend chart: one measured quantity, such as systolic blood
// pressure, with a series for each setting it was measured in (home,
// clinic). FromResults orders the series newest reading first.
type Chart struct {
	Title  string
	Series []Series
}

// MinPoints is the fewest readings a chart needs: with two, a line says
// nothing a table does not. A chart's series may each hold fewer.
const MinPoints = 3

// FromResults groups a record's results into charts, one per measured
// quantity.
//
// A quantity is the results with the same code (or, when uncoded, the same
// title less a trailing "(setting)") and the same unit: values in different
// units are never joined by a line, and two quantities, such as systolic
// and diastolic blood pressure, never share a chart, so each reading is
// drawn against its own reference range. Within a quantity, a series is
// the results with the same title: "Systolic blood pressure (home)" and
// "... (clinic)" are two series of one chart, each with its own reference
// range (that of its latest reading that states one).
//
// Only results with a numeric value and a full date count. A quantity is
// charted when it has readings on at least MinPoints dates, and then every
// one of its series is drawn, however short, so the newest reading is
// never left out. Series are ordered by their newest reading, newest
// first; charts keep the order in which their quantity first appears in rs.
func FromResults(rs []record.Result) []Chart {
	type rng struct {
		lo, hi *float64
		typ    string
	}
	type build struct {
		series Series
		ranges []rng // each point's range, as recorded
	}
	type group struct {
		series []*build
	}
	var groups []*group
	byQuantity := map[string]*group{}
	byKey := map[string]*build{}
	for i := range rs {
		r := &rs[i]
		if r.Value == nil || math.IsNaN(*r.Value) || math.IsInf(*r.Value, 0) || r.Date.Precision != record.Day {
			continue
		}
		id := "title:" + norm(base(r.Title))
		if !r.Code.IsZero() {
			id = "code:" + r.Code.String()
		}
		unit := strings.TrimSpace(r.Unit)
		quantity := id + "\x00" + unit
		key := quantity + "\x00" + norm(r.Title)
		b := byKey[key]
		if b == nil {
			b = &build{series: Series{Name: strings.TrimSpace(r.Title), Unit: unit}}
			byKey[key] = b
			g := byQuantity[quantity]
			if g == nil {
				g = &group{}
				byQuantity[quantity] = g
				groups = append(groups, g)
			}
			g.series = append(g.series, b)
		}
		b.series.Points = append(b.series.Points, Point{Date: r.Date.Time, Value: *r.Value, At: r.At})
		b.ranges = append(b.ranges, rng{r.Low, r.High, r.RangeType})
	}

	var charts []Chart
	for _, g := range groups {
		var c Chart
		for _, b := range g.series {
			// Sort the points with their ranges, oldest first. Of one
			// day's readings that the record cannot tell apart, the one it
			// lists first counts as the newest, as in the summary and the
			// results list (record.CompareTaken): it comes last.
			idx := make([]int, len(b.series.Points))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(x, y int) int {
				if c := compareTaken(b.series.Points[x], b.series.Points[y]); c != 0 {
					return c
				}
				return y - x
			})
			pts := make([]Point, len(idx))
			for i, j := range idx {
				pts[i] = b.series.Points[j]
				if r := b.ranges[j]; finite(r.lo) != nil || finite(r.hi) != nil {
					b.series.Low, b.series.High, b.series.RangeType = finite(r.lo), finite(r.hi), r.typ
				}
			}
			b.series.Points = pts
			c.Series = append(c.Series, b.series)
		}
		if len(dates(c)) < MinPoints {
			continue
		}
		c.Series = newestFirst(c.Series)
		names := make([]string, len(c.Series))
		for i, s := range c.Series {
			names[i] = s.Name
		}
		c.Title = commonTitle(names)
		charts = append(charts, c)
	}
	return charts
}

// newestFirst returns series ordered by their newest reading, newest
// first; series whose newest readings share a date keep their order.
func newestFirst(series []Series) []Series {
	out := slices.Clone(series)
	slices.SortStableFunc(out, func(a, b Series) int {
		return b.Points[latest(b)].Date.Compare(a.Points[latest(a)].Date)
	})
	return out
}

// base is a title without a trailing setting in brackets: "Systolic blood
// pressure (home)" is "Systolic blood pressure".
func base(n string) string {
	n = strings.TrimSpace(n)
	if i := strings.LastIndex(n, " ("); i > 0 && strings.HasSuffix(n, ")") {
		return strings.TrimSpace(n[:i])
	}
	return n
}

// commonTitle names a chart of series that share a code but not a title:
// "Systolic blood pressure (home)" and "Systolic blood pressure (clinic)"
// make "Systolic blood pressure"; unrelated names are listed.
func commonTitle(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	b := base(names[0])
	for _, n := range names[1:] {
		if !strings.EqualFold(base(n), b) {
			return strings.Join(names, ", ")
		}
	}
	return b
}

// label names a series within chart c: its setting, "Home", when its name
// is the chart's title with the setting in brackets; its name otherwise.
func label(c Chart, s Series, l *i18n.Language) string {
	name, prefix := titleOf(s.Name, l), sentence(c.Title)+" ("
	if len(name) > len(prefix)+1 && strings.EqualFold(name[:len(prefix)], prefix) && strings.HasSuffix(name, ")") {
		setting := name[len(prefix) : len(name)-1]
		r, size := utf8.DecodeRuneInString(setting)
		return string(unicode.ToUpper(r)) + setting[size:]
	}
	return name
}

// rangeName is what s's reference range is, in l: "target range" where
// the source says target, "normal range" otherwise.
func rangeName(s Series, l *i18n.Language) string {
	if s.RangeType == record.RangeTarget {
		return l.Text("chart_target_range")
	}
	return l.Text("chart_normal_range")
}

// norm folds a title for grouping: case and spacing differ between exports.
func norm(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// finite returns a copy of p, or nil when p is nil or not a finite number.
func finite(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	v := *p
	return &v
}

// usable returns c's series as Alt and SVG draw them: without readings that
// are not finite numbers, without a bound that is not one, and without
// series left empty. A Chart built by hand need not come from FromResults.
func usable(c Chart) []Series {
	var out []Series
	for _, s := range c.Series {
		var pts []Point
		for _, p := range s.Points {
			if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
				pts = append(pts, p)
			}
		}
		if len(pts) == 0 {
			continue
		}
		s.Points, s.Low, s.High = pts, finite(s.Low), finite(s.High)
		out = append(out, s)
	}
	return out
}

// latest returns the index of s's latest point: the last of those taken
// latest, which in a sorted series is the newest (see FromResults).
func latest(s Series) int {
	best := -1
	for i, p := range s.Points {
		if best < 0 || compareTaken(p, s.Points[best]) >= 0 {
			best = i
		}
	}
	return best
}

// dates returns the distinct dates of c's points, oldest first.
func dates(c Chart) []time.Time {
	var ds []time.Time
	for _, s := range c.Series {
		for _, p := range s.Points {
			ds = append(ds, p.Date)
		}
	}
	slices.SortFunc(ds, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(ds, func(a, b time.Time) bool { return a.Equal(b) })
}

// trend is the direction of a series.
type trend int

const (
	none trend = iota // too few readings to tell
	steady
	rising
	falling
	varying // readings go up and down more than they move overall
)

func (t trend) in(l *i18n.Language) string {
	switch t {
	case steady:
		return l.Text("chart_steady")
	case rising:
		return l.Text("chart_rising")
	case falling:
		return l.Text("chart_falling")
	case varying:
		return l.Text("chart_varying")
	}
	return ""
}

// direction fits a straight line through s's readings (least squares, by
// days) and compares the change it predicts over the whole period with two
// yardsticks: 5% of the typical value, below which a change is too small to
// matter, and the scatter of the readings around the line (their standard
// deviation from it, with n-2 degrees of freedom), below which it could be
// chance. The mean of the last third of the readings must also differ from
// that of the first third, by more than 5% and in the same direction, so a
// line tilted by readings in the middle is not called a trend.
func direction(s Series) trend {
	n := len(s.Points)
	if n < 2 {
		return none
	}
	t0 := s.Points[0].Date
	var mx, my float64
	xs := make([]float64, n)
	for i, p := range s.Points {
		xs[i] = p.Date.Sub(t0).Hours() / 24
		mx += xs[i] / float64(n)
		my += p.Value / float64(n)
	}
	var sxx, sxy float64
	for i, p := range s.Points {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (p.Value - my)
	}
	slope := 0.0
	if sxx > 0 {
		slope = sxy / sxx
	}
	span := slices.Max(xs) - slices.Min(xs)
	change := slope * span
	var ss float64
	for i, p := range s.Points {
		r := p.Value - (my + slope*(xs[i]-mx))
		ss += r * r
	}
	noise := 0.0
	if n > 2 {
		noise = math.Sqrt(ss / float64(n-2))
	}
	tol := 0.05 * math.Abs(my)
	k := max(1, n/3)
	var first, last float64
	for i := range k {
		first += s.Points[i].Value / float64(k)
		last += s.Points[n-1-i].Value / float64(k)
	}
	thirds := last - first
	switch {
	case math.IsNaN(change) || math.IsNaN(noise) || math.IsNaN(thirds):
		return none
	case math.Abs(change) > tol && math.Abs(change) > noise && math.Abs(thirds) > tol && (change > 0) == (thirds > 0):
		if change > 0 {
			return rising
		}
		return falling
	case noise > tol:
		return varying
	}
	return steady
}

// rangeState says where v lies against s's reference range.
func rangeState(s Series, v float64) string {
	switch {
	case s.High != nil && v > *s.High:
		return "above"
	case s.Low != nil && v < *s.Low:
		return "below"
	case s.High != nil || s.Low != nil:
		return "within"
	}
	return ""
}

// rangeText describes s's reference range in words, with its unit.
func rangeText(s Series, l *i18n.Language) string {
	switch {
	case s.Low != nil && s.High != nil:
		return l.Text("chart_range_between", num(*s.Low), withUnit(*s.High, s.Unit))
	case s.High != nil:
		return l.Text("chart_range_up_to", withUnit(*s.High, s.Unit))
	case s.Low != nil:
		return l.Text("chart_range_at_least", withUnit(*s.Low, s.Unit))
	}
	return ""
}
