package chart

import (
	"html"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/satchel-records/satchel/generator/i18n"
)

// Layout, in the SVG's own units. The viewBox is narrow so that text stays
// readable when a phone scales the chart down to its screen: 12 units is
// about 11 px at 390 px wide. Wider screens should cap the chart's width
// with CSS.
const (
	width      = 400
	plotLeft   = 56 // room for value labels
	plotRight  = width - 14
	plotHeight = 170
	bottomPad  = 34 // date labels
	legendLine = 18
	fontSize   = 12
	labelGap   = 14 // the least space between two date labels
	maxName    = 50 // longest series name in the legend, in characters
)

// look is how one series is drawn. Series differ in dash pattern and marker
// shape as well as colour, so they can be told apart in grey print and by
// people who do not see the colours.
type look struct {
	colour, dash, marker string
}

func lookFor(i int) look {
	switch i % 4 {
	case 1:
		return look{"#a4271b", "7 4", "square"}
	case 2:
		return look{"#1d6a34", "2 3", "triangle"}
	case 3:
		return look{"#6a3d9a", "9 3 2 3", "diamond"}
	}
	return look{"#1b4f9c", "", "circle"}
}

// bandFill shades a normal or target range.
const bandFill = `fill="#2e7d32" fill-opacity="0.13"`

// SVG renders c as a self-contained, accessible inline SVG: role="img" named
// by its <title> (the chart's title) and described by its <desc> (Alt(c, l)),
// a viewBox so it scales to its container's width, value labels with the
// unit and date labels, a shaded band for each series' normal or target
// range, named in the legend ("Home normal range: up to 135 mmHg"), points
// joined by lines with a distinct dash pattern and marker shape per series,
// and a ring around each reading outside its own series' range, with a
// legend when there is more than one series, a band or a ring.
//
// The SVG uses presentation attributes only: no classes, no <style>, no
// script and no external reference; text and axes take the surrounding
// text colour (currentColor) so a theme's contrast carries over. idPrefix
// makes the ids inside the SVG unique within the document; characters other
// than ASCII letters, digits, '-' and '_' are replaced. Pass a different
// prefix for each chart. The output depends only on c and idPrefix.
func SVG(c Chart, idPrefix string, lang *i18n.Language) template.HTML {
	id := sanitize(idPrefix)
	series := usable(c)
	looks := make([]look, len(series))
	for i := range looks {
		looks[i] = lookFor(i)
	}
	// The reference ranges: one band for each distinct range, named after
	// its series when the chart has several.
	type band struct {
		series int // the first series with this range
		names  []string
		lo, hi *float64
		typ    string
	}
	var bands []*band
	for i, s := range series {
		if s.Low == nil && s.High == nil {
			continue
		}
		var dup *band
		for _, o := range bands {
			if same(o.lo, s.Low) && same(o.hi, s.High) && o.typ == s.RangeType {
				dup = o
			}
		}
		if dup != nil {
			dup.names = append(dup.names, label(c, s, lang))
		} else {
			bands = append(bands, &band{i, []string{label(c, s, lang)}, s.Low, s.High, s.RangeType})
		}
	}
	// Readings outside their own series' range are ringed, so they stand
	// out by shape whichever band they are drawn over.
	flagged := false
	for _, s := range series {
		for _, p := range s.Points {
			flagged = flagged || rangeState(s, p.Value) == "above" || rangeState(s, p.Value) == "below"
		}
	}
	legendLines := len(bands)
	if len(series) > 1 {
		legendLines += len(series)
	}
	if flagged {
		legendLines++
	}
	plotTop := 8 + legendLines*legendLine + 22
	plotBottom := plotTop + plotHeight
	height := plotBottom + bottomPad

	// Scales.
	lo, hi := math.Inf(1), math.Inf(-1)
	var tmin, tmax time.Time
	for _, s := range series {
		for _, p := range s.Points {
			lo, hi = min(lo, p.Value), max(hi, p.Value)
			if tmin.IsZero() || p.Date.Before(tmin) {
				tmin = p.Date
			}
			if tmax.IsZero() || p.Date.After(tmax) {
				tmax = p.Date
			}
		}
		for _, b := range []*float64{s.Low, s.High} {
			if b != nil {
				lo, hi = min(lo, *b), max(hi, *b)
			}
		}
	}
	// A range open on one side ("up to 85") is shaded from its bound to the
	// edge of the plot: leave room beyond the bound so the band shows even
	// when every reading lies on the other side of it.
	if pad := (hi/2 - lo/2) / 4; pad > 0 && !math.IsInf(pad, 0) {
		for _, bd := range bands {
			switch {
			case bd.hi != nil && bd.lo == nil:
				lo = min(lo, *bd.hi-pad)
			case bd.lo != nil && bd.hi == nil:
				hi = max(hi, *bd.lo+pad)
			}
		}
	}
	ticks, dlo, dhi, decimals := yScale(lo, hi)
	y := func(v float64) float64 {
		den := dhi/2 - dlo/2 // halves, so a span wider than MaxFloat64 cannot overflow
		if !(den > 0) {
			return float64(plotTop+plotBottom) / 2
		}
		return float64(plotBottom) - (v/2-dlo/2)/den*plotHeight
	}
	x := func(t time.Time) float64 {
		span := tmax.Sub(tmin)
		if span <= 0 {
			return float64(plotLeft+plotRight) / 2
		}
		return plotLeft + float64(t.Sub(tmin))/float64(span)*(plotRight-plotLeft)
	}

	var b strings.Builder
	b.Grow(2048 + 160*len(series)*8)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + strconv.Itoa(width) + " " + strconv.Itoa(height) +
		`" width="100%" role="img" aria-labelledby="` + id + `-title" aria-describedby="` + id + `-desc" font-size="` + strconv.Itoa(fontSize) + `">`)
	b.WriteString("\n<title id=\"" + id + "-title\">" + esc(titleOf(c.Title, lang)) + "</title>")
	b.WriteString("\n<desc id=\"" + id + "-desc\">" + esc(Alt(c, lang)) + "</desc>")

	// Legend.
	ly := 8 + legendLine/2
	if len(series) > 1 {
		for i, s := range series {
			l := looks[i]
			b.WriteString("\n<g>" + `<line x1="8" y1="` + n(float64(ly)) + `" x2="40" y2="` + n(float64(ly)) + `" stroke="` + l.colour + `" stroke-width="2"` + dash(l.dash) + "/>")
			marker(&b, l, 24, float64(ly))
			b.WriteString(`<text x="48" y="` + n(float64(ly+4)) + `" fill="currentColor">` + esc(shorten(label(c, s, lang))) + "</text></g>")
			ly += legendLine
		}
	}
	for _, bd := range bands {
		bs := series[bd.series]
		// A band is named after its series when it is not every
		// series' range. Only the names are ever shortened: a range cut
		// short would state a different range.
		text := lang.Text("chart_shaded", rangeName(bs, lang), rangeText(bs, lang))
		if len(bd.names) < len(series) {
			rest := utf8.RuneCountInString(lang.Text("chart_shaded_series", "", rangeName(bs, lang), rangeText(bs, lang)))
			names := shortenTo(strings.Join(bd.names, " "+lang.Text("chart_and")+" "), max(maxName-rest, 12))
			text = lang.Text("chart_shaded_series", names, rangeName(bs, lang), rangeText(bs, lang))
		}
		b.WriteString("\n<g>" + `<rect x="8" y="` + n(float64(ly-6)) + `" width="32" height="12" ` + bandFill + "/>")
		if len(series) > 1 {
			l := looks[bd.series]
			b.WriteString(`<line x1="8" y1="` + n(float64(ly-6)) + `" x2="40" y2="` + n(float64(ly-6)) + `" stroke="` + l.colour + `" stroke-width="1"` + dash(l.dash) + "/>")
		}
		b.WriteString(`<text x="48" y="` + n(float64(ly+4)) + `" fill="currentColor">` + esc(text) + "</text></g>")
		ly += legendLine
	}
	if flagged {
		b.WriteString("\n<g>")
		ring(&b, 24, float64(ly))
		b.WriteString(`<text x="48" y="` + n(float64(ly+4)) + `" fill="currentColor">` + esc(lang.Text("chart_ringed")) + "</text></g>")
	}

	// The ranges, behind everything else. With several series each bound
	// is also drawn as a thin line in its series' style, so a band can be
	// told apart by more than shade.
	for _, bd := range bands {
		top, bottom := float64(plotTop), float64(plotBottom)
		if bd.hi != nil {
			top = y(*bd.hi)
		}
		if bd.lo != nil {
			bottom = y(*bd.lo)
		}
		b.WriteString("\n" + `<rect x="` + n(plotLeft) + `" y="` + n(top) + `" width="` + n(plotRight-plotLeft) + `" height="` + n(max(bottom-top, 0)) + `" ` + bandFill + "/>")
		if len(series) > 1 {
			l := looks[bd.series]
			for _, v := range []*float64{bd.lo, bd.hi} {
				if v != nil {
					b.WriteString("\n" + `<line x1="` + n(plotLeft) + `" y1="` + n(y(*v)) + `" x2="` + n(plotRight) + `" y2="` + n(y(*v)) +
						`" stroke="` + l.colour + `" stroke-width="1"` + dash(l.dash) + "/>")
				}
			}
		}
	}

	// Value axis: grid lines and labels, and the unit above them.
	b.WriteString("\n<g>")
	for _, v := range ticks {
		yy := n(y(v))
		b.WriteString(`<line x1="` + n(plotLeft) + `" y1="` + yy + `" x2="` + n(plotRight) + `" y2="` + yy + `" stroke="currentColor" stroke-opacity="0.15"/>`)
		b.WriteString(`<text x="` + n(plotLeft-6) + `" y="` + n(y(v)+4) + `" text-anchor="end" fill="currentColor">` + esc(tickLabel(v, decimals)) + "</text>")
	}
	b.WriteString("</g>")
	if u := units(series); u != "" {
		b.WriteString("\n" + `<text x="4" y="` + n(float64(plotTop-11)) + `" fill="currentColor">` + esc(u) + "</text>")
	}
	b.WriteString("\n" + `<path d="M` + n(plotLeft) + " " + n(float64(plotTop)) + "V" + n(float64(plotBottom)) + "H" + n(plotRight) +
		`" fill="none" stroke="currentColor" stroke-opacity="0.6"/>`)

	// Date axis: the first and last dates, and one or two readings' dates
	// between them where their labels fit. Labels between the ends leave
	// out the year when the ends share it.
	ds := dates(Chart{Series: series})
	type label struct {
		i      int
		text   string
		anchor string
	}
	var labels []label
	extent := func(l label) (float64, float64) {
		xx, w := x(ds[l.i]), textWidth(l.text)
		switch l.anchor {
		case "start":
			return xx, xx + w
		case "end":
			return xx - w, xx
		}
		return xx - w/2, xx + w/2
	}
	fits := func(l label) bool {
		a0, a1 := extent(l)
		for _, o := range labels {
			if o.i == l.i {
				return false
			}
			b0, b1 := extent(o)
			if a0 < b1+labelGap && b0 < a1+labelGap {
				return false
			}
		}
		return true
	}
	switch len(ds) {
	case 0:
	case 1:
		labels = append(labels, label{0, lang.Date(ds[0]), "middle"})
	default:
		labels = append(labels, label{0, lang.Date(ds[0]), "start"}, label{len(ds) - 1, lang.Date(ds[len(ds)-1]), "end"})
		short := ds[0].Year() == ds[len(ds)-1].Year()
		for _, try := range [][]float64{{1.0 / 3, 2.0 / 3}, {0.5}} {
			added := false
			for _, f := range try {
				want := plotLeft + f*(plotRight-plotLeft)
				best := 0
				for i, d := range ds {
					if math.Abs(x(d)-want) < math.Abs(x(ds[best])-want) {
						best = i
					}
				}
				text := lang.Date(ds[best])
				if short {
					text = lang.DayMonth(ds[best])
				}
				if l := (label{best, text, "middle"}); fits(l) {
					labels = append(labels, l)
					added = true
				}
			}
			if added {
				break
			}
		}
	}
	slices.SortFunc(labels, func(a, b label) int { return a.i - b.i })
	b.WriteString("\n<g>")
	for _, l := range labels {
		xx := x(ds[l.i])
		b.WriteString(`<line x1="` + n(xx) + `" y1="` + n(float64(plotBottom)) + `" x2="` + n(xx) + `" y2="` + n(float64(plotBottom+5)) + `" stroke="currentColor" stroke-opacity="0.6"/>`)
		b.WriteString(`<text x="` + n(xx) + `" y="` + n(float64(plotBottom+19)) + `" text-anchor="` + l.anchor + `" fill="currentColor">` + esc(l.text) + "</text>")
	}
	b.WriteString("</g>")

	// The readings.
	for i, s := range series {
		l := looks[i]
		if len(s.Points) > 1 {
			b.WriteString("\n" + `<polyline points="`)
			for j, p := range s.Points {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(n(x(p.Date)) + "," + n(y(p.Value)))
			}
			b.WriteString(`" fill="none" stroke="` + l.colour + `" stroke-width="2" stroke-linejoin="round"` + dash(l.dash) + "/>")
		}
		b.WriteString("\n" + `<g fill="` + l.colour + `" stroke="#ffffff" stroke-width="1">`)
		for _, p := range s.Points {
			marker(&b, l, x(p.Date), y(p.Value))
		}
		b.WriteString("</g>")
	}
	if flagged {
		b.WriteString("\n<g>")
		for _, s := range series {
			for _, p := range s.Points {
				if st := rangeState(s, p.Value); st == "above" || st == "below" {
					ring(&b, x(p.Date), y(p.Value))
				}
			}
		}
		b.WriteString("</g>")
	}
	b.WriteString("\n</svg>")
	return template.HTML(b.String())
}

// marker draws one point in l's shape, centred on (cx, cy). Its fill comes
// from the enclosing group, or from l for the legend.
func marker(b *strings.Builder, l look, cx, cy float64) {
	fill := ` fill="` + l.colour + `"`
	switch l.marker {
	case "square":
		b.WriteString(`<rect x="` + n(cx-3.5) + `" y="` + n(cy-3.5) + `" width="7" height="7"` + fill + "/>")
	case "triangle":
		b.WriteString(`<path d="M` + n(cx) + " " + n(cy-4.5) + "L" + n(cx+4.5) + " " + n(cy+3.5) + "L" + n(cx-4.5) + " " + n(cy+3.5) + `Z"` + fill + "/>")
	case "diamond":
		b.WriteString(`<path d="M` + n(cx) + " " + n(cy-5) + "L" + n(cx+5) + " " + n(cy) + "L" + n(cx) + " " + n(cy+5) + "L" + n(cx-5) + " " + n(cy) + `Z"` + fill + "/>")
	default:
		b.WriteString(`<circle cx="` + n(cx) + `" cy="` + n(cy) + `" r="4"` + fill + "/>")
	}
}

// ring circles a reading outside its range, centred on (cx, cy).
func ring(b *strings.Builder, cx, cy float64) {
	b.WriteString(`<circle cx="` + n(cx) + `" cy="` + n(cy) + `" r="6.5" fill="none" stroke="currentColor" stroke-width="1.2"/>`)
}

// yScale picks the value axis: a range from dlo to dhi covering lo..hi,
// with ticks at a round step (1, 2 or 5 times a power of ten) and the
// decimals the step needs. Equal values get a range around them; spans too
// large or small for round steps get ticks at their ends only.
func yScale(lo, hi float64) (ticks []float64, dlo, dhi float64, decimals int) {
	if math.IsInf(lo, 1) || math.IsInf(hi, -1) { // no values
		return []float64{0, 1}, 0, 1, 0
	}
	if hi-lo <= 1e-9*max(math.Abs(lo), math.Abs(hi)) { // equal, or as good as
		mid := lo/2 + hi/2
		pad := math.Abs(mid) * 0.1
		if pad == 0 {
			pad = 1
		}
		lo, hi = mid-pad, mid+pad
		switch {
		case math.IsInf(hi, 0):
			lo, hi = mid-2*pad, mid
		case math.IsInf(lo, 0):
			lo, hi = mid, mid+2*pad
		}
	}
	raw := (hi/2 - lo/2) / 2 // a quarter of the span
	exp := math.Floor(math.Log10(raw))
	p := math.Pow(10, exp)
	var step float64
	switch f := raw / p; {
	case f <= 1:
		step = p
	case f <= 2:
		step = 2 * p
	case f <= 5:
		step = 5 * p
	default:
		step, exp = 10*p, exp+1
	}
	dlo, dhi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	count := math.Round((dhi/2 - dlo/2) / (step / 2))
	if !(step > 0) || math.IsInf(step, 0) || math.IsInf(dlo, 0) || math.IsInf(dhi, 0) || !(count >= 1 && count <= 12) {
		return []float64{lo, hi}, lo, hi, -1
	}
	for k := 0; k <= int(count); k++ {
		v := dlo + float64(k)*step
		if math.Abs(v) < step/1e6 {
			v = 0 // not 5.55e-17 from adding 0.1 three times
		}
		ticks = append(ticks, v)
	}
	decimals = max(0, int(-exp))
	if exp < -6 || exp > 8 {
		decimals = -1 // too small or large to write out: use exponents
	}
	return ticks, dlo, dhi, decimals
}

// tickLabel formats an axis value with the decimals its step needs, or in
// exponent form when decimals is negative.
func tickLabel(v float64, decimals int) string {
	if decimals < 0 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	p := math.Pow(10, float64(decimals))
	v = math.Round(v*p) / p
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// n formats a coordinate to a tenth of a unit, which is finer than any
// screen shows and keeps the output short and stable.
func n(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func dash(d string) string {
	if d == "" {
		return ""
	}
	return ` stroke-dasharray="` + d + `"`
}

// units lists the distinct units of series, in order.
func units(series []Series) string {
	var us []string
	for _, s := range series {
		u := strings.TrimSpace(s.Unit)
		if u != "" && !slices.Contains(us, u) {
			us = append(us, u)
		}
	}
	return strings.Join(us, ", ")
}

func same(a, b *float64) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// shorten cuts a long legend name so it stays inside the chart.
func shorten(s string) string { return shortenTo(s, maxName) }

// shortenTo cuts s to at most n characters, the last an ellipsis.
func shortenTo(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// textWidth estimates the width of s at fontSize in a sans-serif face,
// generously, so that labels judged to fit do fit.
func textWidth(s string) float64 {
	return float64(utf8.RuneCountInString(s)) * fontSize * 0.6
}

// esc escapes text for SVG: html.EscapeString's output is also valid XML.
func esc(s string) string { return html.EscapeString(s) }

// sanitize makes idPrefix a safe id: ASCII letters, digits, '-' and '_',
// starting with a letter.
func sanitize(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		s = "chart-" + s
	}
	return s
}
