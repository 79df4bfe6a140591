// Package risk finds the high-risk medicines in a record: the ones a
// hospital clinician must see at a glance (anticoagulants, insulin, oral
// steroids, opioids, lithium...), because giving, stopping or missing them
// around an admission or an operation can do serious harm.
//
// The list is data (medicines.toml, embedded), not code, and a practice adds
// to it in site.toml. A medicine is matched by its dm+d or SNOMED CT code,
// or by a generic or brand name appearing as whole words in its name.
package risk

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/strict"
)

//go:embed medicines.toml
var builtin []byte

// builtinName names the embedded file in errors.
const builtinName = "generator/risk/medicines.toml"

// Group is one kind of high-risk medicine.
type Group struct {
	// ID is the group's stable name, such as "anticoagulant"; site.toml
	// names it to add a medicine to the group.
	ID string
	// Label says what kind of medicine it is, in lower case, to follow
	// "High risk" ("High risk – anticoagulant").
	Label string
	// Note is one plain-English sentence on why it matters; empty for a
	// group a practice added without one.
	Note string
}

// Medicine is one medicine a practice adds to the list (site.toml
// [[high_risk]]): a code, a name or both, and the group it belongs to,
// either a built-in group's id or label or a label of the practice's own.
type Medicine struct {
	Code  string // "DMD:VALUE" or "SNOMED:VALUE", any spelling of either system; optional
	Name  string // matched as whole words in a medicine's name; optional
	Group string
}

// List is a compiled list of high-risk medicines. It is immutable and safe
// for concurrent use.
type List struct {
	groups []Group
	// unless holds, per group, the words that stop a name match.
	unless []map[string]bool
	// byWord indexes every name by its first word.
	byWord map[string][]phrase
	// byCode maps a code's canonical key to group indexes.
	byCode map[string][]int
}

// phrase is one name, split into words, and the group it flags.
type phrase struct {
	words []string
	group int
}

// file is medicines.toml's shape.
type file struct {
	Group []struct {
		ID     string   `toml:"id"`
		Label  string   `toml:"label"`
		Note   string   `toml:"note"`
		Names  []string `toml:"names"`
		Codes  []string `toml:"codes"`
		Unless []string `toml:"unless"`
	} `toml:"group"`
}

// Default returns the built-in list.
func Default() (*List, error) { return Load(builtin, builtinName) }

// Load compiles the list in data, a TOML file named name (used only in
// errors). Decoding is strict: unknown keys, a group without an id or
// label, duplicate ids, names that hold no word and malformed codes are
// errors naming the file, line and field.
func Load(data []byte, name string) (*List, error) {
	var f file
	if _, err := strict.Decode(name, data, &f); err != nil {
		return nil, err
	}
	l := &List{byWord: map[string][]phrase{}, byCode: map[string][]int{}}
	var errs []error
	line := func(i int) int { return groupLine(data, i) }
	seen := map[string]bool{}
	for i, g := range f.Group {
		field := fmt.Sprintf("group[%d]", i)
		switch {
		case strings.TrimSpace(g.ID) == "":
			errs = append(errs, strict.Errorf(name, line(i), field+".id", "required field is missing"))
		case seen[g.ID]:
			errs = append(errs, strict.Errorf(name, line(i), field+".id", "another group has this id"))
		}
		seen[g.ID] = true
		if strings.TrimSpace(g.Label) == "" {
			errs = append(errs, strict.Errorf(name, line(i), field+".label", "required field is missing"))
		}
		if len(g.Names) == 0 && len(g.Codes) == 0 {
			errs = append(errs, strict.Errorf(name, line(i), field, "needs names or codes"))
		}
		l.groups = append(l.groups, Group{ID: g.ID, Label: g.Label, Note: g.Note})
		unless := map[string]bool{}
		for j, u := range g.Unless {
			w := words(u)
			if len(w) != 1 {
				errs = append(errs, strict.Errorf(name, line(i), fmt.Sprintf("%s.unless[%d]", field, j), "must be one word"))
				continue
			}
			unless[w[0]] = true
		}
		l.unless = append(l.unless, unless)
		for j, n := range g.Names {
			if !l.addName(n, i) {
				errs = append(errs, strict.Errorf(name, line(i), fmt.Sprintf("%s.names[%d]", field, j), "holds no word"))
			}
		}
		for j, c := range g.Codes {
			if !l.addCode(c, i) {
				errs = append(errs, strict.Errorf(name, line(i), fmt.Sprintf("%s.codes[%d]", field, j), "invalid code: want SYSTEM:VALUE, such as DMD:VALUE"))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// groupLine returns the line of the i-th [[group]] header in data, or 0.
func groupLine(data []byte, i int) int {
	n := -1
	for ln, s := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(s) == "[[group]]" {
			n++
			if n == i {
				return ln + 1
			}
		}
	}
	return 0
}

// With returns a copy of l with a practice's own medicines added. A
// medicine whose Group names a group of l (by id or label, in any case)
// joins it; any other Group becomes a new group with that label. Errors name
// the entry as site.toml's high_risk[i], never its content.
func (l *List) With(extra []Medicine) (*List, error) {
	if len(extra) == 0 {
		return l, nil
	}
	out := &List{
		groups: slices.Clone(l.groups),
		unless: slices.Clone(l.unless),
		byWord: make(map[string][]phrase, len(l.byWord)),
		byCode: make(map[string][]int, len(l.byCode)),
	}
	for k, v := range l.byWord {
		out.byWord[k] = slices.Clone(v)
	}
	for k, v := range l.byCode {
		out.byCode[k] = slices.Clone(v)
	}
	var errs []error
	for i, m := range extra {
		field := fmt.Sprintf("high_risk[%d]", i)
		g := out.group(m.Group)
		if g < 0 {
			label := strings.TrimSpace(m.Group)
			if label == "" {
				label = "high-risk medicine"
			}
			out.groups = append(out.groups, Group{ID: "site:" + strings.ToLower(label), Label: label})
			out.unless = append(out.unless, nil)
			g = len(out.groups) - 1
		}
		if m.Code == "" && m.Name == "" {
			errs = append(errs, fmt.Errorf("%s: needs a code or a name", field))
		}
		if m.Code != "" && !out.addCode(m.Code, g) {
			errs = append(errs, fmt.Errorf("%s.code: invalid code: want SYSTEM:VALUE, such as DMD:VALUE", field))
		}
		if m.Name != "" && !out.addName(m.Name, g) {
			errs = append(errs, fmt.Errorf("%s.name: holds no word", field))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// group returns the index of the group whose id or label is s, or -1.
func (l *List) group(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1
	}
	for i, g := range l.groups {
		if strings.EqualFold(g.ID, s) || strings.EqualFold(g.Label, s) {
			return i
		}
	}
	return -1
}

func (l *List) addName(name string, g int) bool {
	w := words(name)
	if len(w) == 0 {
		return false
	}
	for _, p := range l.byWord[w[0]] {
		if p.group == g && slices.Equal(p.words, w) {
			return true
		}
	}
	l.byWord[w[0]] = append(l.byWord[w[0]], phrase{words: w, group: g})
	return true
}

func (l *List) addCode(code string, g int) bool {
	var c record.Code
	if err := c.UnmarshalText([]byte(code)); err != nil {
		return false
	}
	k := canonical(c)
	if !slices.Contains(l.byCode[k], g) {
		l.byCode[k] = append(l.byCode[k], g)
	}
	return true
}

// Groups returns the list's groups, in file order, then the practice's own.
func (l *List) Groups() []Group { return slices.Clone(l.groups) }

// Match returns the groups that make a medicine high-risk, in list order;
// none if it is not. A code match counts whatever the medicine's name says;
// a name match counts unless the name also holds one of the group's
// "unless" words (a prednisolone eye drop is not an oral steroid).
func (l *List) Match(name string, code record.Code) []Group {
	var hit []int
	if !code.IsZero() {
		hit = append(hit, l.byCode[canonical(code)]...)
	}
	w := words(name)
	for i, first := range w {
		for _, p := range l.byWord[first] {
			if len(p.words) > len(w)-i || !slices.Equal(p.words, w[i:i+len(p.words)]) {
				continue
			}
			if slices.ContainsFunc(w, func(s string) bool { return l.unless[p.group][s] }) {
				continue
			}
			hit = append(hit, p.group)
		}
	}
	if len(hit) == 0 {
		return nil
	}
	slices.Sort(hit)
	hit = slices.Compact(hit)
	out := make([]Group, len(hit))
	for i, g := range hit {
		out[i] = l.groups[g]
	}
	return out
}

// words splits s into lower-case words: runs of letters and digits. So
// "Co-codamol 30mg/500mg" is co, codamol, 30mg, 500mg, and the name
// "co-codamol" matches it word for word.
func words(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

// canonical returns the key a medicine's code is indexed by: its
// record.Code.Key, with dm+d made SNOMED CT, since a dm+d identifier is a
// SNOMED CT identifier and an export may write it under either system.
func canonical(c record.Code) string {
	if c.System.IsSNOMED() {
		c.System = record.SNOMED
	}
	return c.Key()
}
