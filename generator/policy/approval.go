// Package policy decides what may leave the practice. It reads approval
// sidecars, checks that a record is unchanged since a clinician approved it,
// applies the withholding rules to every entry and the blocking rules to the
// patient, and returns only what is allowed out, with counts per rule.
package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/atomicfile"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// Approval is a clinician's sign-off of one record file, kept beside it as
// <id>.approval.toml.
type Approval struct {
	File     string      `toml:"-"`
	Approver string      `toml:"approver"`
	Role     string      `toml:"role"`
	Date     record.Date `toml:"date"`
	SHA256   string      `toml:"sha256"`
	// Named lists entries (by record key, e.g. "problems[2]" or
	// "Condition/abc") that the approver released individually, overriding
	// the sensitivity-label rule for them.
	Named []string `toml:"named"`
	// Competence records an assessment that a patient under 16 is competent
	// to hold their own record.
	Competence *Competence `toml:"competence"`
	// AdultConfirmed records that the approver confirmed the patient is an
	// adult when the record carries no birth date; without it (or a
	// competence assessment) a record with no birth date is blocked by the
	// under-16 rule.
	AdultConfirmed bool `toml:"adult_confirmed"`
}

// Competence is an assessment of a young patient's competence (Gillick).
type Competence struct {
	AssessedBy string      `toml:"assessed_by"`
	Date       record.Date `toml:"date"`
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ApprovalPath returns the sidecar path for a record file.
func ApprovalPath(recordFile string) string {
	return filepath.Join(filepath.Dir(recordFile), record.Stem(recordFile)+".approval.toml")
}

// ReadApproval reads an approval sidecar. It returns (nil, nil) when the file
// does not exist: the record is awaiting approval.
func ReadApproval(path string) (*Approval, error) {
	data, err := input.Read(path, "", input.MaxApproval)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, strict.Errorf(path, 0, "", "cannot read the approval: %s", input.Reason(err))
	}
	var a Approval
	if _, err := strict.Decode(path, data, &a); err != nil {
		return nil, err
	}
	a.File = path
	var errs []error
	line := func(k string) int { return strict.KeyLine(data, []string{k}) }
	if strings.TrimSpace(a.Approver) == "" {
		errs = append(errs, strict.Errorf(path, 0, "approver", "required field is missing"))
	}
	if strings.TrimSpace(a.Role) == "" {
		errs = append(errs, strict.Errorf(path, 0, "role", "required field is missing"))
	}
	if a.Date.Precision != record.Day {
		errs = append(errs, strict.Errorf(path, line("date"), "date", "must be a full date such as 2026-11-20"))
	}
	if !hexDigest.MatchString(a.SHA256) {
		errs = append(errs, strict.Errorf(path, line("sha256"), "sha256", "must be 64 lowercase hex digits: the SHA-256 of the record file"))
	}
	if a.Competence != nil && (a.Competence.AssessedBy == "" || a.Competence.Date.IsZero()) {
		errs = append(errs, strict.Errorf(path, strict.KeyLine(data, []string{"competence"}), "competence", "needs assessed_by and date"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &a, nil
}

// Digest returns the lowercase hex SHA-256 under which a record is
// approved. For a record with no letter files it is simply the SHA-256 of
// the record file (what sha256sum prints); a record's letters are part of
// it, so their names and bytes are hashed after the record's, and a changed
// letter needs a new approval too.
func Digest(recordFile []byte, letters []record.Letter) string {
	h := sha256.New()
	h.Write(recordFile)
	for _, l := range letters {
		fmt.Fprintf(h, "\x00satchel-letter\x00%s\x00%d\x00", l.File, len(l.Body))
		io.WriteString(h, l.Body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Write writes the approval a of the record r, read from the file whose
// bytes are data, as the sidecar at path, atomically. It sets a.SHA256.
func (a *Approval) Write(path string, data []byte, r *record.Record) error {
	a.SHA256 = Digest(data, r.Letters)
	var b strings.Builder
	fmt.Fprintf(&b, "# Approval of %s: written by satchel approve.\n", filepath.Base(strings.TrimSuffix(path, ".approval.toml")))
	b.WriteString("# The record builds only while its SHA-256 matches; any change needs a new approval.\n")
	fmt.Fprintf(&b, "approver = %s\n", quote(a.Approver))
	fmt.Fprintf(&b, "role = %s\n", quote(a.Role))
	fmt.Fprintf(&b, "date = %s\n", a.Date.ISO())
	fmt.Fprintf(&b, "sha256 = %q\n", a.SHA256)
	if len(a.Named) > 0 {
		qs := make([]string, len(a.Named))
		for i, n := range a.Named {
			qs[i] = quote(n)
		}
		fmt.Fprintf(&b, "named = [%s]\n", strings.Join(qs, ", "))
	}
	if a.AdultConfirmed {
		b.WriteString("adult_confirmed = true\n")
	}
	if a.Competence != nil {
		fmt.Fprintf(&b, "\n[competence]\nassessed_by = %s\ndate = %s\n", quote(a.Competence.AssessedBy), a.Competence.Date.ISO())
	}
	return atomicfile.Write(path, []byte(b.String()), 0o644)
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
