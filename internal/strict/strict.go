// Package strict decodes TOML files strictly and turns every problem into an
// error that names the file, the line and the field, and never the value.
//
// Satchel's inputs hold patient data, so a decoder's own message (which may
// quote the offending text) is never passed on: only its position and a
// generic description are.
package strict

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Error is one problem in an input file. Its message never quotes the file's
// content.
type Error struct {
	File  string // path as given by the caller
	Line  int    // 1-based; 0 when unknown
	Field string // dotted TOML key or FHIR path; empty when unknown
	Msg   string // what is wrong, in words that carry no input data
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf returns an *Error for file, line and field.
func Errorf(file string, line int, field, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// MaxErrors is how many problems Decode (and Join) report for one file;
// the rest are counted in one last line. A file with 100,000 bad fields
// then costs no more to report than one with twenty.
const MaxErrors = 20

// MaxDepth is how deeply tables, lists and dotted keys may nest in a TOML
// file. Satchel's own files nest three deep at most; BurntSushi/toml's cost
// grows with the square of the depth (a 64 KiB file of nested inline tables
// takes gigabytes), so anything deeper is refused before it is decoded.
// Measured: 1 MiB of TOML nested 8 deep everywhere allocates about 480 MiB
// in all (290 MiB at peak), 32 deep 1.25 GiB; a real 6 KB record, 40 bytes
// for each byte.
const MaxDepth = 8

// Decode decodes data (the content of file) into v. Unknown keys, wrong types
// and syntax errors are returned joined, each as an *Error, at most
// MaxErrors of them. It returns the metadata so callers can check which
// optional keys were present.
//
// An error names a field only by the names v's type gives its fields: a key
// that is not one (which could be anything, even a patient's name) is
// reported by the table it is in and its line.
func Decode(file string, data []byte, v any) (toml.MetaData, error) {
	if line, ok := checkDepth(data); !ok {
		return toml.MetaData{}, &Error{File: file, Line: line, Msg: fmt.Sprintf("nested too deeply: tables, lists and dotted keys more than %d levels deep", MaxDepth)}
	}
	names := schemaNames(reflect.TypeOf(v))
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(v)
	if err != nil {
		return md, convert(file, data, err, names)
	}
	undecoded := md.Undecoded()
	errs := make([]error, 0, min(len(undecoded), MaxErrors+1))
	for i, k := range undecoded {
		if i == MaxErrors {
			errs = append(errs, More(file, len(undecoded)-MaxErrors))
			break
		}
		errs = append(errs, unknown(file, KeyLine(data, k), k, names))
	}
	return md, errors.Join(errs...)
}

// Join joins errs, the problems found in file, keeping at most MaxErrors
// of them and counting the rest in one last error ("and 3,214 more
// errors").
func Join(file string, errs []error) error {
	if len(errs) > MaxErrors {
		errs = append(errs[:MaxErrors:MaxErrors], More(file, len(errs)-MaxErrors))
	}
	return errors.Join(errs...)
}

// Limit is Join for errors already joined (by errors.Join) into err.
func Limit(file string, err error) error {
	if err == nil {
		return nil
	}
	return Join(file, Split(err))
}

// More is the last error of a file with too many to report: it counts the
// n left out.
func More(file string, n int) *Error {
	if n == 1 {
		return &Error{File: file, Msg: "and 1 more error"}
	}
	return &Error{File: file, Msg: "and " + thousands(n) + " more errors"}
}

// thousands writes n with commas: 3214 -> "3,214".
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// schemaNames returns every key name the type of v gives its fields, at any
// depth: the only key names safe to repeat in an error.
func schemaNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	seen := map[reflect.Type]bool{}
	unmarshaler := reflect.TypeFor[toml.Unmarshaler]()
	text := reflect.TypeFor[encoding.TextUnmarshaler]()
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		if reflect.PointerTo(t).Implements(unmarshaler) || reflect.PointerTo(t).Implements(text) {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			switch {
			case name == "-":
				continue
			case name == "" && f.Anonymous:
				walk(f.Type)
				continue
			case name == "":
				name = strings.ToLower(f.Name)
			}
			names[name] = true
			walk(f.Type)
		}
	}
	walk(t)
	return names
}

// unknown reports key k as an unknown field: by its name when that is a
// schema name (one in the wrong place), else by the table it is in, with
// the schema name it is a slip for, if there is one.
func unknown(file string, line int, k []string, names map[string]bool) *Error {
	field := known(k, names)
	e := &Error{File: file, Line: line, Field: field, Msg: "unknown field"}
	if n := len(strings.Split(field, ".")); field != "" && n == len(k) {
		return e
	}
	if len(k) == 0 || field != "" && strings.Count(field, ".")+1 != len(k)-1 {
		return e // deeper than one unknown name: say only where
	}
	if s := suggest(k[len(k)-1], names); s != "" {
		e.Msg = fmt.Sprintf("unknown field (did you mean %q?)", s)
	}
	return e
}

// suggest returns the schema name that key is most likely a slip for:
// within one edit for short names, two for longer ones; or "".
func suggest(key string, names map[string]bool) string {
	key = strings.ToLower(key)
	if len(key) > 40 {
		return ""
	}
	best, bestD := "", 3
	for n := range names {
		limit := 2
		if len(n) <= 4 {
			limit = 1
		}
		if d := distance(key, n); d <= limit && (d < bestD || d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the edit distance between a and b, counting a swap of two
// neighbouring letters as one edit (optimal string alignment).
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// IsUnknownField reports whether err is an unknown-field *Error, which
// leaves the rest of a decoded value usable.
func IsUnknownField(err error) bool {
	var se *Error
	return errors.As(err, &se) && strings.HasPrefix(se.Msg, "unknown field")
}

// known returns the dotted path of k's leading parts that are schema names:
// the part of a key that is safe to show.
func known(k []string, names map[string]bool) string {
	n := 0
	for n < len(k) && names[k[n]] {
		n++
	}
	return strings.Join(k[:n], ".")
}

// checkDepth scans data once, skipping strings and comments, and returns
// the first line on which tables, lists and dotted keys nest more than
// MaxDepth deep. A [table.header] counts as deep as its dotted name, and
// the keys below it count from there.
func checkDepth(data []byte) (line int, ok bool) {
	type frame struct {
		brace bool // an inline table (keys inside), not a list
		cost  int  // 1 for the brackets, plus the dots of the key before them
	}
	var stack []frame
	line = 1
	base, depth, dots := 0, 0, 0 // header, brackets open, dots in the key being read
	inKey, header := true, false
	pop := func() {
		if n := len(stack); n > 0 {
			depth -= stack[n-1].cost
			stack = stack[:n-1]
		}
		dots = 0
	}
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			line++
			if len(stack) == 0 && !header {
				inKey, dots = true, 0
			}
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			i, line = skipString(data, i, line)
		case '=':
			inKey = false // the key's dots still count for a table after it
		case '.':
			if inKey || header {
				dots++
			}
		case '[':
			if len(stack) == 0 && inKey && !header {
				header, base, dots = true, 0, 0
				if i+1 < len(data) && data[i+1] == '[' {
					i++
				}
				break
			}
			stack = append(stack, frame{cost: 1 + dots})
			depth += 1 + dots
			dots, inKey = 0, false
		case '{':
			stack = append(stack, frame{brace: true, cost: 1 + dots})
			depth += 1 + dots
			dots, inKey = 0, true
		case ']':
			if header {
				header, base, dots, inKey = false, dots+1, 0, false
				if i+1 < len(data) && data[i+1] == ']' {
					i++
				}
				break
			}
			pop()
		case '}':
			pop()
			inKey = false
		case ',':
			if n := len(stack); n > 0 && stack[n-1].brace {
				inKey = true
			}
			dots = 0
		}
		if base+depth+dots > MaxDepth {
			return line, false
		}
	}
	return 0, true
}

// skipString returns the index of the quote closing the string that opens
// at data[i], and the line it is on.
func skipString(data []byte, i, line int) (int, int) {
	q := data[i]
	if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
		for j := i + 3; j < len(data); j++ {
			switch {
			case data[j] == '\n':
				line++
			case q == '"' && data[j] == '\\':
				if j+1 < len(data) && data[j+1] == '\n' {
					line++
				}
				j++
			case data[j] == q && j+2 < len(data) && data[j+1] == q && data[j+2] == q:
				j += 2
				// """"" closes with the string's last quotes before it.
				for k := 0; k < 2 && j+1 < len(data) && data[j+1] == q; k++ {
					j++
				}
				return j, line
			}
		}
		return len(data), line
	}
	for j := i + 1; j < len(data); j++ {
		switch {
		case data[j] == '\n':
			return j - 1, line // unterminated: the newline is the scanner's
		case q == '"' && data[j] == '\\':
			j++
		case data[j] == q:
			return j, line
		}
	}
	return len(data), line
}

// convert maps a BurntSushi error to an *Error without its message text,
// which can quote the input.
func convert(file string, data []byte, err error, names map[string]bool) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// Our own UnmarshalTOML / UnmarshalText errors are written to be
		// safe to show, in the form "invalid X: want Y"; the parser's
		// never contain ": want " and may quote the input.
		msg := "invalid TOML syntax"
		if IsSafe(pe.Message) {
			msg = pe.Message
		}
		return &Error{File: file, Line: pe.Position.Line, Field: known(strings.Split(pe.LastKey, "."), names), Msg: msg}
	}
	// Type mismatches come as plain errors of the form
	// `toml: line N (last key "k"): incompatible types: ...`; the
	// remainder names Go types only, but we rebuild it anyway.
	s := err.Error()
	e := &Error{File: file, Msg: "wrong type"}
	if i := strings.Index(s, "line "); i >= 0 {
		fmt.Sscanf(s[i:], "line %d", &e.Line)
	}
	if i := strings.Index(s, `(last key "`); i >= 0 {
		rest := s[i+len(`(last key "`):]
		if j := strings.Index(rest, `"`); j >= 0 {
			e.Field = known(strings.Split(rest[:j], "."), names)
		}
	}
	if strings.Contains(s, "incompatible types") {
		if i := strings.Index(s, "destination has type "); i >= 0 {
			e.Msg = "wrong type (want " + friendlyType(s[i+len("destination has type "):]) + ")"
		}
	} else if e.Line == 0 {
		e.Msg = "cannot decode"
	}
	return e
}

func friendlyType(goType string) string {
	switch {
	case strings.Contains(goType, "time.Time"), strings.Contains(goType, "Date"):
		return "a date such as 2024-05-31"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "slice"):
		return "a list"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "int"):
		return "a whole number"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "map"), strings.Contains(goType, "struct"):
		return "a table"
	}
	return "another type"
}

// IsSafe reports whether msg is one of Satchel's own decoding messages,
// which carry no input data: they read "invalid X: want Y".
func IsSafe(msg string) bool {
	return strings.HasPrefix(msg, "invalid ") && strings.Contains(msg, ": want ") && !strings.ContainsAny(msg, "'\"\n")
}

// KeyLine finds the line on which key k is set in data, by a plain scan that
// follows table headers. It returns 0 if it cannot tell.
func KeyLine(data []byte, k toml.Key) int {
	if len(k) == 0 {
		return 0
	}
	table := ""
	want := strings.Join(k[:len(k)-1], ".")
	last := k[len(k)-1]
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "[["):
			table = strings.Trim(strings.TrimSpace(strings.Trim(t[:strings.Index(t+"]]", "]]")], "[ ")), `"'`)
			if strings.Join(k, ".") == table {
				return i + 1
			}
		case strings.HasPrefix(t, "["):
			table = strings.Trim(strings.TrimSpace(strings.Trim(t[:strings.Index(t+"]", "]")], "[ ")), `"'`)
			if strings.Join(k, ".") == table {
				return i + 1
			}
		default:
			eq := strings.Index(t, "=")
			if eq <= 0 {
				continue
			}
			key := strings.Trim(strings.TrimSpace(t[:eq]), `"'`)
			full := key
			if table != "" {
				full = table + "." + key
			}
			if full == strings.Join(k, ".") || (table == want && key == last) {
				return i + 1
			}
		}
	}
	return 0
}

// Split returns the errors joined in err (by errors.Join), or err alone.
func Split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
