package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

var buildDay = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func snomed(v string) record.Code { return record.Code{System: "SNOMED", Value: v} }

func adult() *record.Record {
	return &record.Record{ID: "p1", Patient: record.Patient{Name: "Test Patient", Born: record.NewDate(1970, 1, 2)}}
}

func TestApplyWithholdsByRule(t *testing.T) {
	tests := []struct {
		name  string
		entry record.Problem
		named []string
		rule  string // "" means exported
	}{
		{"plain entry goes out", record.Problem{Title: "Asthma", Code: snomed("195967001")}, nil, ""},
		{"marked withheld", record.Problem{Title: "x", Mark: record.Mark{Withheld: true, Reason: "harm"}}, nil, RuleMarkedWithheld},
		{"third party", record.Problem{Title: "x", Mark: record.Mark{ThirdParty: true}}, nil, RuleThirdParty},
		{"restricted label", record.Problem{Title: "x", Mark: record.Mark{Labels: []string{"R"}}}, nil, RuleSecurityLabel},
		{"very restricted label", record.Problem{Title: "x", Mark: record.Mark{Labels: []string{"v"}}}, nil, RuleSecurityLabel},
		{"HIV sensitivity label", record.Problem{Title: "x", Mark: record.Mark{Labels: []string{"HIV"}}}, nil, RuleSecurityLabel},
		{"label released by name", record.Problem{Title: "x", Mark: record.Mark{Labels: []string{"PSY"}, Key: "problems[0]"}}, []string{"problems[0]"}, ""},
		{"naming another entry does not release", record.Problem{Title: "x", Mark: record.Mark{Labels: []string{"PSY"}, Key: "problems[0]"}}, []string{"problems[1]"}, RuleSecurityLabel},
		{"sensitive code", record.Problem{Title: "x", Code: snomed("86406008")}, nil, RuleSensitiveCode},
		{"sensitive code in another spelling", record.Problem{Title: "x", Code: record.Code{System: "http://snomed.info/sct", Value: "86406008"}}, nil, RuleSensitiveCode},
		{"third party is withheld even if named", record.Problem{Title: "x", Mark: record.Mark{ThirdParty: true, Key: "problems[0]"}}, []string{"problems[0]"}, RuleThirdParty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adult()
			r.Problems = []record.Problem{tt.entry}
			d := DefaultRules().Apply(r, &Approval{Named: tt.named}, buildDay)
			if d.Blocked() || d.Out == nil {
				t.Fatalf("blocked by %v, want built", d.Blocks)
			}
			if got := len(d.Out.Problems) == 1; got != (tt.rule == "") {
				t.Fatalf("exported = %v, want %v", got, tt.rule == "")
			}
			if d.Entries[0].Rule != tt.rule {
				t.Errorf("rule %q, want %q", d.Entries[0].Rule, tt.rule)
			}
			if tt.rule != "" && d.Withheld[tt.rule] != 1 {
				t.Errorf("withheld count for %s = %d, want 1", tt.rule, d.Withheld[tt.rule])
			}
		})
	}
}

func TestApplyBlocksPatients(t *testing.T) {
	enhanced := func(d record.Date) record.Problem {
		return record.Problem{Title: "Enhanced review indicated", Code: snomed(CodeEnhancedReview), Onset: d}
	}
	notEnhanced := func(d record.Date) record.Problem {
		return record.Problem{Title: "Enhanced review not indicated", Code: snomed(CodeNoEnhancedReview), Onset: d}
	}
	tests := []struct {
		name     string
		born     record.Date
		problems []record.Problem
		appr     Approval
		block    string
	}{
		{"adult with nothing", record.NewDate(1970, 1, 1), nil, Approval{}, ""},
		{"enhanced review indicated", record.NewDate(1970, 1, 1), []record.Problem{enhanced(record.NewDate(2025, 1, 1))}, Approval{}, BlockEnhanced},
		{"later not-indicated lifts it", record.NewDate(1970, 1, 1), []record.Problem{enhanced(record.NewDate(2025, 1, 1)), notEnhanced(record.NewDate(2025, 6, 1))}, Approval{}, ""},
		{"earlier not-indicated does not", record.NewDate(1970, 1, 1), []record.Problem{notEnhanced(record.NewDate(2024, 1, 1)), enhanced(record.NewDate(2025, 1, 1))}, Approval{}, BlockEnhanced},
		{"access declined", record.NewDate(1970, 1, 1), []record.Problem{{Title: "declined", Code: snomed(CodeOnlineDeclined)}}, Approval{}, BlockDeclined},
		{"fourteen without assessment", record.NewDate(2012, 5, 1), nil, Approval{}, BlockUnder16},
		{"fourteen with assessment", record.NewDate(2012, 5, 1), nil, Approval{Competence: &Competence{AssessedBy: "Dr X", Date: record.NewDate(2026, 11, 1)}}, ""},
		{"sixteen tomorrow is under 16", record.NewDate(2010, 11, 22), nil, Approval{}, BlockUnder16},
		{"sixteen today", record.NewDate(2010, 11, 21), nil, Approval{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adult()
			r.Patient.Born = tt.born
			r.Problems = tt.problems
			d := DefaultRules().Apply(r, &tt.appr, buildDay)
			if tt.block == "" {
				if d.Blocked() || d.Out == nil {
					t.Fatalf("blocked by %v, want built", d.Blocks)
				}
				for _, p := range d.Out.Problems {
					if isPatientLevel(p.Codes()) {
						t.Errorf("access code %s left the practice", p.Code)
					}
				}
				return
			}
			if !d.Blocked() || d.Out != nil {
				t.Fatalf("blocks %v, want blocked with no output", d.Blocks)
			}
			if !strings.Contains(strings.Join(d.Blocks, ","), tt.block) {
				t.Errorf("blocks %v, want %s", d.Blocks, tt.block)
			}
		})
	}
}

func TestCheckComparesDigest(t *testing.T) {
	data := []byte("[patient]\nname = \"A\"\n")
	r := &record.Record{Letters: []record.Letter{{File: "l.md", Body: "Dear colleague"}}}
	in := Inputs{Record: data, Letters: r.Letters, Rules: DefaultRules()}
	if err := Check(nil, in); err != ErrAwaitingApproval {
		t.Errorf("no approval: %v", err)
	}
	rules := DefaultRules().Canonical()
	a := &Approval{SHA256: Digest(data, r.Letters), KeySHA256: NoKey, Policy: &rules}
	if err := Check(a, in); err != nil {
		t.Errorf("matching digest: %v", err)
	}
	more := in
	more.Record = append(data, ' ')
	if err := Check(a, more); !errors.Is(err, ErrChanged) || err.Error() != ErrChanged.Error() {
		t.Errorf("one byte more: %v", err)
	}
	changed := in
	changed.Letters = []record.Letter{{File: "l.md", Body: "Dear colleague."}}
	if err := Check(a, changed); !errors.Is(err, ErrChanged) {
		t.Errorf("a changed letter went unnoticed: %v", err)
	}
	// Without letters the digest is what sha256sum prints for the file.
	if sum := sha256.Sum256(data); Digest(data, nil) != hex.EncodeToString(sum[:]) {
		t.Error("digest of a record without letters is not the file's SHA-256")
	}
}

func TestApprovalRoundTrips(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p1.approval.toml")
	in := Inputs{Record: []byte("record bytes"), Key: []byte("key bytes"), Rules: ForSite(site.Policy{Labels: []string{" psy", "R"}, MinAge: 14, AllowDeceased: true})}
	a := &Approval{Approver: `Dr "Quoted" Name`, Role: "GP partner", Date: record.NewDate(2026, 11, 20),
		Named: []string{"Condition/abc"}, Competence: &Competence{AssessedBy: "Dr Y", Date: record.NewDate(2026, 11, 1)},
		AdultConfirmed: true}
	if err := a.Write(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := ReadApproval(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Approver != a.Approver || got.Role != a.Role || got.Date != a.Date || got.SHA256 != Digest(in.Record, nil) ||
		len(got.Named) != 1 || got.Competence == nil || got.Competence.AssessedBy != "Dr Y" || !got.AdultConfirmed {
		t.Errorf("read back %+v", got)
	}
	if got.KeySHA256 != KeyDigest(in.Key) || got.Policy == nil || got.Policy.MinAge != 14 || !got.Policy.AllowDeceased ||
		strings.Join(got.Policy.Labels, ",") != "PSY,R" || len(got.Policy.SensitiveCodes) != len(DefaultRules().SensitiveCodes) {
		t.Errorf("key and policy read back as %q, %+v", got.KeySHA256, got.Policy)
	}
	if err := Check(got, in); err != nil {
		t.Errorf("fresh approval does not match its inputs: %v", err)
	}
}

func TestReadApprovalReportsFieldAndLine(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"bad digest", "approver = \"A\"\nrole = \"B\"\ndate = 2026-11-20\nsha256 = \"abc\"\n", ":4: field \"sha256\""},
		{"unknown key", "approver = \"A\"\nrole = \"B\"\ndate = 2026-11-20\nsha256 = \"" + strings.Repeat("a", 64) + "\"\napprovd = 1\n", ":5: unknown field (did you mean \"approver\"?)"},
		{"missing role", "approver = \"A\"\ndate = 2026-11-20\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", "field \"role\": required field is missing"},
		{"partial date", "approver = \"A\"\nrole = \"B\"\ndate = \"2026-11\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", ":3: field \"date\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.approval.toml")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadApproval(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestMissingApprovalIsNotAnError(t *testing.T) {
	a, err := ReadApproval(filepath.Join(t.TempDir(), "none.approval.toml"))
	if a != nil || err != nil {
		t.Fatalf("got %v, %v; want nil, nil", a, err)
	}
}

func TestForSiteReplacesOnlyWhatTheSiteSets(t *testing.T) {
	def := DefaultRules()
	if got := ForSite(site.Policy{}); len(got.SensitiveCodes) != len(def.SensitiveCodes) || len(got.Labels) != len(def.Labels) || got.MinAge != def.MinAge {
		t.Errorf("an empty [policy] changed the defaults: %+v", got)
	}
	got := ForSite(site.Policy{SensitiveCodes: []string{"1"}, MinAge: 13})
	if len(got.SensitiveCodes) != 1 || got.MinAge != 13 || len(got.Labels) != len(def.Labels) {
		t.Errorf("got %+v", got)
	}
	r := adult()
	r.Patient.Born = record.NewDate(2012, 1, 1) // 14 on the build day
	if d := got.Apply(r, &Approval{}, buildDay); d.Blocked() {
		t.Errorf("min_age 13 still blocks a 14-year-old: %v", d.Blocks)
	}
}

// Advance decisions go through the rules like any entry: a plain DNACPR
// decision goes out, one marked withheld stays in the practice.
func TestApplyTreatsAdvanceDecisionsLikeAnyEntry(t *testing.T) {
	r := adult()
	r.AdvanceDecisions = []record.AdvanceDecision{
		{Kind: record.DecisionDNACPR, Code: snomed("304253006"), Mark: record.Mark{Key: "advance_decisions[0]"}},
		{Kind: record.DecisionADRT, Mark: record.Mark{Key: "advance_decisions[1]", Withheld: true, Reason: "x"}},
	}
	d := DefaultRules().Apply(r, &Approval{}, buildDay)
	if d.Out == nil || len(d.Out.AdvanceDecisions) != 1 || d.Out.AdvanceDecisions[0].Kind != record.DecisionDNACPR {
		t.Fatalf("decisions out: want the DNACPR decision only")
	}
	if d.Withheld[RuleMarkedWithheld] != 1 || len(d.Entries) != 2 || d.Entries[1].Exported {
		t.Errorf("the withheld decision is not accounted as withheld: %+v", d.Entries)
	}
}
