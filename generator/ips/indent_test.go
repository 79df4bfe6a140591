package ips

import (
	"bytes"
	"encoding/json"
	"testing"
)

// indentCases are compact JSON values with what indent could get wrong:
// empty objects and arrays, nesting, and strings holding quotes,
// backslashes, brackets, commas and colons.
var indentCases = []string{
	`{}`, `[]`, `""`, `0`, `null`, `true`,
	`{"a":{}}`, `{"a":[]}`, `[{},[],{}]`, `[[[]]]`,
	`{"a":1,"b":[1,2,{"c":null}],"d":{"e":"f"}}`,
	`{"k\"e,y":"v:a{l}u[e]\\","x":"\\\"","y":"\\\\"}`,
	`["\u00e9\u2028","<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a, b: c</p></div>"]`,
	`{"":""}`, `[1.5e-7,-0,"]"]`,
}

// indent writes what json.Indent writes with no prefix and two spaces, for
// the cases above and for every document of the sample and FHIR records.
func TestIndentIsJSONIndent(t *testing.T) {
	check := func(name string, src []byte) {
		t.Helper()
		var want bytes.Buffer
		if err := json.Indent(&want, src, "", "  "); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := indent(nil, src); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: indent gives\n%s\nwant\n%s", name, got, want.Bytes())
		}
	}
	for _, c := range indentCases {
		check(c, []byte(c))
	}
	for _, in := range allInputs(t) {
		doc := write(t, in.name, in.rec, testMeta())
		var compact bytes.Buffer
		if err := json.Compact(&compact, doc); err != nil {
			t.Fatal(err)
		}
		check(in.name, compact.Bytes())
		// And the document itself is that, with Encoder's newline.
		var want bytes.Buffer
		json.Indent(&want, compact.Bytes(), "", "  ")
		if !bytes.Equal(doc, append(want.Bytes(), '\n')) {
			t.Errorf("%s: the document is not indented as json.Indent does", in.name)
		}
	}
}

// FuzzIndent: for any valid JSON, indenting its compact form gives what
// json.Indent gives.
func FuzzIndent(f *testing.F) {
	for _, c := range indentCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var compact bytes.Buffer
		if json.Compact(&compact, data) != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indent(nil, compact.Bytes()); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("indent(%q) = %q, want %q", compact.Bytes(), got, want.Bytes())
		}
	})
}
