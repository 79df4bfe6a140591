package main

import (
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
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
	cfg, p, err := openSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	rep, err := status.Of(p, time.Now())
	if err != nil {
		return err
	}
	// What the shards built is not in the manifest until merged.
	for _, n := range pipeline.Unmerged(cfg) {
		msg(stderr, "hint", "%s holds results of a sharded build of %d shards, not merged yet: run satchel merge once every shard has finished", rel(filepath.Join(pipeline.ShardsDir(cfg), strconv.Itoa(n))), n)
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
