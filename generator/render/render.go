// Package render turns one patient's approved record, and the education pages
// matched to it, into a single self-contained HTML document: the page a
// patient reads on a phone and a hospital clinician reads at pre-op.
//
// The document references nothing outside itself: the theme's CSS is inlined,
// there are no scripts, fonts or remote images, and a Content-Security-Policy
// meta tag forbids them in case a practice template adds one by mistake. It
// is shown in a sandboxed frame with scripts off, so it must need none.
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
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// Document is everything one patient's record document shows.
type Document struct {
	Practice site.Practice
	Record   *record.Record  // already filtered by policy: everything in it is shown
	Pages    []*content.Page // education pages matched to the record
	Approval Approval
	Exported time.Time // build time, from the build's injected clock
	BundleID string
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
	tmpl *template.Template
	css  template.CSS
	md   Markdowner
	size int // a starting buffer size, so most renders never regrow it
}

// rootTemplate is the template a document is rendered from. Render owns
// "record.html" and every "record-*.html" file; other files in the same
// folders (such as keycard.html) belong to other packages and are ignored.
const rootTemplate = "record.html"

// New parses the record templates from templateLayers and loads the theme
// named theme from themeLayers. In both, the first layer holding a file wins:
// pass the practice's folder first and the built-in templates.FS() or
// themes.FS() last. A theme other than "default" is laid over the default
// theme, so it need only hold the rules it changes. md renders letters.
//
// New also renders a synthetic record once, so a broken practice template is
// reported here, before any patient is built.
func New(theme string, templateLayers []fs.FS, themeLayers []fs.FS, md Markdowner) (*Renderer, error) {
	css, err := loadTheme(theme, themeLayers)
	if err != nil {
		return nil, err
	}
	tmpl, err := parseTemplates(templateLayers)
	if err != nil {
		return nil, err
	}
	r := &Renderer{tmpl: tmpl, css: css, md: md}
	var buf bytes.Buffer
	if err := r.tmpl.ExecuteTemplate(&buf, rootTemplate, r.view(exampleDocument())); err != nil {
		return nil, fmt.Errorf("render: templates: %w", err)
	}
	r.size = buf.Len() + 16<<10
	return r, nil
}

// Render writes d's record document to w. Nothing is written unless the whole
// document rendered, so a failure never leaves half a document behind.
// Errors never quote the record.
func (r *Renderer) Render(w io.Writer, d *Document) error {
	if d == nil || d.Record == nil {
		return errors.New("render: no record to render")
	}
	v := r.view(d)
	for i, l := range d.Record.Letters {
		if r.md == nil {
			return fmt.Errorf("render: letter %d: no Markdown renderer configured", i+1)
		}
		body, err := r.md.Render([]byte(l.Body), v.Letters[i].ID)
		if err != nil {
			// The Markdown library's message may quote the letter; say only
			// which letter failed.
			return fmt.Errorf("render: letter %d%s: cannot render its Markdown", i+1, letterRef(l))
		}
		v.Letters[i].HTML = body
	}
	buf := bytes.NewBuffer(make([]byte, 0, r.size))
	if err := r.tmpl.ExecuteTemplate(buf, rootTemplate, v); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
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
func parseTemplates(layers []fs.FS) (*template.Template, error) {
	type file struct {
		name  string
		layer int
	}
	var files []file
	seen := map[string]bool{}
	for i, layer := range layers {
		if layer == nil {
			continue
		}
		var names []string
		for _, pattern := range []string{"record.html", "record-*.html"} {
			m, err := fs.Glob(layer, pattern)
			if err != nil {
				return nil, fmt.Errorf("render: templates: %w", err)
			}
			names = append(names, m...)
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				files = append(files, file{n, i})
			}
		}
	}
	if !seen[rootTemplate] {
		return nil, fmt.Errorf("render: templates: no %s in any template folder", rootTemplate)
	}
	slices.SortFunc(files, func(a, b file) int {
		if a.layer != b.layer {
			return b.layer - a.layer
		}
		if a.name < b.name {
			return -1
		}
		return 1
	})
	t := template.New("").Funcs(funcs())
	for _, f := range files {
		data, err := fs.ReadFile(layers[f.layer], f.name)
		if err != nil {
			return nil, fmt.Errorf("render: templates: cannot read %s: %w", f.name, err)
		}
		if _, err := t.New(f.name).Parse(string(data)); err != nil {
			return nil, fmt.Errorf("render: templates: %w", err)
		}
	}
	return t, nil
}

// loadTheme returns the CSS of theme: the default theme's files, then (for
// any other theme) the theme's own, each file from the first layer that has
// it. A theme exists when some layer has its theme.css.
func loadTheme(theme string, layers []fs.FS) (template.CSS, error) {
	if !fs.ValidPath(theme) || theme == "." || path.Base(theme) != theme {
		return "", fmt.Errorf("render: theme %q: not a theme name", theme)
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
			data, ok, err := firstFile(layers, p)
			if err != nil {
				return "", fmt.Errorf("render: theme file %s: %w", p, err)
			}
			if !ok {
				continue
			}
			if file == "theme.css" {
				found = true
			}
			if err := checkCSS(p, data); err != nil {
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
			return "", fmt.Errorf("render: unknown theme %q: no %s/theme.css in the practice's themes folder or the built-in themes", theme, name)
		}
	}
	return template.CSS(b.String()), nil
}

// firstFile reads name from the first layer that has it.
func firstFile(layers []fs.FS, name string) ([]byte, bool, error) {
	for _, layer := range layers {
		if layer == nil {
			continue
		}
		data, err := fs.ReadFile(layer, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return data, true, nil
	}
	return nil, false, nil
}
