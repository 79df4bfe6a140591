package record_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/ips"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/generator/risk"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/synth"
)

// The values the spelling table codes its entries with: a default
// sensitive SNOMED CT code (HIV infection) for the problem, and a medicine
// the practice lists as high-risk by its SNOMED CT code.
const (
	sensitiveValue = "86406008"
	medicineValue  = "39720311000001101"
	problemTitle   = "Coded problem"
	medicineName   = "Trial medicine 5mg tablets" // no high-risk name in it
)

// spelling is one way a record may write a code system, and what every
// package that looks at codes must make of it.
type spelling struct {
	system string // as the record writes it
	fhir   bool   // written in a FHIR R4 export rather than Satchel TOML
	// What must follow: the problem withheld by the default rules, the
	// education page matched (by slug, "" for none), the medicine flagged
	// high-risk, and the FHIR system URI the IPS writer gives the problem
	// ("" for no coding).
	withheld bool
	page     string
	highRisk bool
	uri      string
}

// Every spelling of every code system, through every package that looks at
// codes: policy (withholding), content (education pages), risk (high-risk
// medicines) and ips (the FHIR written into the bundle). A package that
// compares systems its own way fails here on the spellings it misses.
func TestEverySpellingOfASystemMeansTheSameEverywhere(t *testing.T) {
	const (
		sct   = "http://snomed.info/sct"
		icd   = "http://hl7.org/fhir/sid/icd-10"
		loinc = "http://loinc.org"
		dmd   = "https://dmd.nhs.uk"
		read2 = "http://read.info/readv2"
		ctv3  = "http://read.info/ctv3"
	)
	snomed := func(s string, fhir bool) spelling {
		return spelling{system: s, fhir: fhir, withheld: true, page: "snomed", highRisk: true, uri: sct}
	}
	// dm+d identifiers are SNOMED CT identifiers: a rule naming a SNOMED CT
	// code holds for them too.
	dmdRow := func(s string, fhir bool) spelling {
		return spelling{system: s, fhir: fhir, withheld: true, page: "dmd", highRisk: true, uri: dmd}
	}
	other := func(s string, fhir bool, page, uri string) spelling {
		return spelling{system: s, fhir: fhir, page: page, uri: uri}
	}
	rows := []spelling{
		snomed("SNOMED", false),
		snomed("SCT", false),
		snomed("SNOMEDCT", false),
		snomed("SNOMED-CT", false),
		snomed("SNOMED CT", false),
		snomed("snomed", false),
		snomed("Snomed-Ct", false),
		snomed("  SNOMED CT  ", false),
		snomed("http://snomed.info/sct", false),
		snomed("https://snomed.info/sct", false),
		snomed("https://snomed.info/sct/", false),
		snomed("HTTP://SNOMED.INFO/SCT", false),
		snomed("urn:oid:2.16.840.1.113883.6.96", false),
		snomed("http://snomed.info/sct", true),
		snomed("https://snomed.info/sct", true),
		snomed("http://snomed.info/sct/", true),
		snomed("urn:oid:2.16.840.1.113883.6.96", true),

		other("ICD10", false, "icd10", icd),
		other("ICD-10", false, "icd10", icd),
		other("icd-10", false, "icd10", icd),
		other("http://hl7.org/fhir/sid/icd-10", false, "icd10", icd),
		other("http://hl7.org/fhir/sid/icd-10-uk", false, "icd10", icd),
		other("https://hl7.org/fhir/sid/icd-10-uk/", false, "icd10", icd),
		other("http://hl7.org/fhir/sid/icd-10", true, "icd10", icd),
		other("https://hl7.org/fhir/sid/icd-10-uk", true, "icd10", icd),

		other("LOINC", false, "loinc", loinc),
		other("loinc", false, "loinc", loinc),
		other("http://loinc.org", false, "loinc", loinc),
		other("https://loinc.org/", false, "loinc", loinc),
		other("http://loinc.org", true, "loinc", loinc),
		other("https://loinc.org", true, "loinc", loinc),

		dmdRow("DMD", false),
		dmdRow("DM+D", false),
		dmdRow("dm+d", false),
		dmdRow("https://dmd.nhs.uk", false),
		dmdRow("http://dmd.nhs.uk", false),
		dmdRow("https://fhir.nhs.uk/Id/dmd", false),
		dmdRow("https://fhir.nhs.uk/Id/dmd-code", false),
		dmdRow("https://dmd.nhs.uk", true),
		dmdRow("http://dmd.nhs.uk", true),
		dmdRow("https://fhir.nhs.uk/Id/dmd-code", true),

		other("READ", false, "read2", read2),
		other("READ2", false, "read2", read2),
		other("ReadV2", false, "read2", read2),
		other("http://read.info/readv2", false, "read2", read2),
		other("CTV3", false, "ctv3", ctv3),
		other("READ3", false, "ctv3", ctv3),
		other("http://read.info/ctv3", false, "ctv3", ctv3),
		// The FHIR reader keeps every coding it reads (issue 10: record.json
		// keeps them), the other systems beside the preferred code.
		other("http://read.info/ctv3", true, "ctv3", ctv3),

		// Unknown systems are kept as written: a URI goes out as it is, a
		// local short name FHIR has no URI for does not.
		other("EMIS", false, "", ""),
		other("urn:oid:1.2.826.0.1285.0.1.10", false, "", "urn:oid:1.2.826.0.1285.0.1.10"),
		other("https://example.org/local-codes", false, "", "https://example.org/local-codes"),
	}

	// One education page per known system, each coded with the same value
	// in Satchel's short spelling.
	pages := map[string]string{"snomed": "SNOMED", "icd10": "ICD10", "loinc": "LOINC", "dmd": "DMD", "read2": "READ2", "ctv3": "CTV3"}
	dir := t.TempDir()
	for slug, sys := range pages {
		writePage(t, dir, slug, sys+":"+sensitiveValue)
	}
	lib, err := content.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	base, err := risk.Default()
	if err != nil {
		t.Fatal(err)
	}
	// The practice lists the medicine by its SNOMED CT code.
	highRisk, err := base.With([]risk.Medicine{{Code: "SNOMED:" + medicineValue, Group: "anticoagulant"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

	for i, row := range rows {
		// A spelling reaches the packages through a reader, or in a Code
		// that other code made without one: they must make the same of
		// both.
		forms := []string{"toml", "direct"}
		if row.fhir {
			forms = []string{"fhir"}
		}
		for _, form := range forms {
			t.Run(fmt.Sprintf("%s/%q", form, row.system), func(t *testing.T) {
				rec := spelt(t, i, row, form)
				if len(rec.Problems) != 1 || len(rec.Medications) != 1 {
					t.Fatalf("read %d problems and %d medications, want 1 and 1", len(rec.Problems), len(rec.Medications))
				}

				// policy: the default rules withhold the sensitive code.
				d := policy.DefaultRules().Apply(rec, nil, now)
				withheld := false
				for _, e := range d.Entries {
					if e.Label == "problem: "+problemTitle {
						withheld = !e.Exported && e.Rule == policy.RuleSensitiveCode
					}
				}
				if withheld != row.withheld {
					t.Errorf("policy: problem withheld = %v, want %v", withheld, row.withheld)
				}

				// content: the page coded in the short spelling matches.
				var got []string
				for _, p := range lib.Match(rec.Problems[0].Codes()) {
					got = append(got, p.Slug)
				}
				if strings.Join(got, ",") != row.page {
					t.Errorf("content: pages %q, want %q", got, row.page)
				}
				// ...and a page written in this spelling matches a record
				// in the short one.
				if row.page != "" && form == "toml" {
					pdir := t.TempDir()
					writePage(t, pdir, "spelt", row.system+":"+sensitiveValue)
					plib, err := content.Load(pdir, nil)
					if err != nil {
						t.Fatal(err)
					}
					short := record.Code{System: record.System(pages[row.page]), Value: sensitiveValue}
					if m := plib.Match([]record.Code{short}); len(m) != 1 {
						t.Errorf("content: a page coded in this spelling does not match %s", short)
					}
				}

				// risk: the medicine listed by its SNOMED CT code is flagged.
				m := rec.Medications[0]
				if flagged := len(highRisk.Match(m.Name, m.Code)) > 0; flagged != row.highRisk {
					t.Errorf("risk: flagged = %v, want %v", flagged, row.highRisk)
				}
				// ...and so is a medicine listed in this spelling, coded
				// short.
				if row.highRisk && form == "toml" {
					l, err := base.With([]risk.Medicine{{Code: row.system + ":" + medicineValue, Group: "anticoagulant"}})
					if err != nil {
						t.Fatal(err)
					}
					if len(l.Match(medicineName, record.Code{System: record.SNOMED, Value: medicineValue})) == 0 {
						t.Errorf("risk: a medicine listed in this spelling is not flagged")
					}
				}

				// ips: the problem's coding carries the system's FHIR URI.
				if uri := conditionSystem(t, rec); uri != row.uri {
					t.Errorf("ips: Condition coding system %q, want %q", uri, row.uri)
				}
			})
		}
	}
}

// spelt returns the record of the i-th row: a patient with one problem
// coded sensitiveValue and one medicine coded medicineValue, both in the
// row's spelling of their system.
func spelt(t *testing.T, i int, row spelling, form string) *record.Record {
	t.Helper()
	nhs := synth.NHSNumber(4200 + i)
	switch form {
	case "direct":
		// As a Go caller might make it: the system exactly as spelt.
		sys := record.System(row.system)
		return &record.Record{
			Patient:     record.Patient{Name: "Spelling Test", Born: record.NewDate(1970, time.January, 1), NHSNumber: nhs},
			Problems:    []record.Problem{{Mark: record.Mark{Key: "problems[0]"}, Code: record.Code{System: sys, Value: sensitiveValue}, Title: problemTitle, Status: "active"}},
			Medications: []record.Medication{{Mark: record.Mark{Key: "medications[0]"}, Code: record.Code{System: sys, Value: medicineValue}, Name: medicineName, Status: "current"}},
		}
	case "toml":
		src := fmt.Sprintf(`[patient]
name = "Spelling Test %d"
born = 1970-01-01
nhs_number = %q

[[problems]]
code = %q
title = %q

[[medications]]
code = %q
name = %q
`, i, nhs, row.system+":"+sensitiveValue, problemTitle, row.system+":"+medicineValue, medicineName)
		r, err := record.DecodeTOML(filepath.Join(t.TempDir(), "spelling.toml"), []byte(src))
		if err != nil {
			t.Fatalf("the TOML record does not read: %v", err)
		}
		return r
	}
	// A FHIR R4 export.
	coding := func(value, display string) string {
		b, _ := json.Marshal(map[string]string{"system": row.system, "code": value, "display": display})
		return string(b)
	}
	src := `{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + strings.ReplaceAll(nhs, " ", "") + `"}],
 "name":[{"text":"Spelling Test"}],"birthDate":"1970-01-01"}},
{"resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:p1"},
 "code":{"coding":[` + coding(sensitiveValue, problemTitle) + `],"text":"` + problemTitle + `"}}},
{"resource":{"resourceType":"MedicationStatement","status":"active","subject":{"reference":"urn:uuid:p1"},
 "medicationCodeableConcept":{"coding":[` + coding(medicineValue, medicineName) + `],"text":"` + medicineName + `"}}}
]}`
	r, err := fhir.Read("spelling.json", []byte(src))
	if err != nil {
		t.Fatalf("the FHIR record does not read: %v", err)
	}
	return r
}

// conditionSystem writes rec as an IPS document and returns the system of
// the problem's first coding, or "" when it has none.
func conditionSystem(t *testing.T, rec *record.Record) string {
	t.Helper()
	out, err := ips.Document(rec, ips.Meta{
		Practice: site.Practice{Name: "Spelling Test Surgery"},
		Exported: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		BundleID: "SPELLING-TEST",
	})
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				Code         struct {
					Coding []struct {
						System string `json:"system"`
					} `json:"coding"`
					Text string `json:"text"`
				} `json:"code"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	for _, e := range b.Entry {
		if r := e.Resource; r.ResourceType == "Condition" && r.Code.Text == problemTitle {
			if len(r.Code.Coding) == 0 {
				return ""
			}
			return r.Code.Coding[0].System
		}
	}
	t.Fatal("ips: no Condition for the problem")
	return ""
}

// writePage writes an education page slug.md coded code into dir.
func writePage(t *testing.T, dir, slug, code string) {
	t.Helper()
	page := fmt.Sprintf("+++\ntitle = %q\ncodes = [%q]\n+++\nAbout it.\n", slug, code)
	if err := os.WriteFile(filepath.Join(dir, slug+".md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
}
