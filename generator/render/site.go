package render

import (
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/site"
)

// ForSite returns the renderer a site's settings ask for: its template and
// theme layers, its theme, languages and extra high-risk medicines.
func ForSite(cfg *site.Config, md Markdowner) (*Renderer, error) {
	return New(cfg.Theme, layers.Templates(cfg), layers.Themes(cfg), md, Languages(cfg.Languages...), HighRisk(cfg.HighRisk))
}
