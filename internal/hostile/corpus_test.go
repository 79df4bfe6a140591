//go:build linux

package hostile

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/satchel-records/satchel/internal/testtool"
)

// The bounds every run of satchel must keep, hostile input or not. They
// are generous (a quiet machine needs a fraction of them): they catch a
// build that hangs or balloons, not one that is a little slow.
const (
	maxWall = 30 * time.Second
	// The largest FHIR case (19 MB, 100k bad resources) peaks near 470 MiB.
	maxRSS = 768 << 20
	// maxAS caps each run's address space (prlimit --as), so a build that
	// balloons fails fast instead of taking the test machine down with it.
	maxAS = 3 << 30
)

// canary is planted in every hostile file's content: no message may hold it.
const canary = "Zanzibar"

// goodName and victimName are the names in the practice's other records:
// no message may hold them either.
const (
	goodName   = "Goodwin Quillfeather"
	victimName = "Victor Quillfeather"
)

// scope is what a hostile file may cost.
type scope int

const (
	// onePatient: the patient the file belongs to fails; the good patient
	// is still built.
	onePatient scope = iota
	// onePage: an education page is left out, with an error; every
	// patient is still built.
	onePage
	// wholeSite: site.toml stops the build before it writes anything at
	// all.
	wholeSite
)

// hostileCase is one entry of the corpus.
type hostileCase struct {
	name  string
	scope scope
	// named must appear in the error: the file (or for a key or letter,
	// the record that names it) as the site names it.
	named string
	// line: the error must give a line number after the file name.
	line bool
	// id is the patient the hostile file costs ("" when the file name
	// itself is the attack); it must not be built.
	id string
	// approve: the file is the patient's key, which the approval covers,
	// so the case approves the patient again after planting it, as a
	// practice would. Approve may refuse the key, naming it, or take it;
	// either way the build must refuse it.
	approve bool
	// plant writes the hostile file into the site at dir.
	plant func(t *testing.T, dir string)
}

// kind is a place a hostile file can be put.
type kind struct {
	name  string
	scope scope
	path  string // the file, relative to the site
	named string // what the error must name
	id    string // the patient it costs
	// wrap turns a TOML payload into the file's content (nil: the kind
	// takes no TOML payloads).
	wrap func(t *testing.T, dir, payload string) string
}

var kinds = []kind{
	{name: "record", scope: onePatient, path: "records/hostile.toml", named: "records/hostile.toml", id: "hostile",
		wrap: func(_ *testing.T, _, p string) string {
			return "[patient]\nname = \"Hostile Zanzibar\"\nborn = 1970-01-01\n" + p
		}},
	{name: "approval", scope: onePatient, path: "records/victim.approval.toml", named: "records/victim.approval.toml", id: "victim",
		wrap: func(t *testing.T, dir, p string) string {
			return readFile(t, filepath.Join(dir, "records/victim.approval.toml")) + p
		}},
	{name: "page", scope: onePage, path: "education/hostile.md", named: "education/hostile.md",
		wrap: func(_ *testing.T, _, p string) string {
			return "+++\ntitle = \"Zanzibar fever\"\ncodes = [\"SNOMED:195967001\"]\nreviewed = 2026-05-11\nnext_review = 2027-05-11\nsource = \"Test\"\n" + p + "\n+++\n\nText.\n"
		}},
	{name: "site", scope: wholeSite, path: "site.toml", named: "site.toml",
		wrap: func(_ *testing.T, _, p string) string { return siteTOML + p }},
	{name: "fhir", scope: onePatient, path: "records/hostile.json", named: "records/hostile.json", id: "hostile"},
	{name: "key", scope: onePatient, path: "records/victim.asc", named: "records/victim.toml", id: "victim"},
	{name: "letter", scope: onePatient, path: "records/victim-letter.md", named: "records/victim.toml", id: "victim"},
}

// tomlPayloads make any TOML file invalid, each in its own hostile way.
// line says whether the error can name a line.
var tomlPayloads = []struct {
	name string
	line bool
	text func() string
}{
	{"nested inline tables", true, func() string {
		return "\ndeep = " + strings.Repeat("{a=", 100_000) + "1" + strings.Repeat("}", 100_000) + "\n"
	}},
	{"nested arrays", true, func() string { return "\ndeep = " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n" }},
	{"nested mixed", true, func() string {
		return "\ndeep = " + strings.Repeat("[{a=", 50_000) + "1" + strings.Repeat("}]", 50_000) + "\n"
	}},
	{"deep dotted key", true, func() string { return "\n" + strings.Repeat("z.", 50_000) + "z = 1\n" }},
	{"deep table header", true, func() string { return "\n[" + strings.Repeat("z.", 50_000) + "z]\n" }},
	{"unclosed nesting", true, func() string { return "\ndeep = " + strings.Repeat("{a=", 100_000) + "\n" }},
	{"100k unknown fields", true, func() string {
		var b strings.Builder
		for i := range 100_000 {
			fmt.Fprintf(&b, "%s%d = \"%s\"\n", canary, i, canary)
		}
		return "\n" + b.String()
	}},
	{"100k unknown tables", true, func() string { return strings.Repeat("\n[["+canary+"]]\nx = 1\n", 100_000) }},
	{"100k wrong types", true, func() string {
		var b strings.Builder
		for i := range 100_000 {
			fmt.Fprintf(&b, "[[%s]]\ntitle = %d\n", canary, i)
		}
		return "\n" + b.String()
	}},
	{"key holding patient data", true, func() string { return "\n\"Jane " + canary + ", NHS 999 000 0018, HIV positive\" = true\n" }},
	{"bare key holding data", true, func() string { return "\n" + canary + "_HIV_positive = true\n" }},
	{"unterminated string", true, func() string { return "\nnote = \"" + canary + " HIV positive\n" }},
	{"unterminated multi-line string", true, func() string { return "\nnote = \"\"\"" + strings.Repeat(canary+" ", 200_000) }},
	{"invalid UTF-8", true, func() string { return "\nnote = \"\xff\xfe" + canary + "\"\n" }},
	{"NUL bytes", true, func() string { return "\nnote = \"\x00" + canary + "\x00\"\n\x00" }},
	{"terminal escapes", true, func() string { return "\n\"\x1b[2J\x1b]0;" + canary + "\x07\" = \"\x1b[31m" + canary + "\"\n" }},
	{"bidi override key", true, func() string { return "\n\"\u202e" + canary + "\" = 1\n" }},
	{"megabyte key", true, func() string { return "\n" + strings.Repeat(canary, 130_000) + " = 1\n" }},
	{"duplicate key", true, func() string { return "\nzz = \"" + canary + "\"\nzz = \"" + canary + "\"\n" }},
	{"integer overflow", true, func() string { return "\nzz = 99999999999999999999999999999\n" }},
	{"impossible date", true, func() string { return "\nzz = 2026-02-31\n" }},
	{"broken table header", true, func() string { return "\n[" + canary + "\n" }},
	{"wide array", true, func() string { return "\nwide = [" + strings.Repeat("{a=1},", 200_000) + "]\n" }},
	{"CRLF and error", true, func() string { return "\r\nzz = \r\n" }},
}

// jsonPayloads are FHIR record files, each invalid.
var jsonPayloads = []struct {
	name string
	line bool
	text func() string
}{
	{"nested arrays", true, func() string { return strings.Repeat("[", 200_000) + strings.Repeat("]", 200_000) }},
	{"nested objects", true, func() string { return strings.Repeat(`{"a":`, 200_000) + "1" + strings.Repeat("}", 200_000) }},
	{"nested inside a patient", true, func() string {
		return bundle(`{"resourceType":"Patient","id":"p","extension":` + strings.Repeat(`[{"url":"x","extension":`, 50_000) + "[]" + strings.Repeat("}]", 50_000) + "}")
	}},
	{"not a bundle", false, func() string { return `{"resourceType":"` + canary + `"}` }},
	{"top-level array", false, func() string { return `["` + canary + `"]` }},
	{"null", false, func() string { return "null" }},
	{"empty", false, func() string { return "" }},
	{"BOM only", false, func() string { return "\xef\xbb\xbf" }},
	{"truncated", true, func() string { return bundle(patient(`"name":[{"text":"` + canary)) }},
	{"trailing garbage", true, func() string { return bundle(patient("")) + canary }},
	{"invalid UTF-8", true, func() string { return bundle(patient(`"name":[{"text":"` + canary + "\xff\xfe\"}]")) }},
	{"raw NUL", true, func() string { return bundle(patient(`"name":[{"text":"` + canary + "\x00\"}]")) }},
	{"huge number", true, func() string {
		return bundle(patient(`"birthDate":"1970-01-01"`), `{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Patient/p"},"code":{"text":"Weight"},"effectiveDateTime":"2026-01-01","valueQuantity":{"value":1e999999,"unit":"kg"}}`)
	}},
	{"entry not an object", true, func() string { return `{"resourceType":"Bundle","type":"collection","entry":["` + canary + `"]}` }},
	{"birth date holding data", true, func() string { return bundle(patient(`"birthDate":"` + canary + `"`)) }},
	{"100k bad observations", true, func() string {
		var rs []string
		rs = append(rs, patient(`"birthDate":"1970-01-01"`))
		for i := range 100_000 {
			rs = append(rs, fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","subject":{"reference":"Patient/p"},"code":{"text":"%s"},"effectiveDateTime":"%s-%d"}`, i, canary, canary, i))
		}
		return bundle(rs...)
	}},
	{"100k unknown resources, no patient", false, func() string {
		rs := slices.Repeat([]string{`{"resourceType":"` + canary + `"}`}, 100_000)
		return bundle(rs...)
	}},
	{"two patients", false, func() string {
		return bundle(patient(`"birthDate":"1970-01-01"`), strings.Replace(patient(`"birthDate":"1971-01-01"`), `"id":"p"`, `"id":"q"`, 1))
	}},
	{"megabyte key", false, func() string {
		return `{"` + strings.Repeat(canary, 130_000) + `":1,"resourceType":"Bundle","type":"collection"}`
	}},
	{"twenty megabyte string, no patient", false, func() string {
		return `{"resourceType":"Bundle","type":"collection","id":"` + strings.Repeat(canary, 2_500_000) + `"}`
	}},
	{"terminal escapes in ids", false, func() string {
		return `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","id":"\u001b[2J` + canary + `"}}]}`
	}},
}

// bundle wraps resources in a FHIR collection Bundle.
func bundle(resources ...string) string {
	es := make([]string, len(resources))
	for i, r := range resources {
		es[i] = `{"fullUrl":"urn:uuid:` + fmt.Sprint(i) + `","resource":` + r + `}`
	}
	return `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(es, ",") + `]}`
}

// patient is a Patient resource with more fields.
func patient(more string) string {
	if more != "" {
		more = "," + more
	}
	return `{"resourceType":"Patient","id":"p","name":[{"text":"Hostile ` + canary + `"}]` + more + `}`
}

// fsPlants replace a file with something that is not a plain file of its
// folder. They apply to every kind.
var fsPlants = []struct {
	name  string
	plant func(t *testing.T, dir, path string)
}{
	{"FIFO", func(t *testing.T, dir, path string) {
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
	}},
	{"symlink to /dev/zero", func(t *testing.T, dir, path string) { symlink(t, "/dev/zero", path) }},
	{"symlink to /dev/urandom", func(t *testing.T, dir, path string) { symlink(t, "/dev/urandom", path) }},
	{symlinkOut, func(t *testing.T, dir, path string) {
		// A plausible file outside the site: following it would read
		// whatever the link's author chose.
		outside := filepath.Join(filepath.Dir(dir), "outside-"+filepath.Base(path))
		if err := os.Rename(path, outside); err != nil {
			writeFile(t, outside, validFile(t, dir, path))
		}
		symlink(t, outside, path)
	}},
	{"absolute symlink to /etc/passwd", func(t *testing.T, dir, path string) { symlink(t, "/etc/passwd", path) }},
	{"directory", func(t *testing.T, dir, path string) {
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(path, "inside.toml"), canary+"\n")
	}},
	{"sparse 3 GiB file", func(t *testing.T, dir, path string) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(canary)
		if err := f.Truncate(3 << 30); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}},
	{"dangling symlink", func(t *testing.T, dir, path string) {
		symlink(t, filepath.Join(filepath.Dir(path), "gone-"+canary), path)
	}},
	{"symlink loop", func(t *testing.T, dir, path string) { symlink(t, filepath.Base(path), path) }},
}

const symlinkOut = "symlink out of its folder"

// validFile returns content the file at path would be read as valid: a
// link out of its folder must be refused for where it points, not for
// what it holds.
func validFile(t *testing.T, dir, path string) string {
	switch filepath.Ext(path) {
	case ".toml":
		return readFile(t, filepath.Join(dir, "records/good.toml"))
	case ".json":
		return bundle(patient(`"birthDate":"1970-01-01"`))
	case ".md":
		page := readFile(t, filepath.Join(dir, "education/asthma.md"))
		return strings.ReplaceAll(strings.ReplaceAll(page, "195967001", "38341003"), "Asthma", "High blood pressure")
	}
	return canary + "\n"
}

// bulkExport writes records/hx/, an export of one patient, and returns the
// path of its file name, for the case to plant.
func bulkExport(t *testing.T, dir, name string) string {
	ex := filepath.Join(dir, "records", "hx")
	if err := os.MkdirAll(ex, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(ex, "Patient.ndjson"), `{"resourceType":"Patient","id":"p1","name":[{"text":"Hostile `+canary+`"}],"birthDate":"1970-01-01"}`+"\n")
	return filepath.Join(ex, name)
}

// bulkPayloads are NDJSON files of an export, each unusable.
func bulkPayloads() []struct {
	name, file string
	text       func() string
} {
	bomb := func(unit string) func() string {
		return func() string {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			chunk := []byte(strings.Repeat(unit, (1<<20)/len(unit)))
			for range 256 { // 256 MiB
				zw.Write(chunk)
			}
			zw.Close()
			return b.String()
		}
	}
	cond := `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"text":"` + canary + `"}}`
	return []struct {
		name, file string
		text       func() string
	}{
		{"gzip bomb of zeros", "Condition.ndjson.gz", bomb("\x00")},
		{"gzip bomb of line breaks", "Condition.ndjson.gz", bomb("\n")},
		{"gzip bomb of bad lines", "Condition.ndjson.gz", bomb("{" + canary + "}\n")},
		{"gzip bomb of one patient's resources", "Condition.ndjson.gz", bomb(cond + "\n")},
		{"gzip cut short", "Condition.ndjson.gz", func() string { return bomb(cond + "\n")()[:4000] }},
		{"not gzip", "Condition.ndjson.gz", func() string { return cond + "\n" }},
		{"100k bad lines", "Condition.ndjson", func() string {
			return strings.Repeat(`{"resourceType":"Condition","subject":"`+canary+`"}`+"\n", 100000)
		}},
		{"a resource of another patient", "Condition.ndjson", func() string { return strings.Replace(cond, "Patient/p1", "Patient/"+canary, 1) + "\n" }},
		{"not UTF-8", "Condition.ndjson", func() string { return strings.Replace(cond, canary, canary+"\xff", 1) + "\n" }},
		{"a field of the wrong type", "Condition.ndjson", func() string {
			return strings.Replace(cond, `"code":{"text":"`+canary+`"}`, `"onsetDateTime":"`+canary+`"`, 1) + "\n"
		}},
	}
}

// keyPayloads are patient key files, each unusable.
func keyPayloads(t *testing.T) []struct {
	name string
	data []byte
} {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	armored := func(e *openpgp.Entity, private bool) []byte {
		var b bytes.Buffer
		typ := openpgp.PublicKeyType
		if private {
			typ = openpgp.PrivateKeyType
		}
		w, err := armor.Encode(&b, typ, map[string]string{"Comment": canary})
		if err != nil {
			t.Fatal(err)
		}
		if private {
			err = e.SerializePrivate(w, cfg)
		} else {
			err = e.Serialize(w)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		return b.Bytes()
	}
	newKey := func(c *packet.Config) *openpgp.Entity {
		e, err := openpgp.NewEntity("Victor "+canary, "", "victor@example.org", c)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := newKey(cfg), newKey(cfg)
	old := newKey(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, KeyLifetimeSecs: 60,
		Time: func() time.Time { return time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) }})
	signOnly := newKey(cfg)
	signOnly.Subkeys = nil

	var bomb bytes.Buffer                      // a compressed packet of 512 MiB of zeros
	bomb.Write([]byte{0xc8, 0xff, 0, 0, 0, 0}) // tag 8, five-octet length filled in below
	bomb.WriteByte(2)                          // ZLIB
	zw := zlib.NewWriter(&bomb)
	zero := make([]byte, 1<<20)
	for range 512 {
		zw.Write(zero)
	}
	zw.Close()
	n := bomb.Len() - 6
	copy(bomb.Bytes()[2:6], []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})

	rnd := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(rnd)

	pubA := armored(a, false)
	return []struct {
		name string
		data []byte
	}{
		{"text", []byte(canary + " is not a key\n")},
		{"armored garbage", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: " + canary + "\n\nWmFuemliYXI=\n-----END PGP PUBLIC KEY BLOCK-----\n")},
		{"random megabyte", rnd},
		{"two keys", append(append([]byte{}, pubA...), armored(b, false)...)},
		{"truncated key", pubA[:len(pubA)/2]},
		{"secret key", armored(a, true)},
		{"expired key", armored(old, false)},
		{"key that cannot encrypt", armored(signOnly, false)},
		{"compression bomb", bomb.Bytes()},
		{"empty", nil},
	}
}

// corpus returns every case. It needs the template site for the keys.
func corpus(t *testing.T) []hostileCase {
	var cs []hostileCase
	for _, k := range kinds {
		if k.wrap != nil {
			for _, p := range tomlPayloads {
				cs = append(cs, hostileCase{
					name: k.name + "/" + p.name, scope: k.scope, named: k.named, line: p.line, id: k.id,
					plant: func(t *testing.T, dir string) {
						writeFile(t, filepath.Join(dir, k.path), k.wrap(t, dir, p.text()))
					},
				})
			}
		}
		for _, f := range fsPlants {
			if k.name == "site" && f.name == symlinkOut {
				continue // site.toml is wherever the practice points -site
			}
			cs = append(cs, hostileCase{
				name: k.name + "/" + f.name, scope: k.scope, named: k.named, id: k.id, approve: k.name == "key",
				plant: func(t *testing.T, dir string) {
					path := filepath.Join(dir, k.path)
					if f.name != symlinkOut {
						os.Remove(path)
					}
					f.plant(t, dir, path)
				},
			})
		}
	}
	// A FHIR Bulk Data export of one patient, whose Condition file is
	// hostile: it costs that export's patient.
	for _, f := range fsPlants {
		cs = append(cs, hostileCase{
			name: "bulk/" + f.name, scope: onePatient, named: "records/hx/Condition.ndjson", id: "hx-p1",
			plant: func(t *testing.T, dir string) { f.plant(t, dir, bulkExport(t, dir, "Condition.ndjson")) },
		})
	}
	for _, p := range bulkPayloads() {
		cs = append(cs, hostileCase{
			name: "bulk/" + p.name, scope: onePatient, named: "records/hx/" + p.file, line: p.name != "not gzip", id: "hx-p1",
			plant: func(t *testing.T, dir string) { writeFile(t, bulkExport(t, dir, p.file), p.text()) },
		})
	}
	for _, p := range jsonPayloads {
		cs = append(cs, hostileCase{
			name: "fhir/" + p.name, scope: onePatient, named: "records/hostile.json", line: p.line, id: "hostile",
			plant: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "records/hostile.json"), p.text()) },
		})
	}
	for _, p := range keyPayloads(t) {
		cs = append(cs, hostileCase{
			name: "key/" + p.name, scope: onePatient, named: "records/victim.toml", line: true, id: "victim", approve: true,
			plant: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "records/victim.asc"), string(p.data)) },
		})
	}
	cs = append(cs,
		hostileCase{
			name: "record/escape sequences in the file name", scope: onePatient, named: "records/red.toml",
			plant: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "records", "\x1b[2J\x1b[31mred.toml"), "[patient\n")
			},
		},
		hostileCase{
			name: "letter/twenty megabytes of text", scope: onePatient, named: "records/victim.toml", id: "victim",
			plant: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "records/victim-letter.md"), strings.Repeat(canary+" ", 20<<20/9))
			},
		},
		hostileCase{
			name: "letter/outside the records folder", scope: onePatient, named: "records/victim.toml", line: true, id: "victim",
			plant: func(t *testing.T, dir string) {
				rec := filepath.Join(dir, "records/victim.toml")
				writeFile(t, rec, strings.Replace(readFile(t, rec), `"victim-letter.md"`, `"../site.toml"`, 1))
			},
		},
	)
	return cs
}

// TestHostileCorpus runs satchel build and satchel check on a practice
// holding one hostile file at a time, and holds each run to the rules:
// the exit code (1, the same for check and build), the file and line
// named, no content echoed, no terminal control, the other patients
// built (or, for site-wide input, nothing written), bounded time and
// memory.
func TestHostileCorpus(t *testing.T) {
	testtool.Slow(t, "runs the satchel binary twice on each of 150+ hostile sites")
	bin := satchelBinary(t)
	tmpl := templateSite(t, bin)
	cases := corpus(t)
	if len(cases) < 150 {
		t.Fatalf("the corpus has %d cases; it must keep at least 150", len(cases))
	}
	var mu sync.Mutex
	var stats struct {
		runs, patient, page, site int
		wall                      time.Duration
		rss                       int64
		rssCase, wallCase         string
	}
	t.Cleanup(func() {
		t.Logf("%d cases (%d cost one patient, %d one education page, %d stop the whole build), %d runs; slowest run %v (%s), largest peak RSS %d MiB (%s)",
			len(cases), stats.patient, stats.page, stats.site, stats.runs, stats.wall.Round(time.Millisecond), stats.wallCase, stats.rss>>20, stats.rssCase)
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "site")
			testtool.CopyTree(t, tmpl, dir)
			c.plant(t, dir)
			record := func(res result) {
				mu.Lock()
				stats.runs++
				if res.wall > stats.wall {
					stats.wall, stats.wallCase = res.wall, c.name
				}
				if res.rss > stats.rss {
					stats.rss, stats.rssCase = res.rss, c.name
				}
				mu.Unlock()
			}
			if c.approve {
				res := runSatchel(t, bin, dir, "approve", "-site", "site.toml", "-by", "Dr Test", "-role", "GP", "victim")
				record(res)
				assertClean(t, "approve", res)
				switch res.code {
				case 0:
				case 1:
					assertNamed(t, c, "approve", res)
				default:
					t.Errorf("satchel approve exited %d", res.code)
				}
			}
			var codes []int
			for _, cmd := range []string{"check", "build"} {
				res := runSatchel(t, bin, dir, cmd, "-site", "site.toml")
				record(res)
				codes = append(codes, res.code)
				assertClean(t, cmd, res)
				if res.code != 1 {
					t.Errorf("satchel %s exited %d, want 1; stderr:\n%.2000s", cmd, res.code, res.stderr)
				}
				assertNamed(t, c, cmd, res)
			}
			if codes[0] != codes[1] {
				t.Errorf("check exited %d, build exited %d", codes[0], codes[1])
			}
			if c.scope == onePatient && c.id != "" {
				assertNotBuilt(t, dir, c.id)
			}
			switch c.scope {
			case onePatient, onePage:
				assertStatus(t, dir, "good", "built")
				mu.Lock()
				if c.scope == onePage {
					stats.page++
				} else {
					stats.patient++
				}
				mu.Unlock()
			case wholeSite:
				// The template's approvals wrote private/ (their snapshots
				// and the audit log): a failed build adds nothing to it and
				// changes nothing in it, and writes no public/.
				if _, err := os.Lstat(filepath.Join(dir, "public")); err == nil {
					t.Errorf("a build that fails wrote public/")
				}
				if got, want := treeOf(t, filepath.Join(dir, "private")), treeOf(t, filepath.Join(tmpl, "private")); got != want {
					t.Errorf("a build that fails wrote in private/:\n%s\nwant, as approve left it:\n%s", got, want)
				}
				mu.Lock()
				stats.site++
				mu.Unlock()
			}
		})
	}
}

// TestTemplateSiteBuilds is the corpus's control: with no hostile file,
// both patients build and check passes. Every failure the corpus sees is
// the hostile file's doing.
func TestTemplateSiteBuilds(t *testing.T) {
	testtool.Slow(t, "builds the satchel binary")
	bin := satchelBinary(t)
	dir := filepath.Join(t.TempDir(), "site")
	testtool.CopyTree(t, templateSite(t, bin), dir)
	for _, cmd := range []string{"check", "build"} {
		if res := runSatchel(t, bin, dir, cmd, "-site", "site.toml"); res.code != 0 {
			t.Fatalf("satchel %s exited %d:\n%s", cmd, res.code, res.stderr)
		}
	}
	assertStatus(t, dir, "good", "built")
	assertStatus(t, dir, "victim", "built")
}

// assertNamed checks that a run's errors name the hostile file, and its
// line when the case can have one.
func assertNamed(t *testing.T, c hostileCase, cmd string, res result) {
	t.Helper()
	if !strings.Contains(res.stderr, c.named) {
		t.Errorf("satchel %s does not name %s; stderr:\n%.2000s", cmd, c.named, res.stderr)
	} else if c.line && !tooLarge(res.stderr, c.named) && !regexp.MustCompile(regexp.QuoteMeta(c.named)+`:\d+`).MatchString(res.stderr) {
		t.Errorf("satchel %s names %s without a line; stderr:\n%.2000s", cmd, c.named, res.stderr)
	}
}

// tooLarge reports whether stderr refuses file for its size, which has no
// line to name.
func tooLarge(stderr, file string) bool {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, file+":") && strings.Contains(l, "too large") {
			return true
		}
	}
	return false
}

// assertClean checks what every run must keep to, whatever its exit code:
// nothing echoed from any file, no terminal control, few lines, bounded
// time and memory.
func assertClean(t *testing.T, cmd string, res result) {
	t.Helper()
	out := res.stdout + res.stderr
	for _, secret := range []string{canary, goodName, victimName, "HIV"} {
		if strings.Contains(out, secret) {
			t.Errorf("satchel %s echoed what a file holds (%s)", cmd, secret)
		}
	}
	if i := strings.IndexFunc(out, func(r rune) bool {
		return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
	}); i >= 0 {
		t.Errorf("satchel %s printed control character %U", cmd, []rune(out[i:])[0])
	}
	if n := strings.Count(res.stderr, "\n"); n > 200 {
		t.Errorf("satchel %s printed %d lines: errors per file must be capped", cmd, n)
	}
	if res.code < 0 || res.wall > maxWall {
		t.Errorf("satchel %s took %v (bound %v)", cmd, res.wall, maxWall)
	}
	if res.rss > maxRSS {
		t.Errorf("satchel %s peaked at %d MiB (bound %d MiB)", cmd, res.rss>>20, maxRSS>>20)
	}
}

// assertNotBuilt checks that patient id has no bundle.
func assertNotBuilt(t *testing.T, dir, id string) {
	t.Helper()
	for _, p := range manifest(t, dir) {
		if p.ID == id && p.Status == "built" {
			t.Errorf("patient %s was built from a hostile file", id)
		}
	}
}

// assertStatus checks patient id's status in the build's manifest.
func assertStatus(t *testing.T, dir, id, want string) {
	t.Helper()
	for _, p := range manifest(t, dir) {
		if p.ID == id {
			if p.Status != want {
				t.Errorf("patient %s: %s, want %s", id, p.Status, want)
			} else if want == "built" {
				if _, err := os.Stat(filepath.Join(dir, p.Bundle)); err != nil {
					t.Errorf("patient %s is built but its bundle is missing", id)
				}
			}
			return
		}
	}
	t.Errorf("patient %s is not in the manifest", id)
}

// manifestEntry is a patient's line in private/manifest.json.
type manifestEntry struct{ ID, Status, Bundle string }

// manifest reads the build's manifest.
func manifest(t *testing.T, dir string) []manifestEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "private/manifest.json"))
	if err != nil {
		t.Fatalf("no manifest: the build stopped for every patient")
	}
	var m struct{ Patients []manifestEntry }
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Patients
}

// result is one run of satchel.
type result struct {
	code           int
	stdout, stderr string
	wall           time.Duration
	rss            int64 // peak resident set, bytes
}

// runSatchel runs the binary in dir, killing it at the wall-time bound.
func runSatchel(t *testing.T, bin, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), maxWall+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "prlimit", append([]string{fmt.Sprintf("--as=%d", maxAS), "--", bin}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "USER=tester")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("cannot run satchel: %v", err)
	}
	if ctx.Err() != nil {
		res.code = -1
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.rss = ru.Maxrss << 10 // Linux reports KiB
	}
	return res
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// satchelBinary builds the satchel command once for the package's tests,
// without the race detector: memory is measured on what practices run.
func satchelBinary(t *testing.T) string {
	t.Helper()
	testtool.Need(t, "prlimit", "go")
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "satchel-hostile-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "satchel")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/satchel").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range []string{binPath, tmplDir} {
		if p != "" {
			os.RemoveAll(filepath.Dir(p))
		}
	}
	os.Exit(code)
}

var (
	tmplOnce sync.Once
	tmplDir  string
	tmplErr  error
)

// templateSite returns a practice with two approved patients: good, who
// every hostile case must leave built, and victim, whose approval, key and
// letter the cases attack.
func templateSite(t *testing.T, bin string) string {
	t.Helper()
	tmplOnce.Do(func() {
		dir, err := os.MkdirTemp("", "satchel-hostile-site-")
		if err != nil {
			tmplErr = err
			return
		}
		tmplDir = filepath.Join(dir, "site")
		tmplErr = writeTemplate(tmplDir, bin)
	})
	if tmplErr != nil {
		t.Fatal(tmplErr)
	}
	return tmplDir
}

const siteTOML = `records = "records"
education = "education"

[practice]
name = "Test Practice"
address = "1 Test Street"
phone = "01632 960000"
ods_code = "Y99999"
`

func writeTemplate(dir, bin string) error {
	e, err := openpgp.NewEntity("Victor Patient", "", "victor@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		return err
	}
	var key bytes.Buffer
	w, err := armor.Encode(&key, openpgp.PublicKeyType, nil)
	if err != nil {
		return err
	}
	if err := e.Serialize(w); err != nil {
		return err
	}
	w.Close()
	files := map[string]string{
		"site.toml":                siteTOML,
		"education/asthma.md":      "+++\ntitle = \"Asthma\"\ncodes = [\"SNOMED:195967001\"]\nreviewed = 2026-05-11\nnext_review = 2027-05-11\nsource = \"Test\"\n+++\n\nAsthma is a condition of the airways.\n",
		"records/good.toml":        "[patient]\nname = \"" + goodName + "\"\nborn = 1970-01-01\n\n[[problems]]\ntitle = \"Asthma\"\ncode = \"SNOMED:195967001\"\nonset = \"2001\"\nstatus = \"active\"\n",
		"records/victim.toml":      "[patient]\nname = \"" + victimName + "\"\nborn = 1971-02-03\npublic_key = \"victim.asc\"\n\n[[letters]]\ntitle = \"Clinic letter\"\ndate = 2026-01-05\nfrom = \"Clinic\"\nfile = \"victim-letter.md\"\n",
		"records/victim-letter.md": "Dear Doctor,\n\nSeen in clinic. Well.\n",
		"records/victim.asc":       key.String(),
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
	}
	cmd := exec.Command(bin, "approve", "-site", "site.toml", "-by", "Dr Test", "-role", "GP", "good", "victim")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("approve: %v\n%s", err, out)
	}
	return nil
}

// treeOf lists the files under dir with their sizes and digests, one a
// line; "" if dir does not exist.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	stamps, err := testtool.Stamps(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(stamps)) {
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %d %s\n", rel, stamps[p].Size, stamps[p].SHA256)
	}
	return b.String()
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}
