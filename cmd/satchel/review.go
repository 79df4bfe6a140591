package main

import (
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/satchel-records/satchel/generator/review"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

func cmdReview(args []string, stderr io.Writer) error {
	fs_ := newFlags("review", stderr)
	sitePath := fs_.String("site", "site.toml", "the practice's site.toml")
	if err := parse(fs_, args); err != nil {
		return err
	}
	if fs_.NArg() == 0 {
		return usageError{msg: "review needs at least one patient ID", hint: "satchel review rmc-0001 (the record file's name without its extension)"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	var tl, thl []fs.FS
	if cfg.TemplatesDir != "" {
		tl = append(tl, os.DirFS(cfg.TemplatesDir))
	}
	if cfg.ThemesDir != "" {
		thl = append(thl, os.DirFS(cfg.ThemesDir))
	}
	rv, err := review.New(cfg, append(tl, templates.FS()), append(thl, themes.FS()))
	if err != nil {
		printErrors(stderr, err)
		return errReported
	}
	failed := false
	for _, id := range fs_.Args() {
		path, err := rv.Write(id, time.Now())
		if err != nil {
			printErrors(stderr, err)
			failed = true
			continue
		}
		msg(stderr, "", "%s: review sheet %s (0600)", id, rel(path))
	}
	if failed {
		return errReported
	}
	return nil
}
