package render

import (
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
