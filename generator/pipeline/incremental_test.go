package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/synth"
	"github.com/satchel-records/satchel/internal/testtool"
)

// incrPeople are the patients of the incremental build tests: each with
// hypertension, so each gets an education page.
var incrPeople = map[string]person{
	"p1": {"Ottoline Brackwater", synth.NHSNumber(21), "1961-03-04"},
	"p2": {"Aurelio Fenmarsh", synth.NHSNumber(22), "1975-09-30"},
	"p3": {"Perpetua Ravensworth", synth.NHSNumber(23), "1949-12-11"},
}

// footer is the practice's override of the record's footer template.
const footer = `<footer class="colophon"><div class="wrap"><p>Bundle {{.BundleID}} · {{.Practice.Name}} · %s</p></div></footer>`

// incrPractice is a practice of incrPeople with its own footer template
// (templates_dir "tpl"), built once.
func incrPractice(t *testing.T) *site.Config {
	t.Helper()
	recs := map[string]string{}
	for id, p := range incrPeople {
		recs[id] = p.record()
	}
	cfg := tinyPractice(t, "", recs)
	tpl := filepath.Join(cfg.Root, "tpl")
	if err := os.Mkdir(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	setFooter(t, cfg, "first")
	data, err := os.ReadFile(cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.File, append([]byte("templates_dir = \"tpl\"\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err = site.Load(cfg.File); err != nil {
		t.Fatal(err)
	}
	rep := incrBuild(t, cfg, Options{})
	if rep.Count(Built) != len(incrPeople) || rep.Unchanged() != 0 {
		t.Fatalf("first build: %d built, %d unchanged", rep.Count(Built), rep.Unchanged())
	}
	return cfg
}

func setFooter(t *testing.T, cfg *site.Config, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(cfg.Root, "tpl", "record-footer.html"), []byte(fmt.Sprintf(footer, text)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// incrBuild builds at a fixed time a minute after the last one, so that a
// rebuilt file always differs from the one before.
func incrBuild(t *testing.T, cfg *site.Config, opt Options) *Report {
	t.Helper()
	at := clock()
	if data, err := os.ReadFile(filepath.Join(cfg.Root, ".incr-builds")); err == nil {
		at = at.Add(time.Duration(len(data)) * time.Minute)
	}
	f, err := os.OpenFile(filepath.Join(cfg.Root, ".incr-builds"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	opt.Now = func() time.Time { return at }
	rep, err := Run(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		for _, p := range rep.Failed() {
			t.Errorf("%s: %v", p.ID, p.Err)
		}
		t.Fatal("build failed")
	}
	return rep
}

// lastBuild returns the time of the last incrBuild.
func lastBuild(t *testing.T, cfg *site.Config) time.Time {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cfg.Root, ".incr-builds"))
	if err != nil {
		t.Fatal(err)
	}
	return clock().Add(time.Duration(len(data)-1) * time.Minute)
}

// snapshot stamps every file under public_dir and the card folder (cards
// and print sheets), by path relative to the site.
func snapshot(t *testing.T, cfg *site.Config) map[string]testtool.Stamp {
	t.Helper()
	all, err := testtool.Stamps(cfg.PublicDir, cfg.CardsDir())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]testtool.Stamp, len(all))
	for p, st := range all {
		out[cfg.Rel(p)] = st
	}
	return out
}

// changes lists the files added, removed or rewritten (a new time or new
// bytes) between two snapshots.
func changes(before, after map[string]testtool.Stamp) []string {
	var out []string
	for p, a := range after {
		if b, ok := before[p]; !ok || a != b {
			out = append(out, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// touched returns the patients (by the ids of incrPeople) whose bundle or
// card files are among paths, and whether any other file is.
func touched(t *testing.T, cfg *site.Config, paths []string) (ids []string, other []string) {
	t.Helper()
	m := readManifest(t, cfg)
	owner := map[string]string{}
	for _, e := range m.Patients {
		owner["public/bundles/"+e.BundleID+"/"] = e.ID
		owner[cfg.Rel(cfg.PatientCardsDir(e.ID))+"/"] = e.ID
	}
	for _, p := range paths {
		id := ""
		for prefix, who := range owner {
			if strings.HasPrefix(p, prefix) {
				id = who
			}
		}
		if id == "" {
			other = append(other, p)
		} else if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, other
}

func readManifest(t *testing.T, cfg *site.Config) Manifest {
	t.Helper()
	var m Manifest
	data, err := os.ReadFile(cfg.ManifestFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// rebuilt returns the ids the report says were rebuilt.
func rebuilt(rep *Report) []string {
	var ids []string
	for _, p := range rep.Patients {
		if p.Status == Built && !p.Unchanged {
			ids = append(ids, p.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// expectRebuilt checks that exactly the patients want were rebuilt, by the
// report and by the files on disk: theirs all rewritten (record.pgp holds
// new session keys), no one else's touched, and nothing else in public_dir
// or the card folder but a print sheet when cards were issued.
func expectRebuilt(t *testing.T, cfg *site.Config, rep *Report, before map[string]testtool.Stamp, want ...string) {
	t.Helper()
	slices.Sort(want)
	after := snapshot(t, cfg)
	ids, other := touched(t, cfg, changes(before, after))
	for _, o := range other {
		_, had := before[o]
		// public_dir's own files are written again only when missing.
		if !had && (o == cfg.Rel(cfg.PublicKeyFile()) || o == cfg.Rel(cfg.RobotsFile())) {
			continue
		}
		if !strings.HasPrefix(o, "private/cards/sheet-") {
			t.Errorf("the build wrote %s", o)
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("files of %v were written, want those of %v only", ids, want)
	}
	if got := rebuilt(rep); !slices.Equal(got, want) {
		t.Errorf("the report says %v were rebuilt, want %v", got, want)
	}
	if rep.Count(Built) != len(incrPeople) {
		t.Errorf("%d patients built or unchanged, want all %d", rep.Count(Built), len(incrPeople))
	}
	for _, id := range want {
		p := patientOf(t, rep, id)
		sealed := p.Bundle
		if sealed == "" {
			// Summary-only cards alone: summary.html.
			sealed = p.Viewer
		}
		if sealed == "" || before[sealed].SHA256 == after[sealed].SHA256 {
			t.Errorf("%s: %s was not sealed again", id, sealed)
		}
	}
	// The manifest lists everyone, built, with bundles that exist and
	// digests that match them.
	m := readManifest(t, cfg)
	if len(m.Patients) != len(incrPeople) {
		t.Fatalf("the manifest lists %d patients, want %d", len(m.Patients), len(incrPeople))
	}
	for _, e := range m.Patients {
		if e.Status != Built || (e.Bundle != "" && after[e.Bundle].SHA256 != e.SHA256) || len(e.Cards) == 0 {
			t.Errorf("%s: manifest entry %s, sha256 %q, %d cards: not as on disk", e.ID, e.Status, e.SHA256, len(e.Cards))
		}
		for _, c := range e.Cards {
			for _, f := range []string{c.PNG, c.HTML, c.GPG} {
				if _, ok := after[f]; !ok {
					t.Errorf("%s: the manifest names %s, which is not there", e.ID, f)
				}
			}
		}
	}
	// The audit log has a build event for the rebuilt patients alone.
	events, err := registry.ReadAudit(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	var logged []string
	for _, ev := range events {
		if ev.What == registry.EventBuild && ev.Time.Equal(lastBuild(t, cfg)) {
			logged = append(logged, ev.Patient)
		}
	}
	slices.Sort(logged)
	if !slices.Equal(logged, want) {
		t.Errorf("the audit log has builds of %v, want %v", logged, want)
	}
}

// A rebuild with nothing changed writes no file in public_dir, no card
// and no print sheet, logs no build, and keeps the manifest; -force
// rebuilds everyone.
func TestNoChangeRebuildWritesNothing(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	before := snapshot(t, cfg)
	rep := incrBuild(t, cfg, Options{})
	expectRebuilt(t, cfg, rep, before)
	if rep.Unchanged() != len(incrPeople) || rep.Sheet != "" {
		t.Errorf("%d unchanged, print sheet %q: want all unchanged and no sheet", rep.Unchanged(), rep.Sheet)
	}
	info, err := os.Stat(filepath.Join(cfg.PrivateDir, stateName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the build state is not a 0600 file: %v", err)
	}

	before = snapshot(t, cfg)
	rep = incrBuild(t, cfg, Options{Force: true})
	expectRebuilt(t, cfg, rep, before, "p1", "p2", "p3")
}

// A changed and re-approved record rebuilds that patient alone; a
// template change rebuilds everyone; so does a new Satchel.
func TestChangedInputsRebuildWhomTheyAffect(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	file := filepath.Join(cfg.RecordsDir, "p2.toml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The same problem, newly worded: the same education page.
	data = bytes.Replace(data, []byte(`title = "Hypertension"`), []byte(`title = "High blood pressure"`), 1)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	approve(t, file)
	before := snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before, "p2")

	setFooter(t, cfg, "second")
	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before, "p1", "p2", "p3")

	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{satchel: "a newer satchel"}), before, "p1", "p2", "p3")
}

// Adding a card and revoking one each rebuild that card's patient alone.
func TestCardChangesRebuildTheirPatient(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	edit := func(f func(*registry.Registry)) {
		t.Helper()
		reg, err := registry.Open(cfg.PrivateDir)
		if err != nil {
			t.Fatal(err)
		}
		f(reg)
		if err := reg.Save(); err != nil {
			t.Fatal(err)
		}
		reg.Close()
	}
	edit(func(r *registry.Registry) { r.Add("p3", "Carer", clock()) })
	before := snapshot(t, cfg)
	rep := incrBuild(t, cfg, Options{})
	expectRebuilt(t, cfg, rep, before, "p3")
	if rep.SheetCards != 1 {
		t.Errorf("%d cards on the print sheet, want the new one", rep.SheetCards)
	}
	edit(func(r *registry.Registry) {
		if err := r.Revoke("p3", 1, clock()); err != nil {
			t.Fatal(err)
		}
	})
	before = snapshot(t, cfg)
	rep = incrBuild(t, cfg, Options{})
	expectRebuilt(t, cfg, rep, before, "p3")
	if n := len(patientOf(t, rep, "p3").Cards); n != 1 {
		t.Errorf("p3 has %d cards after the revocation, want 1", n)
	}
	// A card's label is printed on it.
	edit(func(r *registry.Registry) { r.Patients["p1"][0].Label = "Patient (large print)" })
	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before, "p1")
}

// A bundle file removed from disk, or changed there, is written again;
// a file only touched (same bytes, new time) is not.
func TestMissingOrChangedOutputsAreRebuilt(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	m := readManifest(t, cfg)
	bundleOf := map[string]ManifestEntry{}
	for _, e := range m.Patients {
		bundleOf[e.ID] = e
	}
	if err := os.Remove(filepath.Join(cfg.Root, bundleOf["p1"].Viewer)); err != nil {
		t.Fatal(err)
	}
	pgp := filepath.Join(cfg.Root, bundleOf["p2"].Bundle)
	data, _ := os.ReadFile(pgp)
	data[len(data)/2] ^= 1
	if err := os.WriteFile(pgp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(cfg.Root, bundleOf["p3"].Viewer)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(html, later, later); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before, "p1", "p2")

	// Someone removed public_dir altogether.
	if err := os.RemoveAll(cfg.PublicDir); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before, "p1", "p2", "p3")
	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before)
}

// A partial build (watch's Only) keeps everyone else's state: a full
// build after it skips them all.
func TestPartialBuildKeepsTheOthersState(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	before := snapshot(t, cfg)
	rep := incrBuild(t, cfg, Options{Only: []string{"p1"}, Force: true})
	if got := rebuilt(rep); !slices.Equal(got, []string{"p1"}) {
		t.Fatalf("a forced build of p1 rebuilt %v", got)
	}
	ids, _ := touched(t, cfg, changes(before, snapshot(t, cfg)))
	if !slices.Equal(ids, []string{"p1"}) {
		t.Fatalf("a build of p1 wrote files of %v", ids)
	}
	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before)
	if data, _ := os.ReadFile(filepath.Join(cfg.PrivateDir, stateName)); bytes.Contains(data, []byte("Hypertension")) || bytes.Contains(data, []byte(incrPeople["p1"].nhs)) {
		t.Error("the build state holds record data")
	}
}

// An education page rebuilds the patients it is matched to: a page no one
// has changes nothing.
func TestPageChangesRebuildThePatientsTheyMatch(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	page := func(name, title, code, body string) {
		t.Helper()
		text := fmt.Sprintf("+++\ntitle = %q\ncodes = [%q]\nreviewed = 2026-09-14\nnext_review = 2027-09-14\nsource = \"Test practice\"\n+++\n\n%s\n", title, code, body)
		if err := os.WriteFile(filepath.Join(cfg.EducationDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page("asthma.md", "Asthma", "SNOMED:195967001", "Carry your reliever inhaler.")
	before := snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before)
	page("high-blood-pressure.md", "High blood pressure", "SNOMED:38341003", "Take your tablets at the same time each day.")
	before = snapshot(t, cfg)
	expectRebuilt(t, cfg, incrBuild(t, cfg, Options{}), before, "p1", "p2", "p3")
}

// The build's clock is no input of a bundle: a rebuild days later skips
// everyone (their records are current until a date counted from the
// record, not the build). What depends on the day is still judged every
// build: a patient who turns 16 is built the day they do.
func TestTheDayRebuildsOnlyWhatDependsOnIt(t *testing.T) {
	t.Parallel()
	teen := person{"Isolde Marchbanks", synth.NHSNumber(24), "2010-11-22"}
	cfg := tinyPractice(t, "current_days = 30\n", map[string]string{"p1": incrPeople["p1"].record(), "p4": teen.record()})
	build := func(at time.Time) *Report {
		t.Helper()
		rep, err := Run(context.Background(), cfg, Options{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := build(clock())
	if p := patientOf(t, rep, "p4"); p.Status != Blocked {
		t.Fatalf("p4, 15, is %s", p.Status)
	}
	before := snapshot(t, cfg)
	rep = build(clock().AddDate(0, 0, 2))
	if got := rebuilt(rep); !slices.Equal(got, []string{"p4"}) {
		t.Errorf("two days later, the 16th birthday between, %v were rebuilt, want p4 alone", got)
	}
	m := readManifest(t, cfg)
	p1 := ""
	for _, e := range m.Patients {
		if e.ID == "p1" {
			p1 = "public/bundles/" + e.BundleID + "/"
		}
	}
	for _, f := range changes(before, snapshot(t, cfg)) {
		if strings.HasPrefix(f, p1) {
			t.Errorf("p1's %s was written again", f)
		}
	}
	before = snapshot(t, cfg)
	rep = build(clock().AddDate(0, 2, 0))
	if got := rebuilt(rep); len(got) != 0 || rep.Unchanged() != 2 {
		t.Errorf("two months later, %v were rebuilt and %d unchanged, want none and 2", got, rep.Unchanged())
	}
	if c := changes(before, snapshot(t, cfg)); len(c) != 0 {
		t.Errorf("two months later the build wrote %v", c)
	}
}

// A patient whose only live card opens the emergency summary is skipped
// like any other, and the build still says their full record is not
// published.
func TestSummaryOnlyPatientIsSkippedWithItsWarning(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	reg, err := registry.Open(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	reg.AddScope("p1", "Paramedic", registry.ScopeSummary, clock())
	if err := reg.Revoke("p1", 1, clock()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	reg.Close()
	before := snapshot(t, cfg)
	first := incrBuild(t, cfg, Options{})
	expectRebuilt(t, cfg, first, before, "p1")
	before = snapshot(t, cfg)
	again := incrBuild(t, cfg, Options{})
	expectRebuilt(t, cfg, again, before)
	for _, rep := range []*Report{first, again} {
		p := patientOf(t, rep, "p1")
		if p.Bundle != "" || !strings.HasSuffix(p.Viewer, "/summary.html") || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "full record is not published") {
			t.Errorf("p1 (unchanged %v): bundle %q, viewer %q, warnings %q", p.Unchanged, p.Bundle, p.Viewer, p.Warnings)
		}
	}
}
