package render

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// A build groups a record once (View) for both its document and its PDF
// copy: RenderView must write what Render writes and leave the view as
// View made it, letters unrendered and no glossary, for the PDF.
func TestRenderViewLeavesTheViewForThePDFCopy(t *testing.T) {
	t.Parallel()
	r := newRendererWith(t)
	d := testDocument(fullRecord())
	v, want := r.View(d), r.View(d)
	var got bytes.Buffer
	if err := r.RenderView(&got, d, v); err != nil {
		t.Fatal(err)
	}
	out := render(t, r, d)
	if got.String() != out {
		t.Error("RenderView wrote another document than Render")
	}
	// What Render fills in is there, so a view it wrote to would differ.
	if !strings.Contains(out, `id="`+idGlossary+`"`) || !strings.Contains(out, "Recheck HbA1c in six months.</p>") {
		t.Fatal("the test record renders no glossary or no letter")
	}
	if !reflect.DeepEqual(v, want) {
		t.Error("RenderView changed the view it was given")
	}
	if err := r.RenderView(&got, d, nil); err == nil {
		t.Error("RenderView rendered no view without an error")
	}
}
