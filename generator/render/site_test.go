package render

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/satchel-records/satchel/templates"
)

// A practice's keycard.html replaces the built-in one while the shared card
// faces still come from the built-in layer; a missing file is an error.
func TestLoadTakesEachFileFromTheFirstLayerThatHasIt(t *testing.T) {
	t.Parallel()
	practice := fstest.MapFS{"keycard.html": {Data: []byte(`{{define "keycard.html"}}OURS {{template "card-front" .}}{{end}}`)}}
	set, err := Load([]fs.FS{practice, templates.FS()}, "keycard-faces.html", "keycard.html")
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
	if _, err := Load([]fs.FS{practice}, "keycard-faces.html"); err == nil || !strings.Contains(err.Error(), "no keycard-faces.html template") {
		t.Errorf("missing file: %v", err)
	}
}
