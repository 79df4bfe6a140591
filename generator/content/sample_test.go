package content

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
)

// The sample practice (site.toml and sample-data/ at the repository root) is
// what `satchel build` runs on in a fresh checkout, and other packages' tests
// rely on its scenario (an unapproved record, a changed one, a withheld
// third-party entry). These tests keep it loadable and keep the scenario true.

const (
	sampleRecords   = "../../sample-data/records"
	sampleEducation = "../../education"
)

// readRecord reads the Satchel TOML record at path, as a build does.
func readRecord(path string) (*record.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return record.DecodeTOML(path, data)
}

func sampleRecordFiles(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(sampleRecords, "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".approval.toml") {
			out = append(out, f)
		}
	}
	if len(out) < 9 {
		t.Fatalf("sample practice has %d records, want at least 9", len(out))
	}
	return out
}

func TestSampleEducationPagesLoadAndAreCurrent(t *testing.T) {
	t.Parallel()
	lib, err := Load(sampleEducation, NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.pages) < 6 {
		t.Fatalf("got %d pages, want at least 6", len(lib.pages))
	}
	// The sample build date: every page must be in date then, so a build
	// of the sample practice warns about nothing.
	if stale := lib.Stale(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)); len(stale) > 0 {
		t.Errorf("pages past their next review: %s", slugs(stale))
	}
	footnotes := 0
	for _, p := range lib.pages {
		if p.Source == "" || p.Reviewed.IsZero() || p.NextReview.IsZero() {
			t.Errorf("%s: source, reviewed and next_review must all be set", p.Slug)
		}
		hasSNOMED, hasICD := false, false
		for _, c := range p.Codes {
			hasSNOMED = hasSNOMED || c.System == "SNOMED"
			hasICD = hasICD || c.System == "ICD10"
		}
		if !hasSNOMED || !hasICD {
			t.Errorf("%s: want both SNOMED and ICD10 codes", p.Slug)
		}
		body := string(p.Body)
		if !strings.Contains(body, "<h2 id=\""+p.Slug+"_") || !strings.Contains(body, "<li>") {
			t.Errorf("%s: want headings and a list", p.Slug)
		}
		if strings.Contains(body, `class="footnotes"`) {
			footnotes++
		}
		raw, err := os.ReadFile(p.File)
		if err != nil {
			t.Fatal(err)
		}
		if _, b, _, _ := split(raw); len(strings.Fields(string(b))) < 300 || len(strings.Fields(string(b))) > 600 {
			t.Errorf("%s: %d words, want 300 to 600", p.Slug, len(strings.Fields(string(b))))
		}
	}
	if footnotes == 0 {
		t.Error("no sample page has a footnote")
	}
}

var nhsNumber = regexp.MustCompile(`^999[0-9]{7}$`)

// validNHS reports whether n is a 999-range test number with a valid
// modulus 11 check digit.
func validNHS(n string) bool { return nhsNumber.MatchString(n) && record.ValidNHSNumber(n) }

func TestValidNHSRejectsABadCheckDigit(t *testing.T) {
	t.Parallel()
	for n, want := range map[string]bool{
		"9995260182": true,
		"9995260183": false,
		"9435260182": false, // not in the test range
		"999526018":  false,
	} {
		if validNHS(n) != want {
			t.Errorf("validNHS(%s) = %v, want %v", n, !want, want)
		}
	}
}

func TestSampleRecordsLoadWithSyntheticNHSNumbers(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, f := range sampleRecordFiles(t) {
		r, err := readRecord(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !validNHS(r.Patient.NHSNumber) {
			t.Errorf("%s: NHS number is not a valid 999-range test number", r.ID)
		}
		if seen[r.Patient.NHSNumber] {
			t.Errorf("%s: NHS number used twice", r.ID)
		}
		seen[r.Patient.NHSNumber] = true
		if !regexp.MustCompile(`^rmc-[0-9]{4}$`).MatchString(r.ID) {
			t.Errorf("%s: record ids are rmc-NNNN, never a name", r.ID)
		}
	}
}

func TestSampleProblemsFindTheirEducationPages(t *testing.T) {
	t.Parallel()
	lib, err := Load(sampleEducation, NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want string
	}{
		{"rmc-0001", "high-blood-pressure"},
		{"rmc-0002", "ankylosing-spondylitis,atrial-fibrillation-and-flutter"},
		{"rmc-0003", "high-blood-pressure,type-2-diabetes"},
		{"rmc-0004", "asthma"},
		{"rmc-0008", "atrial-fibrillation-and-flutter,high-blood-pressure,living-with-a-pacemaker,taking-warfarin"},
		{"rmc-0009", ""},
	}
	for _, tt := range tests {
		r, err := readRecord(filepath.Join(sampleRecords, tt.id+".toml"))
		if err != nil {
			t.Fatal(err)
		}
		var codes []record.Code
		for _, p := range r.Problems {
			if p.Status == "active" && !p.Code.IsZero() {
				codes = append(codes, p.Code)
			}
		}
		if got := slugs(lib.Match(codes)); got != tt.want {
			t.Errorf("%s: pages %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestSampleApprovalsMatchTheScenario(t *testing.T) {
	t.Parallel()
	for _, f := range sampleRecordFiles(t) {
		id := record.Stem(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := record.DecodeTOML(f, data)
		if err != nil {
			t.Fatal(err)
		}
		a, err := policy.ReadApproval(policy.ApprovalPath(f))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		// The sample practice has no [policy]: Satchel's defaults are in
		// force, and no sample record names a key file of its own.
		got := policy.Check(a, policy.Inputs{Record: data, Letters: r.Letters, Rules: policy.DefaultRules()})
		var changed *policy.ChangedError
		ok := got == nil
		want := "covered"
		switch id {
		case "rmc-0006":
			ok, want = got == policy.ErrAwaitingApproval, "awaiting approval"
		case "rmc-0007":
			ok = errors.As(got, &changed) && changed.Record && !changed.Legacy && changed.Key == "" && len(changed.Policy) == 0
			want = "the record alone changed"
		}
		if !ok {
			t.Errorf("%s: approval check says %v, want %s (re-approve with satchel approve after editing a record)", id, got, want)
		}
	}
}

func TestSampleWithheldThirdPartyEntryIsMarked(t *testing.T) {
	t.Parallel()
	r, err := readRecord(filepath.Join(sampleRecords, "rmc-0005.toml"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range r.Entries() {
		m := record.Marked(e)
		if strings.Contains(e.Label(), "Brambleworth") {
			found = true
			if !m.Withheld || !m.ThirdParty || m.Reason == "" {
				t.Error("the entry with the marker word must be withheld, third party, with a reason")
			}
		}
	}
	if !found {
		t.Error("no entry holds the marker word other packages' tests look for")
	}
	// The word must appear nowhere else in the sample practice, so finding
	// it in output can only mean the withheld entry leaked.
	for _, dir := range []string{sampleRecords, sampleEducation} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "Brambleworth"); n > 0 && filepath.Base(f) != "rmc-0005.toml" {
				t.Errorf("%s holds the marker word", filepath.Base(f))
			}
		}
	}
}
