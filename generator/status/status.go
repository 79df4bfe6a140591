// Package status says where each patient of a practice stands (built,
// approved and not built yet, awaiting approval, changed since approval,
// blocked by a rule, or failed), the next command to run, and for a
// blocked patient what would unblock them, in plain words. It reports
// nothing of what a record holds: patient ids, states, rule names and
// commands only.
package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/internal/termtext"
)

// State is where a patient stands.
type State string

// The states, as -json spells them.
const (
	Built    State = "built"
	NotBuilt State = "approved-not-built" // would build; the last build did not
	Awaiting State = "awaiting-approval"
	Changed  State = "changed-since-approval"
	Blocked  State = "blocked"
	Failed   State = "failed"
)

// order is the order states are counted in.
var order = []State{Built, NotBuilt, Awaiting, Changed, Blocked, Failed}

// words are the states as the text report says them.
var words = map[State]string{
	Built:    "built",
	NotBuilt: "approved, not built yet",
	Awaiting: "awaiting approval",
	Changed:  "changed since approval",
	Blocked:  "blocked by rule",
	Failed:   "failed",
}

// Patient is one patient's standing.
type Patient struct {
	ID    string `json:"id"`
	State State  `json:"status"`
	// Detail says what changed since approval, or which rules block.
	Detail string `json:"detail,omitempty"`
	// Blocks are the rules that block the patient, by name.
	Blocks []string `json:"blocks,omitempty"`
	// Next is the next command to run; empty when there is nothing to do.
	Next string `json:"next,omitempty"`
	// Unblock says, for each block, what would lift it.
	Unblock []string `json:"unblock,omitempty"`
}

// Report is the standing of every patient of a site, in id order.
type Report struct {
	Patients []Patient `json:"patients"`
}

// Of judges every patient of the pipeline's site as of now, as satchel
// check does, and compares with the last build's manifest to tell the
// built from the approved and not yet built.
func Of(p *pipeline.Pipeline, now time.Time) (*Report, error) {
	cfg := p.Config()
	built, err := lastBuilt(cfg.ManifestFile())
	if err != nil {
		return nil, err
	}
	rep := &Report{Patients: []Patient{}}
	for _, c := range p.Check(now).Patients {
		pt := Patient{ID: c.ID}
		approve := fmt.Sprintf("satchel review %s, then satchel approve -by NAME -role ROLE %s", c.ID, c.ID)
		switch c.Status {
		case pipeline.Built:
			pt.State = Built
			if when, ok := built[c.ID]; !ok || approvedAfter(cfg.Root, c.File, when) {
				pt.State, pt.Next = NotBuilt, "satchel build"
			}
		case pipeline.AwaitingApproval:
			pt.State, pt.Next = Awaiting, approve
		case pipeline.ChangedSinceApproval:
			pt.State, pt.Next = Changed, approve
			pt.Detail = strings.TrimSuffix(strings.TrimPrefix(c.Reason, "changed since approval: "), ": review it and approve again")
			if c.Reason == policy.ErrChanged.Error() {
				pt.Detail = "the record or one of its letters changed"
			}
		case pipeline.Blocked:
			pt.State, pt.Blocks = Blocked, c.Blocks
			pt.Detail = strings.Join(c.Blocks, ", ")
			pt.Next = "satchel review " + c.ID
			if len(c.Blocks) == 1 && c.Blocks[0] == policy.BlockUnder16 {
				pt.Next = fmt.Sprintf("satchel review %s, then satchel approve -by NAME -role ROLE -competence-by NAME -competence-date DATE %s", c.ID, c.ID)
			}
			for _, b := range c.Blocks {
				pt.Unblock = append(pt.Unblock, Unblock(b, c.ID))
			}
		default:
			pt.State, pt.Next = Failed, "satchel check (it names the file, line and field to fix)"
		}
		rep.Patients = append(rep.Patients, pt)
	}
	return rep, nil
}

// Unblock says in plain words what would lift the block rule for patient
// id: what the practice does, and the command that records it.
func Unblock(rule, id string) string {
	switch rule {
	case policy.BlockUnder16:
		return fmt.Sprintf("a patient under 16 needs a clinician's assessment that they are competent to hold their record, recorded with approve -competence-by NAME -competence-date DATE; if the record has no birth date and the patient is an adult, approve %s with -adult-confirmed instead", id)
	case policy.BlockEnhanced:
		return "the record asks for an enhanced review before the patient gets access: once a clinician has reviewed it and recorded in the clinical system that enhanced review is no longer indicated, export the record again and approve it"
	case policy.BlockDeclined:
		return "the patient declined access to their record: nothing to do unless they change their mind; then remove the refusal in the clinical system, export the record again and approve it"
	case policy.BlockDeceased:
		return "the patient has died: such records are not built unless site.toml's [policy] sets allow_deceased = true"
	}
	return "see the review sheet: satchel review " + id
}

// lastBuilt returns the patients the last build's manifest says it built,
// with when the manifest was written (the file's time, so that it compares
// with the approval files' times whatever the build's clock said); none
// when there has been no build.
func lastBuilt(path string) (map[string]time.Time, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]time.Time{}, nil
	}
	var st os.FileInfo
	if err == nil {
		st, err = os.Stat(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the manifest: %w", path, err)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: the manifest is not valid JSON: build again", path)
	}
	out := map[string]time.Time{}
	for _, e := range m.Patients {
		if e.Status == pipeline.Built {
			out[e.ID] = st.ModTime()
		}
	}
	return out, nil
}

// approvedAfter reports whether the approval of the record file (relative
// to root, as the pipeline names it) was written after the build at when:
// the bundle holds the record as approved before.
func approvedAfter(root, file string, when time.Time) bool {
	if !filepath.IsAbs(file) {
		file = filepath.Join(root, filepath.FromSlash(file))
	}
	st, err := os.Stat(policy.ApprovalPath(file))
	return err == nil && st.ModTime().After(when)
}

// Count returns how many patients are in state s.
func (r *Report) Count(s State) int {
	n := 0
	for _, p := range r.Patients {
		if p.State == s {
			n++
		}
	}
	return n
}

// WriteText writes one line per patient (id, state, next step and, when
// blocked, what would unblock them), then a count of each state.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range r.Patients {
		state := words[p.State]
		if p.State == Blocked {
			state += " " + p.Detail
		}
		next := "nothing to do"
		if p.Next != "" {
			next = "next: " + p.Next
		}
		if p.State == Changed && p.Detail != "" {
			next += " (" + p.Detail + ")"
		}
		if len(p.Unblock) > 0 {
			next += "; to unblock: " + strings.Join(p.Unblock, "; ")
		}
		// Ids are file names: clean them as every message is.
		fmt.Fprintf(tw, "%s\t%s\t%s\n", termtext.Clean(p.ID), state, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range order {
		if n := r.Count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, words[s]))
		}
	}
	plural := "s"
	if len(r.Patients) == 1 {
		plural = ""
	}
	_, err := fmt.Fprintf(w, "%d patient%s: %s\n", len(r.Patients), plural, strings.Join(parts, "; "))
	return err
}

// WriteJSON writes the report as JSON, for scripts.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
