// Package registry keeps the practice's list of key cards: which cards each
// patient holds, when each was issued and whether it was revoked. It holds
// no secrets (a card's secret is derived from the master secret and its
// serial) and every change is appended to an audit log.
//
// It also remembers whom each patient id belongs to, as a digest keyed
// with the master secret (cardkey.Identity), never the NHS number or birth
// date themselves: when a record under a known id is of another patient,
// Bind revokes the old patient's cards and moves the id to a new
// generation, whose secrets and bundle id share nothing with the old. And
// it remembers which cards have been put on a print sheet, so a card
// written by a build that died before its sheet is printed by the next.
package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
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

// Format is the registry format this package writes: from 1 on, the
// registry records identities and printed cards. A registry of format 0
// was written before either existed.
const Format = 1

// Card is one key card issued to a patient (or to someone the patient chose).
type Card struct {
	Serial  int        `json:"serial"`
	Label   string     `json:"label,omitempty"`
	Issued  time.Time  `json:"issued"`
	Revoked *time.Time `json:"revoked,omitempty"`
	// Generation is the generation of the patient id the card was issued
	// under (see cardkey.Holder).
	Generation int `json:"generation,omitempty"`
	// Printed is a digest of the card as it was last put on a print
	// sheet, empty if it never was: a card whose digest differs now (new,
	// or its QR code changed) goes on the next sheet. A digest of a page
	// holding a 135-bit secret tells nothing about the secret.
	Printed string `json:"printed,omitempty"`
	// Letters says the card's secret is cardkey.Holder.Secret, whose check
	// character is always a letter or digit; a card issued before this
	// field existed has Holder.LegacySecret, and keeps it.
	Letters bool `json:"letters,omitempty"`
	// Scope is what the card opens: the whole record (ScopeFull), or the
	// emergency summary alone (ScopeSummary), sealed as a document of its
	// own that the full bundle is never sealed to. A card from before
	// scopes has none in the file, and is read as full.
	Scope Scope `json:"scope,omitempty"`

	// Pending says the card has not yet been sealed into any bundle: a
	// card added by `satchel card add`, or a patient's first card, is
	// issued (and audited as issued) only when a build first seals the
	// patient's bundle to it. A card from before this field existed was
	// sealed when it was made.
	Pending bool `json:"pending,omitempty"`
}

// Scope is what a card opens.
type Scope string

// The scopes a card may have.
const (
	// ScopeFull opens the whole record: the default.
	ScopeFull Scope = "full"
	// ScopeSummary opens only the emergency summary, for everyday
	// carrying or for someone the patient trusts with less.
	ScopeSummary Scope = "summary"
)

// ParseScope reads a scope as `satchel card add -scope` takes it; ""
// means full.
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case "", ScopeFull:
		return ScopeFull, nil
	case ScopeSummary:
		return ScopeSummary, nil
	}
	return "", fmt.Errorf("the scope must be %s or %s", ScopeFull, ScopeSummary)
}

// SummaryOnly reports whether the card opens the emergency summary alone.
func (c Card) SummaryOnly() bool { return c.Scope == ScopeSummary }

// Identity is whom a patient id belongs to: the keyed digest of the
// patient's NHS number and birth date (cardkey.Identity) and the id's
// generation, which Bind raises each time the id turns out to name
// another patient.
type Identity struct {
	Digest     string `json:"digest"`
	Generation int    `json:"generation,omitempty"`
}

// Live reports whether the card still opens new bundles.
func (c Card) Live() bool { return c.Revoked == nil }

// Registry is the card list of one practice.
type Registry struct {
	dir  string
	lock *os.File // held from Open (or OpenShared) to Close
	// shared is true for a registry from OpenShared, which never saves.
	shared bool
	// digest is the SHA-256 of the file as read; "" when there was none.
	digest string
	// Format is the format the registry was written in; it stays as read
	// until the caller has brought the registry up to date (see the
	// package constant Format).
	Format     int                 `json:"format,omitempty"`
	Patients   map[string][]Card   `json:"patients"`
	Identities map[string]Identity `json:"identities,omitempty"`
}

// Open loads the registry to change it, holding the practice's registry
// lock until Close: a build and a `satchel card` change running at the
// same time would otherwise each save over the other's cards. It does not
// wait: a second Open fails at once with ErrBusy.
func Open(dir string) (*Registry, error) { return open(dir, lock) }

// OpenShared loads the registry to read it, holding the registry lock
// shared until Close: any number of readers at once (the shards of a
// sharded build), while Open (`satchel card`, a build, a merge) fails at
// once with ErrBusy until they have all closed, and OpenShared fails while
// an Open holds it. A registry from OpenShared never saves; its changes
// stay in memory.
func OpenShared(dir string) (*Registry, error) {
	r, err := open(dir, lockShared)
	if err != nil {
		return nil, err
	}
	r.shared = true
	return r, nil
}

// open loads the registry in dir holding the registry lock, taken by take.
func open(dir string, take func(*os.File) error) (*Registry, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open the registry lock: %w", filepath.Join(dir, LockName), err)
	}
	if err := take(f); err != nil {
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
	r := &Registry{dir: dir, Format: Format, Patients: map[string][]Card{}, Identities: map[string]Identity{}}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the card registry: %w", filepath.Join(dir, FileName), err)
	}
	r.Format = 0 // unless the file says otherwise
	sum := sha256.Sum256(data)
	r.digest = hex.EncodeToString(sum[:])
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%s: the card registry is damaged: not valid JSON", filepath.Join(dir, FileName))
	}
	if r.Patients == nil {
		r.Patients = map[string][]Card{}
	}
	if r.Identities == nil {
		r.Identities = map[string]Identity{}
	}
	for id, cards := range r.Patients {
		for i, c := range cards {
			scope, err := ParseScope(string(c.Scope))
			if err != nil {
				// Never guess: a card read as full would open everything.
				return nil, fmt.Errorf("%s: the card registry is damaged: patient %s card %d: scope: %w", filepath.Join(dir, FileName), id, c.Serial, err)
			}
			cards[i].Scope = scope
		}
	}
	return r, nil
}

// Digest returns the SHA-256 (hex) of the registry file as it was read,
// "" if there was none: two reads with the same digest read the same
// registry.
func (r *Registry) Digest() string { return r.digest }

// PendingDigest returns what Digest will return once the registry, as it
// is now in memory, is saved and read again: a merge records it before
// saving, to know its own registry if it is stopped and run again.
func (r *Registry) PendingDigest() (string, error) {
	h := sha256.New()
	if err := r.encode(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Set replaces everything the registry holds of patient id: its cards
// (none removes the patient) and the identity recorded for the id (nil
// for none). A merge of shard results applies each patient's cards with
// it.
func (r *Registry) Set(id string, cards []Card, ident *Identity) {
	if len(cards) == 0 {
		delete(r.Patients, id)
	} else {
		r.Patients[id] = slices.Clone(cards)
	}
	if ident == nil {
		delete(r.Identities, id)
	} else {
		r.Identities[id] = *ident
	}
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

// Add adds a new full card to patient id, with the next unused serial,
// under the id's current generation. The card is pending until Sealed:
// no bundle opens with it yet.
func (r *Registry) Add(id, label string, now time.Time) Card {
	return r.AddScope(id, label, ScopeFull, now)
}

// AddScope issues a new card of scope to patient id, like Add; an empty
// scope is full.
func (r *Registry) AddScope(id, label string, scope Scope, now time.Time) Card {
	if scope == "" {
		scope = ScopeFull
	}
	serial := 1
	for _, c := range r.Patients[id] {
		serial = max(serial, c.Serial+1)
	}
	c := Card{Serial: serial, Label: label, Issued: now.UTC().Truncate(time.Second), Generation: r.Identities[id].Generation, Letters: true, Scope: scope, Pending: true}
	r.Patients[id] = append(r.Patients[id], c)
	return c
}

// Sealed records that patient id's bundle, built at now, is sealed to the
// cards serials, and returns the ones that were pending: issued only now,
// as this is the first bundle they open. (Issued keeps the day the card
// was added, which its printed page shows.)
func (r *Registry) Sealed(id string, serials []int) []Card {
	var issued []Card
	for i, c := range r.Patients[id] {
		if c.Pending && slices.Contains(serials, c.Serial) {
			c.Pending = false
			r.Patients[id][i] = c
			issued = append(issued, c)
		}
	}
	return issued
}

// Drop removes card serial of patient id if it is still pending: a card
// that no bundle was ever sealed to can be forgotten without trace.
func (r *Registry) Drop(id string, serial int) {
	r.Patients[id] = slices.DeleteFunc(r.Patients[id], func(c Card) bool { return c.Serial == serial && c.Pending })
	if len(r.Patients[id]) == 0 {
		delete(r.Patients, id)
	}
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

// Holder returns whose cards and bundle id belongs to now: the id at its
// current generation.
func (r *Registry) Holder(id string) cardkey.Holder {
	return cardkey.Holder{ID: id, Generation: r.Identities[id].Generation}
}

// FirstSerial returns the serial of the first card issued under id's
// current generation, revoked or not; 0 if there is none. That card leads
// record.pgp for as long as it lives.
func (r *Registry) FirstSerial(id string) int {
	gen := r.Identities[id].Generation
	first := 0
	for _, c := range r.Patients[id] {
		if c.Generation == gen && (first == 0 || c.Serial < first) {
			first = c.Serial
		}
	}
	return first
}

// Binding is what Bind found and did.
type Binding struct {
	// Adopted is true when the id had no identity recorded (a new
	// patient, or a registry from before identities) and now has digest.
	Adopted bool
	// Rotated is true when the id belonged to another patient: Revoked
	// are that patient's cards, revoked now, Old is where their cards
	// and bundle were derived from, and Issued is the new patient's first
	// card under the id's new generation.
	Rotated bool
	Old     cardkey.Holder
	Revoked []Card
	Issued  Card
}

// Bind records that patient id is now the patient whose identity digest
// is digest (cardkey.Identity). An id with no identity recorded adopts it
// and keeps its cards. An id recorded for another patient moves to a new
// generation: every live card of the old patient is revoked, so none of
// them opens what is built for the new one, and a first card is issued
// under the new generation. The same patient again changes nothing.
func (r *Registry) Bind(id, digest string, now time.Time) Binding {
	old, ok := r.Identities[id]
	if !ok || old.Digest == "" {
		r.Identities[id] = Identity{Digest: digest, Generation: old.Generation}
		return Binding{Adopted: true}
	}
	if old.Digest == digest {
		return Binding{}
	}
	b := Binding{Rotated: true, Old: r.Holder(id)}
	for _, c := range r.Live(id) {
		// Revoke fails only for an unknown or revoked card; these are live.
		_ = r.Revoke(id, c.Serial, now)
		c.Revoked = nil
		b.Revoked = append(b.Revoked, c)
	}
	r.Identities[id] = Identity{Digest: digest, Generation: old.Generation + 1}
	b.Issued = r.Add(id, "Patient", now)
	return b
}

// MarkPrinted records that card serial of patient id was put on a print
// sheet as the page whose digest is digest. Call it only once the sheet
// is safely on disk.
func (r *Registry) MarkPrinted(id string, serial int, digest string) {
	for i, c := range r.Patients[id] {
		if c.Serial == serial {
			r.Patients[id][i].Printed = digest
		}
	}
}

// ErrShared means a registry opened with OpenShared was asked to save.
var ErrShared = errors.New("the card registry was opened to read only (a shard of a sharded build): its changes are saved by satchel merge")

// Save writes the registry atomically (0600), one patient at a time (see
// encode). A registry from OpenShared never saves: ErrShared.
func (r *Registry) Save() error {
	if r.shared {
		return ErrShared
	}
	return atomicfile.WriteFunc(filepath.Join(r.dir, FileName), 0o600, r.encode)
}

// Event is one line of the audit log, private/audit.jsonl. It never holds
// a secret, nor any clinical text: ids, serials, names of staff, digests.
type Event struct {
	Time time.Time `json:"time"`
	Who  string    `json:"who"`
	// What is one of the Event constants: approve, build, issue, add,
	// revoke, print-sheet, keygen.
	What    string `json:"what"`
	Patient string `json:"patient,omitempty"`
	Serial  int    `json:"serial,omitempty"`
	Label   string `json:"label,omitempty"`
	// Role is the approver's role (approve).
	Role string `json:"role,omitempty"`
	// Digest is the SHA-256 of what the event is about: the approved
	// record (approve) or the sealed bundle, record.pgp (build).
	Digest string `json:"digest,omitempty"`
	// Bundle is the patient's bundle id (build).
	Bundle string `json:"bundle,omitempty"`
	// Cards are the serials of the cards a bundle is sealed to (build).
	Cards []int `json:"cards,omitempty"`
	// Sheet is the print sheet's file name (print-sheet).
	Sheet string `json:"sheet,omitempty"`
	// Key is the fingerprint of the practice key made (keygen).
	Key string `json:"key,omitempty"`
	// Scope is the scope of a card added as summary only; empty for a
	// full card, as before scopes.
	Scope Scope `json:"scope,omitempty"`
	// Reason says why, when the change was not asked for (a build
	// revoking the cards of an id that now names another patient). It
	// never holds patient data.
	Reason string `json:"reason,omitempty"`
}

// The kinds of Event.
const (
	EventApprove    = "approve"     // a clinician approved a patient's record
	EventBuild      = "build"       // a patient's bundle was built and sealed
	EventAdd        = "add"         // staff added a card; issued at the next build
	EventIssue      = "issue"       // a card was first sealed into a bundle
	EventRevoke     = "revoke"      // a card was revoked
	EventPrintSheet = "print-sheet" // a card was put on a print sheet
	EventKeygen     = "keygen"      // a practice signing key was made
)

// Audit appends events to the audit log (0600), one JSON object a line.
func (r *Registry) Audit(events ...Event) error { return Audit(r.dir, events...) }

// Audit appends events to the audit log in the private folder dir (0600),
// one JSON object a line, in one write: a reader never sees half an event.
// A command that does not hold the registry (approve, keygen) may call it:
// appends of whole lines do not interleave.
func Audit(dir string, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	var buf []byte
	for _, e := range events {
		line, err := e.Line()
		if err != nil {
			return err
		}
		buf = append(buf, line...)
	}
	f, err := os.OpenFile(filepath.Join(dir, AuditName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Line returns e as Audit writes it: one JSON object, its time in UTC to
// the second, and a newline.
func (e Event) Line() ([]byte, error) {
	e.Time = e.Time.UTC().Truncate(time.Second)
	line, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(line, '\n'), nil
}

// ReadAudit returns every event of the audit log in the private folder
// dir, oldest first; none if there is no log yet. A damaged line is an
// error naming its line number.
func ReadAudit(dir string) ([]Event, error) {
	path := filepath.Join(dir, AuditName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the audit log: %w", path, err)
	}
	var events []Event
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("%s:%d: the audit log is damaged: not a JSON event", path, i+1)
		}
		events = append(events, e)
	}
	return events, nil
}

// Describe says what the event records in a few plain words, without its
// time or who: "approved (GP), record sha256 3f2a…". It holds only what
// the event holds: ids, serials, digests, never clinical text.
func (e Event) Describe() string {
	var b strings.Builder
	short := func(digest string) string {
		if len(digest) > 12 {
			return digest[:12]
		}
		return digest
	}
	card := func() string {
		if e.Label != "" {
			return fmt.Sprintf("card %d (%s)", e.Serial, e.Label)
		}
		return fmt.Sprintf("card %d", e.Serial)
	}
	switch e.What {
	case EventApprove:
		fmt.Fprintf(&b, "approved the record (%s), sha256 %s", e.Role, short(e.Digest))
	case EventBuild:
		serials := make([]string, len(e.Cards))
		for i, s := range e.Cards {
			serials[i] = strconv.Itoa(s)
		}
		fmt.Fprintf(&b, "built bundle %s, sha256 %s, sealed to card%s %s", e.Bundle, short(e.Digest), plural(len(e.Cards)), strings.Join(serials, ", "))
	case EventAdd:
		fmt.Fprintf(&b, "added %s: issued at the next build", card())
	case EventIssue:
		fmt.Fprintf(&b, "issued %s: first sealed into a bundle", card())
	case EventRevoke:
		fmt.Fprintf(&b, "revoked %s", card())
	case EventPrintSheet:
		fmt.Fprintf(&b, "put %s on print sheet %s", card(), e.Sheet)
	case EventKeygen:
		fmt.Fprintf(&b, "made the practice signing key %s", e.Key)
	default:
		fmt.Fprintf(&b, "%s", e.What)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
