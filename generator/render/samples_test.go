package render_test

import (
	"bytes"
	"html"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/education"
	"github.com/satchel-records/satchel/generator/chart"
	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/glossary"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// sampleNow is the sample practice's build time in these tests: after every
// sample approval, and not in the future (the viewer will not trust a key
// or signature made after its clock).
var sampleNow = time.Date(2026, time.November, 19, 9, 30, 0, 0, time.UTC)

// sampleFingerprint stands in for the practice key's fingerprint.
const sampleFingerprint = "3F2A 9C41 7B0D E5A8 1C66  0F93 D2B7 4E18 A0C5 7D29"

// sampleThemes are the built-in themes every sample is checked in.
var sampleThemes = []string{"default", "large-print"}

// sampleLanguages are shown beside English in the sample documents, so the
// checks cover the translated labels too.
var sampleLanguages = render.Languages("fr", "es", "de")

// samplePatient is one sample patient's record, ready to render: what `satchel
// build` would render for them, through the same loading, policy and page
// matching.
type samplePatient struct {
	ID  string
	Doc *render.Document
}

// samplePatients loads the repository's sample practice and returns every
// patient whose record would build.
func samplePatients(t testing.TB) []samplePatient {
	t.Helper()
	cfg, err := site.Load(filepath.Join("..", "..", "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := content.LoadWith(education.FS(), cfg.EducationDir, content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	files, err := load.Files(cfg.RecordsDir)
	if err != nil {
		t.Fatal(err)
	}
	rules := policy.ForSite(cfg.Policy)
	var out []samplePatient
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := load.Record(f, data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		appr, err := policy.ReadApproval(policy.ApprovalPath(f))
		if err != nil {
			continue // not approved: no document
		}
		if policy.Check(appr, policy.Inputs{Record: data, Letters: rec.Letters, Rules: rules}) != nil {
			continue
		}
		d := rules.Apply(rec, appr, sampleNow)
		if d.Blocked() {
			continue
		}
		var codes []record.Code
		for _, p := range d.Out.Problems {
			codes = append(codes, p.Codes()...)
		}
		out = append(out, samplePatient{ID: record.Stem(f), Doc: &render.Document{
			Practice:     cfg.Practice,
			Record:       d.Out,
			Pages:        lib.Match(codes),
			Approval:     render.Approval{By: appr.Approver, Role: appr.Role, Date: appr.Date},
			Exported:     sampleNow,
			CurrentUntil: sampleNow.AddDate(0, 0, cfg.CurrentDays),
			Fingerprint:  sampleFingerprint,
			BundleID:     "sample-" + record.Stem(f),
		}})
	}
	if len(out) < 6 {
		t.Fatalf("only %d sample patients would build", len(out))
	}
	return out
}

func sampleRenderer(t testing.TB, theme string) *render.Renderer {
	t.Helper()
	r, err := render.New(theme, layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown(), sampleLanguages)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// glossaryMark is a term the glossary marked.
var glossaryMark = regexp.MustCompile(`<a class="glossary-term" [^>]*>([^<]*)</a>`)

// unmark removes the glossary's marks, for tests of what the text says.
func unmark(s string) string { return glossaryMark.ReplaceAllString(s, "$1") }

func renderSample(t testing.TB, r *render.Renderer, p samplePatient) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Render(&b, p.Doc); err != nil {
		t.Fatalf("%s: %v", p.ID, err)
	}
	return b.String()
}

func TestBloodPressureChartsStateTheNewestReadingOfEverySetting(t *testing.T) {
	t.Parallel()
	var p *samplePatient
	for _, s := range samplePatients(t) {
		if s.ID == "rmc-0001" {
			p = &s
		}
	}
	if p == nil {
		t.Fatal("sample rmc-0001 (home and clinic blood pressure readings) did not build")
	}
	// The newest reading of each series (systolic or diastolic, home or
	// clinic), from the record itself. The newest of all is a clinic
	// reading after treatment started, in a series of two.
	type reading struct {
		date  record.Date
		value float64
	}
	newest := map[string]reading{} // by title
	for _, r := range p.Doc.Record.Results {
		if r.Panel != "Blood pressure" || r.Value == nil {
			continue
		}
		if n, ok := newest[r.Title]; !ok || r.Date.Time.After(n.date.Time) {
			newest[r.Title] = reading{r.Date, *r.Value}
		}
	}
	if len(newest) != 4 {
		t.Fatalf("the sample has %d blood pressure series, want systolic and diastolic, home and clinic", len(newest))
	}
	out := unmark(renderSample(t, sampleRenderer(t, "default"), *p))
	captions := regexp.MustCompile(`(?s)<figure class="chart" id="chart-\d+">.*?<figcaption>(.*?)</figcaption>`).FindAllStringSubmatch(out, -1)
	for title, n := range newest {
		quantity, setting, _ := strings.Cut(title, " (")
		setting = strings.ToUpper(setting[:1]) + strings.TrimSuffix(setting[1:], ")")
		want := setting + ": "
		latest := "latest " + strconv.FormatFloat(n.value, 'f', -1, 64) + " mmHg on " + n.date.String()
		found := false
		for _, c := range captions {
			// The English caption, where the document has several.
			text := c[1]
			if m := regexp.MustCompile(`<span class="l" lang="en">(.*?)</span>`).FindStringSubmatch(text); m != nil {
				text = m[1]
			}
			text = html.UnescapeString(text)
			if i := strings.Index(text, want); strings.HasPrefix(text, quantity+":") && i >= 0 && strings.Contains(text[i:], latest) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s chart whose caption says %q ... %q", quantity, want, latest)
		}
	}
	// The caption is the chart package's own text alternative, and the SVG
	// carries it as its description too.
	en, err := i18n.Load(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chart.FromResults(p.Doc.Record.Results) {
		alt := template.HTMLEscapeString(chart.Alt(c, en))
		if strings.Count(out, alt) < 1 {
			t.Errorf("a chart's text alternative is not in the document")
		}
	}
}

func TestEveryGlossaryTermInASampleIsExplainedAndUsed(t *testing.T) {
	t.Parallel()
	g, err := glossary.Default()
	if err != nil {
		t.Fatal(err)
	}
	explained := map[string]string{}
	for _, term := range g.Terms() {
		explained["glossary-"+glossary.Slug(term.Term)] = term.Explanation
	}
	mark := regexp.MustCompile(`<a class="glossary-term" href="#(glossary-[a-z0-9-]+)"`)
	entry := regexp.MustCompile(`<div class="glossary-entry" id="(glossary-[a-z0-9-]+)"><dt>[^<]+</dt><dd>([^<]*)</dd></div>`)
	r := sampleRenderer(t, "default")
	total := 0
	for _, p := range samplePatients(t) {
		t.Run(p.ID, func(t *testing.T) {
			out := renderSample(t, r, p)
			used := map[string]bool{}
			for _, m := range mark.FindAllStringSubmatch(out, -1) {
				if used[m[1]] {
					t.Errorf("%s is marked more than once", m[1])
				}
				used[m[1]] = true
			}
			total += len(used)
			listed := map[string]bool{}
			start := strings.Index(out, `id="section-glossary"`)
			if start < 0 {
				if len(used) > 0 {
					t.Fatalf("%d terms marked but there is no glossary", len(used))
				}
				return
			}
			for _, e := range entry.FindAllStringSubmatch(out[start:], -1) {
				listed[e[1]] = true
				want, ok := explained[e[1]]
				if !ok || strings.TrimSpace(e[2]) == "" || html.UnescapeString(e[2]) != want {
					t.Errorf("%s is not explained as the glossary explains it", e[1])
				}
				if !used[e[1]] {
					t.Errorf("%s is in the glossary but not used", e[1])
				}
			}
			for id := range used {
				if !listed[id] {
					t.Errorf("%s is marked but not explained in the glossary", id)
				}
			}
		})
	}
	if total == 0 {
		t.Error("no sample document marks a single glossary term")
	}
}

func TestSampleSummariesFlagTheirHighRiskMedicines(t *testing.T) {
	t.Parallel()
	r := sampleRenderer(t, "default")
	flagged := 0
	for _, p := range samplePatients(t) {
		out := unmark(renderSample(t, r, p))
		start := strings.Index(out, `id="summary"`)
		box := out[start : start+strings.Index(out[start:], "</section>")]
		for _, m := range p.Doc.Record.Medications {
			name := template.HTMLEscapeString(m.Name)
			for _, want := range []struct {
				word string
				high bool
			}{{"Warfarin", true}, {"Apixaban", true}, {"Gliclazide", true}, {"Adalimumab", true}, {"Prednisolone 5mg tablets", true}, {"Prednisolone acetate 1% eye drops", false}, {"Amlodipine", false}} {
				if !strings.HasPrefix(m.Name, want.word) || !strings.Contains(box, "<strong>"+name+"</strong>") {
					continue
				}
				got := strings.Contains(box, `<li class="high-risk"><strong>`+name+"</strong>")
				if got != want.high {
					t.Errorf("%s: %s flagged %v, want %v", p.ID, want.word, got, want.high)
				}
				if got {
					flagged++
				}
			}
		}
	}
	if flagged < 4 {
		t.Errorf("only %d high-risk medicines flagged across the samples", flagged)
	}
}
