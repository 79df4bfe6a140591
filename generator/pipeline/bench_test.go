package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/synth"
)

// BenchmarkFreshBuild builds a fresh synthetic practice of 40 patients
// (PDF copies on, the default) per iteration: the profile of a fresh
// build's per-patient work (go test -bench FreshBuild -cpuprofile).
func BenchmarkFreshBuild(b *testing.B) {
	const patients = 40
	for b.Loop() {
		b.StopTimer()
		cfg := synthPractice(b, patients)
		b.StartTimer()
		rep, err := Run(context.Background(), cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := rep.Count(Built); n != patients {
			b.Fatalf("%d of %d patients built", n, patients)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())*1000/float64(b.N*patients), "ms/patient")
}

// BenchmarkNoopRebuild rebuilds a built synthetic practice of 200 patients
// with nothing changed, per iteration: the profile of what an incremental
// build does for each patient it skips.
func BenchmarkNoopRebuild(b *testing.B) {
	const patients = 200
	cfg := synthPractice(b, patients)
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := Run(context.Background(), cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := rep.Unchanged(); n != patients {
			b.Fatalf("%d of %d patients unchanged", n, patients)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())*1000/float64(b.N*patients), "ms/patient")
}

// synthPractice writes a synthetic practice of n patients, with Satchel's
// education library, and returns its site.
func synthPractice(b *testing.B, n int) *site.Config {
	b.Helper()
	edu, err := filepath.Abs(filepath.Join("..", "..", "education"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := synth.Write(dir, synth.Options{Patients: n, Seed: 42, Education: edu}); err != nil {
		b.Fatal(err)
	}
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}
