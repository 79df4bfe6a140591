package pipeline

import (
	"fmt"
	"time"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
)

// Approve records that by (role) approved patient id's record file as it
// is now, writing the approval beside the record. A record that does not
// read is not approved: its errors come first.
func (p *Pipeline) Approve(id, by, role string, now time.Time) error {
	file, err := load.Find(p.cfg.RecordsDir, id)
	if err != nil {
		return err
	}
	pr := p.Prepare(file, now)
	if pr.Record == nil {
		return fmt.Errorf("not approved, the record has errors: %w", pr.Err)
	}
	y, m, d := now.Date()
	a := &policy.Approval{Approver: by, Role: role, Date: record.NewDate(y, m, d)}
	return a.Write(policy.ApprovalPath(file), pr.Data, pr.Record)
}
