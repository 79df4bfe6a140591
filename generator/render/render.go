// Package render turns one patient's approved record, and the education pages
// matched to it, into a single self-contained HTML document: the page a
// patient reads on a phone and a hospital clinician reads at pre-op.
//
// The document references nothing outside itself: the theme's CSS is inlined,
// there are no scripts, fonts or remote images, and a Content-Security-Policy
// meta tag forbids them in case a practice template adds one by mistake. It
// is shown in a sandboxed frame with scripts off, so it must need none.
//
// It opens with the emergency summary a clinician reads in under a minute:
// alerts, allergies, current medicines with the high-risk ones flagged in
// words (package risk), active problems, devices, and how old the record is
// and who approved it. The full sections follow, with trend charts of
// repeated results (package chart), then the education pages, "Using your
// record safely", and a glossary of the terms the document used (package
// glossary marks their first use). The fixed labels can show translations
// beside the English for patients who travel (package i18n).
//
// Templates and themes come from ordered layers of fs.FS (a practice's own
// folder first, then the built-in ones), so a practice overrides one file by
// name without forking the rest.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/glossary"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/risk"
	"github.com/satchel-records/satchel/generator/site"
)

// Document is everything one patient's record document shows.
type Document struct {
	Practice site.Practice
	Record   *record.Record  // already filtered by policy: everything in it is shown
	Pages    []*content.Page // education pages matched to the record
	Approval Approval
	Exported time.Time // build time, from the build's injected clock
	// CurrentUntil is when the record stops being current (the export date
	// plus site.toml's current_days), shown beside the export date so a
	// clinician can tell a stale record. Zero shows none.
	CurrentUntil time.Time
	// Fingerprint is the fingerprint of the practice key that signed the
	// bundle, as printed on the key card, so a reader can check the two
	// match. Empty shows none.
	Fingerprint string
	BundleID    string
	// SummaryOnly makes the document the emergency summary alone, with
	// who it is about, its provenance and a line saying it is only the
	// summary: no other section, letter or page. It is what a summary-only
	// key card opens, sealed on its own.
	SummaryOnly bool
	// Language is the code of the language the document opens in (the
	// patient's own, from their record); empty, or one the renderer does
	// not show, opens it in English. The reader can switch.
	Language string
}

// Approval says who approved the record for sharing, so a hospital clinician
// can see who signed it and when.
type Approval struct {
	By, Role string
	Date     record.Date
}

// Markdowner renders Markdown to HTML; *content.Markdown satisfies it. idPrefix
// keeps heading ids from different letters apart within one document.
type Markdowner interface {
	Render(src []byte, idPrefix string) (template.HTML, error)
}

// Renderer renders record documents. It parses its templates and loads its
// theme once, in New, and is then safe for concurrent use.
type Renderer struct {
	tmpl     *template.Template
	css      template.CSS
	md       Markdowner
	risk     *risk.List
	glossary *glossary.Glossary
	labels   labels
	layers   layers.Stack // where the templates came from, for messages
	size     int          // a starting buffer size
	// bufs holds buffers for documents and their fragments between
	// renders: a document is tens of kilobytes, and growing fresh buffers
	// to that size was most of what a render allocated.
	bufs sync.Pool
}

// Option sets something a Renderer takes from site.toml.
type Option func(*options)

type options struct {
	languages []string
	highRisk  []site.HighRiskMedicine
}

// Languages shows the record's fixed labels (the emergency summary and the
// section headings) in these languages beside English, in this order:
// two-letter codes such as "fr", as site.toml's languages lists them.
func Languages(codes ...string) Option {
	return func(o *options) { o.languages = codes }
}

// HighRisk adds a practice's own high-risk medicines (site.toml's
// [[high_risk]]) to the built-in list.
func HighRisk(extra []site.HighRiskMedicine) Option {
	return func(o *options) { o.highRisk = extra }
}

// rootTemplate is the template a document is rendered from. Render owns
// "record.html" and every "record-*.html" file; other files in the same
// folders (such as keycard.html) belong to other packages and are ignored.
const rootTemplate = "record.html"

// summaryOnlyTemplate is the root of a summary-only document
// (Document.SummaryOnly).
const summaryOnlyTemplate = "record-summary-only.html"

// New parses the record templates from templateLayers and loads the theme
// named theme from themeLayers. In both, the first layer holding a file wins
// (package layers). A theme other than "default" is laid over the default
// theme, so it need only hold the rules it changes. md renders letters.
// opts add what site.toml sets: languages and high-risk medicines.
//
// New also renders a synthetic record once, so a broken practice template is
// reported here, before any patient is built.
func New(theme string, templateLayers, themeLayers layers.Stack, md Markdowner, opts ...Option) (*Renderer, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	css, err := loadTheme(theme, themeLayers)
	if err != nil {
		return nil, err
	}
	r := &Renderer{css: css, md: md}
	if r.risk, err = risk.Default(); err != nil {
		return nil, fmt.Errorf("built-in high-risk medicines: %w", err)
	}
	extra := make([]risk.Medicine, len(o.highRisk))
	for i, h := range o.highRisk {
		extra[i] = risk.Medicine{Code: h.Code, Name: h.Name, Group: h.Group}
	}
	if r.risk, err = r.risk.With(extra); err != nil {
		return nil, fmt.Errorf("site.toml %w", err)
	}
	if r.glossary, err = glossary.Default(); err != nil {
		return nil, fmt.Errorf("built-in glossary: %w", err)
	}
	if r.labels, err = newLabels(o.languages, r.risk); err != nil {
		return nil, err
	}
	if r.tmpl, err = parseTemplates(templateLayers, r.funcs()); err != nil {
		return nil, err
	}
	if err := r.labels.check(r.tmpl); err != nil {
		return nil, err
	}
	r.layers = templateLayers
	// The example's letters stay unrendered: this checks the templates,
	// and a practice's Markdown settings are not theirs to fail.
	var buf bytes.Buffer
	if err := r.execute(&buf, r.view(exampleDocument())); err != nil {
		return nil, err
	}
	r.size = buf.Len() + 16<<10
	// And its summary-only document, which a practice's own
	// record-summary.html or record-summary-only.html could break.
	ex := exampleDocument()
	ex.SummaryOnly = true
	if err := r.execute(&bytes.Buffer{}, r.view(ex)); err != nil {
		return nil, err
	}
	return r, nil
}

// Render writes d's record document to w. Nothing is written unless the whole
// document rendered, so a failure never leaves half a document behind.
// Errors never quote the record.
func (r *Renderer) Render(w io.Writer, d *Document) error {
	if d == nil || d.Record == nil {
		return errors.New("no record to render")
	}
	return r.render(w, d, r.view(d))
}

// RenderView is Render with d's view already made by r.View(d), so that a
// build grouping a record once serves both its document and its PDF copy.
// v is left as View made it.
func (r *Renderer) RenderView(w io.Writer, d *Document, v *View) error {
	if d == nil || d.Record == nil || v == nil {
		return errors.New("no record to render")
	}
	// Render fills in the letters, glossary and contents: on a copy.
	cp := *v
	cp.Letters = slices.Clone(v.Letters)
	cp.Contents = slices.Clip(v.Contents)
	cp.Glossary = slices.Clip(v.Glossary)
	return r.render(w, d, &cp)
}

// render renders d, whose view is v, to w.
func (r *Renderer) render(w io.Writer, d *Document, v *View) error {
	for i, l := range d.Record.Letters {
		if d.SummaryOnly {
			break // the summary shows no letter
		}
		if strings.TrimSpace(l.Body) == "" {
			continue // its text is not in the export: the document says so
		}
		if r.md == nil {
			return fmt.Errorf("letter %d: no Markdown renderer configured", i+1)
		}
		body, err := r.md.Render([]byte(l.Body), v.Letters[i].ID)
		if err != nil {
			// The Markdown library's message may quote the letter; say only
			// which letter failed.
			return fmt.Errorf("letter %d%s: cannot render its Markdown", i+1, letterRef(l))
		}
		v.Letters[i].HTML = body
	}
	buf := r.buffer()
	defer r.bufs.Put(buf)
	if err := r.execute(buf, v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// buffer returns an empty buffer from the pool, or a new one.
func (r *Renderer) buffer() *bytes.Buffer {
	if b, ok := r.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return bytes.NewBuffer(make([]byte, 0, r.size))
}

// execute renders v into buf: the marked fragments in document order, then
// the glossary of the terms they used, then the document around them.
func (r *Renderer) execute(buf *bytes.Buffer, v *View) error {
	if r.glossary != nil {
		v.marker = r.glossary.NewMarker()
	}
	// These are rendered ahead of the document, and their glossary terms
	// marked, in document order: the first use of a term is marked in
	// whichever comes first. record.html places them with include.
	marked := []string{"record-summary.html", "record-sections.html", "record-pages.html"}
	root := rootTemplate
	if v.SummaryOnly {
		marked, root = marked[:1], summaryOnlyTemplate
	}
	v.fragments = make(map[string]template.HTML, len(marked))
	frag := r.buffer()
	defer r.bufs.Put(frag)
	for _, name := range marked {
		if r.tmpl.Lookup(name) == nil {
			continue
		}
		frag.Reset()
		if err := r.tmpl.ExecuteTemplate(frag, name, v); err != nil {
			return r.layers.Explain(err)
		}
		v.fragments[name] = v.mark(template.HTML(frag.String()))
	}
	if v.marker != nil {
		for _, t := range v.marker.Used() {
			v.Glossary = append(v.Glossary, GlossaryEntry{ID: "glossary-" + glossary.Slug(t.Term), Term: t.Term, Explanation: t.Explanation})
		}
	}
	if len(v.Glossary) > 0 && !v.SummaryOnly {
		v.Contents = append(v.Contents, Link{ID: idGlossary, Title: "Glossary", Key: "glossary"})
	}
	if err := r.tmpl.ExecuteTemplate(buf, root, v); err != nil {
		return r.layers.Explain(err)
	}
	return nil
}

// mark marks the first use of glossary terms in h.
func (v *View) mark(h template.HTML) template.HTML {
	if v.marker == nil {
		return h
	}
	return v.marker.Mark(h)
}

// include returns the output of template name for v, with glossary terms
// marked: the fragment Render made ahead, or, for a template of the
// practice's own, a fresh rendering.
func (r *Renderer) include(name string, v *View) (template.HTML, error) {
	if h, ok := v.fragments[name]; ok {
		return h, nil
	}
	var b bytes.Buffer
	if err := r.tmpl.ExecuteTemplate(&b, name, v); err != nil {
		return "", err
	}
	return v.mark(template.HTML(b.String())), nil
}

// letterRef names a letter by its place in the record file and its file
// name, which are practice paths, never content.
func letterRef(l record.Letter) string {
	switch {
	case l.Key != "" && l.File != "":
		return fmt.Sprintf(" (%s, file %s)", l.Key, l.File)
	case l.Key != "":
		return " (" + l.Key + ")"
	case l.File != "":
		return " (file " + l.File + ")"
	}
	return ""
}

// parseTemplates parses record.html and record-*.html, each from the first
// layer that has it. Files from lower layers are parsed first, so a
// {{define}} in a practice file also replaces a built-in block of that name.
func parseTemplates(stack layers.Stack, funcs template.FuncMap) (*template.Template, error) {
	files, err := stack.Glob(rootTemplate, "record-*.html")
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(files, func(f layers.File) bool { return f.Name == rootTemplate }) {
		return nil, fmt.Errorf("no %s in any template folder", rootTemplate)
	}
	// Built-in files first, then the practice's: a practice file that
	// redefines a block ({{define}}) then wins over the built-in one.
	slices.SortStableFunc(files, func(a, b layers.File) int {
		return layerIndex(stack, b.Layer) - layerIndex(stack, a.Layer)
	})
	return stack.ParseFiles(template.New("").Funcs(funcs), files)
}

// layerIndex returns where l stands in stack.
func layerIndex(stack layers.Stack, l layers.Layer) int {
	for i, x := range stack {
		if x.Dir == l.Dir {
			return i
		}
	}
	return len(stack)
}

// loadTheme returns the CSS of theme: the default theme's files, then (for
// any other theme) the theme's own, each file from the first layer that has
// it. A theme exists when some layer has its theme.css.
func loadTheme(theme string, stack layers.Stack) (template.CSS, error) {
	if !fs.ValidPath(theme) || theme == "." || path.Base(theme) != theme {
		return "", fmt.Errorf("theme %q: not a theme name", theme)
	}
	chain := []string{"default"}
	if theme != "default" {
		chain = append(chain, theme)
	}
	var b bytes.Buffer
	for _, name := range chain {
		found := false
		// print.css is wrapped in @media print, so it holds only print rules.
		for _, file := range [...]string{"theme.css", "print.css"} {
			p := name + "/" + file
			data, layer, err := stack.Read(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return "", err
			}
			if file == "theme.css" {
				found = true
			}
			if err := checkCSS(layer.Path(p), data); err != nil {
				return "", err
			}
			if file == "print.css" {
				b.WriteString("@media print {\n")
				b.Write(data)
				b.WriteString("\n}\n")
			} else {
				b.Write(data)
				b.WriteByte('\n')
			}
		}
		if !found {
			return "", fmt.Errorf("unknown theme %q: no %s/theme.css in the practice's themes folder or the built-in themes", theme, name)
		}
	}
	return template.CSS(b.String()), nil
}
