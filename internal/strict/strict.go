// Package strict decodes TOML files strictly and turns every problem into an
// error that names the file, the line and the field, and never the value.
//
// Satchel's inputs hold patient data, so a decoder's own message (which may
// quote the offending text) is never passed on: only its position and a
// generic description are.
package strict

import (
	"bytes"
	"errors"
	"fmt"
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

// Decode decodes data (the content of file) into v. Unknown keys, wrong types
// and syntax errors are returned joined, each as an *Error. It returns the
// metadata so callers can check which optional keys were present.
func Decode(file string, data []byte, v any) (toml.MetaData, error) {
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(v)
	if err != nil {
		return md, convert(file, data, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, &Error{File: file, Line: KeyLine(data, k), Field: k.String(), Msg: "unknown field"})
	}
	return md, errors.Join(errs...)
}

// convert maps a BurntSushi error to an *Error without its message text,
// which can quote the input.
func convert(file string, data []byte, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// Our own UnmarshalTOML / UnmarshalText errors are written to be
		// safe to show, in the form "invalid X: want Y"; the parser's
		// never contain ": want " and may quote the input.
		msg := "invalid TOML syntax"
		if IsSafe(pe.Message) {
			msg = pe.Message
		}
		return &Error{File: file, Line: pe.Position.Line, Field: pe.LastKey, Msg: msg}
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
			e.Field = rest[:j]
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
			table = strings.TrimSpace(strings.Trim(t[:strings.Index(t+"]]", "]]")], "[ "))
			if strings.Join(k, ".") == table {
				return i + 1
			}
		case strings.HasPrefix(t, "["):
			table = strings.TrimSpace(strings.Trim(t[:strings.Index(t+"]", "]")], "[ "))
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
