// Package bulk reads a FHIR Bulk Data export ($export): a folder of NDJSON
// files, one resource per line, usually one file per resource type
// (Patient.ndjson, Condition.ndjson, ...), each plain or gzip-compressed
// (.ndjson.gz), as one record per Patient resource.
//
// The export is read in two steps, so it is never held in memory whole:
// Open reads every file line by line once and keeps only an index (which
// line of which file belongs to which patient, and where the resources
// that belong to no patient, such as Medication or Practitioner, are);
// Read then gathers one patient's lines, with the shared resources they
// reference, into a FHIR collection Bundle and reads it with the Bundle
// reader (package fhir), so a patient reads exactly as the same resources
// would in a Bundle.
//
// That Bundle is the patient's record data, the bytes an approval covers:
// the patient's own resources, each compacted onto one line, the Patient
// first and the rest sorted by their compact JSON (as exporters write it,
// by type and id). It does not depend on
// the order of the export's files or lines, nor on any other patient, so
// a new export in which one patient changed unapproves that patient alone.
//
// Errors name the NDJSON file and line, and the FHIR path of the element,
// never its value. A line that cannot be read, or that cannot be told to
// belong to a patient of the export, is a problem of the whole export: any
// patient could be missing a resource, so none of them reads until it is
// fixed.
package bulk

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// IsFile reports whether name is an NDJSON file of an export.
func IsFile(name string) bool {
	return !strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".ndjson.gz"))
}

// Files lists the NDJSON files in dir, by name, or none when dir is not
// an export.
func Files(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if IsFile(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// loc is where one resource is: its file, its 1-based line, and for a
// plain file its byte offset and length.
type loc struct {
	file int32
	line int32
	off  int64
	n    int32
}

type file struct {
	path string // as the caller named the folder, joined with the name
	gz   bool
	info os.FileInfo // when first read: a later read must find the same
}

// Patient is one patient of an export.
type Patient struct {
	// ID is the patient's Satchel id: the folder's name and the Patient
	// resource's id, joined by "-", with anything but letters, digits, "-"
	// and "_" written "-". It is safe as a file name.
	ID string
	// Path is the name the patient's record goes by: the folder joined with
	// ID. Its approval is beside it (policy.ApprovalPath): ID.approval.toml
	// in the export's folder.
	Path string

	fhirID string
	found  bool // the Patient resource was seen
	self   loc
	first  loc // the first line that referenced the patient, until found
	lines  []loc
	size   int64 // bytes of the patient's own lines
}

// Export is the index of one export folder.
type Export struct {
	dir      string
	files    []file
	patients []*Patient
	byFHIR   map[string]*Patient
	byPath   map[string]*Patient
	shared   map[string][]loc // "Type/id" -> resources that belong to no patient
	problems []error
	more     int  // problems past maxProblems: reading stopped
	blank    int  // blank lines in the file being read
	halt     bool // stop reading the file being read

	// dated is when the export was made: the transactionTime of the
	// $export manifest (manifest.json) in the folder, if there is one.
	dated time.Time

	mu     sync.Mutex
	cache  map[*Patient][][]byte // gzip lines of a window of patients
	window int                   // bytes of gzip lines a window holds
	cached int                   // bytes of lines in cache
	fills  int                   // times the gzip files were read for a window
}

// ManifestFile is the name of the $export completion manifest in an
// export's folder, which says when the export was made (transactionTime).
const ManifestFile = "manifest.json"

// readManifest reads the export's manifest, if the folder holds one.
func (x *Export) readManifest() {
	path := filepath.Join(x.dir, ManifestFile)
	if _, err := os.Lstat(path); err != nil {
		return
	}
	data, err := input.Read(path, x.dir, input.MaxSite)
	if err != nil {
		x.problem(path, 0, "", "cannot read the export's manifest: %s", input.Reason(err))
		return
	}
	var m struct {
		TransactionTime string `json:"transactionTime"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		x.problem(path, 0, "", "not a Bulk Data manifest: want a JSON object with transactionTime")
		return
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(m.TransactionTime))
	if err != nil {
		x.problem(path, 0, "transactionTime", "not a FHIR instant (such as 2026-11-20T09:30:00Z)")
		return
	}
	x.dated = t.UTC()
}

// maxProblems bounds the problems an export reports: reading stops at the
// next one, so a file of a million bad lines (or a gzip bomb of them)
// costs no more than one of twenty.
const maxProblems = strict.MaxErrors

// maxBlank bounds the blank lines of one file: an export has none but
// perhaps at its end, and a gzip bomb of line breaks would otherwise be
// read to its end.
const maxBlank = 1000

// Open indexes the export in dir: every NDJSON file, line by line. It
// fails only when the folder cannot be listed; problems in the files are
// reported by Problems, and fail every patient's Read.
func Open(dir string) (*Export, error) {
	names := Files(dir)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no NDJSON files in the export folder", dir)
	}
	// Patient files first, so other resources find their patient at once.
	sort.SliceStable(names, func(i, j int) bool {
		return strings.HasPrefix(names[i], "Patient") && !strings.HasPrefix(names[j], "Patient")
	})
	x := &Export{dir: dir, window: window, byFHIR: map[string]*Patient{}, byPath: map[string]*Patient{}, shared: map[string][]loc{}}
	for _, n := range names {
		x.files = append(x.files, file{path: filepath.Join(dir, n), gz: strings.HasSuffix(n, ".gz")})
	}
	x.readManifest()
	for i := range x.files {
		if x.more > 0 {
			break
		}
		x.scan(int32(i))
	}
	ids := map[string]*Patient{}
	for _, p := range x.patients {
		if !p.found {
			x.problem(x.files[p.first.file].path, int(p.first.line), "", "refers to a patient the export does not have: the export is incomplete")
			continue
		}
		k := strings.ToLower(p.ID)
		if q := ids[k]; q != nil {
			x.problem(x.files[p.self.file].path, int(p.self.line), "Patient.id",
				"the patient's Satchel id is the same as that of the patient on line %d (ids differ only in case or punctuation): give one of them another id", q.self.line)
			continue
		}
		ids[k] = p
	}
	if x.more > 0 {
		x.problems = append(x.problems, strict.Errorf(dir, 0, "", "more problems: reading stopped after %d; fix these and check again", maxProblems))
	}
	// In the order the records folder lists them (by Path), which is the
	// order a build asks for them: a window of gzip lines then holds the
	// patients asked for next.
	sort.SliceStable(x.patients, func(i, j int) bool { return x.patients[i].Path < x.patients[j].Path })
	return x, nil
}

// Patients returns the export's patients, by Path.
func (x *Export) Patients() []*Patient {
	out := make([]*Patient, 0, len(x.patients))
	for _, p := range x.patients {
		if p.found {
			out = append(out, p)
		}
	}
	return out
}

// Patient returns the patient whose Path is path, or nil.
func (x *Export) Patient(path string) *Patient { return x.byPath[path] }

// FHIRID is the id of the patient's Patient resource, as the export
// writes it.
func (p *Patient) FHIRID() string { return p.fhirID }

// Problems returns what is wrong with the export as a whole, each naming
// file and line; nil when nothing is.
func (x *Export) Problems() error { return errors.Join(x.problems...) }

func (x *Export) problem(file string, line int, field, format string, args ...any) {
	if len(x.problems) >= maxProblems {
		x.more = 1
		return
	}
	x.problems = append(x.problems, strict.Errorf(file, line, field, format, args...))
}

// head is what indexing decodes of each line.
type head struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Subject      *ref   `json:"subject"`
	Patient      *ref   `json:"patient"`
	Beneficiary  *ref   `json:"beneficiary"`
}

type ref struct {
	Reference string `json:"reference"`
}

// about lists the resource types Satchel reads into a patient's record:
// each must say whose it is (subject or patient).
var about = map[string]bool{
	"Condition": true, "AllergyIntolerance": true, "MedicationStatement": true, "MedicationRequest": true,
	"Immunization": true, "Observation": true, "Procedure": true, "DiagnosticReport": true,
	"DocumentReference": true, "DeviceUseStatement": true, "Flag": true, "CarePlan": true,
	"Encounter": true, "ReferralRequest": true, "ProcedureRequest": true, "ServiceRequest": true,
	"Consent": true, "List": true,
}

// lines calls fn with each line of f (without its end of line), its
// 1-based number and, for a plain file, its offset. It stops at the first
// error fn returns, and reports a file that does not read.
func (x *Export) lines(i int32, fn func(line []byte, no int32, off int64) bool) error {
	f := &x.files[i]
	fh, err := input.Open(f.path, x.dir, input.MaxBulkFile)
	if err != nil {
		return strict.Errorf(f.path, 0, "", "cannot read the export file: %s", input.Reason(err))
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return strict.Errorf(f.path, 0, "", "cannot read the export file: %s", input.Reason(err))
	}
	if f.info == nil {
		f.info = fi
	} else if !os.SameFile(f.info, fi) || f.info.Size() != fi.Size() || !f.info.ModTime().Equal(fi.ModTime()) {
		return strict.Errorf(f.path, 0, "", "the export file changed while it was being read: run again")
	}
	var r io.Reader = fh
	if f.gz {
		zr, err := gzip.NewReader(bufio.NewReader(fh))
		if err != nil {
			return strict.Errorf(f.path, 0, "", "not a gzip file: an .ndjson.gz file must be gzip-compressed NDJSON")
		}
		zr.Multistream(true)
		r = io.LimitReader(zr, input.MaxBulkFile+1)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		off  int64
		no   int32
		long []byte
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > input.MaxBulkLine {
				return strict.Errorf(f.path, int(no+1), "", "line too long: the limit for one resource is %s", strings.TrimPrefix(input.TooLarge(input.MaxBulkLine), "too large: the limit is "))
			}
			long = append(long, chunk...)
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if len(line) > 0 {
			no++
			if off+int64(len(line)) > input.MaxBulkFile {
				return strict.Errorf(f.path, int(no), "", "too large: the limit for one export file is %s", strings.TrimPrefix(input.TooLarge(input.MaxBulkFile), "too large: the limit is "))
			}
			if len(line) > input.MaxBulkLine+2 {
				return strict.Errorf(f.path, int(no), "", "line too long: the limit for one resource is %s", strings.TrimPrefix(input.TooLarge(input.MaxBulkLine), "too large: the limit is "))
			}
			if !fn(bytes.TrimRight(line, "\r\n"), no, off) {
				return nil
			}
			off += int64(len(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if f.gz {
				return strict.Errorf(f.path, int(no+1), "", "corrupt gzip data: the file is damaged or cut short")
			}
			return strict.Errorf(f.path, int(no+1), "", "cannot read the export file: %s", input.Reason(err))
		}
	}
}

// scan indexes one file.
func (x *Export) scan(i int32) {
	path := x.files[i].path
	x.blank, x.halt = 0, false
	err := x.lines(i, func(line []byte, no int32, off int64) bool {
		lead, line := trimLine(line, no)
		off += int64(lead)
		if x.more > 0 || x.halt {
			return false
		}
		if len(line) == 0 {
			// A blank line, as at the end of a file.
			if x.blank++; x.blank > maxBlank {
				x.problem(path, int(no), "", "more than %d blank lines: not an NDJSON file of resources", maxBlank)
				return false
			}
			return true
		}
		if !utf8.Valid(line) {
			x.problem(path, int(no), "", "not valid UTF-8: FHIR JSON must be UTF-8 text")
			return true
		}
		var h head
		if err := json.Unmarshal(line, &h); err != nil {
			x.lineError(path, int(no), line, err)
			return true
		}
		at := loc{file: i, line: no, off: off, n: int32(len(line))}
		if x.files[i].gz {
			at.off, at.n = -1, int32(len(line))
		}
		switch {
		case h.ResourceType == "":
			x.problem(path, int(no), "resourceType", "not a FHIR resource: missing resourceType")
		case h.ResourceType == "Patient":
			x.addPatient(path, h.ID, at)
		default:
			x.addResource(path, h, at)
		}
		return true
	})
	if err != nil {
		x.problems = append(x.problems, err)
	}
}

// trimLine returns a line without a byte order mark (on line 1) and
// white space around it, and the offset at which what is left starts.
func trimLine(line []byte, no int32) (int, []byte) {
	n := len(line)
	if no == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	line = bytes.TrimLeft(line, " \t\r\n")
	lead := n - len(line)
	return lead, bytes.TrimRight(line, " \t\r\n")
}

func (x *Export) lineError(path string, no int, line []byte, err error) {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field == "":
		x.problem(path, no, "", "not a FHIR resource: want a JSON object on each line")
	case errors.As(err, &te):
		rt := peekType(line)
		x.problem(path, no, rt+"."+te.Field, "wrong type")
	default:
		x.problem(path, no, "", "invalid JSON syntax: each line must hold one resource")
	}
}

// peekType returns a line's resourceType when it is a FHIR resource type
// (so that it is safe to show), else "resource".
func peekType(line []byte) string {
	var h struct {
		ResourceType json.RawMessage `json:"resourceType"`
	}
	_ = json.Unmarshal(line, &h)
	var s string
	if json.Unmarshal(h.ResourceType, &s) == nil {
		return safeType(s)
	}
	return "resource"
}

func (x *Export) addPatient(path, id string, at loc) {
	if id == "" {
		x.problem(path, int(at.line), "Patient.id", "a Patient without an id: other resources cannot refer to it")
		return
	}
	p := x.patient(id, at)
	if p.found {
		x.problem(path, int(at.line), "Patient.id", "the same Patient as on line %d of %s: each patient once", p.self.line, filepath.Base(x.files[p.self.file].path))
		return
	}
	p.found, p.self = true, at
}

// patient returns the patient with FHIR id id, made on first sight.
func (x *Export) patient(id string, at loc) *Patient {
	if p := x.byFHIR[id]; p != nil {
		return p
	}
	sid := safe(filepath.Base(x.dir)) + "-" + safe(id)
	p := &Patient{ID: sid, Path: filepath.Join(x.dir, sid), fhirID: id, first: at}
	x.byFHIR[id] = p
	if x.byPath[p.Path] == nil {
		x.byPath[p.Path] = p
	}
	x.patients = append(x.patients, p)
	return p
}

// safe writes s with anything but ASCII letters, digits, "-" and "_" as
// "-", so that it is a file name on every system.
func safe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

func (x *Export) addResource(path string, h head, at loc) {
	var r *ref
	field := ""
	switch {
	case h.Subject != nil:
		r, field = h.Subject, "subject"
	case h.Patient != nil:
		r, field = h.Patient, "patient"
	case h.Beneficiary != nil:
		r, field = h.Beneficiary, "beneficiary"
	}
	if r != nil {
		typ, id := typeID(r.Reference)
		if typ == "Patient" && id != "" {
			p := x.patient(id, at)
			if p.size += int64(at.n); p.size > input.MaxRecord {
				// Told once: the index stops growing for them.
				x.problem(path, int(at.line), "", "one patient's resources pass %d MiB here: the limit for one record", input.MaxRecord>>20)
				x.halt = true // the rest of the file is not read
				return
			}
			p.lines = append(p.lines, at)
			return
		}
		if typ == "" && about[h.ResourceType] {
			x.problem(path, int(at.line), h.ResourceType+"."+field,
				"does not refer to a Patient of the export as Patient/id: cannot tell whose record it belongs to")
			return
		}
		// About a Group, a Location or a Device: nobody's record, though a
		// patient's resource may refer to it.
	} else if about[h.ResourceType] {
		x.problem(path, int(at.line), h.ResourceType+".subject",
			"no subject or patient: cannot tell whose record it belongs to")
		return
	}
	if h.ID != "" {
		k := h.ResourceType + "/" + h.ID
		x.shared[k] = append(x.shared[k], at)
	}
	// A shared resource without an id cannot be referred to: nobody's.
}

// typeID returns the resource type and id a reference ends with, dropping
// a version ("Patient/1/_history/2" and "https://x/fhir/Patient/1" give
// "Patient", "1").
func typeID(ref string) (typ, id string) {
	if strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "urn:") || strings.Contains(ref, "?") {
		return "", ""
	}
	parts := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	if n := len(parts); n >= 2 {
		return parts[n-2], parts[n-1]
	}
	return "", ""
}
