// Package registry keeps the practice's list of key cards: which cards each
// patient holds, when each was issued and whether it was revoked. It holds
// no secrets (a card's secret is derived from the master secret and its
// serial) and every change is appended to an audit log.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/satchel-records/satchel/internal/atomicfile"
)

// File names inside the private folder.
const (
	FileName  = "cards.json"
	AuditName = "audit.jsonl"
	LockName  = "cards.lock"
)

// ErrBusy means another satchel (a build, or a card change) holds the
// registry.
var ErrBusy = errors.New("another satchel is using the card registry (a build or a card change): try again when it has finished")

// Card is one key card issued to a patient (or to someone the patient chose).
type Card struct {
	Serial  int        `json:"serial"`
	Label   string     `json:"label,omitempty"`
	Issued  time.Time  `json:"issued"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// Live reports whether the card still opens new bundles.
func (c Card) Live() bool { return c.Revoked == nil }

// Registry is the card list of one practice.
type Registry struct {
	dir      string
	lock     *os.File          // held from Open to Close
	Patients map[string][]Card `json:"patients"`
}

// Open loads the registry to change it, holding the practice's registry
// lock until Close: a build and a `satchel card` change running at the
// same time would otherwise each save over the other's cards. It does not
// wait: a second Open fails at once with ErrBusy.
func Open(dir string) (*Registry, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open the registry lock: %w", filepath.Join(dir, LockName), err)
	}
	if err := lock(f); err != nil {
		f.Close()
		if errors.Is(err, ErrBusy) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("cannot lock the card registry: %w", err)
	}
	r, err := Load(dir)
	if err != nil {
		release(f)
		return nil, err
	}
	r.lock = f
	return r, nil
}

// Close releases the lock taken by Open. It is safe to call on a registry
// from Load, and more than once.
func (r *Registry) Close() error {
	if r.lock == nil {
		return nil
	}
	err := release(r.lock)
	r.lock = nil
	return err
}

// release unlocks and closes the lock file f.
func release(f *os.File) error {
	err := unlock(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Load reads the registry from the private folder dir; a missing file is an
// empty registry.
func Load(dir string) (*Registry, error) {
	r := &Registry{dir: dir, Patients: map[string][]Card{}}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the card registry: %w", filepath.Join(dir, FileName), err)
	}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%s: the card registry is damaged: not valid JSON", filepath.Join(dir, FileName))
	}
	if r.Patients == nil {
		r.Patients = map[string][]Card{}
	}
	return r, nil
}

// Cards returns every card of patient id, revoked ones included.
func (r *Registry) Cards(id string) []Card { return slices.Clone(r.Patients[id]) }

// Live returns the cards of patient id that still open new bundles.
func (r *Registry) Live(id string) []Card {
	var live []Card
	for _, c := range r.Patients[id] {
		if c.Live() {
			live = append(live, c)
		}
	}
	return live
}

// IDs returns the patients that have cards, sorted.
func (r *Registry) IDs() []string {
	ids := make([]string, 0, len(r.Patients))
	for id := range r.Patients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Add issues a new card to patient id, with the next unused serial.
func (r *Registry) Add(id, label string, now time.Time) Card {
	serial := 1
	for _, c := range r.Patients[id] {
		serial = max(serial, c.Serial+1)
	}
	c := Card{Serial: serial, Label: label, Issued: now.UTC().Truncate(time.Second)}
	r.Patients[id] = append(r.Patients[id], c)
	return c
}

// Revoke marks card serial of patient id as revoked. Bundles built after
// this no longer open with it.
func (r *Registry) Revoke(id string, serial int, now time.Time) error {
	for i, c := range r.Patients[id] {
		if c.Serial == serial {
			if !c.Live() {
				return fmt.Errorf("card %d of patient %s is already revoked", serial, id)
			}
			t := now.UTC().Truncate(time.Second)
			r.Patients[id][i].Revoked = &t
			return nil
		}
	}
	return fmt.Errorf("patient %s has no card %d", id, serial)
}

// Save writes the registry atomically (0600).
func (r *Registry) Save() error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(r.dir, FileName), append(data, '\n'), 0o600)
}

// Event is one line of the audit log. It never holds a secret.
type Event struct {
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	What    string    `json:"what"` // "issue", "revoke"
	Patient string    `json:"patient"`
	Serial  int       `json:"serial"`
	Label   string    `json:"label,omitempty"`
}

// Audit appends events to the audit log (0600), one JSON object a line.
func (r *Registry) Audit(events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(r.dir, AuditName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, e := range events {
		e.Time = e.Time.UTC().Truncate(time.Second)
		if err := enc.Encode(e); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
