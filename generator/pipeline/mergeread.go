package pipeline

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"

	"github.com/satchel-records/satchel/generator/registry"
)

// shardIndex is one shard's result as merge reads it: its head, ids and
// failures in memory, and where each of its other entries lies in the
// file, read back one at a time. Merge holds no more of a practice's
// results than the card registry does.
type shardIndex struct {
	shardHead
	f        *os.File
	Patients []string
	Failures []string
	manifest []keyedSpan
	state    []keyedSpan
	cards    []keyedSpan
	events   []eventSpan
	sheet    []sheetSpan
}

// keyedSpan is where the entry of patient id lies.
type keyedSpan struct {
	id string
	span
}

// eventSpan is where an audit event lies, with what merge orders events by.
type eventSpan struct {
	rotation int
	patient  string
	span
}

// sheetSpan is where a card for the print sheet lies, with what merge
// orders cards by and the digest the registry records once it is printed.
type sheetSpan struct {
	patient string
	serial  int
	label   string
	digest  string
	span
}

// readShardIndex opens the shard result at path and finds its entries.
// Every entry is decoded once here, so a damaged one is found before
// merge writes anything; a card for the print sheet whose secret does not
// read gives an error naming its card and patient.
func readShardIndex(path string) (*shardIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	x := &shardIndex{f: f}
	if err := x.scan(); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *shardIndex) scan() error {
	dec := json.NewDecoder(bufio.NewReaderSize(x.f, 64<<10))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errDamaged
	}
	head := map[string]any{"format": &x.Format, "n": &x.N, "k": &x.K, "built": &x.Built, "registry": &x.Registry,
		"key": &x.Key, "satchel": &x.Satchel, "unchanged": &x.Unchanged, "patients": &x.Patients, "failures": &x.Failures}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return errDamaged
		}
		// Each entry is decoded once, so that a damaged one is found now.
		var each func(key string, start int64) error
		object := false
		switch name {
		case "manifest":
			each = func(_ string, start int64) error {
				var e ManifestEntry
				if err := dec.Decode(&e); err != nil {
					return err
				}
				x.manifest = append(x.manifest, keyedSpan{e.ID, spanFrom(dec, start)})
				return nil
			}
		case "state":
			object = true
			each = func(id string, start int64) error {
				var st patientState
				if err := dec.Decode(&st); err != nil {
					return err
				}
				x.state = append(x.state, keyedSpan{id, spanFrom(dec, start)})
				return nil
			}
		case "cards":
			object = true
			each = func(id string, start int64) error {
				var sc shardCards
				if err := dec.Decode(&sc); err != nil {
					return err
				}
				x.cards = append(x.cards, keyedSpan{id, spanFrom(dec, start)})
				return nil
			}
		case "events":
			each = func(_ string, start int64) error {
				var e registry.Event
				if err := dec.Decode(&e); err != nil {
					return err
				}
				x.events = append(x.events, eventSpan{rotationOrder(e), e.Patient, spanFrom(dec, start)})
				return nil
			}
		case "sheet":
			each = func(_ string, start int64) error {
				var c shardSheetCard
				if err := dec.Decode(&c); err != nil {
					return err
				}
				if _, err := c.sheetCard(); err != nil {
					return &sheetCardError{c.Card.Serial, c.Patient, err}
				}
				x.sheet = append(x.sheet, sheetSpan{c.Patient, c.Card.Serial, c.Card.Label, c.Digest, spanFrom(dec, start)})
				return nil
			}
		default:
			if err := decodeMember(dec, head[name]); err != nil {
				return err
			}
			continue
		}
		if err := eachEntry(dec, object, each); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errDamaged
	}
	return nil
}

// sheetCardError is a card for the print sheet that cannot be made again.
type sheetCardError struct {
	serial  int
	patient string
	err     error
}

func (e *sheetCardError) Error() string {
	return "card " + strconv.Itoa(e.serial) + " of patient " + e.patient + ": " + e.err.Error()
}

// read decodes the entry at s into v.
func (x *shardIndex) read(s span, v any) error {
	data, err := x.raw(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// raw returns the JSON of the entry at s.
func (x *shardIndex) raw(s span) ([]byte, error) { return readSpan(x.f, s) }

func (x *shardIndex) close() {
	if x != nil && x.f != nil {
		x.f.Close()
		x.f = nil
	}
}
