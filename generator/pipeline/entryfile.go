package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
)

// entryFile finds the entries of a JSON file by id without holding them:
// where each lies in the file, read back when asked for. A build keeps the
// last build's state and manifest this way; held whole, decoded or not,
// they grew with the practice (about 35 MB of JSON at 20,000 patients).
//
// The file stays open until close, which must come before the file is
// replaced: Windows cannot rename over an open file.
type entryFile struct {
	f  *os.File
	at map[string]span
}

// span is where an entry lies in its file.
type span struct{ off, n int64 }

// ids returns the ids of e's entries, in no order.
func (e *entryFile) ids() []string {
	if e == nil {
		return nil
	}
	ids := make([]string, 0, len(e.at))
	for id := range e.at {
		ids = append(ids, id)
	}
	return ids
}

// read returns the JSON of id's entry; ok is false for none, or when the
// file cannot be read.
func (e *entryFile) read(id string) (data []byte, ok bool) {
	if e == nil || e.f == nil {
		return nil, false
	}
	s, found := e.at[id]
	if !found {
		return nil, false
	}
	data, err := readSpan(e.f, s)
	return data, err == nil
}

// decodeMember decodes the member dec is about to read into v, or, when v
// is nil, only checks that it is JSON.
func decodeMember(dec *json.Decoder, v any) error {
	if v == nil {
		v = new(json.RawMessage)
	}
	if dec.Decode(v) != nil {
		return errDamaged
	}
	return nil
}

// spanFrom is the span of the entry dec has just decoded, which started
// at start.
func spanFrom(dec *json.Decoder, start int64) span { return span{start, dec.InputOffset() - start} }

// readSpan returns the JSON of the entry at s in f.
func readSpan(f *os.File, s span) ([]byte, error) {
	data := make([]byte, s.n)
	if _, err := f.ReadAt(data, s.off); err != nil {
		return nil, err
	}
	// A span starts where the decoder stood: after the key's colon, or
	// the comma before an array's element, and any space.
	return bytes.TrimLeft(data, ":, \t\r\n"), nil
}

// decode decodes id's entry into v.
func (e *entryFile) decode(id string, v any) bool {
	data, ok := e.read(id)
	return ok && json.Unmarshal(data, v) == nil
}

// close closes e's file; e then reads nothing.
func (e *entryFile) close() {
	if e != nil && e.f != nil {
		e.f.Close()
		e.f = nil
	}
}

// errDamaged means a file is not what its reader expects.
var errDamaged = errors.New("damaged")

// indexFile opens the JSON object at path and indexes the entries of its
// member list: an object of entries by id (the build state's "patients"),
// or, when id is set, an array of entries that id names (the manifest's
// "patients"). Every entry must decode as a T (json.RawMessage checks
// only that it is JSON); other members are decoded into other[name] when
// it is set, and skipped otherwise. A file that does not read so gives
// errDamaged; one that cannot be opened, its error.
func indexFile[T any](path, list string, id func(*T) string, other map[string]any) (*entryFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	e := &entryFile{f: f, at: map[string]span{}}
	if err := scanEntries(e, list, id, other); err != nil {
		f.Close()
		return nil, err
	}
	return e, nil
}

// scanEntries is indexFile's reading of e.f.
func scanEntries[T any](e *entryFile, list string, id func(*T) string, other map[string]any) error {
	dec := json.NewDecoder(bufio.NewReaderSize(e.f, 64<<10))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errDamaged
	}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return errDamaged
		}
		if name != list {
			if err := decodeMember(dec, other[name]); err != nil {
				return err
			}
			continue
		}
		err = eachEntry(dec, id == nil, func(key string, start int64) error {
			var v T
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if id != nil {
				key = id(&v)
			}
			e.at[key] = spanFrom(dec, start)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errDamaged
	}
	if _, err := dec.Token(); err != io.EOF {
		return errDamaged
	}
	return nil
}

// eachEntry calls fn for each entry of the array (or, when object is
// set, the object) dec is about to read, with the entry's key and the
// offset where it starts; fn decodes the entry.
func eachEntry(dec *json.Decoder, object bool, fn func(key string, start int64) error) error {
	open := json.Delim('[')
	if object {
		open = '{'
	}
	if t, err := dec.Token(); err != nil || t != open {
		return errDamaged
	}
	for dec.More() {
		var key string
		if object {
			t, err := dec.Token()
			var ok bool
			if key, ok = t.(string); err != nil || !ok {
				return errDamaged
			}
		}
		if err := fn(key, dec.InputOffset()); err != nil {
			if errors.As(err, new(*sheetCardError)) {
				return err
			}
			return errDamaged
		}
	}
	if _, err := dec.Token(); err != nil {
		return errDamaged
	}
	return nil
}
