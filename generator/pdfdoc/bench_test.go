package pdfdoc_test

import (
	"testing"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/pdfdoc"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

func BenchmarkMake(b *testing.B) {
	r, err := render.New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown())
	if err != nil {
		b.Fatal(err)
	}
	m, err := pdfdoc.New(content.NewMarkdown())
	if err != nil {
		b.Fatal(err)
	}
	d := synthetic("Jane Example")
	v := r.View(d)
	for b.Loop() {
		if _, err := m.Make(d, v, r.Plain(v.Lang)); err != nil {
			b.Fatal(err)
		}
	}
}
