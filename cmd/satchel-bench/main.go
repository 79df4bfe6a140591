// Command satchel-bench prints Satchel's benchmark figures as "name: value"
// lines, each measured against a baseline in the same run. `make bench`
// runs it after building bin/satchel.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/satchel-records/satchel/internal/bench"
	"github.com/satchel-records/satchel/internal/fixtures"
)

func main() {
	satchel := flag.String("satchel", "bin/satchel", "the satchel binary to measure")
	large := flag.Int("patients", 2000, "patients in the large synthetic practice")
	small := flag.Int("small", 200, "patients in the small practice (memory baseline)")
	flat := flag.Int("flat", 20000, "patients in a third practice whose peak memory is compared with the large one's (0: none)")
	docs := flag.Int("gpg-docs", 100, "documents in the gpg --symmetric baseline loop")
	fixtures := flag.String("fhir", "", "folder of FHIR files for the import benchmark (default: the public examples, see internal/fixtures, else Satchel's own test data)")
	baseline := flag.String("baseline", "", "another satchel binary (an earlier build) to build the same large practice, alternating with -satchel, for bundles_per_second_vs_baseline")
	keep := flag.Bool("keep", false, "keep the scratch folder")
	buildOnly := flag.Bool("build-only", false, "print the build figures only (no browsers, FHIR import or rendering share)")
	flag.Parse()

	if *fixtures == "" {
		*fixtures = fhirFolder()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *satchel, *baseline, *fixtures, *small, *large, *flat, *docs, *keep, *buildOnly); err != nil {
		fmt.Fprintf(os.Stderr, "satchel-bench: error: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, satchel, baseline, fixtures string, small, large, flat, docs int, keep, buildOnly bool) error {
	abs, err := filepath.Abs(satchel)
	if err != nil {
		return err
	}
	if baseline != "" {
		if baseline, err = filepath.Abs(baseline); err != nil {
			return err
		}
	}
	edu, err := filepath.Abs("education")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "satchel-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	print := func(figs []bench.Figure) {
		for _, f := range figs {
			fmt.Printf("%s: %.2f\n", f.Name, f.Value)
		}
	}
	figs, err := bench.Build(ctx, bench.Options{Satchel: abs, Education: edu, Work: work, Small: small, Large: large, Flat: flat, GPGDocs: docs, Baseline: baseline}, os.Stderr)
	if err != nil {
		return err
	}
	print(figs)
	if buildOnly {
		return nil
	}
	fmt.Fprintln(os.Stderr, "bench: record.html in Chromium, Firefox ESR and WebKitGTK, against gpg --decrypt")
	if err := bench.Viewer(ctx, work, "site.toml", 10, os.Stdout); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: FHIR import")
	if figs, err = bench.FHIR(fixtures, 30); err != nil {
		return err
	}
	print(figs)
	fmt.Fprintf(os.Stderr, "bench: FHIR Bulk Data import, %d patients\n", large)
	if figs, err = bench.Bulk(work, large, 3); err != nil {
		return err
	}
	print(figs)
	fmt.Fprintln(os.Stderr, "bench: rendering share of a build")
	if figs, err = bench.Render(ctx, work, edu, 200); err != nil {
		return err
	}
	print(figs)
	return nil
}

// fhirFolder returns the public FHIR examples' folder when this machine has
// it, and otherwise Satchel's own synthetic bundles that must read.
func fhirFolder() string {
	if dir, _, err := fixtures.FHIR(); err == nil {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	return filepath.Join("internal", "testtool", "testdata", "fhir", "r4")
}
