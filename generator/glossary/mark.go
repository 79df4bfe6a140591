package glossary

import (
	"html"
	"html/template"
	"slices"
	"strings"
	"unicode/utf8"
)

// Marker marks the first use of each term in one document. It remembers
// what it has marked across calls to Mark, so a document's sections can be
// marked one after another. A Marker is not safe for concurrent use.
type Marker struct {
	g    *Glossary
	used []bool // by term index
	n    int    // how many terms are marked

	// Scratch space for decoding a text node that holds character
	// references, reused across text nodes.
	dec []byte
	pos []int
}

// NewMarker returns a Marker for one document.
func (g *Glossary) NewMarker() *Marker {
	return &Marker{g: g, used: make([]bool, len(g.terms))}
}

// skipped are the elements whose text is never marked: links and
// abbreviations already explain or go somewhere; code is literal; headings
// stay clean for the contents and screen-reader heading lists; a link inside
// a button, label or summary would nest interactive content.
func skipped(name string) bool {
	switch name {
	case "a", "abbr", "button", "code", "dfn", "h1", "h2", "h3", "kbd", "label",
		"math", "option", "pre", "samp", "select", "summary", "svg", "template":
		return true
	}
	return false
}

// rawText are the elements whose content is not HTML and must be skipped
// to their end tag without reading tags inside.
func rawText(name string) bool {
	switch name {
	case "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext":
		return true
	}
	return false
}

// Mark returns fragment, HTML as produced by html/template, with the first
// use of each term in the document wrapped in a link to its glossary entry:
//
//	<a class="glossary-term" href="#glossary-SLUG" title="EXPLANATION">TEXT</a>
//
// Only text is changed, never tags or attributes, and never text inside
// a, abbr, button, code, dfn, h1-h3, kbd, label, math, option, pre, samp,
// select, summary, svg or template elements, inside raw-text elements
// (script, style, textarea, title), or inside any element with a
// data-noglossary attribute. The marked text is copied from the fragment
// byte for byte, so its escaping is kept. Matching is whole-word and the
// longest match wins ("ACE inhibitor" before "ACE"); case-sensitive terms
// match only as written. A fragment with nothing to mark is returned as is.
func (m *Marker) Mark(fragment template.HTML) template.HTML {
	s := string(fragment)
	w := writer{src: s}
	skip, depth := "", 0
	i := 0
	for i < len(s) {
		j := nextTag(s, i)
		if depth == 0 && j > i && m.n < len(m.used) {
			m.text(&w, i, j)
		}
		if j >= len(s) {
			break
		}
		i = j
		switch {
		case strings.HasPrefix(s[i:], "<!--"):
			i = after(s, i+4, "-->")
		case strings.HasPrefix(s[i:], "<![CDATA["):
			i = after(s, i+9, "]]>")
		case s[i+1] == '!' || s[i+1] == '?':
			i = after(s, i+2, ">")
		case s[i+1] == '/':
			name, _ := tagName(s, i+2)
			i = tagEnd(s, i+2)
			if depth > 0 && name == skip {
				depth--
			}
		default:
			name, nameEnd := tagName(s, i+1)
			end := tagEnd(s, nameEnd)
			selfClosing := end >= 2 && s[end-1] == '>' && s[end-2] == '/'
			tag := s[i:end]
			i = end
			switch {
			case rawText(name) && !selfClosing:
				i = closeRaw(s, i, name)
			case depth > 0:
				if name == skip && !selfClosing {
					depth++
				}
			case selfClosing || void(name):
			case skipped(name) || strings.Contains(tag, "data-noglossary"):
				skip, depth = name, 1
			}
		}
	}
	if w.out.Len() == 0 {
		return fragment
	}
	w.out.WriteString(s[w.last:])
	return template.HTML(w.out.String())
}

// Used returns the terms marked so far, sorted alphabetically, for the
// document's closing glossary section. Each entry's anchor id is
// "glossary-" + Slug(t.Term).
func (m *Marker) Used() []Term {
	var out []Term
	for i, u := range m.used {
		if u {
			out = append(out, clone(m.g.terms[i]))
		}
	}
	slices.SortFunc(out, func(a, b Term) int {
		if c := strings.Compare(foldString(a.Term), foldString(b.Term)); c != 0 {
			return c
		}
		return strings.Compare(a.Term, b.Term)
	})
	return out
}

// writer builds the output lazily: most fragments gain no mark, and are
// returned without a copy.
type writer struct {
	src  string
	out  strings.Builder
	last int // src[last:] is not yet written
}

func (w *writer) wrap(start, end int, open string) {
	if w.out.Len() == 0 {
		w.out.Grow(len(w.src) + 2048)
	}
	w.out.WriteString(w.src[w.last:start])
	w.out.WriteString(open)
	w.out.WriteString(w.src[start:end])
	w.out.WriteString("</a>")
	w.last = end
}

// Character classes of the text before a position, for word boundaries.
const (
	other = iota
	letter
	digit
)

func class(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			return letter
		case r >= '0' && r <= '9':
			return digit
		}
		return other
	}
	switch {
	case isLetter(r):
		return letter
	case isWord(r):
		return digit
	}
	return other
}

// text marks terms in the text node src[a:b]. Matching runs on the
// decoded text (so "U&amp;E" matches "U&E"); pos maps each decoded byte
// back to its place in the source, and marks never split a character
// reference.
func (m *Marker) text(w *writer, a, b int) {
	raw := w.src[a:b]
	d := raw
	var pos []int
	if strings.IndexByte(raw, '&') >= 0 {
		d, pos = m.decode(raw)
	}
	src := func(k int) int {
		switch {
		case k >= len(d):
			return b
		case pos == nil:
			return a + k
		}
		return a + pos[k]
	}
	prev := other
	for k := 0; k < len(d); {
		c := d[k]
		r, n := rune(c), 1
		if c >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(d[k:])
		}
		cl := class(r)
		// A word starts after a non-word character, or where letters
		// follow digits, so "mg" is found in "40mg".
		if cl != other && (prev == other || cl == letter && prev == digit) {
			if end, t := m.match(d, k); end > 0 && (pos == nil || aligned(pos, k, end)) {
				if !m.used[t] {
					m.used[t] = true
					m.n++
					w.wrap(src(k), src(end), m.g.open[t])
				}
				lr, _ := utf8.DecodeLastRuneInString(d[:end])
				prev, k = class(lr), end
				continue
			}
		}
		prev = cl
		k += n
	}
}

// aligned reports whether the decoded span [k, end) starts and ends on
// character reference boundaries.
func aligned(pos []int, k, end int) bool {
	if k > 0 && pos[k] == pos[k-1] {
		return false
	}
	return end >= len(pos) || pos[end] != pos[end-1]
}

// match returns the end of the longest spelling that matches d at k as a
// whole word, and its term; end is 0 when none does.
func (m *Marker) match(d string, k int) (end, term int) {
	e := wordEnd(d, k)
	if e-k > maxKey {
		return 0, 0
	}
	var buf [maxKey]byte
	w := buf[:e-k]
	for i := range w {
		w[i] = lower(d[k+i])
	}
	p := int(w[0]) << 8
	if len(w) > 1 {
		p |= int(w[1])
	}
	if m.g.pairs[p/64]&(1<<(p%64)) == 0 {
		return 0, 0
	}
	for _, c := range m.g.index[string(w)] {
		if e := matchAt(d, k, c.text, c.fold); e > 0 {
			return e, c.term
		}
	}
	return 0, 0
}

// matchAt returns the end of spelling s in d at k, or 0. A space in s
// matches any run of white space, since templates and Markdown wrap lines.
func matchAt(d string, k int, s string, fold bool) int {
	j := k
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if j >= len(d) || !isSpace(d[j]) {
				return 0
			}
			for j < len(d) && isSpace(d[j]) {
				j++
			}
			continue
		}
		if j >= len(d) {
			return 0
		}
		if dc, sc := d[j], s[i]; dc != sc && (!fold || lower(dc) != lower(sc)) {
			return 0
		}
		j++
	}
	if j < len(d) {
		if r, _ := utf8.DecodeRuneInString(d[j:]); isWord(r) {
			return 0
		}
	}
	return j
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// decode returns raw with its character references decoded, and the
// source offset of every decoded byte.
func (m *Marker) decode(raw string) (string, []int) {
	b, pos := m.dec[:0], m.pos[:0]
	for i := 0; i < len(raw); {
		if raw[i] != '&' {
			b, pos = append(b, raw[i]), append(pos, i)
			i++
			continue
		}
		v, n := reference(raw[i:])
		for j := 0; j < len(v); j++ {
			b, pos = append(b, v[j]), append(pos, i)
		}
		i += n
	}
	m.dec, m.pos = b, pos
	return string(b), pos
}

// reference decodes the character reference at the start of s, returning
// its value and length; a lone '&' is itself.
func reference(s string) (string, int) {
	for _, r := range [...]struct{ ref, val string }{
		{"&amp;", "&"}, {"&#39;", "'"}, {"&#34;", `"`}, {"&lt;", "<"},
		{"&gt;", ">"}, {"&quot;", `"`}, {"&#43;", "+"}, {"&nbsp;", "\u00a0"},
	} {
		if strings.HasPrefix(s, r.ref) {
			return r.val, len(r.ref)
		}
	}
	if e := strings.IndexByte(s[:min(len(s), 40)], ';'); e > 1 {
		if v := html.UnescapeString(s[:e+1]); v != s[:e+1] {
			return v, e + 1
		}
	}
	return "&", 1
}

// void elements have no end tag.
func void(name string) bool {
	switch name {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

// nextTag returns the index of the next '<' that starts a tag, comment or
// declaration at or after i, or len(s). Any other '<' is text, as in HTML.
func nextTag(s string, i int) int {
	for {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 || i+k+1 >= len(s) {
			return len(s)
		}
		i += k
		if c := s[i+1]; c == '/' || c == '!' || c == '?' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return i
		}
		i++
	}
}

// tagName returns the lower-cased tag name starting at i and its end.
func tagName(s string, i int) (string, int) {
	j := i
	upper := false
	for j < len(s) {
		c := s[j]
		if c == '>' || c == '/' || isSpace(c) || c == '\f' {
			break
		}
		upper = upper || c >= 'A' && c <= 'Z'
		j++
	}
	if upper {
		return foldString(s[i:j]), j
	}
	return s[i:j], j
}

// tagEnd returns the index just after the '>' that closes the tag whose
// attributes start at i, skipping quoted attribute values.
func tagEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1
		}
	}
	return len(s)
}

// after returns the index just after the first end at or after i, or len(s).
func after(s string, i int, end string) int {
	if k := strings.Index(s[i:], end); k >= 0 {
		return i + k + len(end)
	}
	return len(s)
}

// closeRaw returns the index just after the end tag of the raw-text
// element name whose content starts at i.
func closeRaw(s string, i int, name string) int {
	for {
		k := strings.Index(s[i:], "</")
		if k < 0 {
			return len(s)
		}
		i += k
		if n, _ := tagName(s, i+2); n == name {
			return tagEnd(s, i+2)
		}
		i += 2
	}
}
