package registry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestAddRevokeSaveLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := r.Add("p1", "Patient", now)
	b := r.Add("p1", "Carer", now)
	if a.Serial != 1 || b.Serial != 2 {
		t.Fatalf("serials %d, %d", a.Serial, b.Serial)
	}
	if err := r.Revoke("p1", 1, now); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke("p1", 1, now); err == nil {
		t.Error("revoking twice succeeded")
	}
	if err := r.Revoke("p1", 9, now); err == nil {
		t.Error("revoking a card that does not exist succeeded")
	}
	// A new card after a revocation never reuses a serial.
	if c := r.Add("p1", "Family", now); c.Serial != 3 {
		t.Errorf("new serial %d, want 3", c.Serial)
	}
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, FileName))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("registry mode %v", st.Mode().Perm())
	}
	r2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	live := r2.Live("p1")
	if len(live) != 2 || live[0].Serial != 2 || live[1].Serial != 3 {
		t.Errorf("live cards after reload: %+v", live)
	}
}

func TestAuditAppendsJSONLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r, _ := Load(dir)
	r.Audit(Event{Time: now, Who: "admin", What: "issue", Patient: "p1", Serial: 1})
	r.Audit(Event{Time: now, Who: "admin", What: "revoke", Patient: "p1", Serial: 1})
	f, err := os.Open(filepath.Join(dir, AuditName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var whats []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		whats = append(whats, e.What)
	}
	if len(whats) != 2 || whats[0] != "issue" || whats[1] != "revoke" {
		t.Errorf("audit log %v", whats)
	}
	st, _ := f.Stat()
	if st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v", st.Mode().Perm())
	}
}

func TestDamagedRegistryIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600)
	if _, err := Load(dir); err == nil {
		t.Fatal("a damaged registry loaded")
	}
}

// A build and a card change must not run at once: the second Open fails
// at once, and works again after Close.
func TestOpenLocksTheRegistry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != ErrBusy {
		t.Fatalf("second Open: %v, want ErrBusy", err)
	}
	a.Add("p1", "Patient", now)
	if err := a.Save(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	defer b.Close()
	if len(b.Live("p1")) != 1 {
		t.Error("the saved card is not there")
	}
	if err := b.Close(); err != nil || b.Close() != nil {
		t.Error("Close twice failed")
	}
}

// An id keeps its cards while it names the same patient; a registry from
// before identities adopts the first identity it sees; another patient
// under the id gets a new generation, the old cards revoked and a new
// first card, and a card added afterwards belongs to the new generation.
func TestBindRotatesOnlyForAnotherPatient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	legacy := `{"patients": {"p1": [{"serial": 1, "label": "Patient", "issued": "2026-11-01T00:00:00Z"}, {"serial": 2, "label": "Carer", "issued": "2026-11-01T00:00:00Z"}]}}`
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != 0 {
		t.Errorf("a registry from before formats reads as format %d", r.Format)
	}
	if b := r.Bind("p1", "aaaa", now); !b.Adopted || b.Rotated {
		t.Fatalf("first identity of a legacy id: %+v, want adopted", b)
	}
	if b := r.Bind("p1", "aaaa", now); b.Adopted || b.Rotated || len(r.Live("p1")) != 2 {
		t.Fatalf("same patient again: %+v, %d live cards", b, len(r.Live("p1")))
	}
	if h := r.Holder("p1"); h.Generation != 0 || r.FirstSerial("p1") != 1 {
		t.Fatalf("before rotation: %+v, first serial %d", h, r.FirstSerial("p1"))
	}
	b := r.Bind("p1", "bbbb", now)
	if !b.Rotated || len(b.Revoked) != 2 || b.Old.Generation != 0 {
		t.Fatalf("another patient: %+v", b)
	}
	live := r.Live("p1")
	if len(live) != 1 || live[0].Serial != 3 || live[0].Generation != 1 || b.Issued.Serial != 3 {
		t.Fatalf("after rotation the live cards are %+v, want card 3 of generation 1", live)
	}
	if h := r.Holder("p1"); h.Generation != 1 || r.FirstSerial("p1") != 3 {
		t.Errorf("after rotation: %+v, first serial %d", h, r.FirstSerial("p1"))
	}
	if c := r.Add("p1", "Carer", now); c.Generation != 1 || c.Serial != 4 {
		t.Errorf("a card added after rotation: %+v", c)
	}
	// Another id is untouched.
	if b := r.Bind("p2", "aaaa", now); !b.Adopted {
		t.Errorf("a new id: %+v", b)
	}
	r.MarkPrinted("p1", 3, "digest")
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Holder("p1").Generation != 1 || again.Identities["p1"].Digest != "bbbb" || again.Cards("p1")[2].Printed != "digest" {
		t.Errorf("not saved: %+v", again)
	}
}

func TestScopeSavedAndOldCardsReadAsFull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A registry from before scopes: no scope field at all.
	old := `{"format":1,"patients":{"p1":[{"serial":1,"label":"Patient","issued":"2026-01-01T00:00:00Z","letters":true}]}}`
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Cards("p1")[0]; c.Scope != ScopeFull || c.SummaryOnly() {
		t.Errorf("old card read with scope %q, want full", c.Scope)
	}
	if c := r.AddScope("p1", "Wallet", ScopeSummary, now); !c.SummaryOnly() {
		t.Errorf("AddScope summary gave scope %q", c.Scope)
	}
	if c := r.Add("p1", "Carer", now); c.Scope != ScopeFull {
		t.Errorf("Add gave scope %q, want full", c.Scope)
	}
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	r2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []Scope
	for _, c := range r2.Cards("p1") {
		got = append(got, c.Scope)
	}
	if want := []Scope{ScopeFull, ScopeSummary, ScopeFull}; !slices.Equal(got, want) {
		t.Errorf("scopes after save and load %v, want %v", got, want)
	}
}

func TestUnknownScopeIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := `{"format":1,"patients":{"p1":[{"serial":1,"issued":"2026-01-01T00:00:00Z","scope":"everything"}]}}`
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "p1 card 1: scope") || !strings.Contains(err.Error(), FileName) {
		t.Fatalf("Load of an unknown scope: %v, want an error naming the file, patient, card and field", err)
	}
	for _, s := range []string{"", "full", "summary"} {
		if _, err := ParseScope(s); err != nil {
			t.Errorf("ParseScope(%q): %v", s, err)
		}
	}
	if _, err := ParseScope("Summary "); err == nil {
		t.Error("ParseScope accepted an unknown scope")
	}
}

// The shards of a sharded build read the registry at once; a change (a
// card change, a build, a merge) waits for them all, and a shard waits for
// a change. A shard never saves.
func TestOpenSharedLetsReadersInAndKeepsWritersOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.Add("p1", "Patient", now)
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenShared(dir); err != ErrBusy {
		t.Fatalf("OpenShared while a change holds the registry: %v, want ErrBusy", err)
	}
	w.Close()
	a, err := OpenShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenShared(dir)
	if err != nil {
		t.Fatalf("second OpenShared: %v", err)
	}
	if _, err := Open(dir); err != ErrBusy {
		t.Fatalf("Open while shards read: %v, want ErrBusy", err)
	}
	if a.Digest() == "" || a.Digest() != b.Digest() {
		t.Errorf("digests %q and %q of one file", a.Digest(), b.Digest())
	}
	a.Add("p1", "Carer", now)
	if err := a.Save(); err != ErrShared {
		t.Errorf("Save of a shared registry: %v, want ErrShared", err)
	}
	a.Close()
	if _, err := Open(dir); err != ErrBusy {
		t.Fatalf("Open while one shard still reads: %v, want ErrBusy", err)
	}
	b.Close()
	c, err := Open(dir)
	if err != nil {
		t.Fatalf("Open once every shard has finished: %v", err)
	}
	defer c.Close()
	if len(c.Live("p1")) != 1 {
		t.Error("a shared registry's change reached the file")
	}
}

// Set replaces what the registry holds of a patient, removing a patient
// left with no cards.
func TestSetReplacesAPatient(t *testing.T) {
	t.Parallel()
	r, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.Add("p1", "Patient", now)
	r.Bind("p1", "d1", now)
	r.Set("p1", []Card{{Serial: 4, Label: "Carer"}}, &Identity{Digest: "d2", Generation: 1})
	if cards := r.Cards("p1"); len(cards) != 1 || cards[0].Serial != 4 || r.Holder("p1").Generation != 1 {
		t.Errorf("after Set: %+v, holder %+v", cards, r.Holder("p1"))
	}
	r.Set("p1", nil, nil)
	if len(r.IDs()) != 0 || len(r.Identities) != 0 {
		t.Errorf("after Set with nothing: ids %v, identities %v", r.IDs(), r.Identities)
	}
}

// The registry written a patient at a time is byte for byte what
// json.MarshalIndent made of it: empty, new, and with several patients,
// revoked and summary cards, labels to escape and identities.
func TestSaveWritesWhatMarshalIndentWrote(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	full := &Registry{Format: Format, Patients: map[string][]Card{}, Identities: map[string]Identity{}}
	full.Add("p2", "Patient", at)
	full.AddScope("p1", "Mum <& carer>", ScopeSummary, at)
	full.Add("p1", "Patient", at)
	if err := full.Revoke("p1", 2, at); err != nil {
		t.Fatal(err)
	}
	full.MarkPrinted("p2", 1, "abc")
	full.Bind("p1", "digest-1", at)
	full.Bind("é-3", "digest-3", at)
	for name, r := range map[string]*Registry{
		"empty":     {Patients: map[string][]Card{}},
		"nil":       {Format: Format},
		"full":      full,
		"no format": {Patients: full.Patients, Identities: full.Identities},
	} {
		var got bytes.Buffer
		if err := r.encode(&got); err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want)+"\n" {
			t.Errorf("%s:\n%s\nwant\n%s", name, got.String(), want)
		}
	}
}

// PendingDigest is the digest the registry has once saved and read again,
// and changes with any change made in memory.
func TestPendingDigestIsTheSavedRegistrysDigest(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	empty, err := r.PendingDigest()
	if err != nil {
		t.Fatal(err)
	}
	r.Add("p1", "Daughter", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	pending, err := r.PendingDigest()
	if err != nil {
		t.Fatal(err)
	}
	if pending == empty {
		t.Error("adding a card did not change the pending digest")
	}
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest() != pending {
		t.Errorf("saved and read again, the digest is %s, want the pending %s", again.Digest(), pending)
	}
}
