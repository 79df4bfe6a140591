// Package education embeds Satchel's built-in library of education pages:
// plain-English pages about common conditions, Markdown with a +++ TOML
// front matter block (package content reads them). Every practice gets
// them; a page of the same file name in the practice's own education
// folder (site.toml education) replaces the built-in one.
package education

import (
	"embed"
	"io/fs"
)

//go:embed *.md
var files embed.FS

// FS returns the built-in education pages.
func FS() fs.FS { return files }
