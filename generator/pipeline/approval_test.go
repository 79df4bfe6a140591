package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// patientKeyFile returns an armored OpenPGP public key that can encrypt,
// made a month before the test clock, as a patient's own key would be.
func patientKeyFile(t *testing.T, email string) []byte {
	t.Helper()
	e, err := openpgp.NewEntity("Test Patient", "", email, &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA,
		Time:      func() time.Time { return clock().AddDate(0, -1, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

// practiceWithPolicy writes a practice whose site.toml ends with policy
// (a [policy] table, or nothing) and whose records are recs, by id.
func practiceWithPolicy(t *testing.T, policy string, recs map[string]string) *site.Config {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"records", "education"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for id, rec := range recs {
		if err := os.WriteFile(filepath.Join(dir, "records", id+".toml"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rewritePolicy(t, filepath.Join(dir, "site.toml"), policy)
}

// rewritePolicy writes the site file at path with policy at its end, and
// loads it.
func rewritePolicy(t *testing.T, path, policy string) *site.Config {
	t.Helper()
	body := "records = \"records\"\neducation = \"education\"\n\n[practice]\nname = \"Riverside Test Surgery\"\naddress = \"1 Test Street\"\nphone = \"01632 960000\"\nods_code = \"Y99999\"\n\n" + policy
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := site.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// approveAs approves patient id through the pipeline, as satchel approve
// does.
func approveAs(t *testing.T, cfg *site.Config, id string, who Approver) *policy.Approval {
	t.Helper()
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := pl.Approve(id, who, clock())
	if err != nil {
		t.Fatal(err)
	}
	return a.Approval
}

// statusOf builds cfg and checks it, both as of the test clock, and
// returns the patient's build outcome after checking that check agrees.
func statusOf(t *testing.T, cfg *site.Config, id string) Patient {
	t.Helper()
	rep, err := Run(context.Background(), cfg, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	p := patientOf(t, rep, id)
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pl.Check(clock()).Patients {
		if c.ID == id && (c.Status != p.Status || c.Reason != p.Reason) {
			t.Errorf("check says %s (%s), build says %s (%s)", c.Status, c.Reason, p.Status, p.Reason)
		}
	}
	return p
}

var dr = Approver{By: "Dr Amara Okafor", Role: "GP partner"}

// Swapping the patient's own key file after approval would let whoever
// holds the new key open the record: the record is changed since
// approval, the reason names the key file, nothing is sealed to the new
// key, and the bundle published before is taken down.
func TestSwappedKeyFileIsNotPublished(t *testing.T) {
	t.Parallel()
	cfg := practiceWithPolicy(t, "", map[string]string{"p1": "[patient]\nname = \"Pat One\"\nborn = 1970-01-01\npublic_key = \"p1-key.asc\"\n"})
	keyFile := filepath.Join(cfg.RecordsDir, "p1-key.asc")
	if err := os.WriteFile(keyFile, patientKeyFile(t, "patient@example.invalid"), 0o644); err != nil {
		t.Fatal(err)
	}
	approveAs(t, cfg, "p1", dr)
	first := statusOf(t, cfg, "p1")
	if first.Status != Built {
		t.Fatalf("approved: %s (%s)", first.Status, first.Reason)
	}
	if _, err := os.Stat(filepath.Join(cfg.Root, first.Bundle)); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(keyFile, patientKeyFile(t, "someone-else@example.invalid"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := statusOf(t, cfg, "p1")
	if p.Status != ChangedSinceApproval || p.Bundle != "" {
		t.Fatalf("key swapped: %s, bundle %q; want changed since approval, no bundle", p.Status, p.Bundle)
	}
	if want := "changed since approval: the patient's key file changed"; !strings.Contains(p.Reason, want) {
		t.Errorf("reason %q, want it to say %q", p.Reason, want)
	}
	if _, err := os.Stat(filepath.Join(cfg.Root, first.Bundle)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the bundle is still published after the key was swapped: %v", err)
	}

	approveAs(t, cfg, "p1", dr)
	if p := statusOf(t, cfg, "p1"); p.Status != Built {
		t.Errorf("approved again: %s (%s)", p.Status, p.Reason)
	}
}

// Loosening site.toml's [policy] after approval would release entries the
// clinician saw withheld: every patient approved under the old rules is
// changed since approval, with the rule named, and nothing new is built.
// Writing the same rules another way is not a change.
func TestLoosenedPolicyNeedsANewApproval(t *testing.T) {
	t.Parallel()
	rec := "[patient]\nname = \"Pat One\"\nborn = 1970-01-01\n"
	approved := "[policy]\nwithhold_labels = [\"R\", \"V\", \"PSY\"]\nsensitive_codes = [\"386639001\", \"86406008\"]\n"
	tests := []struct {
		name, policy, field string
	}{
		{"no labels withheld", "[policy]\nwithhold_labels = []\nsensitive_codes = [\"386639001\", \"86406008\"]\n", "withhold_labels"},
		{"no sensitive codes", "[policy]\nwithhold_labels = [\"R\", \"V\", \"PSY\"]\nsensitive_codes = []\n", "sensitive_codes"},
		{"min_age 1", approved + "min_age = 1\n", "min_age"},
		{"deceased allowed", approved + "allow_deceased = true\n", "allow_deceased"},
		{"policy table removed: the defaults differ", "", "withhold_labels, sensitive_codes"},
		{"written another way", "# reordered\n[policy]\nsensitive_codes = [\"86406008\",\n    \"386639001\"]\nwithhold_labels = [\"psy\", \"V\", \"R\"]  # same three\nmin_age = 16\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := practiceWithPolicy(t, approved, map[string]string{"p1": rec})
			approveAs(t, cfg, "p1", dr)
			if p := statusOf(t, cfg, "p1"); p.Status != Built {
				t.Fatalf("approved: %s (%s)", p.Status, p.Reason)
			}
			cfg = rewritePolicy(t, cfg.File, tt.policy)
			p := statusOf(t, cfg, "p1")
			if tt.field == "" {
				if p.Status != Built {
					t.Errorf("same rules written another way: %s (%s)", p.Status, p.Reason)
				}
				return
			}
			if p.Status != ChangedSinceApproval || p.Bundle != "" {
				t.Fatalf("%s, bundle %q; want changed since approval, nothing built", p.Status, p.Bundle)
			}
			if want := "the site's release policy changed (" + tt.field + ")"; !strings.Contains(p.Reason, want) {
				t.Errorf("reason %q, want it to say %q", p.Reason, want)
			}
		})
	}
}

// An approval written before Satchel recorded the key file and release
// policy fails closed, though the record is unchanged.
func TestApprovalFromBeforeKeyAndPolicyFailsClosed(t *testing.T) {
	t.Parallel()
	rec := "[patient]\nname = \"Pat One\"\nborn = 1970-01-01\n"
	cfg := practiceWithPolicy(t, "", map[string]string{"p1": rec})
	old := "approver = \"Dr A\"\nrole = \"GP\"\ndate = 2026-11-18\nsha256 = \"" + policy.Digest([]byte(rec), nil) + "\"\n"
	if err := os.WriteFile(filepath.Join(cfg.RecordsDir, "p1.approval.toml"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	p := statusOf(t, cfg, "p1")
	if p.Status != ChangedSinceApproval || !strings.Contains(p.Reason, "approved before satchel recorded the key and release policy: approve again") {
		t.Errorf("old approval: %s (%s)", p.Status, p.Reason)
	}
}

// Re-approving keeps what a clinician decided about the patient (entries
// released by name, a competence assessment, an adult confirmation)
// unless told to start afresh; -adult-confirmed sets and clears the last.
func TestReapprovalKeepsTheClinicianDecisions(t *testing.T) {
	t.Parallel()
	rec := "[patient]\nname = \"Pat One\"\n\n[[problems]]\ntitle = \"Counselling\"\nlabels = [\"PSY\"]\n"
	cfg := practiceWithPolicy(t, "", map[string]string{"p1": rec})
	path := filepath.Join(cfg.RecordsDir, "p1.approval.toml")
	// A hand-written approval of the record as it is, from before
	// snapshots: its named release is carried because the record is
	// unchanged.
	hand := "approver = \"Dr A\"\nrole = \"GP\"\ndate = 2026-11-01\nsha256 = \"" + policy.Digest([]byte(rec), nil) + "\"\nnamed = [\"problems[0]\"]\n\n[competence]\nassessed_by = \"Dr C\"\ndate = 2026-10-01\n"
	if err := os.WriteFile(path, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() *policy.Approval {
		t.Helper()
		a, err := policy.ReadApproval(path)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	yes, no := true, false
	approveAs(t, cfg, "p1", dr)
	if a := read(); len(a.Named) != 1 || a.Named[0] != "problems[0]" || a.Competence == nil || a.Competence.AssessedBy != "Dr C" || a.AdultConfirmed {
		t.Fatalf("re-approved: %+v; want named and competence kept", a)
	}
	approveAs(t, cfg, "p1", Approver{By: dr.By, Role: dr.Role, AdultConfirmed: &yes})
	if a := read(); !a.AdultConfirmed || a.Competence == nil || a.Approver != dr.By || a.Date != record.NewDate(2026, 11, 20) {
		t.Fatalf("-adult-confirmed: %+v", a)
	}
	approveAs(t, cfg, "p1", dr)
	if a := read(); !a.AdultConfirmed {
		t.Error("re-approving dropped adult_confirmed")
	}
	approveAs(t, cfg, "p1", Approver{By: dr.By, Role: dr.Role, AdultConfirmed: &no})
	if a := read(); a.AdultConfirmed || len(a.Named) != 1 {
		t.Errorf("-adult-confirmed=false: %+v", a)
	}
	approveAs(t, cfg, "p1", Approver{By: dr.By, Role: dr.Role, Fresh: true})
	if a := read(); len(a.Named) != 0 || a.Competence != nil || a.AdultConfirmed {
		t.Errorf("fresh approval kept %+v", a)
	}
}

// The adult confirmation unblocks a record with no birth date: approve
// -adult-confirmed reaches the build.
func TestAdultConfirmedApprovalBuildsARecordWithNoBirthDate(t *testing.T) {
	t.Parallel()
	cfg := practiceWithPolicy(t, "", map[string]string{"p1": "[patient]\nname = \"Pat One\"\n"})
	approveAs(t, cfg, "p1", dr)
	if p := statusOf(t, cfg, "p1"); p.Status != Blocked {
		t.Fatalf("no birth date, no confirmation: %s", p.Status)
	}
	yes := true
	approveAs(t, cfg, "p1", Approver{By: dr.By, Role: dr.Role, AdultConfirmed: &yes})
	if p := statusOf(t, cfg, "p1"); p.Status != Built {
		t.Errorf("adult confirmed: %s (%s)", p.Status, p.Reason)
	}
}

// A named release is carried to a new approval only while it names the
// entry that was approved: a new export that puts another entry at the
// same position does not release that one.
func TestNamedReleaseIsCarriedOnlyWhileItsEntryIsUnchanged(t *testing.T) {
	t.Parallel()
	const head = "[patient]\nname = \"Pat One\"\nborn = 1970-01-01\n"
	const counselling = "\n[[problems]]\ntitle = \"Counselling\"\nlabels = [\"PSY\"]\n"
	const sexualHealth = "\n[[problems]]\ntitle = \"Clinic visit\"\nlabels = [\"SEX\"]\n"
	const asthma = "\n[[problems]]\ntitle = \"Asthma\"\n"
	cfg := practiceWithPolicy(t, "", map[string]string{"p1": head + counselling})
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	approve := func(who Approver) *Approved {
		t.Helper()
		res, err := pl.Approve("p1", who, clock())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	rewrite := func(rec string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(cfg.RecordsDir, "p1.toml"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	approve(Approver{By: dr.By, Role: dr.Role, Release: []string{"problems[0]"}})
	if p := statusOf(t, cfg, "p1"); p.Status != Built || p.Withheld[policy.RuleSecurityLabel] != 0 {
		t.Fatalf("released by name: %s, withheld %v", p.Status, p.Withheld)
	}
	if st, err := os.Stat(cfg.SnapshotFile("p1")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot: %v, %v", st, err)
	}

	// An entry added after it: problems[0] is the same entry, so it stays
	// released.
	rewrite(head + counselling + asthma)
	res := approve(dr)
	if len(res.Carried.Named) != 1 || len(res.Carried.Dropped) != 0 || len(res.Approval.Named) != 1 {
		t.Fatalf("entry unchanged: carried %+v", res.Carried)
	}
	if p := statusOf(t, cfg, "p1"); p.Status != Built || p.Withheld[policy.RuleSecurityLabel] != 0 {
		t.Fatalf("carried release: %s, withheld %v", p.Status, p.Withheld)
	}

	// Another labelled entry now at problems[0]: not released.
	rewrite(head + sexualHealth + counselling + asthma)
	res = approve(dr)
	if len(res.Carried.Named) != 0 || len(res.Carried.Dropped) != 1 || len(res.Approval.Named) != 0 {
		t.Fatalf("another entry at the position: carried %+v, named %v", res.Carried, res.Approval.Named)
	}
	if p := statusOf(t, cfg, "p1"); p.Status != Built || p.Withheld[policy.RuleSecurityLabel] != 2 {
		t.Fatalf("dropped release: %s, withheld %v", p.Status, p.Withheld)
	}
}

// -release takes only entries a security label or sensitive code
// withholds, and says which it refused.
func TestReleaseRefusesWhatItCannotRelease(t *testing.T) {
	t.Parallel()
	rec := "[patient]\nname = \"Pat One\"\nborn = 1970-01-01\n\n[[problems]]\ntitle = \"Asthma\"\n\n[[problems]]\ntitle = \"Brother's illness\"\nthird_party = true\nlabels = [\"PSY\"]\n"
	cfg := practiceWithPolicy(t, "", map[string]string{"p1": rec})
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"problems[0]": "not withheld",
		"problems[1]": "withheld by rule third-party",
		"problems[7]": "no such entry",
	} {
		_, err := pl.Approve("p1", Approver{By: dr.By, Role: dr.Role, Release: []string{key}}, clock())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-release %s: %v, want %q", key, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.RecordsDir, "p1.approval.toml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused release wrote an approval: %v", err)
	}
}
