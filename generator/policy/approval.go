// Package policy decides what may leave the practice. It reads approval
// sidecars, checks that a record, the patient's key file and the release
// rules are unchanged since a clinician approved them,
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
	// SHA256 is Digest of the record file and its letters.
	SHA256 string `toml:"sha256"`
	// KeySHA256 is KeyDigest of the patient's own key file: NoKey when the
	// record named none. Empty only in approvals written before Satchel
	// recorded it; Check treats those as changed.
	KeySHA256 string `toml:"key_sha256"`
	// Policy is the release policy in force when the record was approved
	// (Rules, after defaults); nil only in approvals written before Satchel
	// recorded it.
	Policy *Rules `toml:"policy"`
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

	// data is the approval file as read (see Bytes).
	data []byte
}

// Bytes returns the approval file's bytes as ReadApproval read them: an
// incremental build keys a patient on them without decoding them again.
func (a *Approval) Bytes() []byte { return a.data }

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
		// No file is no approval; a link to nowhere is a broken one.
		if _, lerr := os.Lstat(path); lerr == nil {
			return nil, strict.Errorf(path, 0, "", "cannot read the approval: a symbolic link to a missing file")
		}
		return nil, nil
	}
	if err != nil {
		return nil, strict.Errorf(path, 0, "", "cannot read the approval: %s", input.Reason(err))
	}
	var a Approval
	if _, err := strict.Decode(path, data, &a); err != nil {
		return nil, err
	}
	a.File, a.data = path, data
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
	if a.KeySHA256 != "" && a.KeySHA256 != NoKey && !hexDigest.MatchString(a.KeySHA256) {
		errs = append(errs, strict.Errorf(path, line("key_sha256"), "key_sha256", "must be 64 lowercase hex digits, the SHA-256 of the patient's key file, or %q", NoKey))
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

// NoKey is the KeySHA256 of an approval whose record names no key file of
// the patient's own.
const NoKey = "none"

// KeyDigest returns the lowercase hex SHA-256 of a patient's key file, or
// NoKey when key is nil: the record names none.
func KeyDigest(key []byte) string {
	if key == nil {
		return NoKey
	}
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])
}

// Write writes the approval a of the inputs in as the sidecar at path,
// atomically. It sets a.SHA256, a.KeySHA256 and a.Policy from in. None of
// what it writes is patient data: digests, names of entries, and the
// practice's rules.
func (a *Approval) Write(path string, in Inputs) error {
	a.SHA256 = Digest(in.Record, in.Letters)
	a.KeySHA256 = KeyDigest(in.Key)
	rules := in.Rules.Canonical()
	a.Policy = &rules
	var b strings.Builder
	fmt.Fprintf(&b, "# Approval of %s: written by satchel approve.\n", filepath.Base(strings.TrimSuffix(path, ".approval.toml")))
	b.WriteString("# The record builds only while the record and its letters (sha256), the\n")
	b.WriteString("# patient's own key file (key_sha256) and the site's release policy\n")
	b.WriteString("# ([policy]) are as they were when approved; any change needs a new approval.\n")
	fmt.Fprintf(&b, "approver = %s\n", quote(a.Approver))
	fmt.Fprintf(&b, "role = %s\n", quote(a.Role))
	fmt.Fprintf(&b, "date = %s\n", a.Date.ISO())
	fmt.Fprintf(&b, "sha256 = %q\n", a.SHA256)
	fmt.Fprintf(&b, "key_sha256 = %q\n", a.KeySHA256)
	if len(a.Named) > 0 {
		fmt.Fprintf(&b, "named = %s\n", quoteList(a.Named))
	}
	if a.AdultConfirmed {
		b.WriteString("adult_confirmed = true\n")
	}
	if a.Competence != nil {
		fmt.Fprintf(&b, "\n[competence]\nassessed_by = %s\ndate = %s\n", quote(a.Competence.AssessedBy), a.Competence.Date.ISO())
	}
	b.WriteString("\n# The release policy in force when approved: site.toml's [policy] over\n# Satchel's defaults.\n[policy]\n")
	fmt.Fprintf(&b, "withhold_labels = %s\n", quoteList(rules.Labels))
	fmt.Fprintf(&b, "sensitive_codes = %s\n", quoteList(rules.SensitiveCodes))
	fmt.Fprintf(&b, "min_age = %d\n", rules.MinAge)
	fmt.Fprintf(&b, "allow_deceased = %t\n", rules.AllowDeceased)
	return atomicfile.Write(path, []byte(b.String()), 0o644)
}

// quoteList writes ss as a TOML array of basic strings.
func quoteList(ss []string) string {
	qs := make([]string, len(ss))
	for i, s := range ss {
		qs[i] = quote(s)
	}
	return "[" + strings.Join(qs, ", ") + "]"
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
