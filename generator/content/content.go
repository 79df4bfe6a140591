// Package content loads the practice's education pages (Markdown with a TOML
// front matter block) and matches them to a patient's problems by code. It
// owns the one goldmark instance that renders all Markdown, letters included.
package content

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// Page is one education page, rendered.
type Page struct {
	Slug       string // from the file name; unique; used in links and ids
	File       string // source path, for errors and build warnings
	Title      string
	Codes      []record.Code
	Reviewed   record.Date
	NextReview record.Date
	Source     string        // who wrote it or what it is based on
	Body       template.HTML // rendered Markdown; heading ids prefixed by Slug
	// Text is the same Markdown as plain-text blocks, for the PDF copy.
	Text []Block
	// only999 holds the lines where the page gives 999 without 112.
	only999 []int
}

// Markdown renders Markdown to HTML with Satchel's settings: GFM, footnotes,
// typographer, heading ids; raw HTML off.
type Markdown struct {
	md goldmark.Markdown
}

// prefixMeta is the document metadata key that carries the id prefix of one
// Render call to the footnote renderer, which is shared by all calls.
const prefixMeta = "satchel-id-prefix"

// idSep joins a prefix to an id. Goldmark's generated ids hold only
// lowercase letters, digits and dashes, and prefixes may not hold it
// either, so two different (prefix, id) pairs never give the same id, and
// no prefixed id clashes with a template's own ids such as "allergies".
const idSep = "_"

var validPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// NewMarkdown returns the Markdown renderer. Raw HTML in the source is
// omitted (goldmark's default): pages and letters are data, and the record
// document must never carry markup or scripts an author typed.
func NewMarkdown() *Markdown {
	return &Markdown{md: goldmark.New(
		goldmark.WithExtensions(
			extension.GFM,
			extension.Typographer,
			extension.NewFootnote(extension.WithFootnoteIDPrefixFunction(footnotePrefix)),
		),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)}
}

// footnotePrefix reads the prefix that Render stored in the document, so one
// shared renderer can prefix each document's footnote ids differently.
func footnotePrefix(n ast.Node) []byte {
	for n != nil {
		if d, ok := n.(*ast.Document); ok {
			if p, ok := d.Meta()[prefixMeta].(string); ok && p != "" {
				return []byte(p + idSep)
			}
			return nil
		}
		n = n.Parent()
	}
	return nil
}

// prefixedIDs generates goldmark's usual heading ids with a prefix.
type prefixedIDs struct {
	parser.IDs
	prefix string
}

func (p prefixedIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	return append([]byte(p.prefix+idSep), p.IDs.Generate(value, kind)...)
}

// Render renders src to HTML. Heading and footnote ids start with idPrefix
// and "_", so several rendered texts can share one document without id
// clashes; idPrefix must be lowercase letters, digits and dashes, or empty
// for no prefix.
func (m *Markdown) Render(src []byte, idPrefix string) (template.HTML, error) {
	if idPrefix != "" && !validPrefix.MatchString(idPrefix) {
		return "", errors.New("invalid id prefix: want lowercase letters, digits and dashes")
	}
	ids := parser.NewContext().IDs()
	if idPrefix != "" {
		ids = prefixedIDs{IDs: ids, prefix: idPrefix}
	}
	doc := m.md.Parser().Parse(text.NewReader(src), parser.WithContext(parser.NewContext(parser.WithIDs(ids))))
	if d, ok := doc.(*ast.Document); ok {
		d.AddMeta(prefixMeta, idPrefix)
	}
	offline(doc, src)
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, src, doc); err != nil {
		// Goldmark's render errors come from the writer only; say nothing
		// of the source.
		return "", errors.New("cannot render Markdown")
	}
	// Safe to mark as HTML: raw HTML in src is omitted and goldmark escapes
	// text and drops dangerous link targets (javascript: and the like).
	return template.HTML(buf.String()), nil
}

// offline rewrites what would make the document reach outside itself: a
// link to anywhere but within the document becomes its text followed by
// the address in brackets (a reader can still type it in when online), an
// automatic link becomes plain text, and an image becomes its description.
// The record document must never load or lead anywhere off the device.
func offline(doc ast.Node, src []byte) {
	var links, autos, images []ast.Node
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !bytes.HasPrefix(n.Destination, []byte("#")) {
				links = append(links, n)
			}
		case *ast.AutoLink:
			autos = append(autos, n)
		case *ast.Image:
			images = append(images, n)
		}
		return ast.WalkContinue, nil
	})
	for _, n := range links {
		l := n.(*ast.Link)
		parent := l.Parent()
		for c := l.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, l, c)
			c = next
		}
		if readable(l.Destination) {
			parent.InsertBefore(parent, l, ast.NewString([]byte(" ("+string(l.Destination)+")")))
		}
		parent.RemoveChild(parent, l)
	}
	for _, n := range autos {
		a := n.(*ast.AutoLink)
		text := a.Label(src)
		if !readable(a.URL(src)) {
			text = []byte("[link removed]")
		}
		a.Parent().ReplaceChild(a.Parent(), a, ast.NewString(text))
	}
	for _, n := range images {
		img := n.(*ast.Image)
		alt := strings.TrimSpace(string(plainText(img, src)))
		if alt == "" {
			alt = "image"
		}
		img.Parent().ReplaceChild(img.Parent(), img, ast.NewString([]byte("["+alt+"]")))
	}
}

// plainText returns the text of n's inline children with all markup
// dropped, a soft line break kept as a newline: an image's description,
// as goldmark writes it into alt. Links inside were made text already.
func plainText(n ast.Node, src []byte) []byte {
	var out []byte
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			out = append(out, c.Value(src)...)
			if c.SoftLineBreak() {
				out = append(out, '\n')
			}
		case *ast.String:
			out = append(out, c.Value...)
		case *ast.RawHTML:
			out = append(out, c.Segments.Value(src)...)
		default:
			out = append(out, plainText(c, src)...)
		}
	}
	return out
}

// readable reports whether an address is worth showing as text: a web,
// mail or phone address a person could use, not a script or data URL.
func readable(dest []byte) bool {
	d := strings.ToLower(string(dest))
	for _, p := range []string{"https://", "http://", "mailto:", "tel:"} {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	return false
}

// Library is the set of education pages of a site.
type Library struct {
	pages []*Page // every page, in file name order
	// byCode maps a code's record.Code.Key to the indexes of the pages
	// carrying it, ascending: a build matches thousands of patients.
	byCode map[string][]int
}

// frontMatter is the on-disk shape of a page's front matter.
type frontMatter struct {
	Title      string        `toml:"title"`
	Codes      []record.Code `toml:"codes"`
	Reviewed   record.Date   `toml:"reviewed"`
	NextReview record.Date   `toml:"next_review"`
	Source     string        `toml:"source"`
}

// Load reads every *.md file in dir, in name order, and renders it with md.
// A page's slug is its file name without ".md". Problems in all pages are
// reported together, each naming the file and the line in it; the pages
// without problems are returned all the same, so one bad page does not stop
// every patient's build. The Library is nil only if dir cannot be read.
func Load(dir string, md *Markdown) (*Library, error) {
	return LoadWith(nil, dir, md)
}

// BuiltInPrefix starts the File of a built-in page, in messages: the page
// is inside Satchel, not in the practice's folder.
const BuiltInPrefix = "(built-in education) "

// LoadWith reads the built-in pages in builtin (nil for none), then every
// *.md file in dir ("" for none), as Load does: a page of dir replaces the
// built-in page with the same slug, so a practice overrides the built-in
// library page by page. The Library is nil only if dir cannot be read.
func LoadWith(builtin fs.FS, dir string, md *Markdown) (*Library, error) {
	if md == nil {
		md = NewMarkdown()
	}
	// Every file, built-in or the practice's, is an item: a page to read
	// or a problem with its name. Items are handled in file name order,
	// so pages and problems come in the order of the files.
	type item struct {
		name, slug, path string
		err              error
		read             func() ([]byte, error)
	}
	var items []item
	own := map[string]string{} // slug -> the practice's file
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, strict.Errorf(dir, 0, "", "cannot read the education folder: %s", input.Reason(err))
		}
		for _, e := range entries {
			name := e.Name()
			// Hidden files are editors' locks and swap files, not pages.
			// Anything else named like a page is read, a folder too:
			// reading it fails and names it, rather than the page going
			// missing.
			if strings.HasPrefix(name, ".") || !strings.EqualFold(filepath.Ext(name), ".md") {
				continue
			}
			path := filepath.Join(dir, name)
			slug := strings.ToLower(strings.TrimSuffix(name, filepath.Ext(name)))
			it := item{name: name, slug: slug, path: path, read: func() ([]byte, error) {
				data, err := input.Read(path, dir, input.MaxPage)
				if err != nil {
					return nil, strict.Errorf(path, 0, "", "cannot read: %s", input.Reason(err))
				}
				return data, nil
			}}
			items = append(items, it)
		}
		sort.Slice(items, func(i, j int) bool { return items[i].name < items[j].name })
		for i, it := range items {
			switch other, dup := own[it.slug]; {
			case !validPrefix.MatchString(it.slug):
				items[i].err = strict.Errorf(it.path, 0, "", "file name must be lowercase letters, digits and dashes, such as high-blood-pressure.md")
			case dup:
				items[i].err = strict.Errorf(it.path, 0, "", "same page name as %s", filepath.Base(other))
			default:
				own[it.slug] = it.path
			}
		}
	}
	if builtin != nil {
		names, err := fs.Glob(builtin, "*.md")
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			slug := strings.TrimSuffix(name, ".md")
			if _, replaced := own[slug]; replaced {
				continue
			}
			items = append(items, item{name: name, slug: slug, path: BuiltInPrefix + name, read: func() ([]byte, error) { return fs.ReadFile(builtin, name) }})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].name < items[j].name })

	l := &Library{byCode: map[string][]int{}}
	var errs []error
	for _, it := range items {
		if it.err != nil {
			errs = append(errs, it.err)
			continue
		}
		data, err := it.read()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := parsePage(it.path, it.slug, data, md)
		if err != nil {
			errs = append(errs, strict.Split(err)...)
			continue
		}
		l.pages = append(l.pages, p)
	}
	for i, p := range l.pages {
		for _, c := range p.Codes {
			k := c.Key()
			if ix := l.byCode[k]; len(ix) == 0 || ix[len(ix)-1] != i {
				l.byCode[k] = append(ix, i)
			}
		}
	}
	return l, errors.Join(errs...)
}

// parsePage splits data into front matter and body, decodes the one and
// renders the other.
func parsePage(path, slug string, data []byte, md *Markdown) (*Page, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	fm, body, bodyLine, ok := split(data)
	if !ok {
		if !isFence(firstLine(data)) {
			return nil, strict.Errorf(path, 1, "", "must start with a +++ line opening the front matter")
		}
		return nil, strict.Errorf(path, 1, "", "front matter has no closing +++ line")
	}
	var f frontMatter
	var errs []error
	if _, err := strict.Decode(path, fm, &f); err != nil {
		// Lines count from the front matter; the file has the opening
		// +++ line above it.
		err = shiftLines(err, 1)
		// Unknown keys do not stop decoding, so the checks below still
		// mean something; anything else leaves f half-filled.
		for _, e := range strict.Split(err) {
			if !strict.IsUnknownField(e) {
				return nil, err
			}
		}
		errs = append(errs, strict.Split(err)...)
	}
	if strings.TrimSpace(f.Title) == "" {
		errs = append(errs, strict.Errorf(path, 1, "title", "required field is missing"))
	}
	if len(f.Codes) == 0 {
		errs = append(errs, strict.Errorf(path, 1, "codes", "required field is missing (a list such as [\"SNOMED:38341003\"])"))
	}
	if !f.Reviewed.IsZero() && !f.NextReview.IsZero() && f.NextReview.Before(f.Reviewed) {
		errs = append(errs, strict.Errorf(path, 1+strict.KeyLine(fm, []string{"next_review"}), "next_review", "must not be before reviewed"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	html, err := md.Render(body, slug)
	if err != nil {
		return nil, strict.Errorf(path, bodyLine, "", "cannot render the Markdown")
	}
	return &Page{
		Slug:       slug,
		File:       path,
		Title:      strings.TrimSpace(f.Title),
		Codes:      f.Codes,
		Reviewed:   f.Reviewed,
		NextReview: f.NextReview,
		Source:     f.Source,
		Body:       html,
		Text:       md.Blocks(body),
		only999:    only999(body, bodyLine),
	}, nil
}

// split returns the front matter between the opening and closing +++ lines,
// the body after them, and the body's first line number.
func split(data []byte) (fm, body []byte, bodyLine int, ok bool) {
	rest := data
	line := 0
	next := func() ([]byte, bool) {
		if len(rest) == 0 {
			return nil, false
		}
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line++
		return l, true
	}
	if l, more := next(); !more || !isFence(l) {
		return nil, nil, 0, false
	}
	start := len(data) - len(rest)
	for {
		end := len(data) - len(rest)
		l, more := next()
		if !more {
			return nil, nil, 0, false
		}
		if isFence(l) {
			return data[start:end], rest, line + 1, true
		}
	}
}

func firstLine(data []byte) []byte {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i]
	}
	return data
}

func isFence(line []byte) bool {
	return string(bytes.TrimRight(line, " \t\r")) == "+++"
}

// shiftLines adds n to the line of every *strict.Error in err.
func shiftLines(err error, n int) error {
	var out []error
	for _, e := range strict.Split(err) {
		var se *strict.Error
		if errors.As(e, &se) && se.Line > 0 {
			se.Line += n
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// Match returns the pages carrying any of codes, in file name order, each
// once. Codes match by record.Code.Key: by system and value, whichever way
// the system is spelt (SNOMED, SCT or http://snomed.info/sct; ICD10 or its
// FHIR URI; LOINC or its FHIR URI), ICD-10 values with or without their dot
// and the UK's "X" filler.
func (l *Library) Match(codes []record.Code) []*Page {
	var ix []int
	for _, c := range codes {
		ix = append(ix, l.byCode[c.Key()]...)
	}
	if len(ix) == 0 {
		return nil
	}
	sort.Ints(ix)
	out := make([]*Page, 0, len(ix))
	for i, n := range ix {
		if i > 0 && ix[i-1] == n {
			continue
		}
		out = append(out, l.pages[n])
	}
	return out
}

// Pages returns every page, in file name order.
func (l *Library) Pages() []*Page { return l.pages }

// Stale returns the pages whose next review date has passed by now, for the
// build to warn about. A date given only as a month or year passes at the
// end of that month or year; a page without one is never stale.
func (l *Library) Stale(now time.Time) []*Page {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var out []*Page
	for _, p := range l.pages {
		var end time.Time
		switch t := p.NextReview.Time; p.NextReview.Precision {
		case record.Day:
			end = t.AddDate(0, 0, 1)
		case record.Month:
			end = t.AddDate(0, 1, 0)
		case record.Year:
			end = t.AddDate(1, 0, 0)
		default:
			continue
		}
		if !today.Before(end) {
			out = append(out, p)
		}
	}
	return out
}
