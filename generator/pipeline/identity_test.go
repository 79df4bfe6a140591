package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/synth"
)

// person is a synthetic patient, for records that reuse one id.
type person struct{ name, nhs, born string }

var (
	firstPerson  = person{"Wynfreda Quillfeather", synth.NHSNumber(11), "1958-07-02"}
	secondPerson = person{"Osgood Brackenridge", synth.NHSNumber(23), "1984-12-09"}
	thirdPerson  = person{"Ermintrude Falconbridge", synth.NHSNumber(37), "1990-05-30"}
)

func (p person) record() string {
	return fmt.Sprintf("[patient]\nname = %q\nborn = %s\nnhs_number = %q\n\n[[problems]]\ncode = \"SNOMED:38341003\"\ntitle = \"Hypertension\"\n", p.name, p.born, p.nhs)
}

// spellings are the ways the person's NHS number and birth date could be
// written into a file.
func (p person) spellings() []string {
	n := strings.ReplaceAll(p.nhs, " ", "")
	return []string{n, n[:3] + " " + n[3:6] + " " + n[6:], p.born, strings.ReplaceAll(p.born, "-", ""), p.name}
}

// replaceRecord puts p's record under id and approves it.
func replaceRecord(t *testing.T, cfg *site.Config, id string, p person) {
	t.Helper()
	file := filepath.Join(cfg.RecordsDir, id+".toml")
	if err := os.WriteFile(file, []byte(p.record()), 0o644); err != nil {
		t.Fatal(err)
	}
	approve(t, file)
}

// opensWith reports whether secret opens the message at path, the way
// `satchel open` and the viewer do, and the record document if it does.
func opensWith(t *testing.T, path string, secret cardkey.Secret) (string, bool) {
	t.Helper()
	msg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := seal.Open(msg, secret.Passphrase(), nil)
	if err != nil {
		return "", false
	}
	files, err := bundle.Unpack(o.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	return string(bundle.Find(files, bundle.Document).Data), true
}

func masterOf(t *testing.T, cfg *site.Config) []byte {
	t.Helper()
	m, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A red team reused a patient id: p1.toml, built for one patient, later
// held another patient's record. The first patient's cards must open
// nothing of the second's, nor find it at the old address.
func TestReusedIDGivesTheNewPatientNewCardsAndBundle(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": firstPerson.record()})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	first := patientOf(t, buildAt(t, cfg, at), "p1")
	master := masterOf(t, cfg)
	oldSecret := cardkey.Derive(master, "p1", 1)
	if _, ok := opensWith(t, filepath.Join(cfg.Root, first.Bundle), oldSecret); !ok {
		t.Fatal("the first card does not open the first build")
	}
	reg, _ := registry.Load(cfg.PrivateDir)
	reg.Add("p1", "Carer", at)
	reg.Save()
	buildAt(t, cfg, at.Add(time.Minute))

	replaceRecord(t, cfg, "p1", secondPerson)
	rep := buildAt(t, cfg, at.Add(2*time.Minute))
	second := patientOf(t, rep, "p1")

	if second.BundleID == first.BundleID {
		t.Fatal("the new patient's bundle has the old patient's bundle id")
	}
	if _, err := os.Stat(cfg.BundleDir(first.BundleID)); !os.IsNotExist(err) {
		t.Errorf("the old bundle folder is still there: %v", err)
	}
	for serial := 1; serial <= 2; serial++ {
		old := cardkey.Derive(master, "p1", serial)
		if _, ok := opensWith(t, filepath.Join(cfg.Root, second.Bundle), old); ok {
			t.Errorf("old card %d opens the new patient's bundle", serial)
		}
		if _, err := os.Stat(filepath.Join(cfg.BundleDir(second.BundleID), cardkey.CardFile(master, "p1", serial))); err == nil {
			t.Errorf("the new bundle has a file named for old card %d", serial)
		}
	}
	reg, _ = registry.Load(cfg.PrivateDir)
	live := reg.Live("p1")
	if len(live) != 1 || live[0].Serial != 3 {
		t.Fatalf("live cards after the id was reused: %+v, want the new card 3 alone", live)
	}
	doc, ok := opensWith(t, filepath.Join(cfg.Root, second.Bundle), reg.Holder("p1").Secret(master, 3))
	if !ok || !strings.Contains(doc, secondPerson.name) || strings.Contains(doc, firstPerson.name) {
		t.Error("the new card does not open the new patient's record")
	}
	if len(second.Cards) != 1 || second.Cards[0].GPG != second.Bundle {
		t.Errorf("the new patient's card files: %+v, want one card opening record.pgp", second.Cards)
	}
	for _, f := range []string{"card-1.html", "card-1.png", "card-2.html"} {
		if _, err := os.Stat(filepath.Join(cfg.PatientCardsDir("p1"), f)); err == nil {
			t.Errorf("revoked card file %s is still there", f)
		}
	}
	sheet, _ := os.ReadFile(filepath.Join(cfg.Root, rep.Sheet))
	if rep.SheetCards != 1 || !bytes.Contains(sheet, []byte("p1 · card 3")) {
		t.Errorf("sheet %q holds %d cards, want the new card 3", rep.Sheet, rep.SheetCards)
	}

	// One line says so, naming the id and no one's data.
	var lines []string
	for _, w := range second.Warnings {
		if strings.Contains(w, "different patient") {
			lines = append(lines, w)
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "p1: ") {
		t.Errorf("warnings %q, want one line about p1", second.Warnings)
	}
	audit, _ := os.ReadFile(filepath.Join(cfg.PrivateDir, registry.AuditName))
	for _, serial := range []int{1, 2} {
		if !bytes.Contains(audit, []byte(fmt.Sprintf(`"what":"revoke","patient":"p1","serial":%d`, serial))) {
			t.Errorf("the audit log does not record revoking card %d", serial)
		}
	}
	if !bytes.Contains(audit, []byte(`"reason":"`+rotatedReason+`"`)) {
		t.Error("the audit log gives no reason")
	}
	cards, _ := os.ReadFile(filepath.Join(cfg.PrivateDir, registry.FileName))
	said := []byte(strings.Join(rep.Warnings, "\n") + strings.Join(second.Warnings, "\n"))
	for name, data := range map[string][]byte{"cards.json": cards, "audit.jsonl": audit, "the warnings": said} {
		for _, p := range []person{firstPerson, secondPerson} {
			for _, s := range p.spellings() {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("%s holds a patient's NHS number, birth date or name", name)
				}
			}
		}
	}

	// The same patient again: nothing moves.
	again := patientOf(t, buildAt(t, cfg, at.Add(3*time.Minute)), "p1")
	if again.BundleID != second.BundleID || len(again.Warnings) != 0 {
		t.Errorf("a rebuild of the same patient moved the bundle or warned: %q", again.Warnings)
	}
	// A third patient under the id moves it again, to a third bundle.
	replaceRecord(t, cfg, "p1", thirdPerson)
	third := patientOf(t, buildAt(t, cfg, at.Add(4*time.Minute)), "p1")
	if third.BundleID == second.BundleID || third.BundleID == first.BundleID {
		t.Error("a third patient under the id got an earlier bundle id")
	}
	if _, ok := opensWith(t, filepath.Join(cfg.Root, third.Bundle), reg.Holder("p1").Secret(master, 3)); ok {
		t.Error("the second patient's card opens the third patient's bundle")
	}
}

// The same patient, with a changed record, keeps the id's cards, bundle id
// and secrets: the identity is the NHS number and birth date, not the
// record's content or how the number is spaced.
func TestSamePatientRebuiltKeepsCardsAndBundle(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": firstPerson.record()})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	first := patientOf(t, buildAt(t, cfg, at), "p1")
	changed := firstPerson
	n := strings.ReplaceAll(changed.nhs, " ", "")
	changed.nhs = n[:3] + " " + n[3:6] + " " + n[6:]
	file := filepath.Join(cfg.RecordsDir, "p1.toml")
	os.WriteFile(file, []byte(changed.record()+"\n[[problems]]\ntitle = \"Asthma\"\n"), 0o644)
	approve(t, file)
	rep := buildAt(t, cfg, at.Add(time.Minute))
	second := patientOf(t, rep, "p1")
	if second.BundleID != first.BundleID || len(second.Warnings) != 0 || rep.Sheet != "" {
		t.Errorf("the same patient's rebuild: bundle moved %v, warnings %q, sheet %q", second.BundleID != first.BundleID, second.Warnings, rep.Sheet)
	}
	if _, ok := opensWith(t, filepath.Join(cfg.Root, second.Bundle), cardkey.Derive(masterOf(t, cfg), "p1", 1)); !ok {
		t.Error("the patient's card no longer opens their rebuilt record")
	}
}

// A registry written before identities were recorded adopts the identity
// of the record it next sees, without revoking anything, and prints no
// card again that its pages show was printed.
func TestRegistryWithoutIdentitiesAdoptsWithoutRotating(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": firstPerson.record()})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	first := patientOf(t, buildAt(t, cfg, at), "p1")
	// Back to how the registry looked before: cards, nothing else.
	path := filepath.Join(cfg.PrivateDir, registry.FileName)
	var old struct {
		Patients map[string][]struct {
			Serial int       `json:"serial"`
			Label  string    `json:"label"`
			Issued time.Time `json:"issued"`
			// Kept: a card keeps the secret it was issued with.
			Letters bool `json:"letters"`
		} `json:"patients"`
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatal(err)
	}
	data, _ = json.Marshal(old)
	os.WriteFile(path, data, 0o600)

	replaceRecord(t, cfg, "p1", secondPerson)
	rep := buildAt(t, cfg, at.Add(time.Minute))
	second := patientOf(t, rep, "p1")
	if second.BundleID != first.BundleID || len(second.Warnings) != 0 || rep.Sheet != "" {
		t.Fatalf("first build on an old registry: bundle moved %v, warnings %q, sheet %q", second.BundleID != first.BundleID, second.Warnings, rep.Sheet)
	}
	replaceRecord(t, cfg, "p1", thirdPerson)
	if third := patientOf(t, buildAt(t, cfg, at.Add(2*time.Minute)), "p1"); third.BundleID == first.BundleID {
		t.Error("once adopted, another patient under the id does not move it")
	}
}

// A build killed while writing leaves temp files; the next build removes
// them, says so, and leaves everything else.
func TestBuildRemovesTempFilesOfAnInterruptedBuild(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": firstPerson.record()})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	p := patientOf(t, buildAt(t, cfg, at), "p1")
	planted := []string{
		filepath.Join(cfg.BundleDir(p.BundleID), ".record.html.tmp-2712"),
		filepath.Join(cfg.BundleDir(p.BundleID), ".record.pgp.tmp-31"),
		filepath.Join(cfg.PublicDir, ".robots.txt.tmp-4"),
		filepath.Join(cfg.PrivateDir, ".cards.json.tmp-5"),
		filepath.Join(cfg.PatientCardsDir("p1"), ".card-1.html.tmp-6"),
	}
	for _, f := range planted {
		if err := os.WriteFile(f, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mine := filepath.Join(cfg.PrivateDir, ".practice-notes")
	os.WriteFile(mine, []byte("the practice's own"), 0o600)

	rep := buildAt(t, cfg, at.Add(time.Minute))
	want := fmt.Sprintf("removed %d temp files left by an interrupted build", len(planted))
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), want) {
		t.Errorf("warnings %q, want %q", rep.Warnings, want)
	}
	for _, f := range planted {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s is still there", cfg.Rel(f))
		}
	}
	if _, err := os.Stat(mine); err != nil {
		t.Error("a file the build did not make was removed")
	}
	noTempFiles(t, cfg)
	if again := buildAt(t, cfg, at.Add(2*time.Minute)); strings.Contains(strings.Join(again.Warnings, "\n"), "temp file") {
		t.Errorf("a clean build reports temp files: %q", again.Warnings)
	}
}

// A build that wrote a card and died before its print sheet was written
// (here: its sheet and the registry's mark undone) loses nothing: the next
// build's sheet carries the card, and a card once on a sheet is not
// printed again.
func TestCardWrittenButNeverOnASheetGoesOnTheNext(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": firstPerson.record(), "p2": secondPerson.record()})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	buildAt(t, cfg, at)
	reg, _ := registry.Load(cfg.PrivateDir)
	reg.Add("p2", "Carer", at)
	reg.Save()
	rep := buildAt(t, cfg, at.Add(time.Minute))
	if rep.SheetCards != 1 {
		t.Fatalf("sheet with %d cards, want the new one", rep.SheetCards)
	}
	// Undo what happened after the card files were written.
	os.Remove(filepath.Join(cfg.Root, rep.Sheet))
	reg, _ = registry.Load(cfg.PrivateDir)
	reg.MarkPrinted("p2", 2, "")
	reg.Save()

	next := buildAt(t, cfg, at.Add(2*time.Minute))
	html, _ := os.ReadFile(filepath.Join(cfg.Root, next.Sheet))
	if next.SheetCards != 1 || !bytes.Contains(html, []byte("p2 · card 2")) {
		t.Fatalf("the next sheet %q holds %d cards, want card 2 of p2", next.Sheet, next.SheetCards)
	}
	if bytes.Contains(html, []byte("p1 · card 1")) || bytes.Contains(html, []byte("p2 · card 1")) {
		t.Error("the next sheet reprints cards already printed")
	}
	if last := buildAt(t, cfg, at.Add(3*time.Minute)); last.Sheet != "" {
		t.Errorf("a card already on a sheet was printed again on %s", last.Sheet)
	}
}
