package render

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"

	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// Layers returns a site's template and theme layers, first wins: the
// practice's own folders (site.toml templates_dir, themes_dir), then the
// built-in ones.
func Layers(cfg *site.Config) (tmpl, theme []fs.FS) {
	if cfg.TemplatesDir != "" {
		tmpl = append(tmpl, os.DirFS(cfg.TemplatesDir))
	}
	tmpl = append(tmpl, templates.FS())
	if cfg.ThemesDir != "" {
		theme = append(theme, os.DirFS(cfg.ThemesDir))
	}
	theme = append(theme, themes.FS())
	return tmpl, theme
}

// ForSite returns the renderer a site's settings ask for: its template and
// theme layers, its theme, languages and extra high-risk medicines.
func ForSite(cfg *site.Config, md Markdowner) (*Renderer, error) {
	tl, thl := Layers(cfg)
	return New(cfg.Theme, tl, thl, md, Languages(cfg.Languages...), HighRisk(cfg.HighRisk))
}

// Load parses the named template files into one set, each from the first
// layer that has it, for the pages Satchel makes beside the record (key
// cards, print sheets, review sheets): a practice overrides any one file
// by name without forking the others.
func Load(layers []fs.FS, names ...string) (*template.Template, error) {
	var set *template.Template
	for _, name := range names {
		var src []byte
		for _, l := range layers {
			b, err := fs.ReadFile(l, name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			src = b
			break
		}
		if src == nil {
			return nil, fmt.Errorf("no %s template", name)
		}
		t := set
		if t == nil {
			set = template.New(name)
			t = set
		} else {
			t = set.New(name)
		}
		if _, err := t.Parse(string(src)); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
	}
	if set == nil {
		return nil, errors.New("no template named")
	}
	return set, nil
}
