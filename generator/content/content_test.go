package content

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/strict"
)

// writePages writes name -> content into a new folder and returns it.
func writePages(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func page(title string, codes ...string) string {
	return "+++\ntitle = \"" + title + "\"\ncodes = [\"" + strings.Join(codes, "\", \"") + "\"]\n+++\n## About\n\nSome text.\n"
}

func slugs(ps []*Page) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Slug)
	}
	return strings.Join(s, ",")
}

func code(system, value string) record.Code {
	return record.Code{System: record.System(system), Value: value}
}

func TestMatchTreatsSystemSpellingsAsOne(t *testing.T) {
	t.Parallel()
	dir := writePages(t, map[string]string{
		"high-blood-pressure.md": page("BP", "SNOMED:38341003", "ICD10:I10"),
		"af.md":                  page("AF", "SCT:49436004", "ICD10:I48.9"),
		"asthma.md":              page("Asthma", "http://snomed.info/sct:195967001"),
		"inr.md":                 page("INR", "http://loinc.org:6301-6"),
	})
	lib, err := Load(dir, NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		codes []record.Code
		want  string
	}{
		{"SNOMED word", []record.Code{code("SNOMED", "38341003")}, "high-blood-pressure"},
		{"SCT", []record.Code{code("SCT", "38341003")}, "high-blood-pressure"},
		{"FHIR SNOMED URI", []record.Code{code("http://snomed.info/sct", "38341003")}, "high-blood-pressure"},
		{"FHIR SNOMED URI upper case with slash", []record.Code{code("HTTP://SNOMED.INFO/SCT/", "38341003")}, "high-blood-pressure"},
		{"page written SCT, record SNOMED", []record.Code{code("SNOMED", "49436004")}, "af"},
		{"page written as URI, record SCT", []record.Code{code("SCT", "195967001")}, "asthma"},
		{"ICD10 word", []record.Code{code("ICD10", "I10")}, "high-blood-pressure"},
		{"ICD-10 FHIR URI", []record.Code{code("http://hl7.org/fhir/sid/icd-10", "I10")}, "high-blood-pressure"},
		{"ICD-10 UK filler X", []record.Code{code("ICD10", "I10X")}, "high-blood-pressure"},
		{"ICD-10 without dot", []record.Code{code("ICD10", "I489")}, "af"},
		{"LOINC word against URI page", []record.Code{code("LOINC", "6301-6")}, "inr"},
		{"same value, other system", []record.Code{code("READ", "38341003")}, ""},
		{"SNOMED value under ICD10", []record.Code{code("ICD10", "38341003")}, ""},
		{"unknown code", []record.Code{code("SNOMED", "1")}, ""},
		{"no codes", nil, ""},
		{"several pages in file name order", []record.Code{code("SNOMED", "195967001"), code("SNOMED", "38341003"), code("SNOMED", "49436004")}, "af,asthma,high-blood-pressure"},
		{"a page matched twice appears once", []record.Code{code("SNOMED", "38341003"), code("ICD10", "I10"), code("SCT", "38341003")}, "high-blood-pressure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slugs(lib.Match(tt.codes)); got != tt.want {
				t.Errorf("Match = %q, want %q", got, tt.want)
			}
		})
	}
}

// problem is one expected error: which file, line and field.
type problem struct {
	file  string
	line  int
	field string
	msg   string // a part of the message
}

func TestLoadReportsFrontMatterProblemsWithFileAndLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []problem
	}{
		{"unknown key", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\ncolour = \"blue\"\n+++\nText\n",
			[]problem{{line: 4, msg: "unknown field"}}},
		{"unknown key and missing title together", "+++\n\ncodes = [\"SNOMED:1\"]\nauthor = \"x\"\n+++\nText\n",
			[]problem{{line: 4, msg: "unknown field"}, {line: 1, field: "title", msg: "missing"}}},
		{"bad date (not a calendar date)", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\nreviewed = 2026-02-30\n+++\n",
			[]problem{{line: 4, field: "reviewed"}}},
		{"bad date (a word)", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\n\nnext_review = \"soon\"\n+++\n",
			[]problem{{line: 5, field: "next_review", msg: "invalid date"}}},
		{"date of the wrong type", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\nreviewed = 2026\n+++\n",
			[]problem{{line: 4, field: "reviewed", msg: "invalid date"}}},
		{"code without a system", "+++\ntitle = \"T\"\ncodes = [\"38341003\"]\n+++\n",
			[]problem{{line: 3, field: "codes", msg: "invalid code"}}},
		{"codes not a list", "+++\ntitle = \"T\"\ncodes = \"SNOMED:1\"\n+++\n",
			[]problem{{line: 3, field: "codes", msg: "wrong type"}}},
		{"missing title", "+++\ncodes = [\"SNOMED:1\"]\n+++\nText\n",
			[]problem{{line: 1, field: "title", msg: "missing"}}},
		{"blank title", "+++\ntitle = \"  \"\ncodes = [\"SNOMED:1\"]\n+++\nText\n",
			[]problem{{line: 1, field: "title", msg: "missing"}}},
		{"missing codes", "+++\ntitle = \"T\"\n+++\nText\n",
			[]problem{{line: 1, field: "codes", msg: "missing"}}},
		{"empty codes", "+++\ntitle = \"T\"\ncodes = []\n+++\nText\n",
			[]problem{{line: 1, field: "codes", msg: "missing"}}},
		{"missing closing +++", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\n## Heading\nText\n",
			[]problem{{line: 1, msg: "no closing +++"}}},
		{"no front matter", "## Heading\n\nText\n",
			[]problem{{line: 1, msg: "must start with a +++"}}},
		{"next review before reviewed", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\nreviewed = 2026-05-01\nnext_review = 2025-05-01\n+++\n",
			[]problem{{line: 5, field: "next_review", msg: "before"}}},
		{"TOML syntax error", "+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"\n+++\n",
			[]problem{{line: 3, field: "codes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writePages(t, map[string]string{"good.md": page("Good", "SNOMED:2"), "page.md": tt.body})
			_, err := Load(dir, NewMarkdown())
			for i := range tt.want {
				tt.want[i].file = filepath.Join(dir, "page.md")
			}
			checkProblems(t, err, tt.want)
		})
	}
}

func checkProblems(t *testing.T, err error, want []problem) {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	got := strict.Split(err)
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(got), len(want), err)
	}
	for i, w := range want {
		var se *strict.Error
		if !errors.As(got[i], &se) {
			t.Fatalf("error %d is %T, want *strict.Error", i, got[i])
		}
		if se.File != w.file || se.Line != w.line || se.Field != w.field || !strings.Contains(se.Msg, w.msg) {
			t.Errorf("error %d = %q (file %s line %d field %q), want file %s line %d field %q message containing %q",
				i, se, se.File, se.Line, se.Field, w.file, w.line, w.field, w.msg)
		}
	}
}

func TestLoadReportsEveryBadPageAtOnce(t *testing.T) {
	t.Parallel()
	dir := writePages(t, map[string]string{
		"a.md":      "+++\ncodes = [\"SNOMED:1\"]\n+++\n",
		"b.md":      page("Fine", "SNOMED:1"),
		"c.md":      "+++\ntitle = \"C\"\ncodes = [\"SNOMED:1\"]\nextra = 1\n+++\n",
		"Upper.md":  page("Bad name", "SNOMED:1"),
		"upper.md":  page("Clash", "SNOMED:1"),
		"x y.md":    page("Space", "SNOMED:1"),
		".draft.md": "not a page at all",
		"notes.txt": "not a page either",
	})
	_, err := Load(dir, NewMarkdown())
	checkProblems(t, err, []problem{
		{file: filepath.Join(dir, "a.md"), line: 1, field: "title", msg: "missing"},
		{file: filepath.Join(dir, "c.md"), line: 4, msg: "unknown field"},
		{file: filepath.Join(dir, "upper.md"), line: 0, msg: "same page name"},
		{file: filepath.Join(dir, "x y.md"), line: 0, msg: "file name"},
	})
}

func TestLoadErrorsNeverQuoteThePage(t *testing.T) {
	t.Parallel()
	const secret = "Zanzibarine"
	for _, body := range []string{
		"+++\ntitle = \"T\"\ncodes = [\"" + secret + "\"]\n+++\n",
		"+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\nreviewed = \"" + secret + "\"\n+++\n",
		"+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\n" + secret + " = 1\n+++\n",
		"+++\ntitle = \"T\"\ncodes = [\"SNOMED:1\"]\nsource = " + secret + "\n+++\n",
	} {
		dir := writePages(t, map[string]string{"page.md": body})
		_, err := Load(dir, NewMarkdown())
		if err == nil {
			t.Fatal("Load succeeded, want an error")
		}
		// An unknown key's name is the field; any other value must not
		// appear.
		if strings.Contains(err.Error(), secret) && !strings.Contains(err.Error(), `field "`+secret+`"`) {
			t.Error("error message quotes the page's content")
		}
	}
}

func TestLoadReadsFrontMatterAndBody(t *testing.T) {
	t.Parallel()
	dir := writePages(t, map[string]string{
		"high-blood-pressure.md": "\ufeff+++\r\ntitle = \"Living with high blood pressure\"\r\ncodes = [\"SNOMED:38341003\", \"ICD10:I10\"]\r\n" +
			"reviewed = 2026-10-01\r\nnext_review = \"2027-10\"\r\nsource = \"NICE NG136\"\r\n+++\r\n## What it is\r\n\r\nText.\r\n",
	})
	lib, err := Load(dir, NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.pages) != 1 {
		t.Fatalf("got %d pages, want 1", len(lib.pages))
	}
	p := lib.pages[0]
	checks := []struct {
		what string
		ok   bool
	}{
		{"slug", p.Slug == "high-blood-pressure"},
		{"file", p.File == filepath.Join(dir, "high-blood-pressure.md")},
		{"title", p.Title == "Living with high blood pressure"},
		{"codes", len(p.Codes) == 2 && p.Codes[0] == code("SNOMED", "38341003") && p.Codes[1] == code("ICD10", "I10")},
		{"reviewed", p.Reviewed == record.NewDate(2026, 10, 1)},
		{"next review (a month)", p.NextReview.Precision == record.Month && p.NextReview.ISO() == "2027-10"},
		{"source", p.Source == "NICE NG136"},
		{"body has the heading with a prefixed id", strings.Contains(string(p.Body), `<h2 id="high-blood-pressure_what-it-is">What it is</h2>`)},
		{"body has no front matter", !strings.Contains(string(p.Body), "+++") && !strings.Contains(string(p.Body), "NICE")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s is wrong", c.what)
		}
	}
}

func TestLoadOfAMissingFolderFails(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope"), NewMarkdown())
	var se *strict.Error
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "no such") {
		t.Fatalf("got %v, want a no-such-folder error", err)
	}
}

func TestRenderNeverPassesRawHTMLThrough(t *testing.T) {
	t.Parallel()
	md := NewMarkdown()
	tests := []struct {
		name, src string
		banned    []string
	}{
		{"script block", "<script>alert(1)</script>\n", []string{"<script", "</script"}},
		{"inline script", "Hello <script>alert(1)</script> there\n", []string{"<script"}},
		{"script in heading", "## Hi <script>x()</script>\n", []string{"<script"}},
		{"event handler", "<img src=x onerror=alert(1)>\n", []string{"<img", "onerror"}},
		{"inline event handler", "Text <b onclick=\"x()\">bold</b>\n", []string{"<b ", "onclick"}},
		{"iframe", "<iframe src=\"https://example.org\"></iframe>\n", []string{"<iframe"}},
		{"javascript link", "[click](javascript:alert(1))\n", []string{"javascript:"}},
		{"javascript autolink", "<javascript:alert(1)>\n", []string{`href="javascript`}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)\n", []string{"data:text/html"}},
		{"vbscript link", "[x](vbscript:msgbox)\n", []string{"vbscript:"}},
		{"style", "<style>body{display:none}</style>\n", []string{"<style"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := md.Render([]byte(tt.src), "p")
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tt.banned {
				if strings.Contains(strings.ToLower(string(out)), b) {
					t.Errorf("output holds %q", b)
				}
			}
		})
	}
}

var idAttr = regexp.MustCompile(`id="([^"]*)"`)

func TestRenderPrefixesHeadingIDsSoPagesShareADocument(t *testing.T) {
	t.Parallel()
	md := NewMarkdown()
	src := []byte("## What it is\n\nText.\n\n## What it is\n\n### Treatment\n")
	a, err := md.Render(src, "asthma")
	if err != nil {
		t.Fatal(err)
	}
	b, err := md.Render(src, "high-blood-pressure")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 id="asthma_what-it-is">`, `<h2 id="asthma_what-it-is-1">`, `<h3 id="asthma_treatment">`} {
		if !strings.Contains(string(a), want) {
			t.Errorf("first page lacks %s", want)
		}
	}
	seen := map[string]bool{}
	for _, html := range []string{string(a), string(b)} {
		for _, m := range idAttr.FindAllStringSubmatch(html, -1) {
			if seen[m[1]] {
				t.Errorf("id %q appears twice in the shared document", m[1])
			}
			seen[m[1]] = true
		}
	}
	if len(seen) != 6 {
		t.Errorf("got %d distinct ids, want 6", len(seen))
	}
}

func TestRenderWithoutPrefixKeepsGoldmarkIDs(t *testing.T) {
	t.Parallel()
	out, err := NewMarkdown().Render([]byte("## What it is\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `<h2 id="what-it-is">`) {
		t.Error("heading id is not goldmark's plain id")
	}
}

func TestRenderRejectsAPrefixThatCouldBreakIDs(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"Upper", "a b", `x"onload="y`, "a_b", "-lead"} {
		if _, err := NewMarkdown().Render([]byte("## H\n"), p); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

func TestRenderFootnotesWithPrefixedLinkedIDs(t *testing.T) {
	t.Parallel()
	md := NewMarkdown()
	src := []byte("Blood pressure[^nice] is measured twice.\n\n[^nice]: NICE guideline NG136.\n")
	out, err := md.Render(src, "bp")
	if err != nil {
		t.Fatal(err)
	}
	html := string(out)
	for _, want := range []string{
		`<sup id="bp_fnref:1"><a href="#bp_fn:1"`,
		`<li id="bp_fn:1">`,
		`href="#bp_fnref:1"`,
		`NICE guideline NG136.`,
		`class="footnotes"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("footnote output lacks %s", want)
		}
	}
	// The same renderer gives another document its own footnote ids.
	other, err := md.Render(src, "af")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(other), `<li id="af_fn:1">`) || strings.Contains(string(other), "bp_") {
		t.Error("second document's footnote ids carry the first one's prefix")
	}
}

func TestRenderAppliesGFMAndTypography(t *testing.T) {
	t.Parallel()
	out, err := NewMarkdown().Render([]byte("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ \"quoted\" -- and...\n\n- [x] done\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<table>", "<del>old</del>", "&ldquo;quoted&rdquo;", "&ndash;", "&hellip;", `type="checkbox"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestRenderIsSafeToCallConcurrently(t *testing.T) {
	t.Parallel()
	md := NewMarkdown()
	src := []byte("## Heading\n\nText[^1].\n\n[^1]: Note.\n")
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 8; i++ {
		prefix := string(rune('a' + i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				out, err := md.Render(src, prefix)
				if err != nil || !strings.Contains(string(out), `id="`+prefix+`_heading"`) || !strings.Contains(string(out), `id="`+prefix+`_fn:1"`) {
					errs <- prefix
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for p := range errs {
		t.Errorf("render with prefix %q gave the wrong ids", p)
	}
}

func TestStaleListsPagesPastTheirNextReview(t *testing.T) {
	t.Parallel()
	dir := writePages(t, map[string]string{
		"day.md":   "+++\ntitle = \"D\"\ncodes = [\"SNOMED:1\"]\nnext_review = 2026-11-20\n+++\n",
		"month.md": "+++\ntitle = \"M\"\ncodes = [\"SNOMED:1\"]\nnext_review = \"2026-11\"\n+++\n",
		"year.md":  "+++\ntitle = \"Y\"\ncodes = [\"SNOMED:1\"]\nnext_review = \"2026\"\n+++\n",
		"none.md":  "+++\ntitle = \"N\"\ncodes = [\"SNOMED:1\"]\n+++\n",
	})
	lib, err := Load(dir, NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC), ""},
		{time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), "day"},
		{time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), "day"},
		{time.Date(2026, 12, 1, 9, 0, 0, 0, london), "day,month"},
		{time.Date(2027, 1, 1, 0, 30, 0, 0, london), "day,month,year"},
		{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		if got := slugs(lib.Stale(tt.now)); got != tt.want {
			t.Errorf("Stale(%s) = %q, want %q", tt.now.Format(time.RFC3339), got, tt.want)
		}
	}
}

// BenchmarkMatch matches one patient's problem codes (a build does this
// for every patient) against a library of 60 pages.
func BenchmarkMatch(b *testing.B) {
	files := map[string]string{}
	for i := 0; i < 60; i++ {
		files[fmt.Sprintf("page-%02d.md", i)] = page("P", fmt.Sprintf("SNOMED:%d", 1000+i), fmt.Sprintf("ICD10:A%02d.1", i))
	}
	dir := b.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	lib, err := Load(dir, NewMarkdown())
	if err != nil {
		b.Fatal(err)
	}
	codes := []record.Code{
		code("SNOMED", "1003"), code("http://snomed.info/sct", "1040"), code("SNOMED", "999999"),
		code("ICD10", "A03.1"), code("SNOMED", "1010"), code("SCT", "77"), code("LOINC", "6301-6"), code("SNOMED", "1059"),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if len(lib.Match(codes)) != 4 {
			b.Fatal("wrong match")
		}
	}
}

// BenchmarkLoadSampleEducation reads and renders the sample practice's
// pages, as every build does once.
func BenchmarkLoadSampleEducation(b *testing.B) {
	md := NewMarkdown()
	for b.Loop() {
		if _, err := Load(sampleEducation, md); err != nil {
			b.Fatal(err)
		}
	}
}

// The record document must never reach outside itself: links elsewhere
// become text with their address, images their description; links within
// the document stay links.
func TestMarkdownKeepsTheDocumentOffline(t *testing.T) {
	t.Parallel()
	md := NewMarkdown()
	src := "See [NHS advice](https://www.nhs.uk/conditions/asthma/) or <https://example.org/x?a=1&b=<2>>.\n\n" +
		"![Inhaler technique](https://example.org/inhaler.png) and ![](data:image/png;base64,AAAA)\n\n" +
		"Jump to [the plan](#plan).\n"
	out, err := md.Render([]byte(src), "p")
	if err != nil {
		t.Fatal(err)
	}
	h := string(out)
	for _, bad := range []string{"<a href=\"https", "<img", "src="} {
		if strings.Contains(h, bad) {
			t.Errorf("output still has %q: %s", bad, h)
		}
	}
	for _, want := range []string{"NHS advice (https://www.nhs.uk/conditions/asthma/)", "[Inhaler technique]", "[image]", `<a href="#plan">the plan</a>`} {
		if !strings.Contains(h, want) {
			t.Errorf("output lacks %q: %s", want, h)
		}
	}
	if strings.Contains(h, "<2>") {
		t.Errorf("text from a URL was not escaped: %s", h)
	}
}

// An image's description keeps all its words, whatever markup they carry:
// emphasis, code, a link (made text with its address) and a line break.
func TestImageBecomesItsWholeDescription(t *testing.T) {
	t.Parallel()
	src := "![Using a *spacer* with `MDI` and [a mask](https://example.org/m)\nat night](https://example.org/s.png)\n"
	out, err := NewMarkdown().Render([]byte(src), "p")
	if err != nil {
		t.Fatal(err)
	}
	want := "[Using a spacer with MDI and a mask (https://example.org/m)\nat night]"
	if h := string(out); !strings.Contains(h, want) {
		t.Errorf("output lacks %q: %s", want, h)
	}
}
