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

	"github.com/satchel-records/satchel/generator/record"
)

// Point is one dated reading.
type Point struct {
	Date  time.Time
	Value float64
}

// Series is one measured quantity over time, such as systolic blood pressure.
// Low and High give the reference range when the record states one; either
// may be nil.
type Series struct {
	Name      string
	Unit      string
	Points    []Point // sorted by date, oldest first
	Low, High *float64
}

// Chart is one trend chart. It may hold several series that belong together,
// such as the systolic and diastolic parts of "Blood pressure".
type Chart struct {
	Title  string
	Series []Series
}

// MinPoints is the fewest readings a series needs to be charted: with two,
// a line says nothing a table does not.
const MinPoints = 3

// FromResults groups a record's results into charts.
//
// A series is the results with the same code (or, when uncoded, the same
// title), the same title and the same unit: a home and a clinic blood
// pressure reading share a code but not a reference range, so they are kept
// apart, and values in different units are never joined by a line. Only
// results with a numeric value and a full date count, and only series with
// at least MinPoints of them are kept. A series' reference range is that of
// its latest reading that states one.
//
// Series whose results share a Panel form one chart; other series of the
// same code form one chart. Within that group, series are split into
// separate charts when they have different units or values of very
// different size (sodium near 140 and potassium near 4 on one axis would
// flatten potassium into a line), so a panel such as "Urea and
// electrolytes" becomes several readable charts while "Blood pressure"
// stays one.
//
// Points are sorted by date; charts, and series within a chart, keep the
// order in which they first appear in rs.
func FromResults(rs []record.Result) []Chart {
	type build struct {
		series Series
		group  string        // the panel or code the series is charted under
		title  string        // the group's title: the panel's name
		ranges [][2]*float64 // each point's Low and High, as recorded
	}
	var order []*build
	byKey := map[string]*build{}
	for i := range rs {
		r := &rs[i]
		if r.Value == nil || math.IsNaN(*r.Value) || math.IsInf(*r.Value, 0) || r.Date.Precision != record.Day {
			continue
		}
		id := "title:" + norm(r.Title)
		if !r.Code.IsZero() {
			id = "code:" + r.Code.String()
		}
		unit := strings.TrimSpace(r.Unit)
		key := id + "\x00" + norm(r.Title) + "\x00" + unit
		b := byKey[key]
		if b == nil {
			b = &build{series: Series{Name: strings.TrimSpace(r.Title), Unit: unit}, group: id}
			byKey[key] = b
			order = append(order, b)
		}
		if r.Panel != "" && !strings.HasPrefix(b.group, "panel:") {
			b.group, b.title = "panel:"+norm(r.Panel), strings.TrimSpace(r.Panel)
		}
		b.series.Points = append(b.series.Points, Point{Date: r.Date.Time, Value: *r.Value})
		b.ranges = append(b.ranges, [2]*float64{r.Low, r.High})
	}

	type group struct {
		title  string
		series []*build
	}
	var groups []*group
	byGroup := map[string]*group{}
	for _, b := range order {
		if len(b.series.Points) < MinPoints {
			continue
		}
		// Sort the points with their ranges, oldest first; readings on the
		// same day keep record order.
		idx := make([]int, len(b.series.Points))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(x, y int) int {
			return b.series.Points[x].Date.Compare(b.series.Points[y].Date)
		})
		pts := make([]Point, len(idx))
		for i, j := range idx {
			pts[i] = b.series.Points[j]
			if lo, hi := b.ranges[j][0], b.ranges[j][1]; lo != nil || hi != nil {
				b.series.Low, b.series.High = finite(lo), finite(hi)
			}
		}
		b.series.Points = pts
		g := byGroup[b.group]
		if g == nil {
			g = &group{title: b.title}
			byGroup[b.group] = g
			groups = append(groups, g)
		}
		g.series = append(g.series, b)
	}

	var charts []Chart
	for _, g := range groups {
		// Cluster the group's series by unit and size.
		var clusters [][]Series
		for _, b := range g.series {
			placed := false
			for ci, c := range clusters {
				if compatible(c, b.series) {
					clusters[ci] = append(c, b.series)
					placed = true
					break
				}
			}
			if !placed {
				clusters = append(clusters, []Series{b.series})
			}
		}
		for _, c := range clusters {
			names := make([]string, len(c))
			for i, s := range c {
				names[i] = s.Name
			}
			title := g.title
			switch {
			case title == "":
				title = commonTitle(names)
			case len(clusters) > 1 && len(c) == 1:
				title = c[0].Name
			case len(clusters) > 1:
				title += ": " + strings.Join(names, ", ")
			}
			charts = append(charts, Chart{Title: title, Series: c})
		}
	}
	return charts
}

// commonTitle names a chart of series that share a code but not a title:
// "Systolic blood pressure (home)" and "Systolic blood pressure (clinic)"
// make "Systolic blood pressure"; unrelated names are listed.
func commonTitle(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	base := func(n string) string {
		if i := strings.Index(n, " ("); i > 0 {
			return n[:i]
		}
		return n
	}
	b := base(names[0])
	for _, n := range names[1:] {
		if !strings.EqualFold(base(n), b) {
			return strings.Join(names, ", ")
		}
	}
	return b
}

// compatible reports whether s can share an axis with the series in c: the
// same unit, and typical values within a factor of maxRatio of each other.
func compatible(c []Series, s Series) bool {
	const maxRatio = 20
	lo, hi := math.Abs(median(s)), math.Abs(median(s))
	sign := math.Signbit(median(s))
	for _, o := range c {
		if o.Unit != s.Unit {
			return false
		}
		m := median(o)
		if math.Signbit(m) != sign {
			return false
		}
		lo, hi = min(lo, math.Abs(m)), max(hi, math.Abs(m))
	}
	return lo > 0 && hi/lo <= maxRatio
}

func median(s Series) float64 {
	v := make([]float64, len(s.Points))
	for i, p := range s.Points {
		v[i] = p.Value
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return v[len(v)/2-1]/2 + v[len(v)/2]/2
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

// latest returns the index of s's latest point: the last of the latest date.
func latest(s Series) int {
	best := -1
	for i, p := range s.Points {
		if best < 0 || !p.Date.Before(s.Points[best].Date) {
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

func (t trend) String() string {
	switch t {
	case steady:
		return "steady"
	case rising:
		return "rising"
	case falling:
		return "falling"
	case varying:
		return "up and down, with no clear direction"
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
func rangeText(s Series) string {
	switch {
	case s.Low != nil && s.High != nil:
		return num(*s.Low) + " to " + withUnit(*s.High, s.Unit)
	case s.High != nil:
		return "up to " + withUnit(*s.High, s.Unit)
	case s.Low != nil:
		return withUnit(*s.Low, s.Unit) + " or more"
	}
	return ""
}
