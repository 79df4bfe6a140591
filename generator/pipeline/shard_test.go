package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/practicekey"
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
	runShards(t, cfg, 2)
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
	if rep.Total != 12 || rep.Count(Built) != 8 || rep.Unchanged != 8 {
		t.Errorf("merged %d patients, %d built, %d unchanged; want 12, 8, 8", rep.Total, rep.Count(Built), rep.Unchanged)
	}
}

// A shard writes its result an entry at a time, and merge reads it back
// an entry at a time: both must agree with the result decoded whole
// (shardResult), print-sheet cards included.
func TestShardResultReadsBackEntryByEntry(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	// As satchel keygen leaves it: no card issued yet.
	if _, err := practicekey.Create(cfg.PracticeKeyFile(), cfg.Practice.Name, "", nil, clock(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cardkey.CreateMaster(cfg.MasterFile(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, Options{Now: clock, Shard: &Shard{K: 1, N: 2}}); err != nil {
		t.Fatal(err)
	}
	path := shardFile(cfg, Shard{K: 1, N: 2})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var whole shardResult
	if err := json.Unmarshal(data, &whole); err != nil {
		t.Fatalf("the shard's result does not decode whole: %v", err)
	}
	if len(whole.Patients) == 0 || len(whole.Sheet) == 0 || len(whole.Events) == 0 || len(whole.State) == 0 {
		t.Fatalf("a shard result with %d patients, %d sheet cards, %d events, %d states: nothing to compare",
			len(whole.Patients), len(whole.Sheet), len(whole.Events), len(whole.State))
	}
	x, err := readShardIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	if x.N != 2 || x.K != 1 || x.Registry != whole.Registry || x.Satchel != whole.Satchel || !slices.Equal(x.Patients, whole.Patients) {
		t.Errorf("head read as %+v, want %+v", x.shardHead, whole)
	}
	if len(x.manifest) != len(whole.Manifest) || len(x.state) != len(whole.State) || len(x.cards) != len(whole.Cards) ||
		len(x.events) != len(whole.Events) || len(x.sheet) != len(whole.Sheet) {
		t.Fatalf("found %d/%d/%d/%d/%d entries, want %d/%d/%d/%d/%d", len(x.manifest), len(x.state), len(x.cards), len(x.events), len(x.sheet),
			len(whole.Manifest), len(whole.State), len(whole.Cards), len(whole.Events), len(whole.Sheet))
	}
	for i, s := range x.manifest {
		var e ManifestEntry
		if err := x.read(s.span, &e); err != nil || !reflect.DeepEqual(e, whole.Manifest[i]) || s.id != e.ID {
			t.Errorf("manifest entry %d: read %+v (%v), want %+v", i, e, err, whole.Manifest[i])
		}
	}
	for _, s := range x.state {
		var st patientState
		if err := x.read(s.span, &st); err != nil || !reflect.DeepEqual(st, whole.State[s.id]) {
			t.Errorf("state of %s: read %+v (%v), want %+v", s.id, st, err, whole.State[s.id])
		}
	}
	for _, s := range x.cards {
		var sc shardCards
		if err := x.read(s.span, &sc); err != nil || !reflect.DeepEqual(sc, whole.Cards[s.id]) {
			t.Errorf("cards of %s: read %+v (%v), want %+v", s.id, sc, err, whole.Cards[s.id])
		}
	}
	for i, s := range x.events {
		var e registry.Event
		if err := x.read(s.span, &e); err != nil || !reflect.DeepEqual(e, whole.Events[i]) || s.patient != e.Patient {
			t.Errorf("event %d: read %+v (%v), want %+v", i, e, err, whole.Events[i])
		}
	}
	langs, err := i18n.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	src := &mergeSheet{n: len(x.sheet), langs: langs, at: func(i int) (*shardIndex, sheetSpan) { return x, x.sheet[i] }}
	for i, s := range x.sheet {
		want, err := whole.Sheet[i].sheetCard()
		if err != nil {
			t.Fatal(err)
		}
		c, err := src.Card(i)
		// Each card comes with its language's labels, loaded once.
		if err != nil || c.Labels == nil || c.Labels.Code != cmp.Or(c.Language, i18n.English) {
			t.Fatalf("sheet card %d: read with labels %v (%v)", i, c.Labels, err)
		}
		c.Labels = nil
		if !reflect.DeepEqual(c, want.SheetCard) || s.digest != want.digest || s.serial != c.Serial || s.patient != c.PatientID {
			t.Errorf("sheet card %d: read %+v, want %+v", i, c, want.SheetCard)
		}
		// The sheet's list says who each card is for from the index.
		if id, serial, label, err := src.Entry(i); err != nil || id != c.PatientID || serial != c.Serial || label != c.Label {
			t.Errorf("sheet entry %d: %s, card %d, %q (%v); want %s, card %d, %q", i, id, serial, label, err, c.PatientID, c.Serial, c.Label)
		}
	}

	// A damaged result is found before merge writes anything: cut short,
	// or with a card whose secret does not read (named, secret unsaid).
	bad := filepath.Join(t.TempDir(), "shard.json")
	if err := os.WriteFile(bad, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readShardIndex(bad); !errors.Is(err, errDamaged) {
		t.Errorf("a result cut short: got %v, want errDamaged", err)
	}
	secret := whole.Sheet[0].Secret
	forged := strings.Replace(string(data), `"secret":"`+secret+`"`, `"secret":"not-a-key"`, 1)
	if forged == string(data) {
		t.Fatal("the first sheet card's secret is not in the result as written")
	}
	if err := os.WriteFile(bad, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = readShardIndex(bad)
	want := fmt.Sprintf("card %d of patient %s: ", whole.Sheet[0].Card.Serial, whole.Sheet[0].Patient)
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), secret) {
		t.Errorf("a card whose secret does not read: got %v, want it named (%q...)", err, want)
	}
}
