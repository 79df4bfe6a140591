package bulk

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// export writes files (name -> content) into a fresh export folder.
func export(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "exp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	pat1 = `{"resourceType":"Patient","id":"p1","name":[{"family":"Secretname"}],"birthDate":"1970-01-01"}`
	pat2 = `{"resourceType":"Patient","id":"p2","name":[{"family":"Othername"}],"birthDate":"1980-02-02"}`
	cond = `{"resourceType":"Condition","id":"c%s","subject":{"reference":"Patient/%s"},"code":{"text":"Asthma"}}`
)

func condition(id, patient string) string {
	return strings.Replace(strings.Replace(cond, "%s", id, 1), "%s", patient, 1)
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// problems opens dir and returns its problems, which every patient's Read
// must fail with too.
func problems(t *testing.T, dir string) string {
	t.Helper()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	perr := x.Problems()
	if perr == nil {
		t.Fatal("no problems reported")
	}
	for _, p := range x.Patients() {
		if _, _, err := x.Read(p); err == nil || !strings.Contains(err.Error(), dir+" has problems") {
			t.Errorf("patient %s read despite the export's problems: %v", p.ID, err)
		}
	}
	msg := perr.Error()
	for _, secret := range []string{"Secretname", "Othername", "Asthma", "1970"} {
		if strings.Contains(msg, secret) {
			t.Errorf("an error quotes the export: %s", msg)
		}
	}
	return msg
}

func want(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q lacks %q", msg, p)
		}
	}
}

func TestBadLineNamesFileAndLine(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":   pat1 + "\n" + pat2 + "\n",
		"Condition.ndjson": condition("1", "p1") + "\n\n" + `{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p2"},"code":{"text":"Asthma"` + "\n",
	})
	want(t, problems(t, dir), "Condition.ndjson:3:", "invalid JSON syntax")
}

func TestWrongTypeAndNotUTF8(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":     pat1 + "\n",
		"Condition.ndjson":   `{"resourceType":"Condition","subject":"Patient/p1 Secretname"}` + "\n",
		"Observation.ndjson": condition("9", "p1") + "\n" + "{\"resourceType\":\"Observation\",\"note\":\"\xff\"}\n",
		"Flag.ndjson":        `["Secretname"]` + "\n",
	})
	msg := problems(t, dir)
	want(t, msg, `Condition.ndjson:1: field "Condition.subject": wrong type`, "Observation.ndjson:2: not valid UTF-8", "Flag.ndjson:1: not a FHIR resource")
}

func TestMissingPatientReported(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":   pat1 + "\n",
		"Condition.ndjson": condition("1", "p1") + "\n" + condition("2", "nobody") + "\n",
	})
	want(t, problems(t, dir), "Condition.ndjson:2:", "refers to a patient the export does not have")
}

func TestNoSubjectReported(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":            pat1 + "\n",
		"AllergyIntolerance.ndjson": `{"resourceType":"AllergyIntolerance","id":"a"}` + "\n",
		"Condition.ndjson":          `{"resourceType":"Condition","id":"c","subject":{"reference":"urn:uuid:1"}}` + "\n",
	})
	want(t, problems(t, dir), `AllergyIntolerance.ndjson:1: field "AllergyIntolerance.subject": no subject or patient`,
		`Condition.ndjson:1: field "Condition.subject": does not refer to a Patient of the export as Patient/id`)
}

// An observation about a place, or a group, is nobody's record: not a
// problem, and in no patient's record.
func TestSubjectNotAPatient(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":     pat1 + "\n",
		"Observation.ndjson": `{"resourceType":"Observation","id":"o","status":"final","code":{"text":"Radon"},"subject":{"reference":"Location/l1"},"valueQuantity":{"value":1}}` + "\n",
	})
	x, err := Open(dir)
	if err != nil || x.Problems() != nil {
		t.Fatal(err, x.Problems())
	}
	_, rec, err := x.Read(x.Patients()[0])
	if err != nil || len(rec.Results) != 0 {
		t.Errorf("read %v, %d results", err, len(rec.Results))
	}
}

func TestCorruptGzip(t *testing.T) {
	var lines strings.Builder
	for i := 0; i < 2000; i++ {
		lines.WriteString(condition(strings.Repeat("x", i%7)+string(rune('a'+i%26)), "p1") + "\n")
	}
	z := []byte(gz(t, lines.String()))
	cut := z[:len(z)/2] // cut short
	bad := bytes.Clone(z)
	for i := 20; i < len(bad)-20; i += 97 {
		bad[i] ^= 0x5a // damaged
	}
	for name, data := range map[string]string{"cut": string(cut), "damaged": string(bad), "not gzip": lines.String()} {
		t.Run(name, func(t *testing.T) {
			dir := export(t, map[string]string{"Patient.ndjson.gz": gz(t, pat1+"\n"), "Condition.ndjson.gz": data})
			msg := problems(t, dir)
			if name == "not gzip" {
				want(t, msg, "Condition.ndjson.gz: not a gzip file")
			} else {
				want(t, msg, "Condition.ndjson.gz:", "corrupt gzip data")
			}
		})
	}
}

func TestIDsDifferingInCase(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson": pat1 + "\n" + strings.Replace(pat2, `"p2"`, `"P1"`, 1) + "\n",
	})
	want(t, problems(t, dir), "Patient.ndjson:2:", "differ only in case")
}

// A resource Satchel reads but finds wrong is reported at its file and line,
// by its own path, never its value.
func TestFieldErrorNamesLine(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":   pat1 + "\n",
		"Condition.ndjson": condition("1", "p1") + "\n" + `{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p1"},"code":{"text":"Asthma"},"onsetDateTime":"Secretname"}` + "\n",
	})
	x, err := Open(dir)
	if err != nil || x.Problems() != nil {
		t.Fatal(err, x.Problems())
	}
	_, _, err = x.Read(x.Patients()[0])
	if err == nil {
		t.Fatal("a bad date read")
	}
	want(t, err.Error(), `Condition.ndjson:2: field "Condition.onsetDateTime"`)
	if strings.Contains(err.Error(), "Secretname") || strings.Contains(err.Error(), "Bundle.entry") {
		t.Errorf("error %q quotes the value or the Bundle made of the export", err)
	}
}

// Each patient's data is their own resources alone, in an order of their
// own: a change to one patient, and the export's order, leave the others'
// data (and so their approvals) as they were.
func TestDataIsEachPatientsOwn(t *testing.T) {
	med := `{"resourceType":"Medication","id":"m1","code":{"text":"Amlodipine 5mg tablets"}}`
	req := func(id, p string) string {
		return `{"resourceType":"MedicationRequest","id":"` + id + `","status":"active","intent":"order","subject":{"reference":"Patient/` + p + `"},"medicationReference":{"reference":"Medication/m1"}}`
	}
	read := func(files map[string]string) map[string]string {
		x, err := Open(export(t, files))
		if err != nil || x.Problems() != nil {
			t.Fatal(err, x.Problems())
		}
		out := map[string]string{}
		for _, p := range x.Patients() {
			data, rec, err := x.Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Medications) != 1 || rec.Medications[0].Name != "Amlodipine 5mg tablets" {
				t.Fatalf("%s: the medicine's name did not resolve across files: %+v", p.ID, rec.Medications)
			}
			out[p.ID] = string(data)
		}
		return out
	}
	before := read(map[string]string{
		"Patient.ndjson":           pat1 + "\n" + pat2 + "\n",
		"Condition.ndjson":         condition("1", "p1") + "\n" + condition("2", "p2") + "\n" + condition("3", "p1") + "\n",
		"Medication.ndjson":        med + "\n",
		"MedicationRequest.ndjson": req("r1", "p1") + "\n" + req("r2", "p2") + "\n",
	})
	after := read(map[string]string{
		"Patient.ndjson":   pat2 + "\n" + pat1 + "\n",
		"Condition.ndjson": "  " + condition("3", "p1") + "\r\n" + strings.Replace(condition("2", "p2"), "Asthma", "Eczema", 1) + "\n" + condition("1", "p1") + "\n",
		// Another split of the same types, gzip, in other files.
		"Medication.ndjson.gz":          gz(t, med+"\n"),
		"MedicationRequest-1.ndjson":    req("r2", "p2") + "\n",
		"MedicationRequest-2.ndjson.gz": gz(t, req("r1", "p1")+"\n"),
	})
	if before["exp-p1"] == "" || before["exp-p1"] != after["exp-p1"] {
		t.Errorf("patient p1 unchanged, but their data changed:\n%s\n%s", before["exp-p1"], after["exp-p1"])
	}
	if before["exp-p2"] == after["exp-p2"] {
		t.Error("patient p2's condition changed, but their data did not")
	}
	if strings.Contains(before["exp-p1"], `"p2"`) {
		t.Error("patient p1's data holds another patient's resources")
	}
}

// A reference the export does not hold is named by the resource's own
// path, file and line.
func TestUnresolvedNamesLine(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":           pat1 + "\n",
		"MedicationRequest.ndjson": "\n" + `{"resourceType":"MedicationRequest","id":"r","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"Medication/gone"}}` + "\n",
	})
	x, err := Open(dir)
	if err != nil || x.Problems() != nil {
		t.Fatal(err, x.Problems())
	}
	_, rec, err := x.Read(x.Patients()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Unresolved) != 1 || rec.Unresolved[0] != "MedicationRequest.medicationReference (in MedicationRequest.ndjson line 2)" {
		t.Errorf("unresolved: %q", rec.Unresolved)
	}
}

// The index holds offsets: a file replaced between indexing and reading
// is refused, never read at the old offsets.
func TestChangedFileRefused(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":   pat1 + "\n",
		"Condition.ndjson": condition("1", "p1") + "\n",
	})
	x, err := Open(dir)
	if err != nil || x.Problems() != nil {
		t.Fatal(err, x.Problems())
	}
	if err := os.WriteFile(filepath.Join(dir, "Condition.ndjson"), []byte(condition("22", "p1")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = x.Read(x.Patients()[0])
	if err == nil || !strings.Contains(err.Error(), "Condition.ndjson: cannot read the export file: changed while it was being read") {
		t.Errorf("read a changed file: %v", err)
	}
}

// A file of bad lines, or a gzip bomb of line breaks, is not read to its
// end: reading stops at twenty problems, or at a thousand blank lines.
func TestManyProblemsStop(t *testing.T) {
	dir := export(t, map[string]string{
		"Patient.ndjson":      pat1 + "\n",
		"Condition.ndjson":    strings.Repeat("{\n", 100000),
		"Observation.ndjson":  "{\n",
		"Procedure.ndjson.gz": gz(t, strings.Repeat("\n", 1<<24)),
	})
	msg := problems(t, dir)
	if n := strings.Count(msg, "\n") + 1; n != 21 {
		t.Errorf("%d error lines, want 21", n)
	}
	want(t, msg, "Condition.ndjson:20: invalid JSON syntax", "more problems: reading stopped after 20")
	if strings.Contains(msg, "Observation.ndjson") {
		t.Error("reading went on after the limit")
	}
	dir = export(t, map[string]string{
		"Patient.ndjson":      pat1 + "\n",
		"Procedure.ndjson.gz": gz(t, strings.Repeat("\n", 1<<24)),
	})
	want(t, problems(t, dir), "Procedure.ndjson.gz:1001: more than 1000 blank lines")
}

// One patient's resources are bounded like a record file, before they are
// read: an export cannot make one patient's Bundle larger.
func TestPatientTooLarge(t *testing.T) {
	line := `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"note":[{"text":"` + strings.Repeat("x", 1<<20) + `"}]}` + "\n"
	dir := export(t, map[string]string{
		"Patient.ndjson":      pat1 + "\n",
		"Condition.ndjson.gz": gz(t, strings.Repeat(line, 70)),
	})
	want(t, problems(t, dir), "Condition.ndjson.gz:64: one patient's resources pass 64 MiB here")
}

// The $export manifest's transactionTime is when the export was made: a
// record's freshness counts from it. A manifest that does not read is a
// problem of the export.
func TestManifestDatesRecords(t *testing.T) {
	files := map[string]string{
		"Patient.ndjson": pat1 + "\n",
		"manifest.json":  `{"transactionTime":"2026-11-20T09:30:00+01:00","request":"x","output":[]}`,
	}
	x, err := Open(export(t, files))
	if err != nil || x.Problems() != nil {
		t.Fatal(err, x.Problems())
	}
	_, rec, err := x.Read(x.Patients()[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Dated.Format(time.RFC3339); got != "2026-11-20T08:30:00Z" {
		t.Errorf("dated %s", got)
	}
	files["manifest.json"] = `{"transactionTime":"Secretname"}`
	want(t, problems(t, export(t, files)), `manifest.json: field "transactionTime": not a FHIR instant`)
}
