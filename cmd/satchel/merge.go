package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/satchel-records/satchel/generator/pipeline"
)

// cmdMerge combines the results of a sharded build (satchel build -shard
// K/N, for every K) into the practice's manifest, registry, audit log,
// build state and print sheet.
func cmdMerge(args []string, stderr io.Writer) error {
	fs := newFlags("merge", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	shards := fs.Int("shards", 0, "N, the number of shards to merge (default: the one N with results in private/shards)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "merge takes no arguments", hint: "satchel merge merges every shard's result in private/shards; -shards N picks one N"}
	}
	if *shards < 0 {
		return usageError{msg: "-shards must be at least 1", hint: "-shards 3 merges the results of satchel build -shard 0/3, 1/3 and 2/3"}
	}
	cfg, p, err := openSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	rep, err := p.Merge(pipeline.MergeOptions{Shards: *shards, By: who("") + " (satchel merge)"})
	if err != nil {
		printErrors(stderr, err)
		return errReported
	}
	if !rep.Resumed.IsZero() {
		msg(stderr, "", "finished the merge that was stopped part way (it had begun %s): its card registry and print sheet are kept", rep.Resumed.UTC().Format("2 January 2006 15:04 UTC"))
	}
	for _, w := range rep.Warnings {
		msg(stderr, "warning", "%s", w)
	}
	for _, f := range rep.Failures {
		msg(stderr, "error", "%s", f)
	}
	unchanged := ""
	if rep.Unchanged > 0 {
		unchanged = fmt.Sprintf(" (%d unchanged since the last build: nothing written for them)", rep.Unchanged)
	}
	msg(stderr, "", "merged %d shard%s: built %d of %d patients%s: bundles in %s, key cards in %s, manifest %s",
		rep.Shards, plural(rep.Shards), rep.Count(pipeline.Built), rep.Total, unchanged,
		rel(cfg.BundlesDir()), rel(cfg.CardsDir()), rel(filepath.Join(cfg.Root, rep.Manifest)))
	if rep.Sheet != "" {
		msg(stderr, "", "%d key card%s to print, double-sided: %s (delete it once printed)", rep.SheetCards, plural(rep.SheetCards), rel(filepath.Join(cfg.Root, rep.Sheet)))
	}
	if n := rep.Count(pipeline.Failed); n > 0 {
		msg(stderr, "error", "%d patient%s failed: fix the files named above, then build (or run every shard) again", n, plural(n))
	}
	if !rep.OK() {
		return errReported
	}
	return nil
}
