package bulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// window bounds the bytes of gzip lines held at once (Export.window):
// reading a patient from gzip files reads every gzip file of the export,
// keeping the lines of that patient and of those after them, up to this
// much.
const window = 32 << 20

// Plain lines less than spanGap bytes apart are read together, up to
// spanMax bytes at a time.
const (
	spanGap = 4 << 10
	spanMax = 1 << 20
)

// Read returns patient p's record data (a FHIR collection Bundle of the
// patient's resources, canonical: see the package comment) and the record
// read from it. The record's ID is p.ID. Errors name the export's files
// and lines.
func (x *Export) Read(p *Patient) ([]byte, *record.Record, error) {
	if x.Problems() != nil {
		// The problems themselves are reported once, for the folder.
		return nil, nil, fmt.Errorf("%s: not read: the export %s has problems, and a resource that does not read could be anyone's", p.Path, x.dir)
	}
	res, err := x.gather(p)
	if err != nil {
		return nil, nil, err
	}
	data, err := bundle(res)
	if err != nil {
		return nil, nil, err
	}
	rec, err := fhir.Read(p.Path, data)
	if err != nil {
		return nil, nil, x.mapErr(err, res)
	}
	rec.ID, rec.Source, rec.Dated = p.ID, p.Path, x.dated
	for i, u := range rec.Unresolved {
		rec.Unresolved[i] = x.where(u, res)
	}
	return data, rec, nil
}

// where rewrites a path of the Bundle made by bundle
// ("Bundle.entry[4].resource.result[1]") as the resource's own path and
// the export's file and line ("DiagnosticReport.result[1] (in
// DiagnosticReport.ndjson line 7)").
func (x *Export) where(path string, res []resource) string {
	m := entryPath.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	k, _ := strconv.Atoi(m[1])
	if k < 0 || k >= len(res) {
		return path
	}
	r := res[k]
	return fmt.Sprintf("%s%s (in %s line %d)", peekType(r.data), path[len(m[0]):], filepath.Base(x.files[r.at.file].path), r.at.line)
}

// handles are the plain files one Read has open.
type handles map[int32]*os.File

func (hs handles) close() {
	for _, f := range hs {
		f.Close()
	}
}

// resource is one line of the export, compacted.
type resource struct {
	at   loc
	data []byte
}

// gather reads the patient's lines and the shared resources they refer
// to, directly or through each other.
func (x *Export) gather(p *Patient) ([]resource, error) {
	locs := append([]loc{p.self}, p.lines...)
	hs := handles{}
	defer hs.close()
	raw, err := x.fetch(p, locs, hs)
	if err != nil {
		return nil, err
	}
	var out []resource
	total := 0
	seen := map[loc]bool{}
	var add func(at loc, line []byte) error
	add = func(at loc, line []byte) error {
		if seen[at] {
			return nil
		}
		seen[at] = true
		var buf bytes.Buffer
		if err := json.Compact(&buf, line); err != nil {
			return strict.Errorf(x.files[at.file].path, int(at.line), "", "invalid JSON syntax")
		}
		total += buf.Len()
		if total > input.MaxRecord {
			return strict.Errorf(x.files[p.self.file].path, int(p.self.line), "", "the patient's resources are too large: the limit for one record is %d MiB", input.MaxRecord>>20)
		}
		out = append(out, resource{at: at, data: buf.Bytes()})
		for _, k := range refs(buf.Bytes()) {
			typ, id := typeID(k)
			if typ == "" || typ == "Patient" {
				continue
			}
			for _, s := range x.shared[typ+"/"+id] {
				if seen[s] {
					continue
				}
				b, err := x.fetch(nil, []loc{s}, hs)
				if err != nil {
					return err
				}
				if err := add(s, b[0]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for i, at := range locs {
		if err := add(at, raw[i]); err != nil {
			return nil, err
		}
	}
	// The Patient first, then the rest in an order of their own: by
	// their compact JSON, which as exporters write it starts with the
	// resource type and id.
	sort.Slice(out[1:], func(i, j int) bool { return bytes.Compare(out[1+i].data, out[1+j].data) < 0 })
	return out, nil
}

// bundle writes the resources as a collection Bundle, one entry a line:
// entry k is on line k+2.
func bundle(res []resource) ([]byte, error) {
	n := 64
	for _, r := range res {
		n += len(r.data) + 16
	}
	b := make([]byte, 0, n)
	b = append(b, `{"resourceType":"Bundle","type":"collection","entry":[`...)
	for i, r := range res {
		b = append(b, '\n')
		b = append(b, `{"resource":`...)
		b = append(b, r.data...)
		b = append(b, '}')
		if i < len(res)-1 {
			b = append(b, ',')
		}
	}
	b = append(b, "\n]}\n"...)
	return b, nil
}

var entryPath = regexp.MustCompile(`^Bundle\.entry\[(\d+)\]\.resource`)

// mapErr turns the Bundle reader's errors, which name lines and paths of
// the Bundle made by bundle, into errors naming the export's file and line
// and the resource's own path (Condition.onsetDateTime).
func (x *Export) mapErr(err error, res []resource) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		var se *strict.Error
		if !errors.As(e, &se) {
			out = append(out, e)
			continue
		}
		k := se.Line - 2
		field := se.Field
		if m := entryPath.FindStringSubmatch(field); m != nil {
			k, _ = strconv.Atoi(m[1])
		}
		if k < 0 || k >= len(res) {
			// About the patient's record as a whole.
			out = append(out, strict.Errorf(x.files[res[0].at.file].path, int(res[0].at.line), se.Field, "%s", se.Msg))
			continue
		}
		r := res[k]
		if m := entryPath.FindString(field); m != "" {
			field = peekType(r.data) + field[len(m):]
		}
		out = append(out, strict.Errorf(x.files[r.at.file].path, int(r.at.line), field, "%s", se.Msg))
	}
	return errors.Join(out...)
}

// safeType returns s when it is a FHIR resource type name, else
// "resource": anything else could be any text.
func safeType(s string) string {
	if !fhir.IsResourceType(s) {
		return "resource"
	}
	return s
}

// refs returns every "reference" string in a compact JSON resource.
func refs(b []byte) []string {
	var out []string
	key := []byte(`"reference":"`)
	for {
		i := bytes.Index(b, key)
		if i < 0 {
			return out
		}
		b = b[i+len(key)-1:]
		end := 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(b) {
			return out
		}
		var s string
		if json.Unmarshal(b[:end+1], &s) == nil {
			out = append(out, s)
		}
		b = b[end+1:]
	}
}

// fetch returns the lines at locs. Lines in plain files are read where
// they are; those in gzip files come from the cache of a window of
// patients, filled by reading the gzip files again when p is not in it.
// p is nil for shared resources.
func (x *Export) fetch(p *Patient, locs []loc, hs handles) ([][]byte, error) {
	out := make([][]byte, len(locs))
	var gz, plain []int
	for i, at := range locs {
		if at.off < 0 {
			gz = append(gz, i)
		} else {
			plain = append(plain, i)
		}
	}
	// Lines close together in a file (an exporter often writes a
	// patient's resources one after another) are read in one go.
	sort.Slice(plain, func(a, b int) bool {
		la, lb := locs[plain[a]], locs[plain[b]]
		if la.file != lb.file {
			return la.file < lb.file
		}
		return la.off < lb.off
	})
	for j := 0; j < len(plain); {
		first := locs[plain[j]]
		end := first.off + int64(first.n)
		k := j + 1
		for ; k < len(plain); k++ {
			next := locs[plain[k]]
			if next.file != first.file || next.off-end > spanGap || next.off+int64(next.n)-first.off > spanMax {
				break
			}
			end = max(end, next.off+int64(next.n))
		}
		span, err := x.readAt(loc{file: first.file, line: first.line, off: first.off, n: int32(end - first.off)}, hs)
		if err != nil {
			return nil, err
		}
		for _, i := range plain[j:k] {
			at := locs[i]
			out[i] = span[at.off-first.off : at.off-first.off+int64(at.n) : at.off-first.off+int64(at.n)]
		}
		j = k
	}
	if len(gz) == 0 {
		return out, nil
	}
	want := map[loc]int{}
	for _, i := range gz {
		want[locs[i]] = i
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if p != nil {
		if lines, ok := x.cache[p]; ok {
			k := 0
			for i, at := range locs {
				if at.off < 0 {
					out[i] = lines[k]
					k++
				}
			}
			delete(x.cache, p)
			for _, b := range lines {
				x.cached -= len(b)
			}
			return out, nil
		}
	}
	// Read the gzip files once for p (or the shared resource) and for the
	// patients after p, up to the window.
	owner := map[loc]*Patient{}
	var next []*Patient
	if p != nil {
		size := 0
		started := false
		for _, q := range x.patients {
			if q == p {
				started = true
			}
			if !started || !q.found {
				continue
			}
			if q != p && size > x.window {
				break
			}
			next = append(next, q)
			for _, at := range append([]loc{q.self}, q.lines...) {
				if at.off < 0 {
					owner[at] = q
					size += int(at.n)
				}
			}
		}
	}
	x.fills++
	cache := map[*Patient][][]byte{}
	files := map[int32]bool{}
	for at := range want {
		files[at.file] = true
	}
	for at := range owner {
		files[at.file] = true
	}
	got := map[loc][]byte{}
	for i := range x.files {
		if !files[int32(i)] {
			continue
		}
		err := x.lines(int32(i), func(line []byte, no int32, _ int64) bool {
			_, line = trimLine(line, no)
			at := loc{file: int32(i), line: no, off: -1, n: int32(len(line))}
			if _, ok := want[at]; ok || owner[at] != nil {
				got[at] = bytes.Clone(line)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	for _, q := range next {
		var lines [][]byte
		for _, at := range append([]loc{q.self}, q.lines...) {
			if at.off < 0 {
				b, ok := got[at]
				if !ok {
					return nil, strict.Errorf(x.files[at.file].path, int(at.line), "", "the export file changed while it was being read: run again")
				}
				lines = append(lines, b)
			}
		}
		if q != p {
			cache[q] = lines
			for _, b := range lines {
				x.cached += len(b)
			}
		}
	}
	if p != nil {
		// Lines not yet asked for are kept (another worker is about to),
		// unless the cache would pass two windows.
		if x.cached > 2*x.window || x.cache == nil {
			x.cache, x.cached = map[*Patient][][]byte{}, 0
			for q, lines := range cache {
				x.cache[q] = lines
				for _, b := range lines {
					x.cached += len(b)
				}
			}
		} else {
			for q, lines := range cache {
				if _, ok := x.cache[q]; ok {
					for _, b := range x.cache[q] {
						x.cached -= len(b)
					}
				}
				x.cache[q] = lines
			}
		}
	}
	for at, i := range want {
		b, ok := got[at]
		if !ok {
			return nil, strict.Errorf(x.files[at.file].path, int(at.line), "", "the export file changed while it was being read: run again")
		}
		out[i] = b
	}
	return out, nil
}

// readAt reads one line of a plain file where the index found it.
func (x *Export) readAt(at loc, hs handles) ([]byte, error) {
	f := &x.files[at.file]
	fh := hs[at.file]
	if fh == nil {
		var err error
		// Open checked the file when it indexed it; it must be the same.
		if fh, err = input.Reopen(f.path, f.info); err != nil {
			return nil, strict.Errorf(f.path, 0, "", "cannot read the export file: %s", input.Reason(err))
		}
		hs[at.file] = fh
	}
	b := make([]byte, at.n)
	if _, err := fh.ReadAt(b, at.off); err != nil && !errors.Is(err, io.EOF) {
		return nil, strict.Errorf(f.path, int(at.line), "", "cannot read the export file: %s", input.Reason(err))
	}
	return b, nil
}
