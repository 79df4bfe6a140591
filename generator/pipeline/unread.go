package pipeline

// Skipping a patient without reading the record. A no-op rebuild's time
// went on decoding every record and approval again (Prepare), only to find
// the key the last build recorded. So the build state also keeps, for each
// patient built, a key over the raw bytes of everything Prepare reads (the
// record file, its letter files, its approval) and over what else the
// patient's key covers (the shared inputs, the whole education library,
// the patient's cards and identity in the registry), and the instant until
// which Prepare's judgment of those bytes cannot change (policy.Horizon).
// A later build whose raw key matches, before that instant, takes the
// patient as the last build left it, once its files are checked as
// unchanged does. Anything else goes the long way, which is always right.
//
// Left to the long way: patients of a bulk export (their data is cut from
// shared files), patients with a key of their own (which key encrypts
// depends on the clock), and records whose date is still to come (their
// currency is counted from the build's clock until then).

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/input"
)

// unreadState is what a build keeps to skip a patient unread. It holds
// digests, file names beside the record and the report's words and
// counts (no patient data, like Patient.Warnings).
type unreadState struct {
	Key string `json:"key"`
	// Until is when Prepare's judgment may change, in Unix nanoseconds;
	// 0 for never.
	Until int64 `json:"until,omitempty"`
	// Letters are the record's letter files, as the record names them.
	Letters    []string       `json:"letters,omitempty"`
	Warnings   []string       `json:"warnings,omitempty"`
	Withheld   map[string]int `json:"withheld,omitempty"`
	NotCarried map[string]int `json:"not_carried,omitempty"`
	Pages      int            `json:"pages,omitempty"`
}

// unreadInputs is what the raw key digests.
type unreadInputs struct {
	Global, Library string
	File            string // the record file, relative to the site
	Record          string // digest of the record file and its letter files
	Approval        string // digest of the approval file
	Generation      int
	BundleID        string
	Identity        string // the identity the registry binds the id to
	Cards           []cardInputs
	First           int
}

// unreadKey returns the raw key of patient id, whose record file (rel,
// relative to the site) has bytes data with letter files letters (names
// and bodies), whose approval file has bytes approval, and whose cards and
// bundle are as b.cards gives them. "" when it cannot be made.
func (b *builder) unreadKey(id, rel string, data []byte, letters []record.Letter, approval []byte, holder cardkey.Holder, cards []registry.Card, first int) string {
	b.regMu.Lock()
	identity := b.reg.Identities[id].Digest
	b.regMu.Unlock()
	in := unreadInputs{Global: b.inc.global, Library: b.inc.library, File: rel,
		Record: policy.Digest(data, letters), Approval: digest(approval), Identity: identity,
		Generation: holder.Generation, BundleID: holder.BundleID(b.master), Cards: keyedCards(cards), First: first}
	raw, err := json.Marshal(in)
	if err != nil {
		return ""
	}
	return digest(raw)
}

// unreadFor returns what the build state keeps to skip the patient pr
// unread next time, or nil when it may not be: pr must have built (or been
// skipped) with this build's key, with the cards and bundle of holder,
// cards and first.
func (b *builder) unreadFor(pr *Prepared, p *Patient, holder cardkey.Holder, cards []registry.Card, first int) *unreadState {
	if !b.inc.on || p.key == "" || pr.Status != Built || pr.Approval == nil || pr.Approval.Bytes() == nil ||
		len(pr.OwnKey) > 0 || pr.KeyFile != nil || b.recs.IsBulk(pr.Path) {
		return nil
	}
	if d := ownDate(pr); d.IsZero() || d.After(b.now) {
		return nil
	}
	u := &unreadState{Warnings: slices.Clone(pr.Warnings), Pages: len(pr.Pages),
		Withheld: pr.Decision.Withheld, NotCarried: pr.Record.NotCarried}
	var letters []record.Letter
	for _, l := range pr.Record.Letters {
		if l.File != "" {
			letters = append(letters, record.Letter{File: l.File, Body: l.Body})
			u.Letters = append(u.Letters, l.File)
		}
	}
	if u.Key = b.unreadKey(pr.ID, pr.File, pr.Data, letters, pr.Approval.Bytes(), holder, cards, first); u.Key == "" {
		return nil
	}
	if h := b.rules.Horizon(pr.Record, b.now); !h.IsZero() {
		u.Until = h.UnixNano()
	}
	return u
}

// skipUnread returns patient file as the last build left it, when its raw
// key is unchanged, its horizon still to come and its files on disk as
// written; ok is false otherwise, and the patient is prepared as usual.
func (b *builder) skipUnread(file string) (p Patient, ok bool) {
	id := record.Stem(file)
	if !b.inc.on || b.readEvery {
		return Patient{}, false
	}
	st, found := b.inc.prev.patient(id)
	u := st.Unread
	if !found || u == nil || (u.Until != 0 && !b.now.Before(time.Unix(0, u.Until))) || b.recs.IsBulk(file) {
		return Patient{}, false
	}
	data, err := input.Read(file, "", input.MaxRecord)
	if err != nil {
		return Patient{}, false
	}
	dir := filepath.Dir(file)
	letters := make([]record.Letter, len(u.Letters))
	for i, name := range u.Letters {
		if !filepath.IsLocal(name) {
			return Patient{}, false
		}
		body, err := input.Read(filepath.Join(dir, name), dir, input.MaxLetter)
		if err != nil {
			return Patient{}, false
		}
		letters[i] = record.Letter{File: name, Body: string(body)}
	}
	approval, err := input.Read(policy.ApprovalPath(file), "", input.MaxApproval)
	if err != nil {
		return Patient{}, false
	}
	holder, cards, first := b.cards(id)
	if b.unreadKey(id, b.rel(file), data, letters, approval, holder, cards, first) != u.Key {
		return Patient{}, false
	}
	bundleID := holder.BundleID(b.master)
	e, files, ok := b.unchanged(id, st.Key, bundleID, cards)
	if !ok {
		return Patient{}, false
	}
	p = Patient{ID: id, File: b.rel(file), Status: Built, BundleID: bundleID, Unchanged: true,
		Warnings: slices.Clone(u.Warnings), Withheld: u.Withheld, NotCarried: u.NotCarried, Pages: u.Pages,
		Bundle: e.Bundle, Viewer: e.Viewer, SHA256: e.SHA256, Cards: e.Cards,
		key: st.Key, outs: outputs(files), unread: u, skippedUnread: true}
	if e.Bundle == "" {
		p.Warnings = append(p.Warnings, summaryOnlyWarning(id))
	}
	return p, true
}
