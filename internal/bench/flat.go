package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record/load"
)

// flatMemory builds a practice of opt.Flat patients and compares its peak
// memory with the large practice's (large): a build holds nothing per
// patient that it can put on disk, so its memory should barely grow with
// the practice. Its records are the large practice's over again, linked
// under other ids (each id has its own cards and bundle), which is quick
// to make; the practice is removed afterwards.
func flatMemory(ctx context.Context, opt Options, large run, log io.Writer) ([]Figure, error) {
	src, dir := filepath.Join(opt.Work, "large"), filepath.Join(opt.Work, "flat")
	defer os.RemoveAll(dir)
	fmt.Fprintf(log, "bench: linking a practice of %d patients from the large one's records\n", opt.Flat)
	if err := linkPractice(src, dir, opt.Flat); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bench: satchel build of %d patients\n", opt.Flat)
	cmd := exec.CommandContext(ctx, opt.Satchel, "build", "-site", filepath.Join(dir, "site.toml"))
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("satchel build of the %d-patient practice failed: %w", opt.Flat, err)
	}
	wall := time.Since(start)
	rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	return []Figure{
		{fmt.Sprintf("peak_rss_mb_%d", opt.Flat), rss, "MB"},
		{fmt.Sprintf("peak_rss_ratio_%d_vs_%d", opt.Flat, opt.Large), rss / large.rssMB, "x"},
		{fmt.Sprintf("bundles_per_second_%d", opt.Flat), float64(opt.Flat) / wall.Seconds(), "bundles/s"},
	}, nil
}

// linkPractice makes a practice of n patients in dst from the one in src:
// its site.toml, and src's records and their approvals in turn, linked (or
// copied) under the ids x<round>-<id>.
func linkPractice(src, dst string, n int) error {
	files, err := load.Files(filepath.Join(src, "records"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no records in %s", src)
	}
	recs := filepath.Join(dst, "records")
	if err := os.MkdirAll(recs, 0o755); err != nil {
		return err
	}
	if err := linkOrCopy(filepath.Join(src, "site.toml"), filepath.Join(dst, "site.toml")); err != nil {
		return err
	}
	for i := range n {
		f := files[i%len(files)]
		name := fmt.Sprintf("x%d-%s", i/len(files), filepath.Base(f))
		to := filepath.Join(recs, name)
		if err := linkOrCopy(f, to); err != nil {
			return err
		}
		if err := linkOrCopy(policy.ApprovalPath(f), policy.ApprovalPath(to)); err != nil {
			return err
		}
	}
	return nil
}

func linkOrCopy(from, to string) error {
	if os.Link(from, to) == nil {
		return nil
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
