package provenance

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
)

// Info is bundle.json: what a clinician needs to judge a record besides the
// signature. It is signed with the rest of the bundle. It holds no clinical
// data and nothing about the patient. The browser reads the same JSON with
// JSON.parse, so the decryptor needs no JSON package.
type Info struct {
	// Practice and ODSCode name the practice that issued the record.
	Practice string `json:"practice"`
	ODSCode  string `json:"ods_code,omitempty"`
	// BundleID is the bundle's id, as printed on the key cards.
	BundleID string `json:"bundle_id"`
	// Exported is when the build ran.
	Exported time.Time `json:"exported"`
	// CurrentUntil is when the record stops being current: after it the
	// record warns that it may be out of date, and still opens.
	CurrentUntil time.Time `json:"current_until"`
	// ApprovedBy, ApproverRole and Approved (a date, YYYY-MM-DD) say which
	// clinician approved the record for sharing, and when.
	ApprovedBy   string `json:"approved_by"`
	ApproverRole string `json:"approver_role,omitempty"`
	Approved     string `json:"approved"`
}

// Marshal returns info as the bytes of bundle.json.
func (info *Info) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ErrNoInfo means a bundle has no bundle.json: it was built by a Satchel
// older than the signed metadata.
var ErrNoInfo = errors.New("the record carries no approval details")

// ReadInfo returns the Info in a bundle's files: ErrNoInfo when there is
// none, bundle.ErrNotBundle when it does not read.
func ReadInfo(files []bundle.File) (*Info, error) {
	f := bundle.Find(files, FileName)
	if f == nil {
		return nil, ErrNoInfo
	}
	var info Info
	if err := json.Unmarshal(f.Data, &info); err != nil {
		return nil, bundle.ErrNotBundle
	}
	return &info, nil
}

// OutOfDate reports whether, at now, the record is past its current-until
// time.
func (info *Info) OutOfDate(now time.Time) bool {
	return !info.CurrentUntil.IsZero() && now.After(info.CurrentUntil)
}
