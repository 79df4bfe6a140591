package chart

import (
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// element is a parsed XML element, enough to check the SVG's structure.
type element struct {
	name     string
	attrs    map[string]string
	text     string
	children []*element
}

// parseXML walks the SVG with a strict XML decoder: it fails on anything
// that is not well-formed.
func parseXML(t *testing.T, s string) *element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []*element
	var root *element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			} else if root == nil {
				root = e
			} else {
				t.Fatal("SVG has more than one root element")
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			} else if strings.TrimSpace(string(tok)) != "" {
				t.Fatal("text outside the root element")
			}
		case xml.ProcInst, xml.Directive:
			t.Fatal("SVG holds a processing instruction or directive")
		}
	}
	if root == nil {
		t.Fatal("SVG has no root element")
	}
	return root
}

func (e *element) all(name string) []*element {
	var out []*element
	var walk func(*element)
	walk = func(x *element) {
		if x.name == name {
			out = append(out, x)
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(e)
	return out
}

func bpChart() Chart {
	sys := series("Systolic blood pressure (home)", "mmHg", 152, 158, 149, 161, 155, 150, 157)
	sys.High = f(135)
	dia := series("Diastolic blood pressure (home)", "mmHg", 94, 97, 92, 99, 95, 93, 96)
	dia.High = f(85)
	return Chart{Title: "Blood pressure", Series: []Series{sys, dia}}
}

func TestSVGIsAnAccessibleSelfContainedImage(t *testing.T) {
	t.Parallel()
	c := bpChart()
	out := string(SVG(c, "chart-bp", english()))
	root := parseXML(t, out)
	if root.name != "svg" || root.attrs["role"] != "img" {
		t.Fatalf("root is <%s role=%q>, want <svg role=\"img\">", root.name, root.attrs["role"])
	}
	if !regexp.MustCompile(`^0 0 \d+ \d+$`).MatchString(root.attrs["viewBox"]) || root.attrs["width"] != "100%" || root.attrs["height"] != "" {
		t.Errorf("svg sizing: viewBox %q width %q height %q; want a viewBox and width 100%% with no fixed height",
			root.attrs["viewBox"], root.attrs["width"], root.attrs["height"])
	}
	if len(root.children) < 2 || root.children[0].name != "title" || root.children[1].name != "desc" {
		t.Fatal("svg does not start with <title> and <desc>")
	}
	title, desc := root.children[0], root.children[1]
	if title.text != "Blood pressure" || desc.text != Alt(c, english()) {
		t.Errorf("title %q desc %q; want the chart's title and Alt(c)", title.text, desc.text)
	}
	if root.attrs["aria-labelledby"] != title.attrs["id"] || root.attrs["aria-describedby"] != desc.attrs["id"] || title.attrs["id"] == "" {
		t.Error("svg is not labelled by its title and described by its desc")
	}
	for _, bad := range []string{"<script", "javascript:", "href", "url(", "class=", "<style", "<image", "<foreignObject", "@import"} {
		if strings.Contains(out, bad) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	if n := strings.Count(out, "http"); n != 1 || !strings.Contains(out, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("SVG mentions http %d times; want only the SVG namespace", n)
	}
}

func TestSVGLabelsBothAxesWithUnitAndDates(t *testing.T) {
	t.Parallel()
	root := parseXML(t, string(SVG(bpChart(), "c", english())))
	var texts []string
	for _, e := range root.all("text") {
		texts = append(texts, e.text)
	}
	joined := strings.Join(texts, "|")
	for _, want := range []string{"mmHg", "5 Jan 2026", "16 Feb 2026", "150", "Systolic blood pressure (home)", "Diastolic blood pressure (home)", "normal range: up t", "Ringed: outside its range"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no axis or legend text %q among %q", want, joined)
		}
	}
}

func TestSVGTellsSeriesApartByMoreThanColour(t *testing.T) {
	t.Parallel()
	root := parseXML(t, string(SVG(bpChart(), "c", english())))
	lines := root.all("polyline")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	if lines[0].attrs["stroke-dasharray"] == lines[1].attrs["stroke-dasharray"] {
		t.Error("both series are drawn with the same dash pattern")
	}
	markers := 0
	for _, c := range root.all("circle") {
		if c.attrs["r"] == "4" {
			markers++
		}
	}
	if markers != 7+1 { // 7 readings and the legend
		t.Errorf("%d circle markers, want 8: the first series' markers", markers)
	}
	if n := len(root.all("rect")); n < 7 {
		t.Errorf("%d rects, want the second series' 7 square markers and bands", n)
	}
}

func TestSVGShadesTheNormalRangeOnlyWhenKnown(t *testing.T) {
	t.Parallel()
	band := regexp.MustCompile(`<rect x="56" [^>]*fill="#2e7d32"`)
	with := series("INR", "", 2.4, 3.6, 2.9)
	with.Low, with.High = f(2), f(3)
	if !band.MatchString(string(SVG(Chart{Title: "INR", Series: []Series{with}}, "a", english()))) {
		t.Error("no shaded band for a series with a normal range")
	}
	without := series("INR", "", 2.4, 3.6, 2.9)
	if out := string(SVG(Chart{Title: "INR", Series: []Series{without}}, "a", english())); strings.Contains(out, "#2e7d32") {
		t.Error("a shaded band for a series with no normal range")
	}
}

func TestSVGIsByteStable(t *testing.T) {
	t.Parallel()
	a := SVG(bpChart(), "chart-1", english())
	for range 5 {
		if b := SVG(bpChart(), "chart-1", english()); b != a {
			t.Fatal("SVG output differs between two calls with the same chart")
		}
	}
}

func TestSVGIDsComeFromTheSanitisedPrefix(t *testing.T) {
	t.Parallel()
	out := string(SVG(bpChart(), `x" onload="alert(1)`, english()))
	root := parseXML(t, out)
	for _, e := range root.all("title") {
		if e.attrs["id"] != "x--onload--alert-1--title" {
			t.Errorf("title id %q, want the prefix with unsafe characters replaced", e.attrs["id"])
		}
	}
	if strings.Contains(out, "onload=") {
		t.Error("an unsafe prefix reached the markup")
	}
	if id := root.all("title")[0].attrs["id"]; !strings.HasPrefix(string(SVG(bpChart(), "9", english())), `<svg`) || id == "" {
		t.Error("no svg for a numeric prefix")
	}
	if !strings.Contains(string(SVG(bpChart(), "9", english())), `id="chart-9-title"`) {
		t.Error("an id starting with a digit was not given a letter first")
	}
}

func TestSVGEscapesTitlesAndNames(t *testing.T) {
	t.Parallel()
	c := Chart{Title: `A <b>&"title"`, Series: []Series{series(`<script>alert(1)</script>`, `mg<L`, 1, 2, 3)}}
	out := string(SVG(c, "e", english()))
	root := parseXML(t, out)
	if root.children[0].text != `A <b>&"title"` {
		t.Errorf("title reads %q after escaping", root.children[0].text)
	}
	if strings.Contains(out, "<script") || strings.Contains(out, "<b>") {
		t.Error("unescaped markup in the SVG")
	}
}

func TestSVGCopesWithExtremeAndDegenerateValues(t *testing.T) {
	t.Parallel()
	tests := map[string]Chart{
		"all equal":          {Title: "x", Series: []Series{series("x", "u", 5, 5, 5)}},
		"all zero":           {Title: "x", Series: []Series{series("x", "u", 0, 0, 0)}},
		"negative":           {Title: "x", Series: []Series{series("x", "u", -3, -7.5, -1)}},
		"large":              {Title: "x", Series: []Series{series("x", "u", 1e12, 3e12, 2e12)}},
		"huge span":          {Title: "x", Series: []Series{series("x", "u", -math.MaxFloat64, 0, math.MaxFloat64)}},
		"tiny":               {Title: "x", Series: []Series{series("x", "u", 1e-300, 2e-300, 3e-300)}},
		"subnormal equal":    {Title: "x", Series: []Series{series("x", "u", 5e-324, 5e-324, 5e-324)}},
		"all maximal":        {Title: "x", Series: []Series{series("x", "u", math.MaxFloat64, math.MaxFloat64, math.MaxFloat64)}},
		"all minimal":        {Title: "x", Series: []Series{series("x", "u", -math.MaxFloat64, -math.MaxFloat64, -math.MaxFloat64)}},
		"one point":          {Title: "x", Series: []Series{series("x", "u", 4)}},
		"no points":          {Title: "x", Series: []Series{{Name: "x"}}},
		"no series":          {Title: "x"},
		"same day":           {Title: "x", Series: []Series{{Name: "x", Points: []Point{{Date: date("2026-01-01"), Value: 1}, {Date: date("2026-01-01"), Value: 2}, {Date: date("2026-01-01"), Value: 3}}}}},
		"range beyond data":  {Title: "x", Series: []Series{{Name: "x", Points: series("x", "", 1, 2, 3).Points, Low: f(-1e6), High: f(1e6)}}},
		"inverted range":     {Title: "x", Series: []Series{{Name: "x", Points: series("x", "", 1, 2, 3).Points, Low: f(5), High: f(1)}}},
		"non-finite reading": {Title: "x", Series: []Series{series("x", "u", 1, math.NaN(), math.Inf(-1), 4)}},
		"non-finite range":   {Title: "x", Series: []Series{{Name: "x", Points: series("x", "", 1, 2, 3).Points, Low: f(math.NaN()), High: f(math.Inf(1))}}},
		"many series":        {Title: "x", Series: []Series{series("a", "u", 1, 2, 3), series("b", "u", 2, 3, 4), series("c", "u", 3, 4, 5), series("d", "u", 4, 5, 6), series("e", "u", 5, 6, 7)}},
		"decades apart":      {Title: "x", Series: []Series{{Name: "x", Points: []Point{{Date: date("1950-01-01"), Value: 1}, {Date: date("2000-01-01"), Value: 2}, {Date: date("2049-01-01"), Value: 3}}}}},
		"long legend name":   {Title: "x", Series: []Series{series(strings.Repeat("very long name ", 10), "u", 1, 2, 3), series("b", "u", 1, 2, 3)}},
		"values with no gap": {Title: "x", Series: []Series{series("x", "u", 0.1, 0.1+1e-15, 0.1)}},
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			out := string(SVG(c, "z", english()))
			parseXML(t, out)
			for _, bad := range []string{"NaN", "Inf"} {
				if strings.Contains(out, bad) {
					t.Errorf("SVG holds %s", bad)
				}
			}
			for _, coord := range regexp.MustCompile(` (?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"`).FindAllStringSubmatch(out, -1) {
				if v, err := strconv.ParseFloat(coord[1], 64); coord[1] != "100%" && (err != nil || v < -10 || v > 1000) {
					t.Errorf("coordinate %s lies far outside the chart", coord[0])
				}
			}
			if a := Alt(c, english()); strings.Contains(a, "NaN") || strings.Contains(a, "Inf") {
				t.Errorf("Alt holds a non-number: %s", a)
			}
		})
	}
}

func TestSVGValueLabelsAreRoundAndSorted(t *testing.T) {
	t.Parallel()
	ticks, lo, hi, dec := yScale(47, 61)
	if lo > 47 || hi < 61 || dec != 0 || len(ticks) < 3 {
		t.Fatalf("yScale(47, 61) = %v %v %v %d", ticks, lo, hi, dec)
	}
	for i, v := range ticks {
		if v != math.Round(v) || i > 0 && v <= ticks[i-1] {
			t.Errorf("ticks %v are not round and increasing", ticks)
		}
	}
	if got := tickLabel(-1e-17, 1); got != "0.0" {
		t.Errorf("tickLabel(-1e-17, 1) = %q, want 0.0", got)
	}
	ticks, _, _, dec = yScale(-0.3, 0.3)
	for _, v := range ticks {
		if l := tickLabel(v, dec); strings.Contains(l, "e") || l == "-0.0" {
			t.Errorf("yScale(-0.3, 0.3) tick label %q", l)
		}
	}
}

func BenchmarkSVG30Points(b *testing.B) {
	var sys, dia []float64
	for i := range 30 {
		sys = append(sys, 140+float64(i%7)*3)
		dia = append(dia, 85+float64(i%5)*2)
	}
	s1, s2 := series("Systolic", "mmHg", sys...), series("Diastolic", "mmHg", dia...)
	s1.High, s2.High = f(135), f(85)
	c := Chart{Title: "Blood pressure", Series: []Series{s1, s2}}
	b.ReportAllocs()
	for b.Loop() {
		SVG(c, "bench", english())
	}
}
