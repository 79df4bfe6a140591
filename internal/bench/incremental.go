package bench

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
)

// Rebuilds measures incremental builds of the practice at dir, already
// built once in fresh: a rebuild with nothing changed (its time over the
// fresh build's, and how many files under public/ it rewrote, which must
// be none), `satchel check` of the same practice (which renders every
// record, as a fresh build does, but writes nothing), then a rebuild after
// one record changed and was approved again (its time, and how many
// bundle folders it rewrote, which must be one).
func Rebuilds(ctx context.Context, satchel, dir string, fresh time.Duration, log io.Writer) ([]Figure, error) {
	public := filepath.Join(dir, "public")
	before, err := stamps(public)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(log, "bench: satchel build again, nothing changed")
	noop, err := timeSatchel(ctx, satchel, "build", dir)
	if err != nil {
		return nil, err
	}
	after, err := stamps(public)
	if err != nil {
		return nil, err
	}
	rewritten, _ := differ(before, after)

	fmt.Fprintln(log, "bench: satchel check")
	check, err := timeSatchel(ctx, satchel, "check", dir)
	if err != nil {
		return nil, err
	}

	fmt.Fprintln(log, "bench: satchel build after one record changed and was approved again")
	files, err := load.Files(filepath.Join(dir, "records"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no record to change in %s", dir)
	}
	if err := changeAndApprove(files[0]); err != nil {
		return nil, err
	}
	before = after
	one, err := timeSatchel(ctx, satchel, "build", dir)
	if err != nil {
		return nil, err
	}
	if after, err = stamps(public); err != nil {
		return nil, err
	}
	_, bundles := differ(before, after)
	return []Figure{
		{"noop_rebuild_ms", float64(noop.Milliseconds()), "ms"},
		{"noop_rebuild_vs_fresh", noop.Seconds() / fresh.Seconds(), "x"},
		{"public_files_rewritten", float64(rewritten), "files"},
		{"check_ms", float64(check.Milliseconds()), "ms"},
		{"check_vs_fresh", check.Seconds() / fresh.Seconds(), "x"},
		{"one_change_rebuild_ms", float64(one.Milliseconds()), "ms"},
		{"one_change_bundles_rewritten", float64(bundles), "bundles"},
	}, nil
}

// timeSatchel runs `satchel verb` (build, check) on the practice at dir
// and returns how long it took.
func timeSatchel(ctx context.Context, satchel, verb, dir string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, satchel, verb, "-site", filepath.Join(dir, "site.toml"))
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("satchel %s of %s failed: %w", verb, dir, err)
	}
	return time.Since(start), nil
}

// changeAndApprove adds an allergy to the record at path and approves it
// again, as the synthetic practice's approvals are made.
func changeAndApprove(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	data = append(data, "\n[[allergies]]\nsubstance = \"Penicillin\"\nreaction = \"Rash\"\n"...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	a := &policy.Approval{Approver: "Dr Synthetic", Role: "GP partner", Date: record.NewDate(2026, 11, 2)}
	return a.Write(policy.ApprovalPath(path), policy.Inputs{Record: data, Rules: policy.DefaultRules()})
}

// fileStamp is a file's size and time.
type fileStamp struct {
	size  int64
	mtime time.Time
}

// stamps returns the size and time of every file under dir.
func stamps(dir string) (map[string]fileStamp, error) {
	out := map[string]fileStamp{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fileStamp{info.Size(), info.ModTime()}
		return nil
	})
	return out, err
}

// differ counts the files written, added or removed between two stamps,
// and the folders holding them.
func differ(before, after map[string]fileStamp) (files, folders int) {
	dirs := map[string]bool{}
	count := func(p string) {
		files++
		dirs[filepath.Dir(p)] = true
	}
	for p, a := range after {
		if b, ok := before[p]; !ok || a != b {
			count(p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			count(p)
		}
	}
	return files, len(dirs)
}
