package pipeline

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
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
	// Fresh starts from a blank approval: the previous approval's named
	// entries, competence assessment and adult confirmation are dropped.
	// Without it they are kept, since each is a clinician's decision about
	// the patient that a new export of the record does not undo.
	Fresh bool
}

// Approve records that the approver approved patient id's record as it is
// now: the record file and its letters, the patient's own key file and
// the site's release policy, writing the approval beside the record. It
// returns the approval written. A record that does not read, or whose key
// file does not, is not approved: its errors come first. Unless Fresh, a
// previous approval's named entries, competence assessment and adult
// confirmation are kept, and a previous approval that does not read stops
// the approval rather than lose them.
func (p *Pipeline) Approve(id string, who Approver, now time.Time) (*policy.Approval, error) {
	if strings.TrimSpace(who.By) == "" || strings.TrimSpace(who.Role) == "" {
		return nil, errors.New("not approved: the approver's name and role are required")
	}
	file, err := load.Find(p.cfg.RecordsDir, id)
	if err != nil {
		return nil, err
	}
	pr := p.Prepare(file, now)
	if pr.Record == nil || (pr.Record.Patient.PublicKey != "" && pr.KeyFile == nil) {
		return nil, fmt.Errorf("not approved, the record has errors: %w", pr.Err)
	}
	path := policy.ApprovalPath(file)
	y, m, d := now.Date()
	a := &policy.Approval{Approver: who.By, Role: who.Role, Date: record.NewDate(y, m, d)}
	if !who.Fresh {
		prev, err := policy.ReadApproval(path)
		if err != nil {
			return nil, fmt.Errorf("not approved, the previous approval does not read (fix it, or approve afresh): %w", err)
		}
		if prev != nil {
			a.Named, a.Competence, a.AdultConfirmed = prev.Named, prev.Competence, prev.AdultConfirmed
		}
	}
	if who.AdultConfirmed != nil {
		a.AdultConfirmed = *who.AdultConfirmed
	}
	if err := a.Write(path, p.inputs(pr)); err != nil {
		return nil, err
	}
	if err := p.audit(registry.Event{Time: now, Who: who.By, Role: who.Role, What: registry.EventApprove, Patient: id, Digest: a.SHA256}); err != nil {
		return nil, fmt.Errorf("approved, but %w", err)
	}
	return a, nil
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
