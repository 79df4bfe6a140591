package pipeline

import "time"

// recordDate returns the date pr's record is as of, which its freshness
// counts from: the export's own timestamp (FHIR Bundle.timestamp or
// meta.lastUpdated), else the approval date (Satchel TOML, or an export
// that does not say), never the build's clock. A date after now counts
// from now.
func recordDate(pr *Prepared, now time.Time) time.Time {
	t := ownDate(pr)
	if t.IsZero() || t.After(now) {
		return now
	}
	return t.UTC()
}

// ownDate is the date pr's record is as of (see recordDate), before it is
// held to the build's clock; zero when neither says.
func ownDate(pr *Prepared) time.Time {
	t := time.Time{}
	if pr.Record != nil {
		t = pr.Record.Dated
	}
	if t.IsZero() && pr.Approval != nil {
		t = pr.Approval.Date.Time
	}
	return t
}

// currentUntil returns when pr's record stops being current: site.toml's
// current_days after the record's own date (recordDate). A nightly rebuild
// of a record approved a year ago is out of date at once.
func (p *Pipeline) currentUntil(pr *Prepared, now time.Time) time.Time {
	return recordDate(pr, now).AddDate(0, 0, p.cfg.CurrentDays)
}
