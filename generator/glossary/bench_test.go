package glossary

import (
	"html/template"
	"strings"
	"testing"
)

// BenchmarkMark60KB marks a 60 KB record document with a fresh Marker each
// time, as a build does once per patient.
func BenchmarkMark60KB(b *testing.B) {
	g := defaultGlossary(b)
	doc := sampleDocument()
	in := template.HTML(strings.Repeat(doc, 60<<10/len(doc)+1)[:60<<10])
	in = in[:strings.LastIndex(string(in), "</section>")+len("</section>")]
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		g.NewMarker().Mark(in)
	}
}

// BenchmarkDefault measures compiling the built-in dictionary, done once
// per build.
func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}
