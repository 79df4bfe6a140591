package main

import (
	"io"
	"time"
)

func cmdReview(args []string, stderr io.Writer) error {
	fs := newFlags("review", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{msg: "review needs at least one patient ID", hint: "satchel review rmc-0001 (the record file's name without its extension)"}
	}
	_, p, err := openSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	failed := false
	for _, id := range fs.Args() {
		path, err := p.Review(id, time.Now())
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
