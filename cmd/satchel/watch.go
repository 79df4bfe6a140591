package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/generator/watch"
)

func cmdWatch(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("watch", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "watch takes no arguments", hint: "satchel watch -site FILE"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	// Asked once: a watch rebuilds many times.
	pass := sync.OnceValues(keyPassphrase(stderr))
	opt := pipeline.Options{KeyPassphrase: pass, By: who("") + " (satchel watch)"}
	// Watching starts before the first build, so that a file changed while
	// it runs is rebuilt after it, not missed.
	// private_dir is watched for the card registry: make it first.
	if err := os.MkdirAll(cfg.PrivateDir, 0o700); err != nil {
		msg(stderr, "error", "cannot create private_dir: %v", err)
		return errReported
	}
	batches := make(chan []string)
	errs := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- watch.Batches(ctx, func() []string { return watch.Folders(cfg) }, 300*time.Millisecond, batches, errs)
	}()
	// cards is the card registry as the last build left it: a change to
	// it that no build made (satchel card add or revoke) rebuilds the
	// patients whose cards changed.
	cards := registryDigest(cfg)
	build := func(o pipeline.Options) {
		// A failed rebuild is reported and watching goes on.
		buildAndReport(ctx, cfg, o, stderr)
		cards = registryDigest(cfg)
	}
	build(opt)
	msg(stderr, "", "watching %s: press Ctrl-C to stop", rel(cfg.Root))
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-done:
			return err
		case err := <-errs:
			msg(stderr, "warning", "watching: %v", err)
		case batch := <-batches:
			plan := watch.Plan(cfg, batch)
			if plan.Cards && !plan.All && len(plan.Patients) == 0 {
				if registryDigest(cfg) == cards {
					continue // the last build's own save
				}
				plan.All = true
			}
			if plan.Empty() {
				continue
			}
			if plan.All {
				// site.toml may have changed: read it again, and keep the
				// old one if the new one is broken.
				if next, err := site.Load(*sitePath); err != nil {
					printErrors(stderr, err)
					msg(stderr, "warning", "site file has errors: still building with the previous one")
				} else {
					cfg = next
				}
				// Every patient is checked; only those whose output
				// the change affects are rebuilt.
				msg(stderr, "", "changes: rebuilding the patients they affect")
				build(opt)
				continue
			}
			msg(stderr, "", "changes: rebuilding %d patient%s", len(plan.Patients), plural(len(plan.Patients)))
			o := opt
			o.Only = plan.Patients
			build(o)
		}
	}
}

// registryDigest is the digest of the card registry's file as it is now
// ("" when there is none).
func registryDigest(cfg *site.Config) string {
	data, err := os.ReadFile(filepath.Join(cfg.PrivateDir, registry.FileName))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
