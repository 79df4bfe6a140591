package testtool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/fixtures"
)

// ---- Satchel's own FHIR test data ----

// walk calls f on every JSON object in v, with the key it sits under.
func walk(v any, key string, f func(key string, obj map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(key, x)
		for k, y := range x {
			walk(y, k, f)
		}
	case []any:
		for _, y := range x {
			walk(y, key, f)
		}
	}
}

func decode(t *testing.T, f FHIRFile) map[string]any {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(f.Data, &b); err != nil {
		t.Fatalf("%s: not JSON: %v", f.Name, err)
	}
	return b
}

// Between them, the R4 bundles and the STU3 bundles hold every resource
// type the reader reads, follows, passes over or counts as skipped, and
// every reference form it resolves. This keeps the data from losing
// coverage when it is edited.
func TestOwnFHIRCoversEveryResourceTypeAndReferenceForm(t *testing.T) {
	common := []string{"Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "MedicationRequest",
		"Medication", "Immunization", "Observation", "Procedure", "DiagnosticReport", "DocumentReference",
		"Device", "DeviceUseStatement", "Flag", "CarePlan", "Encounter", "Practitioner", "PractitionerRole",
		"Organization", "Binary", "List", "Composition", "Provenance", "Claim", "ExplanationOfBenefit", "Basic"}
	types := map[string][]string{
		"r4":   append([]string{"ServiceRequest", "Coverage"}, common...),
		"stu3": append([]string{"ReferralRequest", "ProcedureRequest", "EligibilityRequest", "Location", "Specimen"}, common...),
	}
	forms := map[string]*regexp.Regexp{
		"urn:uuid reference":           regexp.MustCompile(`^urn:uuid:`),
		"absolute reference":           regexp.MustCompile(`^https?://`),
		"relative Type/id reference":   regexp.MustCompile(`^[A-Z][A-Za-z]+/[^/]+$`),
		"contained #id reference":      regexp.MustCompile(`^#.`),
		"conditional reference":        regexp.MustCompile(`^[A-Z][A-Za-z]+\?identifier=`),
		"version-specific reference":   regexp.MustCompile(`/_history/[^/]+$`),
		"urn:uuid fullUrl":             regexp.MustCompile(`^fullUrl urn:uuid:`),
		"absolute fullUrl":             regexp.MustCompile(`^fullUrl https?://`),
		"security label":               regexp.MustCompile(`^security .`),
		"identifier-only patient link": regexp.MustCompile(`^identifier https://fhir.nhs.uk/Id/nhs-number$`),
	}
	seen := map[string]map[string]bool{"r4": {}, "stu3": {}}
	for _, f := range OwnFHIR(t) {
		version, _, _ := strings.Cut(f.Name, "/")
		s := seen[version]
		b := decode(t, f)
		for _, e := range asList(b["entry"]) {
			if u := str(asMap(e)["fullUrl"]); u != "" {
				s["fullUrl "+u] = true
			}
		}
		walk(b, "", func(key string, obj map[string]any) {
			if rt := str(obj["resourceType"]); rt != "" {
				s[rt] = true
			}
			if ref := str(obj["reference"]); ref != "" {
				s[ref] = true
			}
			if key == "security" {
				s["security "+str(obj["code"])] = true
			}
			if (key == "subject" || key == "patient") && obj["reference"] == nil && obj["identifier"] != nil {
				s["identifier "+str(asMap(obj["identifier"])["system"])] = true
			}
		})
	}
	for version, want := range types {
		for _, rt := range want {
			if !seen[version][rt] {
				t.Errorf("no %s %s in our own FHIR data", version, rt)
			}
		}
		for form, re := range forms {
			found := false
			for k := range seen[version] {
				found = found || re.MatchString(k)
			}
			if !found {
				t.Errorf("no %s in our own %s data", form, version)
			}
		}
	}
}

// Every NHS number in our own data is in the 999 test range with a valid
// check digit, and every date lies between the patient's birth and the
// tests' build date: the data is invented, and looks like a record.
func TestOwnFHIRIsSyntheticAndPlausible(t *testing.T) {
	files := append(OwnFHIR(t), RefusedFHIR(t)...)
	date := regexp.MustCompile(`^(\d{4})(-\d{2}(-\d{2})?)?(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$`)
	const latest = "2026-11-20" // the pipeline tests' build date
	numbers := 0
	for _, f := range files {
		b := decode(t, f)
		born := ""
		walk(b, "", func(key string, obj map[string]any) {
			if str(obj["resourceType"]) == "Patient" {
				born = str(obj["birthDate"])
			}
			if strings.HasSuffix(str(obj["system"]), "/nhs-number") {
				n := str(obj["value"])
				if !strings.HasPrefix(strings.ReplaceAll(n, " ", ""), "999") || !ValidNHSNumber(n) {
					t.Errorf("%s: an NHS number outside the 999 test range or with a bad check digit", f.Name)
				}
				numbers++
			}
		})
		if born == "" {
			t.Errorf("%s: no patient birth date", f.Name)
			continue
		}
		var check func(v any)
		check = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, y := range x {
					check(y)
				}
			case []any:
				for _, y := range x {
					check(y)
				}
			case string:
				if m := date.FindStringSubmatch(x); m != nil && len(x) >= 4 {
					if d := x[:min(10, len(x))]; d < born[:min(len(d), len(born))] || d > latest {
						t.Errorf("%s: date %s outside the patient's life (born %s) or after %s", f.Name, x, born, latest)
					}
				}
			}
		}
		check(b)
	}
	if numbers == 0 {
		t.Error("no NHS numbers found: the check proved nothing")
	}
}

// The README beside the data says what each bundle is for.
func TestOwnFHIRIsDescribed(t *testing.T) {
	readme, err := ownFHIR.ReadFile("testdata/fhir/README.md")
	if err != nil {
		t.Fatal("testdata/fhir/README.md is missing")
	}
	for _, f := range append(OwnFHIR(t), RefusedFHIR(t)...) {
		if !bytes.Contains(readme, []byte("`"+f.Name+"`")) {
			t.Errorf("testdata/fhir/README.md does not describe %s", f.Name)
		}
	}
}

// ---- The public examples' folder ----

// fakeTB records a test's fatal error or skip and ends its goroutine, as
// testing.T does.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = strings.TrimSpace(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a fake test in its own goroutine and returns the fake.
func run(t *testing.T, f func(tb testing.TB)) *fakeTB {
	fake := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(fake)
	}()
	<-done
	return fake
}

// missing points SATCHEL_FHIR_FIXTURES at a folder that does not exist,
// collects the notice, and forgets whether it was given.
func missing(t *testing.T, ci string) (named string, notice *bytes.Buffer) {
	t.Helper()
	named = filepath.Join("no", "such", "folder")
	t.Setenv(fixtures.Env, named)
	t.Setenv("CI", ci)
	notice = new(bytes.Buffer)
	old := noticeOut
	noticeOut = notice
	noticed.Store(false)
	t.Cleanup(func() { noticeOut = old; noticed.Store(false) })
	return named, notice
}

func TestMissingExamplesSkipWithOneNoticeLine(t *testing.T) {
	named, notice := missing(t, "")
	for i := 0; i < 3; i++ {
		fake := run(t, func(tb testing.TB) { FHIRFixtures(tb) })
		if fake.fatal != "" || !strings.Contains(fake.skip, fixtures.Env) {
			t.Fatalf("call %d: fatal %q, skip %q: want a skip naming %s", i, fake.fatal, fake.skip, fixtures.Env)
		}
		if fake := run(t, func(tb testing.TB) { PublicFHIR(tb) }); fake.skip == "" || fake.fatal != "" {
			t.Errorf("PublicFHIR did not skip")
		}
	}
	var got []FHIRFile
	if fake := run(t, func(tb testing.TB) { got = PublicFHIRIfPresent(tb) }); fake.skip != "" || fake.fatal != "" || got != nil {
		t.Errorf("PublicFHIRIfPresent: want no files, no skip, no failure")
	}
	lines := strings.Split(strings.TrimSuffix(notice.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], named) || !strings.Contains(lines[0], fixtures.Env) {
		t.Errorf("notice = %q: want one line naming the folder as given and %s", notice.String(), fixtures.Env)
	}
	// The folder is shown as it was named, never as a path of this machine.
	if root, _ := fixtures.Root(); strings.Contains(notice.String(), root) {
		t.Errorf("the notice shows an absolute path")
	}
}

func TestMissingExamplesFailUnderCI(t *testing.T) {
	named, notice := missing(t, "true")
	for _, f := range []func(testing.TB){
		func(tb testing.TB) { FHIRFixtures(tb) },
		func(tb testing.TB) { PublicFHIR(tb) },
		func(tb testing.TB) { PublicFHIRIfPresent(tb) },
	} {
		fake := run(t, f)
		if fake.skip != "" || !strings.Contains(fake.fatal, fixtures.Env) || !strings.Contains(fake.fatal, "CI=true") ||
			!strings.Contains(fake.fatal, named) {
			t.Errorf("fatal %q, skip %q: want a failure naming the folder, %s and CI=true", fake.fatal, fake.skip, fixtures.Env)
		}
	}
	if notice.Len() != 0 {
		t.Errorf("a notice was printed as well as the failure")
	}
}

func TestPresentExamplesAreReadByName(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "ips"), 0o755)
	os.WriteFile(filepath.Join(dir, "ips", "b.json"), []byte(`{"n":2}`), 0o644)
	os.WriteFile(filepath.Join(dir, "ips", "a.json"), []byte(`{"n":1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "SOURCES.md"), []byte("sources"), 0o644)
	t.Setenv(fixtures.Env, dir)
	t.Setenv("CI", "true")
	var got []FHIRFile
	fake := run(t, func(tb testing.TB) { got = PublicFHIR(tb) })
	if fake.fatal != "" || fake.skip != "" || len(got) != 2 {
		t.Fatalf("fatal %q, skip %q, %d files: want the two examples", fake.fatal, fake.skip, len(got))
	}
	if got[0].Name != "ips/a.json" || got[0].Path != filepath.Join(dir, "ips", "a.json") || string(got[0].Data) != `{"n":1}` {
		t.Errorf("first example = %+v", got[0])
	}
}

func TestAFolderWithoutExamplesFails(t *testing.T) {
	t.Setenv(fixtures.Env, t.TempDir())
	t.Setenv("CI", "")
	if fake := run(t, func(tb testing.TB) { PublicFHIR(tb) }); fake.fatal == "" || fake.skip != "" {
		t.Errorf("an empty folder was accepted (skip %q)", fake.skip)
	}
}
