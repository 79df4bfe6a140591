package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// Prepared is one patient's record, read once and judged: what build,
// check, review and approve all start from.
type Prepared struct {
	ID   string // the record file's name without its extension
	Path string // the record file, as the site names it
	File string // the record file, relative to the site root

	// Status is what a build does with the record: Built means it goes
	// on to be rendered and sealed. Reason says why for any other status,
	// with no patient data; Err holds the input errors when Failed.
	Status Status
	Reason string
	Err    error

	Data     []byte           // the record file's bytes
	Record   *record.Record   // nil when the record did not read
	Approval *policy.Approval // nil when there is none (or it did not read)
	// Decision is the policy applied to the whole record, whatever the
	// approval says: the review sheet shows it before anyone approves.
	Decision policy.Decision
	// Pages are the education pages matched to what leaves the practice;
	// OwnKey is the patient's own OpenPGP key, when the record names one,
	// and KeyFile the bytes of its file: the approval covers them.
	Pages   []*content.Page
	OwnKey  openpgp.EntityList
	KeyFile []byte
	// Warnings are what build and check both report without failing:
	// references that do not resolve, approvals naming entries the record
	// lacks. No patient data.
	Warnings []string
}

// Out is what leaves the practice: nil unless the record builds.
func (pr *Prepared) Out() *record.Record {
	if pr.Status != Built {
		return nil
	}
	return pr.Decision.Out
}

// Prepare reads the record file at path and judges it as of now. It never
// panics on bad input and writes nothing.
func (p *Pipeline) Prepare(path string, now time.Time) *Prepared {
	pr := &Prepared{ID: record.Stem(path), Path: path, File: p.rel(path)}
	fail := func(err error) *Prepared {
		pr.Status, pr.Reason, pr.Err = Failed, "failed", err
		return pr
	}
	var err error
	if data, rec, ok, berr := p.recs.Bulk(path); ok {
		// A patient of a bulk export: the data is the patient's own
		// resources, as a Bundle (package bulk).
		if berr != nil {
			return fail(berr)
		}
		pr.Data, pr.Record = data, rec
	} else {
		if pr.Data, err = input.Read(path, "", input.MaxRecord); err != nil {
			return fail(fmt.Errorf("%s: cannot read the record: %s", pr.File, input.Reason(err)))
		}
		// Errors in the record come first: the practice must fix them
		// before anyone can approve it.
		if pr.Record, err = load.Record(path, pr.Data); err != nil {
			return fail(err)
		}
	}
	for _, ref := range pr.Record.Unresolved {
		pr.Warnings = append(pr.Warnings, fmt.Sprintf("%s: %s: reference does not resolve: the export is missing what it points at", pr.File, ref))
	}
	if pr.OwnKey, pr.KeyFile, err = p.patientKey(pr, now); err != nil {
		return fail(err)
	}
	approvalPath := policy.ApprovalPath(path)
	if pr.Approval, err = policy.ReadApproval(approvalPath); err != nil {
		return fail(err)
	}
	// The rules are applied whatever the approval says: the review sheet
	// is how the clinician decides whether to approve.
	pr.Decision = p.rules.Apply(pr.Record, pr.Approval, now)
	switch err := policy.Check(pr.Approval, p.inputs(pr)); {
	case errors.Is(err, policy.ErrAwaitingApproval):
		pr.Status, pr.Reason = AwaitingApproval, err.Error()
		return pr
	case errors.Is(err, policy.ErrChanged):
		pr.Status, pr.Reason = ChangedSinceApproval, err.Error()
		return pr
	}
	for _, k := range pr.Approval.Named {
		if !hasEntry(pr.Decision.Entries, k) {
			pr.Warnings = append(pr.Warnings, fmt.Sprintf("%s: field \"named\": names an entry the record does not have", p.rel(approvalPath)))
			break
		}
	}
	if pr.Decision.Blocked() {
		pr.Status, pr.Reason = Blocked, pr.Decision.Reason
		return pr
	}
	pr.Status = Built
	pr.Pages = p.pages(pr.Decision.Out)
	return pr
}

// inputs are what an approval of pr must cover: the record and its
// letters, the patient's key file and the site's release rules.
func (p *Pipeline) inputs(pr *Prepared) policy.Inputs {
	return policy.Inputs{Record: pr.Data, Letters: pr.Record.Letters, Key: pr.KeyFile, Rules: p.rules}
}

// pages returns the education pages for what leaves the practice.
func (p *Pipeline) pages(out *record.Record) []*content.Page {
	var codes []record.Code
	for _, pr := range out.Problems {
		codes = append(codes, pr.Codes()...)
	}
	return p.library.Match(codes)
}

func hasEntry(es []policy.EntryDecision, key string) bool {
	for _, e := range es {
		if e.Key == key {
			return true
		}
	}
	return false
}

// patientKey reads the patient's own OpenPGP public key, when the record
// names one (patient.public_key): a file beside the record. It returns the
// key and the file's bytes. Errors name the record, line and field, never
// the key or the file's content.
func (p *Pipeline) patientKey(pr *Prepared, now time.Time) (openpgp.EntityList, []byte, error) {
	name := pr.Record.Patient.PublicKey
	if name == "" {
		return nil, nil, nil
	}
	bad := func(msg string) error {
		return strict.Errorf(pr.File, strict.KeyLine(pr.Data, []string{"patient", "public_key"}), "patient.public_key", "%s", msg)
	}
	if !filepath.IsLocal(name) {
		return nil, nil, bad("must name a key file beside the record, such as patient-key.asc")
	}
	raw, err := input.Read(filepath.Join(filepath.Dir(pr.Path), name), "", input.MaxKey)
	if err != nil {
		return nil, nil, bad("cannot read the key file")
	}
	ring, err := provenance.ReadKeys(raw)
	// An armored file is read one block at a time: a second block would
	// be ignored, so it is refused rather than silently dropped.
	if err != nil || len(ring) != 1 || bytes.Count(raw, []byte("-----BEGIN PGP")) > 1 {
		return nil, nil, bad("the file is not one OpenPGP public key")
	}
	if ring[0].PrivateKey != nil {
		return nil, nil, bad("the file holds a secret key: keep only the patient's public key beside the record")
	}
	if _, ok := ring[0].EncryptionKey(now); !ok {
		return nil, nil, bad("the key cannot encrypt: expired, revoked, or without an encryption subkey")
	}
	return ring, raw, nil
}
