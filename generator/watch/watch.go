// Package watch rebuilds a site when its inputs change, for `satchel
// watch`. A small batcher over fsnotify collects changes until the folder
// has been quiet for a moment; Plan, a plain function tested without
// fsnotify, turns a batch of paths into what to rebuild. A rebuild goes
// through the pipeline's incremental build, like `satchel build`: even a
// build of every patient rewrites only those whose output the change
// affects.
package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
)

// Rebuild is what a batch of changes needs.
type Rebuild struct {
	All      bool     // the site, templates, themes or education pages changed
	Patients []string // otherwise, the patients whose record or approval changed
	// Cards is true when the card registry changed (satchel card add or
	// revoke, or a build's own save): the caller tells which by its
	// content, and a build of everyone then rebuilds those whose cards
	// changed.
	Cards bool
}

// Empty reports whether nothing needs rebuilding.
func (r Rebuild) Empty() bool { return !r.All && len(r.Patients) == 0 && !r.Cards }

// Plan says what to rebuild after the files at paths changed. Changes to
// Satchel's own output (public_dir, private_dir) and to editors' temporary
// files are ignored.
func Plan(cfg *site.Config, paths []string) Rebuild {
	var r Rebuild
	for _, p := range paths {
		p = filepath.Clean(p)
		base := filepath.Base(p)
		switch {
		case strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp"):
			continue
		case same(p, filepath.Join(cfg.PrivateDir, registry.FileName)):
			r.Cards = true
		case within(p, cfg.PublicDir) || within(p, cfg.PrivateDir):
			continue
		case same(p, cfg.File):
			r.All = true
		case within(p, cfg.RecordsDir):
			switch {
			case filepath.Dir(p) != filepath.Clean(cfg.RecordsDir) && !strings.HasSuffix(base, ".approval.toml"):
				// In a bulk export's folder: an NDJSON file or the
				// export's manifest may change any of its patients.
				r.All = true
			case strings.HasSuffix(base, ".toml"), strings.HasSuffix(base, ".json"):
				if id := record.Stem(p); !slices.Contains(r.Patients, id) {
					r.Patients = append(r.Patients, id)
				}
			default:
				// A letter or a patient's own key file: which record names
				// it is only known by reading them all, and a full build
				// does that.
				r.All = true
			}
		case within(p, cfg.EducationDir), cfg.TemplatesDir != "" && within(p, cfg.TemplatesDir),
			cfg.ThemesDir != "" && within(p, cfg.ThemesDir):
			r.All = true
		}
	}
	if r.All {
		r.Patients = nil
	}
	slices.Sort(r.Patients)
	return r
}

func within(p, dir string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(dir), p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// Folders returns the folders to watch for cfg: the one holding site.toml,
// the records folder and the folders in it (bulk exports), the education
// folder, private_dir (for the card registry) and the practice's template
// and theme folders with their subfolders.
func Folders(cfg *site.Config) []string {
	dirs := []string{filepath.Dir(cfg.File), cfg.RecordsDir, cfg.PrivateDir}
	// A bulk export is a folder inside the records folder: its NDJSON
	// files and the approvals beside them.
	if entries, err := os.ReadDir(cfg.RecordsDir); err == nil {
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				dirs = append(dirs, filepath.Join(cfg.RecordsDir, e.Name()))
			}
		}
	}
	if cfg.EducationDir != "" {
		dirs = append(dirs, cfg.EducationDir)
	}
	for _, root := range []string{cfg.TemplatesDir, cfg.ThemesDir} {
		if root == "" {
			continue
		}
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// Batches watches the folders folders returns and sends each batch of
// changed paths once no new change has come for quiet. Whenever something
// is created it asks folders again and watches any new one, so a bulk
// export copied into the records folder while watching is watched from
// then on (its own creation is in the batch, which rebuilds everyone). It
// returns when ctx is done, or if the watcher fails to start.
func Batches(ctx context.Context, folders func() []string, quiet time.Duration, out chan<- []string, errs chan<- error) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	for _, d := range folders() {
		if err := w.Add(d); err != nil {
			return err
		}
	}
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	var pending []string
	timer := time.NewTimer(quiet)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Has(fsnotify.Create) {
				watched := w.WatchList()
				for _, d := range folders() {
					if !slices.Contains(watched, d) {
						if err := w.Add(d); err != nil {
							report(err)
						}
					}
				}
			}
			if !slices.Contains(pending, ev.Name) {
				pending = append(pending, ev.Name)
			}
			timer.Reset(quiet)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			report(err)
		case <-timer.C:
			if len(pending) == 0 {
				continue
			}
			select {
			case out <- pending:
				pending = nil
			case <-ctx.Done():
				return nil
			}
		}
	}
}
