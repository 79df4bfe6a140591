// Package glossary explains the jargon in a patient's record document. It
// holds a curated dictionary of terms and abbreviations used in UK GP
// records (data, in glossary.toml, not code), marks the first use of each
// term in a document with a link to its explanation, and lists the terms a
// document used so the document can end with a glossary of only those.
//
// The marking is a link rather than a bare <abbr title>: the record opens in
// a sandboxed frame without scripts, often on a phone, where a title tooltip
// never shows. A link to the entry in the document's own glossary works by
// touch, keyboard and screen reader alike; the title is kept for mouse users.
package glossary

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/satchel-records/satchel/internal/strict"
)

// builtin is the dictionary shipped with Satchel. A string, not a []byte,
// so it cannot be changed at run time.
//
//go:embed glossary.toml
var builtin string

// Term is one dictionary entry.
type Term struct {
	// Term is the headword as shown in the glossary, e.g. "HbA1c".
	Term string `toml:"term"`
	// Aliases are other spellings of the same term (e.g. "HBA1C", a
	// plural); each is matched like Term.
	Aliases []string `toml:"aliases"`
	// Explanation is one or two plain-English sentences.
	Explanation string `toml:"explanation"`
	// CaseSensitive makes Term and Aliases match only as written, so that
	// abbreviations such as "bd" or "AF" do not match ordinary words.
	CaseSensitive bool `toml:"case_sensitive"`
}

// Glossary is a compiled dictionary. It is immutable and safe for
// concurrent use.
type Glossary struct {
	terms []Term
	slugs []string
	// open[i] is the start of the link that marks term i, built once so
	// that marking a term costs one write.
	open []string

	// index maps the ASCII-lower-cased first word of every spelling to
	// the spellings that start with it, longest first. A text is scanned
	// once, word by word, and only words that begin some spelling cost
	// more than a table lookup.
	index map[string][]spelling
	// pairs holds a bit for the first two bytes (folded; 0 for a
	// one-byte word) of every key of index, so most words are rejected
	// without hashing.
	pairs [256 * 256 / 64]uint64
}

// spelling is one matchable form of a term: its headword or an alias.
type spelling struct {
	text string // as written in the dictionary
	term int    // index into Glossary.terms
	fold bool   // matched ignoring ASCII case
}

// Default returns the built-in dictionary. It compiles the embedded data on
// every call (a few milliseconds): call it once per build and share the
// result, which is safe for concurrent use.
func Default() (*Glossary, error) {
	return Load([]byte(builtin), "generator/glossary/glossary.toml")
}

// file is the shape of a dictionary file.
type file struct {
	Term []Term `toml:"term"`
}

// Load compiles the dictionary in data, a TOML file named name (used only in
// errors). Decoding is strict: unknown keys, duplicate terms and aliases, and
// malformed entries are errors naming the file, line and field.
func Load(data []byte, name string) (*Glossary, error) {
	var f file
	if _, err := strict.Decode(name, data, &f); err != nil {
		return nil, err
	}
	lines := entryLines(data)
	line := func(i int, key string) int {
		if i >= len(lines) {
			return 0
		}
		end := len(data)
		if i+1 < len(lines) {
			end = lines[i+1].offset
		}
		if n := keyLine(data[lines[i].offset:end], key); n > 0 {
			return lines[i].line + n - 1
		}
		return lines[i].line
	}

	g := &Glossary{terms: f.Term, index: map[string][]spelling{}}
	var errs []error
	bad := func(i int, key, format string, args ...any) {
		errs = append(errs, strict.Errorf(name, line(i, key), fmt.Sprintf("term[%d].%s", i, key), format, args...))
	}
	if len(f.Term) == 0 {
		errs = append(errs, strict.Errorf(name, 0, "term", "no terms"))
	}
	seen := map[string]int{}     // ASCII-folded spelling -> entry index
	slugSeen := map[string]int{} // slug -> entry index
	for i, t := range f.Term {
		if msg := badSpelling(t.Term); msg != "" {
			bad(i, "term", "%s", msg)
			continue
		}
		switch e := t.Explanation; {
		case strings.TrimSpace(e) == "":
			bad(i, "explanation", "missing explanation")
		case e != strings.TrimSpace(e) || strings.ContainsAny(e, "\n\t"):
			bad(i, "explanation", "explanation must be one line without leading or trailing spaces")
		case !strings.HasSuffix(e, "."):
			bad(i, "explanation", "explanation must end with a full stop")
		}
		slug := Slug(t.Term)
		if j, ok := slugSeen[slug]; ok {
			bad(i, "term", "term has the same glossary id as the term at line %d", line(j, "term"))
		} else {
			slugSeen[slug] = i
		}
		for k, s := range append([]string{t.Term}, t.Aliases...) {
			key := "term"
			if k > 0 {
				key = "aliases"
				if msg := badSpelling(s); msg != "" {
					bad(i, key, "alias %d: %s", k, msg)
					continue
				}
			}
			// Spellings of different entries differ ignoring case, even
			// when matched with case: otherwise which entry explains a
			// word could depend on the order of the file. Within a
			// case-sensitive entry, case variants ("HbA1c", "HBA1C") are
			// the point of aliases.
			low := foldString(s)
			if j, ok := seen[low]; ok {
				switch {
				case j != i:
					bad(i, key, "duplicate term: already defined at line %d", line(j, "term"))
					continue
				case !t.CaseSensitive || slices.Contains(t.Aliases[:max(k-1, 0)], s) || (k > 0 && s == t.Term):
					bad(i, key, "spelling repeated within the entry")
					continue
				}
			}
			seen[low] = i
			g.add(spelling{text: s, term: i, fold: !t.CaseSensitive})
		}
		g.slugs = append(g.slugs, slug)
		g.open = append(g.open, `<a class="glossary-term" href="#glossary-`+slug+`" title="`+template.HTMLEscapeString(t.Explanation)+`">`)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, c := range g.index {
		// Longest first, so the first candidate that matches is the
		// longest match ("ACE inhibitor" before "ACE").
		slices.SortStableFunc(c, func(a, b spelling) int { return len(b.text) - len(a.text) })
	}
	return g, nil
}

// add indexes s under its first word.
func (g *Glossary) add(s spelling) {
	w := foldString(s.text[:wordEnd(s.text, 0)])
	g.index[w] = append(g.index[w], s)
	p := pair(w)
	g.pairs[p/64] |= 1 << (p % 64)
}

// maxKey is the longest first word looked up; longer words are no term's.
const maxKey = 64

// pair returns the pairs bit of a folded word.
func pair(w string) int {
	p := int(w[0]) << 8
	if len(w) > 1 {
		p |= int(w[1])
	}
	return p
}

// badSpelling says what is wrong with a term or alias, or returns "".
// Spellings begin and end with a letter or digit so that whole-word
// matching means the same at both ends.
func badSpelling(s string) string {
	if s == "" {
		return "missing term"
	}
	if wordEnd(s, 0) > maxKey {
		return "term's first word is too long"
	}
	r, _ := utf8.DecodeRuneInString(s)
	l, _ := utf8.DecodeLastRuneInString(s)
	if !isWord(r) || !isWord(l) {
		return "term must start and end with a letter or digit"
	}
	if strings.ContainsAny(s, "\t\n\r<>") || strings.Contains(s, "  ") {
		return "term must not hold tabs, line breaks, angle brackets or double spaces"
	}
	return ""
}

// Terms returns the dictionary's entries, in file order.
func (g *Glossary) Terms() []Term {
	out := make([]Term, len(g.terms))
	for i, t := range g.terms {
		out[i] = clone(t)
	}
	return out
}

func clone(t Term) Term {
	t.Aliases = slices.Clone(t.Aliases)
	return t
}

// Slug returns the id fragment for term: lower-case ASCII letters and
// digits, with every other run of characters replaced by one hyphen
// ("U&E" -> "u-e", "mmol/L" -> "mmol-l").
func Slug(term string) string {
	var b strings.Builder
	hyphen := false
	for i := 0; i < len(term); i++ {
		c := lower(term[i])
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteByte(c)
			continue
		}
		hyphen = true
	}
	return b.String()
}

// entry is where one [[term]] table starts.
type entry struct {
	line   int // 1-based
	offset int // byte offset of the line
}

// entryLines finds the [[term]] headers of a dictionary file, so errors
// about entry i can name its line.
func entryLines(data []byte) []entry {
	var es []entry
	off := 0
	for n, l := range strings.SplitAfter(string(data), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[[") && strings.TrimSpace(strings.Trim(t[:strings.Index(t+"]]", "]]")], "[ ")) == "term" {
			es = append(es, entry{line: n + 1, offset: off})
		}
		off += len(l)
	}
	return es
}

// keyLine returns the 1-based line within block on which key is set, or 0.
func keyLine(block []byte, key string) int {
	for n, l := range strings.Split(string(block), "\n") {
		t := strings.TrimSpace(l)
		if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return n + 1
		}
	}
	return 0
}

// isWord reports whether r belongs in a word: a letter or a decimal digit.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldString lower-cases the ASCII letters of s; other bytes are kept, so
// folding never changes a string's length.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// wordEnd returns the end of the run of word characters starting at i.
func wordEnd(s string, i int) int {
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if !isWord(r) {
			break
		}
		i += n
	}
	return i
}
