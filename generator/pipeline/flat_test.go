package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
)

// manifestAsMarshalled reads the manifest and returns it with what
// json.MarshalIndent of the whole Manifest would write, the format the
// manifest has always had.
func manifestAsMarshalled(t *testing.T, path string) (Manifest, []byte, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return m, data, append(want, '\n')
}

func TestManifestEncodedEntryByEntryIsMarshalIndent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	entries := []ManifestEntry{
		{ID: "a<&>", Status: Built, BundleID: "b", Cards: []CardFiles{{Serial: 1, Label: "Mum & Dad", PNG: "x.png"}}, Withheld: map[string]int{"z": 1, "a": 2}},
		{ID: "b", Status: AwaitingApproval, Reason: "awaiting approval"},
		{ID: "c", Status: Failed, NotCarried: map[string]int{"é": 3}},
	}
	for n := 0; n <= len(entries); n++ {
		var got bytes.Buffer
		var each [][]byte
		for _, e := range entries[:n] {
			data, err := json.MarshalIndent(e, "    ", "  ")
			if err != nil {
				t.Fatal(err)
			}
			each = append(each, data)
		}
		if err := encodeManifest(&got, at, slices.Values(each)); err != nil {
			t.Fatal(err)
		}
		want, _ := json.MarshalIndent(Manifest{Generated: at, Patients: append([]ManifestEntry{}, entries[:n]...)}, "", "  ")
		if got.String() != string(want)+"\n" {
			t.Errorf("%d entries:\n%s\nwant\n%s", n, got.String(), want)
		}
	}
}

// The manifest of a build is sorted by id and byte for byte what
// MarshalIndent made of it; a partial build keeps every other patient's
// entry as it was.
func TestManifestIsSortedAndPartialBuildsKeepTheOthers(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	m, data, want := manifestAsMarshalled(t, cfg.ManifestFile())
	if !bytes.Equal(data, want) {
		t.Error("the manifest is not what json.MarshalIndent writes")
	}
	st := stateAsMarshalled(t, cfg)
	var ids, built []string
	for _, p := range rep.Patients {
		ids = append(ids, p.ID)
		if p.Status == Built {
			built = append(built, p.ID)
		}
	}
	slices.Sort(ids)
	var got []string
	before := map[string]string{}
	for _, e := range m.Patients {
		got = append(got, e.ID)
		j, _ := json.Marshal(e)
		before[e.ID] = string(j)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("manifest ids %q, want the build's patients sorted %q", got, ids)
	}
	if len(built) < 2 {
		t.Fatal("the sample practice builds fewer than two patients")
	}
	only := built[1]
	later := func() time.Time { return clock().Add(time.Hour) }
	if _, err := Run(context.Background(), cfg, Options{Now: later, Only: []string{only}, Force: true}); err != nil {
		t.Fatal(err)
	}
	m2, data2, want2 := manifestAsMarshalled(t, cfg.ManifestFile())
	if !bytes.Equal(data2, want2) {
		t.Error("the partial build's manifest is not what json.MarshalIndent writes")
	}
	got = got[:0]
	for _, e := range m2.Patients {
		got = append(got, e.ID)
		if j, _ := json.Marshal(e); e.ID != only && string(j) != before[e.ID] {
			t.Errorf("%s: the partial build changed its entry:\n%s\nwas\n%s", e.ID, j, before[e.ID])
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("after a partial build the manifest ids are %q, want %q", got, ids)
	}
	st2 := stateAsMarshalled(t, cfg)
	for id, ps := range st.Patients {
		if j, _ := json.Marshal(ps); id != only && string(j) != jsonOf(st2.Patients[id]) {
			t.Errorf("%s: the partial build changed its build state", id)
		}
	}
	if len(st2.Patients) != len(st.Patients) || st2.Patients[only].Key != st.Patients[only].Key {
		t.Errorf("the partial build's state has %d patients (want %d), %s's key %q (want %q)", len(st2.Patients), len(st.Patients), only, st2.Patients[only].Key, st.Patients[only].Key)
	}
	if !m2.Generated.Equal(later()) {
		t.Errorf("generated %v, want the partial build's time", m2.Generated)
	}
}

// stateAsMarshalled reads the build state, checks it is what json.Marshal
// of the whole buildState writes, and returns it.
func stateAsMarshalled(t *testing.T, cfg *site.Config) buildState {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cfg.PrivateDir, stateName))
	if err != nil {
		t.Fatal(err)
	}
	var st buildState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Patients) == 0 || st.Satchel.SHA256 == "" {
		t.Fatalf("the build state records %d patients, satchel %q", len(st.Patients), st.Satchel.SHA256)
	}
	if want := jsonOf(st) + "\n"; string(data) != want {
		t.Errorf("the build state is not what json.Marshal writes:\n%s\nwant\n%s", data, want)
	}
	return st
}

func jsonOf(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

var dataURI = regexp.MustCompile(`data:image/png;base64,[A-Za-z0-9+/=]+`)

// The print sheet, written card by card, holds every card the build
// issued, in the build's order, each with the QR code of its own page, and
// the registry records each as printed with the digest of that page.
func TestPrintSheetHoldsEveryIssuedCardInOrder(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	sheet, err := os.ReadFile(filepath.Join(cfg.Root, rep.Sheet))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	at, n := 0, 0
	for _, p := range rep.Patients {
		for _, c := range p.Cards {
			page, err := os.ReadFile(filepath.Join(cfg.Root, c.HTML))
			if err != nil {
				t.Fatal(err)
			}
			holder := []byte(p.ID + " · card " + strconv.Itoa(c.Serial) + "<")
			i := bytes.Index(sheet[at:], holder)
			if i < 0 {
				t.Fatalf("%s card %d is not on the sheet after the cards before it", p.ID, c.Serial)
			}
			at += i
			qr := dataURI.Find(page)
			if qr == nil || !bytes.Contains(sheet, qr) {
				t.Errorf("%s card %d: its QR code is not on the sheet", p.ID, c.Serial)
			}
			for _, rc := range reg.Cards(p.ID) {
				if rc.Serial == c.Serial && rc.Printed != printDigest(page) {
					t.Errorf("%s card %d: the registry's printed digest is not its page's", p.ID, c.Serial)
				}
			}
			n++
		}
	}
	if n == 0 || rep.SheetCards != n {
		t.Errorf("%d cards on the sheet, %d built", rep.SheetCards, n)
	}
	if c := strings.Count(string(sheet), `<section class="card front"`); c != n {
		t.Errorf("%d fronts on the sheet, want %d", c, n)
	}
	noTempFiles(t, cfg)
}

// The temp files a build puts its patients' entries and events in are
// gone when it ends, and one left by a killed build is removed by the next.
func TestBuildSpillFilesAreRemoved(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	if err := os.MkdirAll(cfg.PrivateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(cfg.PrivateDir, ".build-entries.tmp-123456")
	if err := os.WriteFile(left, []byte(`{"id":"p1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := runBuild(t, cfg)
	if _, err := os.Stat(left); err == nil {
		t.Error("the temp file a killed build left is still there")
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "removed 1 temp file") }) {
		t.Errorf("warnings %q do not say a temp file was removed", rep.Warnings)
	}
	entries, _ := os.ReadDir(cfg.PrivateDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".build-") {
			t.Errorf("%s is left in private_dir", e.Name())
		}
	}
}

// Options.Each is given every patient in the order of their record files,
// as Report.Patients holds them when it is not set, and the report then
// keeps the counts and the failed patients alone.
func TestEachGetsThePatientsInFileOrder(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	full := runBuild(t, cfg)
	var ids []string
	rep, err := Run(context.Background(), samplePractice(t), Options{Now: clock, Workers: 4, Each: func(p *Patient) { ids = append(ids, p.ID) }})
	if err != nil {
		t.Fatal(err)
	}
	var want, files []string
	for _, p := range full.Patients {
		want = append(want, p.ID)
		files = append(files, p.File)
	}
	if !slices.IsSorted(files) {
		t.Errorf("the report's patients are not in the order of their record files: %q", files)
	}
	if len(want) < 3 || !slices.Equal(ids, want) {
		t.Errorf("Each got %q, want the record files' order %q", ids, want)
	}
	if rep.Patients != nil {
		t.Errorf("the report kept %d patients", len(rep.Patients))
	}
	for _, s := range []Status{Built, Failed, AwaitingApproval, ChangedSinceApproval, Blocked} {
		if rep.Count(s) != full.Count(s) {
			t.Errorf("%d %s, want %d", rep.Count(s), s, full.Count(s))
		}
	}
	if rep.Total() != len(want) || len(rep.Failed()) != full.Count(Failed) {
		t.Errorf("total %d, %d failed; want %d, %d", rep.Total(), len(rep.Failed()), len(want), full.Count(Failed))
	}
}
