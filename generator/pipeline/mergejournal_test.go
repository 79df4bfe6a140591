package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// A merge killed just after saving the card registry, or part way
// through the audit log, finishes when run again: it leaves the same
// card registry, print sheet, manifest and audit log as a merge that was
// never stopped, every event in the log once, and no shard result. (It
// used to refuse: the shards had been built against the registry before.)
func TestStoppedMergeFinishesWhenRunAgain(t *testing.T) {
	t.Parallel()
	base := samplePractice(t)
	runBuild(t, base)
	// A card added since the build: the shards issue it and the merge
	// puts it on the print sheet, marked printed in the registry.
	addCard(t, base)

	// The same practice three times, sharded the same way: merged once
	// whole, and stopped at each point, then merged again.
	merged, sheets := map[string]*site.Config{}, map[string]string{}
	for _, at := range []string{"", "registry", "audit"} {
		cfg := copyPractice(t, base)
		runShards(t, cfg, 2)
		p, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		killed := errors.New("killed")
		opt := MergeOptions{Now: clock, auditBatch: 3}
		if at != "" {
			stopped := opt
			stopped.stop = func(where string) error {
				if where == at {
					return killed
				}
				return nil
			}
			if _, err := p.Merge(stopped); !errors.Is(err, killed) {
				t.Fatalf("merge stopped at %q: %v", at, err)
			}
			// Run again a day later: the print sheet and its audit
			// events keep the stopped merge's date.
			opt.Now = func() time.Time { return clock().Add(24 * time.Hour) }
		}
		rep, err := p.Merge(opt)
		if err != nil {
			t.Fatalf("merge (stopped at %q before): %v", at, err)
		}
		if rep.Total != 12 || rep.SheetCards != 1 {
			t.Errorf("merge (stopped at %q before): %d patients, %d cards on the sheet; want 12 and 1", at, rep.Total, rep.SheetCards)
		}
		if want := clock(); at == "" {
			if !rep.Resumed.IsZero() {
				t.Errorf("a merge never stopped says it finished one stopped at %v", rep.Resumed)
			}
		} else if !rep.Resumed.Equal(want) {
			t.Errorf("merge (stopped at %q before): says it finished a merge begun %v, want %v", at, rep.Resumed, want)
		}
		if _, err := os.Stat(ShardsDir(cfg)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("merge (stopped at %q before) left the shards' results: %v", at, err)
		}
		merged[at] = cfg
		sheets[at] = rep.Sheet
	}

	whole := merged[""]
	for _, at := range []string{"registry", "audit"} {
		cfg := merged[at]
		if sheets[at] != sheets[""] {
			t.Errorf("stopped at %q, then merged: the print sheet is %s, want %s", at, sheets[at], sheets[""])
		}
		for _, f := range []string{filepath.Join(filepath.Base(whole.PrivateDir), registry.FileName), sheets[""]} {
			want, err := os.ReadFile(filepath.Join(whole.Root, f))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(cfg.Root, f))
			if err != nil {
				t.Fatalf("stopped at %q: %v", at, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stopped at %q, then merged: %s differs from a merge never stopped", at, f)
			}
		}
		if got, want := manifestStatuses(t, cfg), manifestStatuses(t, whole); !slices.Equal(got, want) {
			t.Errorf("stopped at %q, then merged: the manifest has %v, want %v", at, got, want)
		}
		// The shards' events hold digests of their own bundles (new
		// session keys in each copy): compare what, whom and when.
		if got, want := auditEvents(t, cfg), auditEvents(t, whole); !slices.Equal(got, want) {
			t.Errorf("stopped at %q, then merged: the audit log has\n%s\nwant\n%s", at, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// addCard adds a card for rmc-0001 to the practice's registry, as
// `satchel card add` does.
func addCard(t *testing.T, cfg *site.Config) {
	t.Helper()
	reg, err := registry.Open(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	reg.Add("rmc-0001", "Daughter", clock())
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
}

// runShards runs shards 0/n to n-1/n of the practice, one after another.
func runShards(t *testing.T, cfg *site.Config, n int) {
	t.Helper()
	for k := range n {
		if _, err := Run(context.Background(), cfg, Options{Now: clock, Shard: &Shard{K: k, N: n}}); err != nil {
			t.Fatalf("shard %d/%d: %v", k, n, err)
		}
	}
}

// copyPractice copies the practice of cfg, private files and their modes
// as they are, into a new folder, and loads it.
func copyPractice(t *testing.T, cfg *site.Config) *site.Config {
	t.Helper()
	dst := t.TempDir()
	testtool.CopyTree(t, cfg.Root, dst)
	out, err := site.Load(filepath.Join(dst, filepath.Base(cfg.File)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func manifestStatuses(t *testing.T, cfg *site.Config) []string {
	t.Helper()
	var out []string
	for _, e := range readManifest(t, cfg).Patients {
		out = append(out, fmt.Sprintf("%s %s", e.ID, e.Status))
	}
	return out
}

func auditEvents(t *testing.T, cfg *site.Config) []string {
	t.Helper()
	events, err := registry.ReadAudit(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, fmt.Sprintf("%s %s %s %d %v %s", e.Time.Format(time.RFC3339), e.What, e.Patient, e.Serial, e.Cards, e.Sheet))
	}
	return out
}

// Shards run again after a merge stopped part way (as the merge used to
// ask) are merged as usual: the stopped merge's journal does not stand in
// their way.
func TestShardsRunAgainAfterAStoppedMergeAreMerged(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	runBuild(t, cfg)
	addCard(t, cfg) // the merge changes the registry
	runShards(t, cfg, 2)
	p, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	killed := errors.New("killed")
	stop := func(at string) error {
		if at == "registry" {
			return killed
		}
		return nil
	}
	if _, err := p.Merge(MergeOptions{Now: clock, stop: stop}); !errors.Is(err, killed) {
		t.Fatalf("stopped merge: %v", err)
	}
	runShards(t, cfg, 2)
	rep, err := p.Merge(MergeOptions{Now: clock})
	if err != nil {
		t.Fatalf("merge of the shards run again: %v", err)
	}
	if rep.Total != 12 || !rep.Resumed.IsZero() {
		t.Errorf("merged %d patients, resumed %v; want 12 and not resumed", rep.Total, rep.Resumed)
	}
}
