// Package layers finds Satchel's templates and themes in ordered layers: a
// practice's own folder (site.toml templates_dir or themes_dir) first, then
// the built-in files, so that a practice overrides one file by name without
// forking the rest. Every error names the layer and the file it came from,
// such as "my-templates/keycard.html:3: unexpected EOF".
package layers

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// Layer is one folder of templates or themes.
type Layer struct {
	// Dir names the layer in messages: the practice's folder as it is on
	// disk, or "built-in templates" / "built-in themes".
	Dir string
	FS  fs.FS
}

// Path returns how messages name the file name of this layer.
func (l Layer) Path(name string) string {
	return path.Join(filepath.ToSlash(l.Dir), name)
}

// Stack is an ordered list of layers: the first that holds a file wins.
type Stack []Layer

// Built-in layer names.
const (
	BuiltinTemplates = "built-in templates"
	BuiltinThemes    = "built-in themes"
)

// Templates returns a site's template layers: its templates_dir, if set,
// then the built-in templates.
func Templates(cfg *site.Config) Stack {
	var s Stack
	if cfg.TemplatesDir != "" {
		s = append(s, Layer{Dir: cfg.TemplatesDir, FS: os.DirFS(cfg.TemplatesDir)})
	}
	return append(s, Layer{Dir: BuiltinTemplates, FS: templates.FS()})
}

// Themes returns a site's theme layers: its themes_dir, if set, then the
// built-in themes.
func Themes(cfg *site.Config) Stack {
	var s Stack
	if cfg.ThemesDir != "" {
		s = append(s, Layer{Dir: cfg.ThemesDir, FS: os.DirFS(cfg.ThemesDir)})
	}
	return append(s, Layer{Dir: BuiltinThemes, FS: themes.FS()})
}

// Of returns a stack of the given file systems, first wins, named "layer
// 1", "layer 2" and so on: for tests and tools that have no site.
func Of(fss ...fs.FS) Stack {
	s := make(Stack, len(fss))
	for i, f := range fss {
		s[i] = Layer{Dir: fmt.Sprintf("layer %d", i+1), FS: f}
	}
	return s
}

// Read returns the file name from the first layer that has it, and that
// layer. A file no layer has gives an error matching fs.ErrNotExist.
func (s Stack) Read(name string) ([]byte, Layer, error) {
	for _, l := range s {
		if l.FS == nil {
			continue
		}
		data, err := fs.ReadFile(l.FS, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, l, fmt.Errorf("%s: cannot read the file", l.Path(name))
		}
		return data, l, nil
	}
	return nil, Layer{}, fmt.Errorf("no %s in any template or theme folder: %w", name, fs.ErrNotExist)
}

// File is a file found in a stack: its name and the layer it comes from.
type File struct {
	Name  string
	Layer Layer
}

// Glob returns the files matching any of the patterns, each from the first
// layer that has it, sorted by name.
func (s Stack) Glob(patterns ...string) ([]File, error) {
	var files []File
	seen := map[string]bool{}
	for _, l := range s {
		if l.FS == nil {
			continue
		}
		for _, p := range patterns {
			names, err := fs.Glob(l.FS, p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", l.Dir, err)
			}
			for _, n := range names {
				if !seen[n] {
					seen[n] = true
					files = append(files, File{Name: n, Layer: l})
				}
			}
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// Parse parses the named files into one template set with funcs, each file
// from the first layer that has it; the set is named after the first file.
func (s Stack) Parse(funcs template.FuncMap, names ...string) (*template.Template, error) {
	if len(names) == 0 {
		return nil, errors.New("no template named")
	}
	files := make([]File, 0, len(names))
	for _, n := range names {
		_, l, err := s.Read(n)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: n, Layer: l})
	}
	return s.ParseFiles(template.New(names[0]).Funcs(funcs), files)
}

// ParseFiles parses files, as Glob or Parse found them, into set.
func (s Stack) ParseFiles(set *template.Template, files []File) (*template.Template, error) {
	for _, f := range files {
		data, err := fs.ReadFile(f.Layer.FS, f.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read the file", f.Layer.Path(f.Name))
		}
		t := set
		if set.Name() != f.Name {
			t = set.New(f.Name)
		}
		if _, err := t.Parse(string(data)); err != nil {
			return nil, s.Explain(err)
		}
	}
	return set, nil
}

// templateErr matches where html/template's messages name a template,
// parse and execute alike: `template: NAME:LINE...`.
var templateErr = regexp.MustCompile(`(?:html/)?template: ([^:\s]+):`)

// Explain rewrites a template error so that it names the file of the layer
// the template came from ("my-templates/keycard.html:3: ...") instead of
// the bare template name. Other errors are returned as they are.
func (s Stack) Explain(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	m := templateErr.FindStringSubmatchIndex(msg)
	if m == nil {
		return err
	}
	name := msg[m[2]:m[3]]
	where := name
	if _, l, rerr := s.Read(name); rerr == nil {
		where = l.Path(name)
	}
	return &explained{msg: msg[:m[0]] + where + ":" + msg[m[1]:], err: err}
}

type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }
