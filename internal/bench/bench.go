// Package bench measures Satchel as `make bench` reports it: whole builds of
// synthetic practices run as a separate process (so peak memory is the
// build's own), against baselines measured in the same run, because the
// machines are shared and noisy and only ratios travel.
package bench

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/internal/synth"
)

// Options say what to run.
type Options struct {
	Satchel   string // path of the satchel binary
	Education string // education pages for the synthetic practices
	Work      string // scratch folder; removed afterwards
	Small     int    // patients in the small practice (memory baseline)
	Large     int    // patients in the large practice
	// Flat, when not 0, is the patients of a third practice, the large
	// one's records over again under other ids, whose peak memory is
	// compared with the large one's: peak_rss_ratio_<Flat>_vs_<Large>.
	Flat    int
	GPGDocs int // documents in the gpg --symmetric baseline loop
	// Baseline, if set, is another satchel binary (an earlier commit's)
	// that builds the same large practice, alternating with Satchel, for
	// bundles_per_second_vs_baseline.
	Baseline string
}

// Figure is one printed measurement.
type Figure struct {
	Name  string
	Value float64
	Unit  string // for the reader only; the line is "name: value"
}

// Build runs the build benchmark and returns its figures.
func Build(ctx context.Context, opt Options, log io.Writer) ([]Figure, error) {
	small, err := buildPractice(ctx, opt, "small", opt.Small, log)
	if err != nil {
		return nil, err
	}
	large, err := buildPractice(ctx, opt, "large", opt.Large, log)
	if err != nil {
		return nil, err
	}
	bps := float64(opt.Large) / large.wall.Seconds()
	var flat []Figure
	if opt.Flat > 0 {
		if flat, err = flatMemory(ctx, opt, large, log); err != nil {
			return nil, err
		}
	}
	var vsBase []Figure
	if opt.Baseline != "" {
		// Alternated, best of three each: a shared machine's load moves
		// more than the change being measured. The order turns each
		// round (ABBAAB), so a load that rises or falls through the run
		// favours neither.
		var best, baseBest, cpu, baseCPU, user, baseUser time.Duration
		for i := range 3 {
			order := []string{opt.Baseline, opt.Satchel}
			if i%2 == 1 {
				order = []string{opt.Satchel, opt.Baseline}
			}
			for _, which := range order {
				o := Options{Satchel: which, Education: opt.Education, Work: opt.Work}
				r, err := buildPractice(ctx, o, fmt.Sprintf("ab-%d", i), opt.Large, log)
				if err != nil {
					return nil, err
				}
				os.RemoveAll(filepath.Join(opt.Work, fmt.Sprintf("ab-%d", i)))
				at, atCPU, atUser := &best, &cpu, &user
				if which == opt.Baseline {
					at, atCPU, atUser = &baseBest, &baseCPU, &baseUser
				}
				if *at == 0 || r.wall < *at {
					*at = r.wall
				}
				*atCPU += r.cpu
				*atUser += r.user
			}
		}
		newBPS, baseBPS := float64(opt.Large)/best.Seconds(), float64(opt.Large)/baseBest.Seconds()
		vsBase = []Figure{
			{"baseline_bundles_per_second", baseBPS, "bundles/s"},
			{"bundles_per_second_vs_baseline", newBPS / baseBPS, "x"},
			// CPU per build over the baseline's, all three rounds each:
			// below 1 is cheaper. Steadier than wall time when the host's
			// disk is shared.
			{"cpu_vs_baseline", cpu.Seconds() / baseCPU.Seconds(), "x"},
			// User time alone: the system time of file writes grows
			// with other processes' disk traffic.
			{"user_cpu_vs_baseline", user.Seconds() / baseUser.Seconds(), "x"},
		}
	}
	written, pgp, err := bytesWritten(filepath.Join(opt.Work, "large"))
	if err != nil {
		return nil, err
	}
	incr, err := Rebuilds(ctx, opt.Satchel, filepath.Join(opt.Work, "large"), large.wall, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bench: gpg --symmetric loops over %d rendered documents\n", opt.GPGDocs)
	gpg, err := gpgLoop(ctx, filepath.Join(opt.Work, "large"), opt.GPGDocs)
	if err != nil {
		return nil, err
	}
	gpsPerSec, s2k1PerSec, s2k1CPU := gpg.dflt, gpg.s2k1, gpg.s2k1CPU
	// Information only: the same practice without PDF copies (pdf =
	// false), whose lock alone costs more than gpg's loop per document.
	noPDF, err := buildPracticeWith(ctx, opt, "large-nopdf", opt.Large, "pdf = false\n", log)
	if err != nil {
		return nil, err
	}
	os.RemoveAll(filepath.Join(opt.Work, "large-nopdf"))
	noPDFBPS := float64(opt.Large) / noPDF.wall.Seconds()
	// CPU a bundle and a gpg document: wall time on a shared host also
	// measures its disk, and gpg's loop runs one process at a time.
	cpuPerBundle := large.cpu.Seconds() * 1000 / float64(opt.Large)
	noPDFCPUPerBundle := noPDF.cpu.Seconds() * 1000 / float64(opt.Large)
	gpgCPU := s2k1CPU.Seconds() * 1000
	figs := []Figure{
		{"bundles_per_second", bps, "bundles/s"},
		{"gpg_s2k1_loop_docs_per_second", s2k1PerSec, "docs/s"},
		{"speedup_vs_gpg_s2k1_loop", bps / s2k1PerSec, "x"},
		// The same loop run on every core at once, as the build is.
		{"gpg_s2k1_parallel_docs_per_second", gpg.s2k1Parallel, "docs/s"},
		{"speedup_vs_gpg_s2k1_parallel", bps / gpg.s2k1Parallel, "x"},
		{"speedup_vs_gpg_s2k1_parallel_without_pdf", noPDFBPS / gpg.s2k1Parallel, "x"},
		{"bundles_per_second_without_pdf", noPDFBPS, "bundles/s"},
		{"speedup_vs_gpg_s2k1_loop_without_pdf", noPDFBPS / s2k1PerSec, "x"},
		{"cpu_ms_per_bundle", cpuPerBundle, "ms"},
		{"cpu_ms_per_bundle_without_pdf", noPDFCPUPerBundle, "ms"},
		{"gpg_s2k1_cpu_ms_per_doc", gpgCPU, "ms"},
		{"cpu_per_bundle_vs_gpg_s2k1_doc", cpuPerBundle / gpgCPU, "x"},
		{"cpu_per_bundle_vs_gpg_s2k1_doc_without_pdf", noPDFCPUPerBundle / gpgCPU, "x"},
		// Information only: gpg's default S2K iterates the passphrase
		// hash for about 0.1 s per document, which is most of its time.
		{"gpg_loop_docs_per_second", gpsPerSec, "docs/s"},
		{"speedup_vs_gpg_loop", bps / gpsPerSec, "x"},
		{"peak_rss_mb", large.rssMB, "MB"},
		{"peak_rss_mb_small", small.rssMB, "MB"},
		{"peak_rss_ratio_large_vs_small", large.rssMB / small.rssMB, "x"},
	}
	figs = append(figs, flat...)
	figs = append(figs, []Figure{
		{"bytes_written_per_patient", float64(written) / float64(opt.Large), "bytes"},
		{"bytes_written_vs_record_pgp", float64(written) / float64(pgp), "x"},
	}...)
	figs = append(figs, vsBase...)
	return append(figs, incr...), nil
}

// bytesWritten sums the sizes of the files a build left in the practice
// at dir (public/ and private/), and of its record.pgp files alone, the
// encrypted records themselves: the baseline of what a build must write.
func bytesWritten(dir string) (all, pgp int64, err error) {
	for _, sub := range []string{"public", "private"} {
		err = filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			all += info.Size()
			if d.Name() == "record.pgp" {
				pgp += info.Size()
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	if pgp == 0 {
		return 0, 0, fmt.Errorf("no record.pgp under %s", dir)
	}
	return all, pgp, nil
}

type run struct {
	wall  time.Duration
	rssMB float64
	// cpu is the build's user and system time: less moved than wall
	// time by other machines' disk traffic on a shared host; user is
	// the user time alone.
	cpu, user time.Duration
}

func buildPractice(ctx context.Context, opt Options, name string, n int, log io.Writer) (run, error) {
	return buildPracticeWith(ctx, opt, name, n, "", log)
}

// buildPracticeWith is buildPractice with lines put first in the
// practice's site.toml ("pdf = false\n").
func buildPracticeWith(ctx context.Context, opt Options, name string, n int, siteLines string, log io.Writer) (run, error) {
	dir := filepath.Join(opt.Work, name)
	fmt.Fprintf(log, "bench: writing a synthetic practice of %d patients\n", n)
	if err := writePractice(dir, n, opt.Education); err != nil {
		return run{}, err
	}
	if siteLines != "" {
		site := filepath.Join(dir, "site.toml")
		data, err := os.ReadFile(site)
		if err != nil {
			return run{}, err
		}
		if err := os.WriteFile(site, append([]byte(siteLines), data...), 0o644); err != nil {
			return run{}, err
		}
	}
	fmt.Fprintf(log, "bench: satchel build of %d patients\n", n)
	cmd := exec.CommandContext(ctx, opt.Satchel, "build", "-site", filepath.Join(dir, "site.toml"))
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return run{}, fmt.Errorf("satchel build of the %s practice failed: %w", name, err)
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return run{wall: wall, rssMB: float64(ru.Maxrss) / 1024, cpu: cpu, user: time.Duration(ru.Utime.Nano())}, nil
}

// gpgRates is what gpgLoop measured, in documents per second.
type gpgRates struct {
	dflt, s2k1 float64 // one gpg process at a time
	// s2k1Parallel runs one loop per core at once: Satchel's build uses
	// every core, so this is the comparison that does not depend on how
	// many cores the machine has.
	s2k1Parallel float64
	s2k1CPU      time.Duration // a gpg process of the s2k1 loop, on average
}

// gpgLoop decrypts the first docs bundles of the practice in dir with their
// card secrets (Satchel's own code, not timed), then times loops of
// `gpg --symmetric` over the same zipped documents, one process each, as a
// practice scripting GnuPG would: with gpg's default passphrase stretching
// (iterated S2K, about 0.1 s per document), and with `--s2k-mode 1`
// (salted, not iterated, like Satchel's own profile), the fair baseline;
// then the second again with one loop per core, sharing the documents.
func gpgLoop(ctx context.Context, dir string, docs int) (gpgRates, error) {
	master, err := cardkey.LoadMaster(filepath.Join(dir, "private", "master.key"))
	if err != nil {
		return gpgRates{}, err
	}
	reg, err := registry.Load(filepath.Join(dir, "private"))
	if err != nil {
		return gpgRates{}, err
	}
	files, err := load.Files(filepath.Join(dir, "records"))
	if err != nil {
		return gpgRates{}, err
	}
	tmp := filepath.Join(dir, "gpg-loop")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return gpgRates{}, err
	}
	// A GnuPG home for each worker of the parallel loop: gpg processes
	// sharing one take turns at its lock files and agent, and would run
	// slower together than one at a time.
	workers := runtime.NumCPU()
	homes := make([]string, workers)
	for w := range homes {
		homes[w] = filepath.Join(dir, fmt.Sprintf("gnupg-%d", w))
		if err := os.MkdirAll(homes[w], 0o700); err != nil {
			return gpgRates{}, err
		}
		defer gpgCommand(context.Background(), homes[w], "gpgconf", "--kill", "all").Run()
	}
	var plain []string
	for _, f := range files {
		if len(plain) == docs {
			break
		}
		id := record.Stem(f)
		bid := cardkey.BundleID(master, id)
		msg, err := os.ReadFile(filepath.Join(dir, "public", "bundles", bid, "record.pgp"))
		if err != nil {
			continue
		}
		live := reg.Live(id)
		if len(live) == 0 {
			continue
		}
		o, err := seal.Open(msg, cardkey.Derive(master, id, live[0].Serial).Passphrase(), nil)
		if err != nil {
			return gpgRates{}, fmt.Errorf("cannot open a built bundle: %w", err)
		}
		if _, err := bundle.Unpack(o.Plaintext); err != nil {
			return gpgRates{}, err
		}
		p := filepath.Join(tmp, fmt.Sprintf("doc-%d.zip", len(plain)))
		if err := os.WriteFile(p, o.Plaintext, 0o600); err != nil {
			return gpgRates{}, err
		}
		plain = append(plain, p)
	}
	if len(plain) == 0 {
		return gpgRates{}, fmt.Errorf("no built bundle to compare with")
	}
	// loop encrypts every document with workers processes at a time
	// and returns documents per second and a process's CPU time (user
	// and system) on average.
	loop := func(workers int, extra ...string) (float64, time.Duration, error) {
		var (
			mu    sync.Mutex
			cpu   time.Duration
			first error
		)
		next := make(chan int)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := range next {
					args := []string{"--batch", "--quiet", "--yes", "--pinentry-mode", "loopback",
						"--passphrase", fmt.Sprintf("bench-passphrase-%d", i), "--symmetric", "--cipher-algo", "AES256"}
					args = append(args, extra...)
					args = append(args, "--output", plain[i]+".gpg", plain[i])
					cmd := gpgCommand(ctx, homes[w], "gpg", args...)
					out, err := cmd.CombinedOutput()
					mu.Lock()
					if err != nil && first == nil {
						first = fmt.Errorf("gpg --symmetric: %v: %s", err, out)
					}
					if err == nil {
						ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
						cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
					}
					mu.Unlock()
				}
			})
		}
		for i := range plain {
			next <- i
		}
		close(next)
		wg.Wait()
		if first != nil {
			return 0, 0, first
		}
		return float64(len(plain)) / time.Since(start).Seconds(), cpu / time.Duration(len(plain)), nil
	}
	var r gpgRates
	if r.dflt, _, err = loop(1); err != nil {
		return gpgRates{}, err
	}
	if r.s2k1, r.s2k1CPU, err = loop(1, "--s2k-mode", "1"); err != nil {
		return gpgRates{}, err
	}
	if r.s2k1Parallel, _, err = loop(workers, "--s2k-mode", "1"); err != nil {
		return gpgRates{}, err
	}
	return r, nil
}

// gpgCommand is a GnuPG command (gpg, gpgconf) that uses the home folder
// home.
func gpgCommand(ctx context.Context, home, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	return cmd
}

func writePractice(dir string, n int, education string) error {
	return synth.Write(dir, synth.Options{Patients: n, Seed: 42, Education: education})
}
