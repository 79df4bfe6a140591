package layers

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/satchel-records/satchel/templates"
)

// A practice's keycard.html replaces the built-in one while the shared card
// faces still come from the built-in layer; a missing file is an error.
func TestParseTakesEachFileFromTheFirstLayerThatHasIt(t *testing.T) {
	t.Parallel()
	practice := fstest.MapFS{"keycard.html": {Data: []byte(`{{define "keycard.html"}}OURS {{template "card-front" .}}{{end}}`)}}
	set, err := Of(practice, templates.FS()).Parse(nil, "keycard-faces.html", "keycard.html")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, "keycard.html", map[string]any{"PracticeName": "Test Practice"}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.HasPrefix(out, "OURS ") || !strings.Contains(out, "Test Practice") {
		t.Errorf("got %q", out)
	}
	if _, err := Of(practice).Parse(nil, "keycard-faces.html"); err == nil || !strings.Contains(err.Error(), "no keycard-faces.html in any") {
		t.Errorf("missing file: %v", err)
	}
}

// A broken practice template is named by its folder and line, whether it
// fails to parse or fails when it runs, and a built-in file by its layer.
func TestErrorsNameTheLayerFileAndLine(t *testing.T) {
	t.Parallel()
	practice := fstest.MapFS{
		"keycard.html": {Data: []byte("{{define \"keycard.html\"}}\n<p>\n{{.NoSuchField}}\n{{end}}")},
		"broken.html":  {Data: []byte("<p>\n{{if}}\n")},
	}
	stack := Stack{{Dir: "my-practice/templates", FS: practice}, {Dir: BuiltinTemplates, FS: templates.FS()}}
	_, err := stack.Parse(nil, "broken.html")
	if err == nil || !strings.HasPrefix(err.Error(), "my-practice/templates/broken.html:2: ") {
		t.Errorf("parse error: %v", err)
	}
	set, err := stack.Parse(nil, "keycard-faces.html", "keycard.html")
	if err != nil {
		t.Fatal(err)
	}
	err = stack.Explain(set.ExecuteTemplate(&bytes.Buffer{}, "keycard.html", struct{ PracticeName string }{"P"}))
	if err == nil || !strings.HasPrefix(err.Error(), "my-practice/templates/keycard.html:3:") {
		t.Errorf("execute error: %v", err)
	}
	builtin := Stack{{Dir: BuiltinTemplates, FS: fstest.MapFS{"x.html": {Data: []byte("{{end}}")}}}}
	if _, err := builtin.Parse(nil, "x.html"); err == nil || !strings.HasPrefix(err.Error(), "built-in templates/x.html:1: ") {
		t.Errorf("built-in error: %v", err)
	}
}
