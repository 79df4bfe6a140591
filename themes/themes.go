// Package themes embeds Satchel's built-in CSS themes, one folder per theme
// (default, large-print, ...), each holding theme.css and optionally
// print.css (print rules only; the renderer wraps it in @media print). Every
// theme other than default is laid over the default theme, so it holds only
// the rules it changes. A practice overrides any one of these files with a
// file of the same name in its own themes folder (site.toml themes_dir), or
// adds a theme of its own there.
package themes

import (
	"embed"
	"io/fs"
)

//go:embed */*.css
var files embed.FS

// FS returns the built-in themes.
func FS() fs.FS { return files }
