package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// genEntry is one generated entry and what the rules say about it,
// worked out here from the spec, not by the policy package.
type genEntry struct {
	token   string // unique text that appears only in this entry
	toml    string
	allowed bool
}

type genPatient struct {
	id      string
	entries []genEntry
	// approval: "none", "match", "stale"
	approval   string
	named      []string
	competence bool
	blocked    bool // a patient-level rule applies
}

func genRecord(rng *rand.Rand, n int) genPatient {
	p := genPatient{id: fmt.Sprintf("prop-%03d", n)}
	p.approval = []string{"none", "match", "match", "match", "stale"}[rng.IntN(5)]
	born := "1970-05-05"
	under16 := rng.IntN(6) == 0
	if under16 {
		born = "2013-02-02"
		p.competence = rng.IntN(2) == 0
		p.blocked = !p.competence
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[patient]\nname = \"Prop Patient %d\"\nborn = %s\n", n, born)
	// Patient-level codes.
	switch rng.IntN(8) {
	case 0:
		b.WriteString("\n[[findings]]\ncode = \"SNOMED:1364731000000104\"\ntitle = \"Enhanced review indicated\"\ndate = 2025-01-01\n")
		p.blocked = true
	case 1:
		b.WriteString("\n[[findings]]\ncode = \"SNOMED:1364731000000104\"\ntitle = \"Enhanced review indicated\"\ndate = 2025-01-01\n")
		b.WriteString("\n[[findings]]\ncode = \"SNOMED:1364751000000106\"\ntitle = \"Enhanced review not indicated\"\ndate = 2025-06-01\n")
	case 2:
		b.WriteString("\n[[findings]]\ncode = \"SNOMED:1290331000000103\"\ntitle = \"Online access declined\"\ndate = 2025-01-01\n")
		p.blocked = true
	}
	sections := []string{"problems", "medications", "allergies", "procedures"}
	titleKey := map[string]string{"problems": "title", "medications": "name", "allergies": "substance", "procedures": "title"}
	count := map[string]int{}
	for i := 0; i < 3+rng.IntN(8); i++ {
		sec := sections[rng.IntN(len(sections))]
		key := fmt.Sprintf("%s[%d]", sec, count[sec])
		count[sec]++
		tok := fmt.Sprintf("Tok%03dx%02dq", n, i)
		e := genEntry{token: tok, allowed: true}
		var t strings.Builder
		fmt.Fprintf(&t, "\n[[%s]]\n%s = \"Entry %s\"\n", sec, titleKey[sec], tok)
		withheld, third := rng.IntN(8) == 0, rng.IntN(8) == 0
		label := []string{"", "", "", "R", "HIV", "PSY"}[rng.IntN(6)]
		sensitive := sec == "problems" && rng.IntN(6) == 0
		named := rng.IntN(2) == 0
		if withheld {
			t.WriteString("withheld = true\nwithheld_reason = \"harm\"\n")
			e.allowed = false
		}
		if third {
			t.WriteString("third_party = true\n")
			e.allowed = false
		}
		if label != "" {
			fmt.Fprintf(&t, "labels = [%q]\n", label)
			if !named {
				e.allowed = false
			}
		}
		if sensitive {
			t.WriteString("code = \"SNOMED:86406008\"\n")
			if !named {
				e.allowed = false
			}
		}
		if named {
			p.named = append(p.named, key)
		}
		e.toml = t.String()
		b.WriteString(e.toml)
		p.entries = append(p.entries, e)
	}
	p.entries = append(p.entries, genEntry{toml: b.String()}) // last: whole file, no token
	return p
}

// For random records and approvals, every entry in any decrypted bundle is
// approved and not withheld, every allowed entry is there, and a patient
// who is blocked or not (validly) approved has no bundle at all.
func TestOnlyApprovedUnwithheldEntriesEverLeave(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds 90 random practices; make test runs it")
	}
	t.Parallel()
	edu, _ := filepath.Abs(filepath.Join("..", "..", "education"))
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			dir := t.TempDir()
			recs := filepath.Join(dir, "records")
			os.Mkdir(recs, 0o755)
			var pats []genPatient
			for n := 0; n < 30; n++ {
				p := genRecord(rng, n)
				file := p.entries[len(p.entries)-1].toml
				p.entries = p.entries[:len(p.entries)-1]
				path := filepath.Join(recs, p.id+".toml")
				os.WriteFile(path, []byte(file), 0o644)
				if p.approval != "none" {
					a := &policy.Approval{Approver: "Dr Prop", Role: "GP", Date: record.NewDate(2026, 11, 1), Named: p.named}
					if p.competence {
						a.Competence = &policy.Competence{AssessedBy: "Dr Prop", Date: record.NewDate(2026, 10, 1)}
					}
					approved := []byte(file)
					if p.approval == "stale" {
						approved = append(approved, "\n# earlier version\n"...)
					}
					if err := a.Write(policy.ApprovalPath(path), policy.Inputs{Record: approved, Rules: policy.DefaultRules()}); err != nil {
						t.Fatal(err)
					}
				}
				pats = append(pats, p)
			}
			os.WriteFile(filepath.Join(dir, "site.toml"), []byte("records = \"records\"\neducation = "+quoteTOML(edu)+
				"\n\n[practice]\nname = \"Prop Practice\"\naddress = \"1 Test Street\"\nphone = \"01632 960000\"\nods_code = \"Y99999\"\n"), 0o644)
			cfg, err := site.Load(filepath.Join(dir, "site.toml"))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), cfg, Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			master, _ := cardkey.LoadMaster(cfg.MasterFile())
			built := 0
			for i, p := range pats {
				got := rep.Patients[i]
				if got.ID != p.id {
					t.Fatalf("report order: %s != %s", got.ID, p.id)
				}
				bundleDir := cfg.BundleDir(cardkey.BundleID(master, p.id))
				shouldBuild := p.approval == "match" && !p.blocked
				if !shouldBuild {
					if got.Status == Built {
						t.Errorf("%s (approval %s, blocked %v) was built", p.id, p.approval, p.blocked)
					}
					if _, err := os.Stat(bundleDir); err == nil {
						t.Errorf("%s has a bundle folder but must have none", p.id)
					}
					continue
				}
				if got.Status != Built {
					t.Errorf("%s: status %s (%s %v), want built", p.id, got.Status, got.Reason, got.Err)
					continue
				}
				built++
				files := openBundle(t, cfg, p.id, filepath.Join(bundleDir, "record.pgp"))
				var all strings.Builder
				for _, f := range files {
					all.Write(f.Data)
				}
				for _, e := range p.entries {
					if present := strings.Contains(all.String(), e.token); present != e.allowed {
						t.Errorf("%s: entry %s present=%v, allowed=%v", p.id, e.token, present, e.allowed)
					}
				}
			}
			if built == 0 {
				t.Error("no patient built: the property was not exercised")
			}
		})
	}
}
