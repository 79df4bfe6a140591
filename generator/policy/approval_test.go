package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// approveNow writes an approval of in and reads it back, as a build would.
func approveNow(t *testing.T, in Inputs) *Approval {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p1.approval.toml")
	a := &Approval{Approver: "Dr Test", Role: "GP", Date: record.NewDate(2026, 11, 20)}
	if err := a.Write(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := ReadApproval(path)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// changedError returns the *ChangedError that err must be.
func changedError(t *testing.T, err error) *ChangedError {
	t.Helper()
	var ce *ChangedError
	if !errors.As(err, &ce) || !errors.Is(err, ErrChanged) {
		t.Fatalf("check says %v, want changed since approval", err)
	}
	return ce
}

// Swapping the patient's own key file after approval would let another
// person's key open the bundle: the approval covers the key file's bytes,
// and its absence.
func TestKeyFileSwappedAfterApprovalIsAChange(t *testing.T) {
	record := []byte("[patient]\nname = \"A\"\npublic_key = \"key.asc\"\n")
	tests := []struct {
		name          string
		approved, now []byte
		want, words   string
	}{
		{"swapped", []byte("the patient's key"), []byte("someone else's key"), "changed", "the patient's key file changed"},
		{"added", nil, []byte("someone else's key"), "added", "the patient's key file was added"},
		{"removed", []byte("the patient's key"), nil, "removed", "the patient's key file was removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := approveNow(t, Inputs{Record: record, Key: tt.approved, Rules: DefaultRules()})
			if err := Check(a, Inputs{Record: record, Key: tt.approved, Rules: DefaultRules()}); err != nil {
				t.Fatalf("the approved key: %v", err)
			}
			err := Check(a, Inputs{Record: record, Key: tt.now, Rules: DefaultRules()})
			ce := changedError(t, err)
			if ce.Key != tt.want || ce.Record || len(ce.Policy) > 0 {
				t.Errorf("changed %+v, want the key alone %s", ce, tt.want)
			}
			if msg := err.Error(); !strings.Contains(msg, "changed since approval: "+tt.words) {
				t.Errorf("reason %q does not name the key file", msg)
			}
		})
	}
}

// Loosening any rule of site.toml's [policy] after approval would release
// entries the clinician saw withheld: the approval is changed, and the
// reason names the rule.
func TestLooseningThePolicyAfterApprovalIsAChange(t *testing.T) {
	data := []byte("[patient]\nname = \"A\"\n")
	a := approveNow(t, Inputs{Record: data, Rules: ForSite(site.Policy{})})
	tests := []struct {
		name  string
		now   site.Policy
		field string
	}{
		{"no labels withheld", site.Policy{Labels: []string{}}, "withhold_labels"},
		{"one label fewer", site.Policy{Labels: DefaultRules().Labels[1:]}, "withhold_labels"},
		{"no sensitive codes", site.Policy{SensitiveCodes: []string{}}, "sensitive_codes"},
		{"min_age 1", site.Policy{MinAge: 1}, "min_age"},
		{"deceased allowed", site.Policy{AllowDeceased: true}, "allow_deceased"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(a, Inputs{Record: data, Rules: ForSite(tt.now)})
			ce := changedError(t, err)
			if !slices.Equal(ce.Policy, []string{tt.field}) || ce.Record || ce.Key != "" {
				t.Errorf("changed %+v, want the policy's %s alone", ce, tt.field)
			}
			if want := "the site's release policy changed (" + tt.field + ")"; !strings.Contains(err.Error(), want) {
				t.Errorf("reason %q, want it to say %q", err, want)
			}
		})
	}
	err := Check(a, Inputs{Record: data, Rules: ForSite(site.Policy{Labels: []string{}, MinAge: 1})})
	if want := "(withhold_labels, min_age)"; !strings.Contains(err.Error(), want) {
		t.Errorf("two rules loosened: reason %q, want %q", err, want)
	}
}

// Writing site.toml another way, with the same rules, is not a change:
// lists reordered, repeated, spelt in other case and spacing, comments.
func TestRewritingThePolicyTheSameWayIsNotAChange(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"records", "education"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	head := "records = \"records\"\neducation = \"education\"\n[practice]\nname = \"P\"\naddress = \"A\"\nphone = \"01632 960000\"\nods_code = \"Y99999\"\n"
	rules := func(body string) Rules {
		path := filepath.Join(dir, "site.toml")
		if err := os.WriteFile(path, []byte(head+body), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := site.Parse(path, []byte(head+body))
		if err != nil {
			t.Fatal(err)
		}
		return ForSite(cfg.Policy)
	}
	approved := rules("[policy]\nwithhold_labels = [\"R\", \"V\", \"PSY\"]\nsensitive_codes = [\"386639001\", \"86406008\"]\nmin_age = 16\n")
	data := []byte("[patient]\nname = \"A\"\n")
	a := approveNow(t, Inputs{Record: data, Rules: approved})
	for _, body := range []string{
		"[policy]\n# the practice's own list\nsensitive_codes = [ \"86406008\",\n  \"386639001\" ]\nwithhold_labels = [\"psy\", \" v\", \"R\", \"R\"]   # again\n",
		"[policy]\nwithhold_labels = [\"PSY\", \"R\", \"V\"]\nsensitive_codes = [\"86406008\", \"386639001\", \"86406008\"]\nmin_age = 16\nallow_deceased = false\n",
	} {
		if err := Check(a, Inputs{Record: data, Rules: rules(body)}); err != nil {
			t.Errorf("site.toml written another way, same rules: %v", err)
		}
	}
	if err := Check(a, Inputs{Record: data, Rules: rules("[policy]\nwithhold_labels = [\"R\", \"V\"]\nsensitive_codes = [\"386639001\", \"86406008\"]\n")}); err == nil {
		t.Error("a label dropped went unnoticed")
	}
}

// An approval written before Satchel recorded the key file and release
// policy cannot say what it covered: it fails closed, even when the record
// is unchanged, and says to approve again.
func TestApprovalWithoutKeyAndPolicyFailsClosed(t *testing.T) {
	data := []byte("[patient]\nname = \"A\"\n")
	path := filepath.Join(t.TempDir(), "p1.approval.toml")
	old := "approver = \"Dr A\"\nrole = \"GP\"\ndate = 2026-11-18\nsha256 = \"" + Digest(data, nil) + "\"\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ReadApproval(path)
	if err != nil {
		t.Fatalf("an old approval does not read: %v", err)
	}
	err = Check(a, Inputs{Record: data, Rules: DefaultRules()})
	if ce := changedError(t, err); !ce.Legacy {
		t.Errorf("changed %+v, want an approval from before key and policy", ce)
	}
	if want := "approved before satchel recorded the key and release policy: approve again"; !strings.Contains(err.Error(), want) {
		t.Errorf("reason %q, want %q", err, want)
	}
	// With the key recorded but not the policy, it still fails closed.
	if err := os.WriteFile(path, []byte(old+"key_sha256 = \"none\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, err = ReadApproval(path); err != nil {
		t.Fatal(err)
	}
	if ce := changedError(t, Check(a, Inputs{Record: data, Rules: DefaultRules()})); !ce.Legacy {
		t.Errorf("changed %+v, want an approval from before the policy", ce)
	}
}

func TestReadApprovalRejectsABadKeyDigest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.approval.toml")
	body := "approver = \"A\"\nrole = \"B\"\ndate = 2026-11-20\nsha256 = \"" + strings.Repeat("a", 64) + "\"\nkey_sha256 = \"nothing\"\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadApproval(path); err == nil || !strings.Contains(err.Error(), ":5: field \"key_sha256\"") {
		t.Fatalf("error %v, want line 5, field key_sha256", err)
	}
}

// A missing approval is awaiting approval; an approval that is a link to
// nowhere is an error to fix, not quietly "none".
func TestDanglingApprovalLinkIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if a, err := ReadApproval(filepath.Join(dir, "p1.approval.toml")); a != nil || err != nil {
		t.Fatalf("no file: got %v, %v; want no approval and no error", a, err)
	}
	link := filepath.Join(dir, "p2.approval.toml")
	if err := os.Symlink("gone.toml", link); err != nil {
		t.Fatal(err)
	}
	_, err := ReadApproval(link)
	if err == nil || !strings.Contains(err.Error(), "p2.approval.toml: cannot read the approval: a symbolic link to a missing file") {
		t.Errorf("dangling link: got %v", err)
	}
}
