// Package content loads the practice's education pages (Markdown with a TOML
// front matter block) and matches them to a patient's problems by code. It
// owns the one goldmark instance that renders all Markdown, letters included.
package content

import (
	"html/template"

	"github.com/satchel-records/satchel/generator/record"
)

// Page is one education page, rendered.
type Page struct {
	Slug       string // from the file name; unique; used in links and ids
	File       string // source path, for errors and build warnings
	Title      string
	Codes      []record.Code
	Reviewed   record.Date
	NextReview record.Date
	Source     string        // who wrote it or what it is based on
	Body       template.HTML // rendered Markdown; heading ids prefixed by Slug
}

// Markdown renders Markdown to HTML with Satchel's settings: GFM, footnotes,
// typographer, heading ids; raw HTML off.
type Markdown struct{}

// Library is the set of education pages of a site.
type Library struct{}
