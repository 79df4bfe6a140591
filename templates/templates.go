// Package templates embeds Satchel's built-in html/template files. A practice
// overrides any one of them by putting a file of the same name in its own
// templates folder (site.toml templates_dir).
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.html
var files embed.FS

// FS returns the built-in templates.
func FS() fs.FS { return files }
