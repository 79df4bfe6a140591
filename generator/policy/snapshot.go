package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/atomicfile"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// Snapshot is what an approval saw: every entry of the approved record,
// by key, with its label and a digest of its content. Later commands
// compare the record with it: a named release is carried to a new
// approval only while its entry is the one approved, and the review sheet
// can say what changed since. It holds entry labels, which are clinical,
// so it lives in private_dir only, 0600.
type Snapshot struct {
	// SHA256 is the approval's record digest (Approval.SHA256): the
	// snapshot belongs to that approval.
	SHA256   string          `json:"sha256"`
	Approved string          `json:"approved"` // the approval date, ISO
	Entries  []SnapshotEntry `json:"entries"`
}

// SnapshotEntry is one entry as approved.
type SnapshotEntry struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Digest string `json:"digest"` // EntryDigest
}

// NewSnapshot returns the snapshot of record r as approved by a.
func NewSnapshot(a *Approval, r *record.Record) *Snapshot {
	s := &Snapshot{SHA256: a.SHA256, Approved: a.Date.ISO(), Entries: []SnapshotEntry{}}
	for _, e := range r.Entries() {
		s.Entries = append(s.Entries, SnapshotEntry{Key: record.Marked(e).Key, Label: e.Label(), Digest: EntryDigest(e)})
	}
	return s
}

// EntryDigest returns a digest of everything an entry holds but its key
// (its place in the record): two entries with the same digest say the same
// thing, with the same marks and codes, wherever they stand.
func EntryDigest(e record.Entry) string {
	data, err := json.Marshal(e)
	var fields map[string]any
	if err == nil {
		err = json.Unmarshal(data, &fields)
	}
	if err == nil {
		delete(fields, "Key")
		data, err = json.Marshal(fields) // map keys sorted: one form
	}
	if err != nil {
		// Entries are plain data; this does not happen. An entry that
		// cannot be digested matches nothing.
		return ""
	}
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("%T\x00", e)), data...))
	return hex.EncodeToString(sum[:])
}

// Change is an entry added, removed or changed since an approval.
type Change struct {
	Kind  string // "added", "removed" or "changed"
	Key   string // the entry's key now; for a removed entry, as approved
	Label string // the entry's label now; for a removed entry, as approved
	Was   string // for a changed entry whose label changed, the label approved
}

// Changes lists what differs between the snapshot and record r: entries
// with the same content are the same entry wherever they moved, an entry
// whose content changed at the same key is changed, and the rest were
// added or removed. Added and changed entries come in the record's order,
// then the removed in the snapshot's.
func (s *Snapshot) Changes(r *record.Record) []Change {
	left := map[string][]int{} // digest -> indexes of unmatched snapshot entries
	for i, e := range s.Entries {
		left[e.Digest] = append(left[e.Digest], i)
	}
	matched := make([]bool, len(s.Entries))
	type cur struct {
		key, label string
		same       bool
	}
	var now []cur
	for _, e := range r.Entries() {
		c := cur{key: record.Marked(e).Key, label: e.Label()}
		d := EntryDigest(e)
		if ix := left[d]; len(ix) > 0 {
			// Prefer the snapshot entry at the same key.
			pick := 0
			for j, i := range ix {
				if s.Entries[i].Key == c.key {
					pick = j
					break
				}
			}
			matched[ix[pick]] = true
			left[d] = append(ix[:pick:pick], ix[pick+1:]...)
			c.same = true
		}
		now = append(now, c)
	}
	byKey := map[string]int{}
	for i, e := range s.Entries {
		if !matched[i] {
			byKey[e.Key] = i
		}
	}
	var out []Change
	for _, c := range now {
		if c.same {
			continue
		}
		if i, ok := byKey[c.key]; ok && !matched[i] {
			matched[i] = true
			ch := Change{Kind: "changed", Key: c.key, Label: c.label}
			if old := s.Entries[i].Label; old != c.label {
				ch.Was = old
			}
			out = append(out, ch)
			continue
		}
		out = append(out, Change{Kind: "added", Key: c.key, Label: c.label})
	}
	for i, e := range s.Entries {
		if !matched[i] {
			out = append(out, Change{Kind: "removed", Key: e.Key, Label: e.Label})
		}
	}
	return out
}

// Entry returns the approved entry with key, or nil.
func (s *Snapshot) Entry(key string) *SnapshotEntry {
	if s == nil {
		return nil
	}
	for i := range s.Entries {
		if s.Entries[i].Key == key {
			return &s.Entries[i]
		}
	}
	return nil
}

// Write writes the snapshot to path atomically, 0600.
func (s *Snapshot) Write(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}

// ReadSnapshot reads the snapshot at path; (nil, nil) when there is none
// (an approval from before Satchel kept them). Its errors name the file,
// never its content.
func ReadSnapshot(path string) (*Snapshot, error) {
	data, err := input.Read(path, "", input.MaxRecord)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, strict.Errorf(path, 0, "", "cannot read the approval snapshot: %s", input.Reason(err))
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, strict.Errorf(path, 0, "", "the approval snapshot is not valid JSON: approve the record again")
	}
	return &s, nil
}

// printableKey matches entry keys that may carry no words of the record:
// a TOML record's section and position ("problems[2]"), and a FHIR
// resource type with an id of digits, hex letters and dashes ("Condition/
// 3f2a..."); PrintableKey also wants a digit in the id and no three
// letters in a row, so that "Condition/deaf" is not printed.
var printableKey = regexp.MustCompile(`^([a-z_]+\[[0-9]+\]|[A-Z][A-Za-z]+/[0-9a-fA-F-]{1,64})$`)

// PrintableKey reports whether an entry key may be printed in a message.
// A FHIR id is chosen by the exporting system and may hold words
// ("Condition/hiv-diagnosis"): such keys are counted, not printed; the
// review sheet shows them. It errs on the side of counting.
func PrintableKey(key string) bool {
	if !printableKey.MatchString(key) {
		return false
	}
	_, id, fhir := strings.Cut(key, "/")
	if !fhir {
		return true
	}
	letters, digit := 0, false
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9':
			digit, letters = true, 0
		case r == '-':
			letters = 0
		default:
			if letters++; letters >= 3 {
				return false
			}
		}
	}
	return digit
}

// DescribeKeys lists keys for a message: the printable ones by name, the
// others counted.
func DescribeKeys(keys []string) string {
	var shown []string
	hidden := 0
	for _, k := range keys {
		if PrintableKey(k) {
			shown = append(shown, k)
		} else {
			hidden++
		}
	}
	out := ""
	for i, k := range shown {
		if i > 0 {
			out += ", "
		}
		out += k
	}
	switch {
	case hidden > 0 && out != "":
		out += fmt.Sprintf(" and %d more (see the review sheet)", hidden)
	case hidden == 1:
		out = "1 entry (its identifier is not shown: see the review sheet)"
	case hidden > 1:
		out = fmt.Sprintf("%d entries (their identifiers are not shown: see the review sheet)", hidden)
	}
	return out
}
