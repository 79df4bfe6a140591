// Package themes embeds Satchel's built-in CSS themes, one folder per theme
// (default, large-print, ...), each holding theme.css and optionally
// print.css. A practice overrides a theme with a folder of the same name in
// its own themes folder (site.toml themes_dir).
package themes

import (
	"embed"
	"io/fs"
)

//go:embed */*.css
var files embed.FS

// FS returns the built-in themes.
func FS() fs.FS { return files }
