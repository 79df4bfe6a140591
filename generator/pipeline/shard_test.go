package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/registry"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{in: "0/3", want: Shard{K: 0, N: 3}},
		{in: "2/3", want: Shard{K: 2, N: 3}},
		{in: "0/1", want: Shard{K: 0, N: 1}},
		{in: " 4/10 ", want: Shard{K: 4, N: 10}},
		{in: "3/3", err: "K must be from 0 to 2"},
		{in: "-1/3", err: "K must be from 0 to 2"},
		{in: "0/0", err: "must be at least 1"},
		{in: "0/-2", err: "must be at least 1"},
		{in: "0/10001", err: "at most 10000"},
		{in: "3", err: "must be K/N"},
		{in: "a/3", err: "must be K/N"},
		{in: "1/3/4", err: "must be K/N"},
		{in: "", err: "must be K/N"},
	} {
		got, err := ParseShard(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseShard(%q) error %v; want one saying %q", tc.in, err, tc.err)
		}
	}
}

// A patient's shard depends on the id and N alone (every process must
// agree, and a rebuild with the same N must find the same patients), and
// spreads a practice's ids over every shard.
func TestShardOfIsStableAndSpreads(t *testing.T) {
	t.Parallel()
	// Fixed values: changing the partition would move every patient.
	for _, tc := range []struct {
		id   string
		n    int
		want int
	}{{"rmc-0001", 3, 1}, {"rmc-0002", 3, 2}, {"p1", 3, 0}, {"rmc-0001", 7, 3}, {"rmc-0010", 7, 2}, {"rmc-0001", 1, 0}} {
		if got := ShardOf(tc.id, tc.n); got != tc.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", tc.id, tc.n, got, tc.want)
		}
	}
	const n, ids = 8, 4000
	count := make([]int, n)
	for i := range ids {
		k := ShardOf(fmt.Sprintf("rmc-%04d", i), n)
		if k < 0 || k >= n {
			t.Fatalf("ShardOf = %d, not in 0..%d", k, n-1)
		}
		count[k]++
	}
	for k, c := range count {
		if c < ids/n/2 || c > ids/n*2 {
			t.Errorf("shard %d/%d has %d of %d patients: %v", k, n, c, ids, count)
		}
	}
}

// Shards of one sample practice, merged, cover every patient; merge is
// refused while a shard still holds the registry, and when the records
// folder changed since the shards ran, writing nothing.
func TestMergeRefusesARunningShardAndChangedRecords(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	// A practice with its key and master secret, as satchel keygen or a
	// first build leaves it.
	runBuild(t, cfg)
	manifest, err := os.ReadFile(cfg.ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		if _, err := Run(context.Background(), cfg, Options{Now: clock, Shard: &Shard{K: k, N: 2}}); err != nil {
			t.Fatalf("shard %d/2: %v", k, err)
		}
	}
	p, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	running, err := registry.OpenShared(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Merge(MergeOptions{Now: clock}); err == nil || !strings.Contains(err.Error(), "still using the card registry") {
		t.Errorf("merge while a shard runs: %v", err)
	}
	running.Close()

	extra := filepath.Join(cfg.RecordsDir, "rmc-0099.toml")
	data, err := os.ReadFile(filepath.Join(cfg.RecordsDir, "rmc-0001.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(extra, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Merge(MergeOptions{Now: clock}); err == nil || !strings.Contains(err.Error(), "rmc-0099.toml: new since shard") {
		t.Errorf("merge after a record was added: %v", err)
	}
	if err := os.Remove(extra); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(cfg.ManifestFile()); string(after) != string(manifest) {
		t.Error("a refused merge wrote the manifest")
	}
	if _, err := os.Stat(ShardsDir(cfg)); err != nil {
		t.Errorf("a refused merge removed the shards' results: %v", err)
	}
	rep, err := p.Merge(MergeOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Patients) != 12 || rep.Count(Built) != 8 || rep.Unchanged != 8 {
		t.Errorf("merged %d patients, %d built, %d unchanged; want 12, 8, 8", len(rep.Patients), rep.Count(Built), rep.Unchanged)
	}
}
