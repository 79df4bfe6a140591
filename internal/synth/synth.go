// Package synth writes synthetic practices for benchmarks and property
// tests: records in Satchel's TOML format with plausible problems,
// medicines and results, approved, with NHS numbers from the 999 test range.
// Everything it writes is invented from a seeded random source.
package synth

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
)

// Options shape a synthetic practice.
type Options struct {
	Patients  int
	Seed      uint64
	Education string // folder of education pages to use; the site points at it
}

var (
	given   = []string{"Alex", "Bea", "Cal", "Dee", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jude", "Kit", "Lena", "Milo", "Nia", "Otis", "Pia", "Quin", "Rue", "Sol", "Tam"}
	family  = []string{"Ashdown", "Brackley", "Corran", "Dunmore", "Elsworth", "Fenwick", "Garside", "Hollins", "Iveson", "Jarrow", "Kettering", "Lumley", "Morland", "Netherby", "Orton", "Pellow"}
	problem = []struct{ code, title string }{
		{"SNOMED:38341003", "Hypertension"}, {"SNOMED:44054006", "Type 2 diabetes mellitus"},
		{"SNOMED:195967001", "Asthma"}, {"SNOMED:49436004", "Atrial fibrillation"},
		{"SNOMED:5370000", "Atrial flutter"}, {"SNOMED:9631008", "Ankylosing spondylitis"},
		{"SNOMED:13645005", "Chronic obstructive pulmonary disease"}, {"SNOMED:35489007", "Depressive disorder"},
		{"SNOMED:396275006", "Osteoarthritis"}, {"SNOMED:40930008", "Hypothyroidism"},
	}
	medicine = []struct{ name, dose string }{
		{"Amlodipine 5mg tablets", "One tablet once a day"}, {"Metformin 500mg tablets", "One tablet twice a day with food"},
		{"Salbutamol 100micrograms/dose inhaler", "Two puffs when needed"}, {"Apixaban 5mg tablets", "One tablet twice a day"},
		{"Bisoprolol 2.5mg tablets", "One tablet once a day"}, {"Levothyroxine 100microgram tablets", "One tablet each morning"},
		{"Atorvastatin 20mg tablets", "One tablet at night"}, {"Ramipril 5mg capsules", "One capsule once a day"},
	}
	result = []struct {
		code, title, unit string
		low, high, mean   float64
	}{
		{"LOINC:8480-6", "Systolic blood pressure", "mmHg", 90, 140, 138},
		{"LOINC:8462-4", "Diastolic blood pressure", "mmHg", 60, 90, 86},
		{"LOINC:4548-4", "HbA1c", "mmol/mol", 20, 42, 48},
		{"LOINC:33914-3", "eGFR", "mL/min/1.73m2", 60, 120, 78},
		{"LOINC:2093-3", "Total cholesterol", "mmol/L", 0, 5, 5.2},
	}
)

// Write writes site.toml, records/ and their approvals into dir.
func Write(dir string, opt Options) error {
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5a7c4e1))
	recs := filepath.Join(dir, "records")
	if err := os.MkdirAll(recs, 0o755); err != nil {
		return err
	}
	edu := opt.Education
	if edu == "" {
		edu = filepath.Join(dir, "education")
		if err := os.MkdirAll(edu, 0o755); err != nil {
			return err
		}
	}
	site := fmt.Sprintf("records = \"records\"\neducation = %q\n\n[practice]\nname = \"Synthetic Practice\"\naddress = \"1 Nowhere Lane, Testham\"\nphone = \"01632 960999\"\nods_code = \"Y99998\"\n", edu)
	if err := os.WriteFile(filepath.Join(dir, "site.toml"), []byte(site), 0o644); err != nil {
		return err
	}
	for i := 0; i < opt.Patients; i++ {
		id := fmt.Sprintf("syn-%05d", i)
		data := []byte(Record(rng, i))
		path := filepath.Join(recs, id+".toml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		a := &policy.Approval{Approver: "Dr Synthetic", Role: "GP partner", Date: record.NewDate(2026, 11, 1)}
		if err := a.Write(policy.ApprovalPath(path), policy.Inputs{Record: data, Rules: policy.DefaultRules()}); err != nil {
			return err
		}
	}
	return nil
}

// Record returns one synthetic record in Satchel's TOML format.
func Record(rng *rand.Rand, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[patient]\nname = \"%s %s\"\nborn = %04d-%02d-%02d\nnhs_number = %q\nsex = %q\n",
		given[rng.IntN(len(given))], family[rng.IntN(len(family))],
		1930+rng.IntN(75), 1+rng.IntN(12), 1+rng.IntN(28), NHSNumber(i), []string{"female", "male"}[rng.IntN(2)])
	for _, k := range rng.Perm(len(problem))[:1+rng.IntN(4)] {
		p := problem[k]
		fmt.Fprintf(&b, "\n[[problems]]\ncode = %q\ntitle = %q\nonset = %04d-%02d-01\nstatus = \"active\"\n", p.code, p.title, 2000+rng.IntN(26), 1+rng.IntN(12))
	}
	for _, k := range rng.Perm(len(medicine))[:1+rng.IntN(5)] {
		m := medicine[k]
		fmt.Fprintf(&b, "\n[[medications]]\nname = %q\ndose = %q\nstart = %04d-%02d-01\nstatus = \"current\"\nkind = \"repeat\"\n", m.name, m.dose, 2015+rng.IntN(11), 1+rng.IntN(12))
	}
	if rng.IntN(3) == 0 {
		b.WriteString("\n[[allergies]]\nsubstance = \"Penicillin\"\nreaction = \"Rash\"\nseverity = \"moderate\"\n")
	}
	b.WriteString("\n[[immunisations]]\nvaccine = \"Influenza vaccine\"\ndate = 2025-10-14\n")
	for _, r := range result {
		for j := 0; j < 1+rng.IntN(6); j++ {
			v := r.mean * (0.85 + 0.3*rng.Float64())
			fmt.Fprintf(&b, "\n[[results]]\ncode = %q\ntitle = %q\nvalue = %.1f\nunit = %q\nlow = %.1f\nhigh = %.1f\ndate = 2026-%02d-%02d\n", r.code, r.title, v, r.unit, r.low, r.high, 1+j, 1+rng.IntN(28))
		}
	}
	return b.String()
}

// NHSNumber returns the i-th valid NHS number of the 999 test range: nine
// digits then a modulus-11 check digit (numbers whose check would be 10 are
// skipped, as the NHS does).
func NHSNumber(i int) string {
	for n := i; ; n++ {
		digits := fmt.Sprintf("999%06d", n%1000000)
		sum := 0
		for k, c := range digits {
			sum += int(c-'0') * (10 - k)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check == 10 {
			continue
		}
		s := digits + fmt.Sprint(check)
		return s[:3] + " " + s[3:6] + " " + s[6:]
	}
}
