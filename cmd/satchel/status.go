package main

import (
	"io"
	"time"

	"github.com/satchel-records/satchel/generator/status"
)

func cmdStatus(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	asJSON := fs.Bool("json", false, "write the status as JSON, for scripts")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "status takes no arguments", hint: "satchel status lists every patient; satchel review ID explains one"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	p, err := openPipeline(cfg, stderr)
	if err != nil {
		return err
	}
	rep, err := status.Of(p, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
