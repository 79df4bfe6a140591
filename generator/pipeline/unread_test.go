package pipeline

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/synth"
)

// buildWith builds cfg with the clock at at, and fails the test on an error.
func buildWith(t *testing.T, cfg *site.Config, at time.Time, opt Options) *Report {
	t.Helper()
	opt.Now = func() time.Time { return at }
	rep, err := Run(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// unreadIDs returns the patients rep skipped without reading the record.
func unreadIDs(rep *Report) []string {
	var ids []string
	for _, p := range rep.Patients {
		if p.skippedUnread {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// What the report says of a patient skipped unread is what it says when
// the record is read again and the patient skipped the long way: the same
// status, warnings, counts of what was withheld and not carried, pages,
// files and cards. And every sample patient that built is skipped unread:
// TOML and FHIR records, letters, summary and full cards alike.
func TestUnreadSkipReportsWhatTheLongWayDoes(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	// After every sample approval: a record dated after the build is
	// rebuilt each time until that date.
	base := clock().AddDate(0, 0, 20)
	first := buildWith(t, cfg, base, Options{})
	var built []string
	for _, p := range first.Patients {
		if p.Status == Built {
			built = append(built, p.ID)
		}
	}
	if len(built) < 8 || !slices.Contains(built, "rmc-0008") {
		t.Fatalf("the sample practice built %v: too few to test with", built)
	}
	day := base.AddDate(0, 0, 1)
	long := buildWith(t, cfg, day, Options{readEvery: true})
	unread := buildWith(t, cfg, day, Options{})
	if got := unreadIDs(long); len(got) != 0 {
		t.Fatalf("readEvery skipped %v unread", got)
	}
	if got := unreadIDs(unread); !slices.Equal(got, built) {
		t.Errorf("skipped unread %v, want every patient built: %v", got, built)
	}
	if len(long.Patients) != len(unread.Patients) {
		t.Fatalf("%d patients the long way, %d with unread skips", len(long.Patients), len(unread.Patients))
	}
	for i := range long.Patients {
		a, b := long.Patients[i], unread.Patients[i]
		a.Took, b.Took = 0, 0
		a.key, b.key = "", ""
		a.skippedUnread, b.skippedUnread = false, false
		// Compared as printed: an empty list or map is no list or map.
		if fmt.Sprintf("%+v", a.unread) != fmt.Sprintf("%+v", b.unread) {
			t.Errorf("%s: what the build state keeps differs: %+v the long way, %+v unread", a.ID, a.unread, b.unread)
		}
		a.unread, b.unread = nil, nil
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Errorf("%s: the long way reports\n%+v\nskipped unread\n%+v", a.ID, a, b)
		}
	}
}

// A raw key misses whenever any file Prepare reads has changed: a letter
// changed after approval is noticed (the record is changed since its
// approval); an approval with a comment added is read again and, judged
// the same, skipped the long way, writing nothing, and the next build
// skips it unread again.
func TestUnreadSkipNoticesEveryFileItCovers(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	base := clock().AddDate(0, 0, 20)
	buildWith(t, cfg, base, Options{})
	letter := filepath.Join(cfg.RecordsDir, "rmc-0008-pacing-2026-07.md")
	data, err := os.ReadFile(letter)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(letter, append(data, "\nAdded after approval.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	appr := policy.ApprovalPath(filepath.Join(cfg.RecordsDir, "rmc-0001.toml"))
	if data, err = os.ReadFile(appr); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(appr, append(data, "# checked again\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := ""
	for _, e := range readManifest(t, cfg).Patients {
		if e.ID == "rmc-0008" {
			gone = "public/bundles/" + e.BundleID + "/"
		}
	}
	before := snapshot(t, cfg)
	rep := buildWith(t, cfg, base.AddDate(0, 0, 1), Options{})
	if p := patientOf(t, rep, "rmc-0008"); p.Status != ChangedSinceApproval {
		t.Errorf("rmc-0008 with its letter changed is %s, want %s", p.Status, ChangedSinceApproval)
	}
	p := patientOf(t, rep, "rmc-0001")
	if p.skippedUnread || !p.Unchanged {
		t.Errorf("rmc-0001 with a comment added to its approval: skipped unread %v, unchanged %v; want read and unchanged", p.skippedUnread, p.Unchanged)
	}
	// Only rmc-0008's bundle, no longer approved, is taken down.
	for _, f := range changes(before, snapshot(t, cfg)) {
		if !strings.HasPrefix(f, gone) {
			t.Errorf("the build wrote %s", f)
		}
	}
	rep = buildWith(t, cfg, base.AddDate(0, 0, 2), Options{})
	if p := patientOf(t, rep, "rmc-0001"); !p.skippedUnread {
		t.Error("rmc-0001 is not skipped unread once its approval was read again")
	}
}

// A patient under 16 built with a competence assessment is skipped unread
// only until just before their 16th birthday: from then on the record is
// judged again, since the rules count their age. A record whose own date
// is still to come is never skipped unread: its currency counts from the
// build's clock until that date.
func TestUnreadSkipEndsAtTheHorizon(t *testing.T) {
	t.Parallel()
	birthday := clock().AddDate(0, 0, 10)
	teen := person{"Isolde Marchbanks", synth.NHSNumber(24), birthday.AddDate(-16, 0, 0).Format(time.DateOnly)}
	cfg := tinyPractice(t, "", map[string]string{"p1": incrPeople["p1"].record(), "p4": teen.record()})
	appr := policy.ApprovalPath(filepath.Join(cfg.RecordsDir, "p4.toml"))
	data, err := os.ReadFile(appr)
	if err != nil {
		t.Fatal(err)
	}
	competent := "\n[competence]\nassessed_by = \"Dr C\"\ndate = 2026-10-01\n"
	if err := os.WriteFile(appr, append(data, competent...), 0o644); err != nil {
		t.Fatal(err)
	}
	// p1's approval is dated in the future: its record's date is to come.
	approveOn(t, filepath.Join(cfg.RecordsDir, "p1.toml"), record.NewDate(2027, 1, 1))
	if p := patientOf(t, buildWith(t, cfg, clock(), Options{}), "p4"); p.Status != Built {
		t.Fatalf("p4, 15 with a competence assessment, is %s", p.Status)
	}
	for _, tc := range []struct {
		days   int
		unread []string
	}{{1, []string{"p4"}}, {7, []string{"p4"}}, {9, nil}, {11, nil}} {
		rep := buildWith(t, cfg, clock().AddDate(0, 0, tc.days), Options{})
		if got := unreadIDs(rep); !slices.Equal(got, tc.unread) {
			t.Errorf("%d days on, skipped unread %v, want %v", tc.days, got, tc.unread)
		}
		if p := patientOf(t, rep, "p4"); p.Status != Built || !p.Unchanged {
			t.Errorf("%d days on, p4 is %s (unchanged %v), want built and unchanged", tc.days, p.Status, p.Unchanged)
		}
	}
}

// The print sheet takes each card's QR code from the card's image as
// written. A damaged image of a card still to print (its last build died
// before the sheet) is written again, and the sheet prints the true code.
func TestDamagedCardImageIsRepairedForTheSheet(t *testing.T) {
	t.Parallel()
	cfg := incrPractice(t)
	img := filepath.Join(cfg.PatientCardsDir("p1"), "card-1.png")
	good, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(img, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	reg.MarkPrinted("p1", 1, "")
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	reg.Close()
	rep := incrBuild(t, cfg, Options{})
	if got, err := os.ReadFile(img); err != nil || !bytes.Equal(got, good) {
		t.Error("the damaged card image was not written again")
	}
	if rep.Sheet == "" {
		t.Fatal("no print sheet for the card still to print")
	}
	sheet, err := os.ReadFile(filepath.Join(cfg.Root, rep.Sheet))
	if err != nil {
		t.Fatal(err)
	}
	// As html/template writes it into the page: "+" escaped.
	uri := func(png []byte) []byte {
		return []byte(strings.ReplaceAll(base64.StdEncoding.EncodeToString(png), "+", "&#43;"))
	}
	if !bytes.Contains(sheet, uri(good)) || bytes.Contains(sheet, uri(bad)) {
		t.Error("the sheet does not print the card's true QR code")
	}
}
