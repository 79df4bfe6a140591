package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
)

// Approver is who approves a record, and what they decide beyond the
// record itself.
type Approver struct {
	By, Role string
	// AdultConfirmed, when not nil, sets whether the approver confirmed
	// that a patient with no birth date is an adult; nil keeps what the
	// previous approval said.
	AdultConfirmed *bool
	// Competence, when not nil, records a new assessment that a patient
	// under 16 is competent to hold their record; nil keeps the previous
	// approval's.
	Competence *policy.Competence
	// Release names entries (by the keys the review sheet shows, e.g.
	// "problems[2]" or "Condition/abc") that the approver releases
	// although a security label or sensitive code withholds them. They
	// are added to the releases carried from the previous approval.
	Release []string
	// Fresh starts from a blank approval: the previous approval's named
	// entries, competence assessment and adult confirmation are dropped.
	// Without it they are kept, since each is a clinician's decision about
	// the patient that a new export of the record does not undo.
	Fresh bool
}

// Approved is an approval written, and what it kept from the one before.
type Approved struct {
	Approval *policy.Approval
	// Carried is what the approval kept from the previous approval.
	Carried Carried
}

// Carried is what a new approval kept of the previous one's decisions.
type Carried struct {
	// Named are the named releases kept: their entries are as approved.
	Named []string
	// Dropped are the named releases not kept, because their entry
	// changed or went since (a new export may put another entry at the
	// same position): the approver must release them again if still meant.
	Dropped []string
	// Competence is the competence assessment kept, nil if none.
	Competence *policy.Competence
	// AdultConfirmed is set when the adult confirmation was kept.
	AdultConfirmed bool
}

// Approve records that the approver approved patient id's record as it is
// now: the record file and its letters, the patient's own key file and
// the site's release policy, writing the approval beside the record and
// a snapshot of the approved entries in private_dir (policy.Snapshot). A
// record that does not read, or whose key file does not, is not approved:
// its errors come first. Unless Fresh, a previous approval's competence
// assessment and adult confirmation are kept, and so are its named
// releases whose entries are unchanged since that approval; a previous
// approval that does not read stops the approval rather than lose them.
func (p *Pipeline) Approve(id string, who Approver, now time.Time) (*Approved, error) {
	if strings.TrimSpace(who.By) == "" || strings.TrimSpace(who.Role) == "" {
		return nil, errors.New("not approved: the approver's name and role are required")
	}
	y, m, d := now.Date()
	today := record.NewDate(y, m, d)
	if c := who.Competence; c != nil {
		if strings.TrimSpace(c.AssessedBy) == "" || c.Date.Precision != record.Day {
			return nil, errors.New("not approved: a competence assessment needs who assessed it and the full date (such as 2026-11-20)")
		}
		if today.Before(c.Date) {
			return nil, errors.New("not approved: the competence assessment's date is in the future")
		}
	}
	file, err := p.recs.Find(id)
	if err != nil {
		return nil, err
	}
	pr := p.Prepare(file, now)
	if pr.Record == nil || (pr.Record.Patient.PublicKey != "" && pr.KeyFile == nil) {
		return nil, fmt.Errorf("not approved, the record has errors: %w", pr.Err)
	}
	if err := p.checkReleases(pr, who.Release, now); err != nil {
		return nil, err
	}
	path := policy.ApprovalPath(file)
	a := &policy.Approval{Approver: who.By, Role: who.Role, Date: today}
	res := &Approved{Approval: a}
	if !who.Fresh {
		prev, err := policy.ReadApproval(path)
		if err != nil {
			return nil, fmt.Errorf("not approved, the previous approval does not read (fix it, or approve afresh): %w", err)
		}
		if prev != nil {
			snap, err := policy.ReadSnapshot(p.cfg.SnapshotFile(id))
			if err != nil {
				return nil, fmt.Errorf("not approved (approve afresh to start again): %w", err)
			}
			res.Carried = p.carry(pr, prev, snap)
			a.Named = slices.Clone(res.Carried.Named)
			a.Competence, a.AdultConfirmed = prev.Competence, prev.AdultConfirmed
			res.Carried.Competence, res.Carried.AdultConfirmed = prev.Competence, prev.AdultConfirmed
		}
	}
	if who.AdultConfirmed != nil {
		a.AdultConfirmed = *who.AdultConfirmed
		res.Carried.AdultConfirmed = false
	}
	if who.Competence != nil {
		a.Competence = who.Competence
		res.Carried.Competence = nil
	}
	for _, k := range who.Release {
		if !slices.Contains(a.Named, k) {
			a.Named = append(a.Named, k)
		}
	}
	in := p.inputs(pr)
	a.SHA256 = policy.Digest(in.Record, in.Letters)
	// The snapshot goes first: one left without its approval is harmless
	// (it names the digest it belongs to), an approval without its
	// snapshot could not carry its releases.
	snapPath := p.cfg.SnapshotFile(id)
	if err := os.MkdirAll(p.cfg.PrivateDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(snapPath), 0o700); err != nil {
		return nil, err
	}
	if err := policy.NewSnapshot(a, pr.Record).Write(snapPath); err != nil {
		return nil, err
	}
	if err := a.Write(path, in); err != nil {
		return nil, err
	}
	if err := p.audit(registry.Event{Time: now, Who: who.By, Role: who.Role, What: registry.EventApprove, Patient: id, Digest: a.SHA256}); err != nil {
		return nil, fmt.Errorf("approved, but %w", err)
	}
	return res, nil
}

// carry returns which of the previous approval's named releases still
// name the entry that was approved: by the snapshot, or, for an approval
// from before snapshots, only when the record is unchanged.
func (p *Pipeline) carry(pr *Prepared, prev *policy.Approval, snap *policy.Snapshot) Carried {
	var c Carried
	if snap != nil && snap.SHA256 != prev.SHA256 {
		snap = nil // a snapshot of another approval says nothing of this one
	}
	unchanged := prev.SHA256 == policy.Digest(pr.Data, pr.Record.Letters)
	entries := map[string]record.Entry{}
	for _, e := range pr.Record.Entries() {
		entries[record.Marked(e).Key] = e
	}
	for _, k := range prev.Named {
		e, ok := entries[k]
		var same bool
		switch {
		case !ok:
		case snap != nil:
			se := snap.Entry(k)
			same = se != nil && se.Digest == policy.EntryDigest(e)
		default:
			same = unchanged
		}
		if same {
			c.Named = append(c.Named, k)
		} else {
			c.Dropped = append(c.Dropped, k)
		}
	}
	return c
}

// checkReleases checks that every key names an entry of the record that
// a security label or sensitive code withholds: the only rules a named
// release overrides. A typing mistake must not release another entry, or
// pass silently.
func (p *Pipeline) checkReleases(pr *Prepared, keys []string, now time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	rules := map[string]string{}
	for _, e := range p.rules.Apply(pr.Record, nil, now).Entries {
		rules[e.Key] = e.Rule
	}
	var errs []error
	for _, k := range keys {
		rule, ok := rules[k]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("not approved: -release %s: the record has no such entry (the review sheet lists each entry's identifier)", k))
		case rule == "":
			errs = append(errs, fmt.Errorf("not approved: -release %s: the entry is not withheld: nothing to release", k))
		case rule != policy.RuleSecurityLabel && rule != policy.RuleSensitiveCode:
			errs = append(errs, fmt.Errorf("not approved: -release %s: withheld by rule %s, which a named release does not override", k, rule))
		}
	}
	return errors.Join(errs...)
}

// audit appends events to the practice's audit log, making the private
// folder (0700) if this is the practice's first command.
func (p *Pipeline) audit(events ...registry.Event) error {
	if err := os.MkdirAll(p.cfg.PrivateDir, 0o700); err != nil {
		return fmt.Errorf("cannot write the audit log: %w", err)
	}
	if err := registry.Audit(p.cfg.PrivateDir, events...); err != nil {
		return fmt.Errorf("cannot write the audit log: %w", err)
	}
	return nil
}
