package record

import "testing"

func TestParseSystemGivesEverySpellingOneName(t *testing.T) {
	tests := []struct {
		in   string
		want System
	}{
		{"SNOMED", SNOMED}, {"SCT", SNOMED}, {"SNOMEDCT", SNOMED}, {"SNOMED-CT", SNOMED},
		{"SNOMED CT", SNOMED}, {"snomed", SNOMED}, {" Snomed ct ", SNOMED}, {"snomed_ct", SNOMED},
		{"http://snomed.info/sct", SNOMED}, {"https://snomed.info/sct", SNOMED},
		{"https://snomed.info/sct/", SNOMED}, {"HTTP://SNOMED.INFO/SCT", SNOMED},
		{"urn:oid:2.16.840.1.113883.6.96", SNOMED},

		{"ICD10", ICD10}, {"ICD-10", ICD10}, {"icd10", ICD10},
		{"http://hl7.org/fhir/sid/icd-10", ICD10}, {"http://hl7.org/fhir/sid/icd-10-uk", ICD10},
		{"https://hl7.org/fhir/sid/icd-10/", ICD10}, {"http://hl7.org/fhir/sid/icd-10-cm", ICD10},

		{"LOINC", LOINC}, {"http://loinc.org", LOINC}, {"https://loinc.org/", LOINC},

		{"DMD", DMD}, {"DM+D", DMD}, {"dm+d", DMD}, {"https://dmd.nhs.uk", DMD}, {"http://dmd.nhs.uk", DMD},
		{"https://fhir.nhs.uk/Id/dmd", DMD}, {"https://fhir.nhs.uk/Id/dmd-code", DMD},

		{"READ", Read2}, {"READ2", Read2}, {"READV2", Read2}, {"http://read.info/readv2", Read2},
		{"CTV3", CTV3}, {"READ3", CTV3}, {"http://read.info/ctv3", CTV3},

		// Unknown systems stay as written, less surrounding space.
		{" EMIS ", "EMIS"},
		{"urn:oid:1.2.826.0.1285.0.1.10", "urn:oid:1.2.826.0.1285.0.1.10"},
		{"https://example.org/Codes", "https://example.org/Codes"},
		{"http://hl7.org/fhir/sid/icd-10-2019", "http://hl7.org/fhir/sid/icd-10-2019"},
		{"https://snomed.info/sct/900000000000207008", "https://snomed.info/sct/900000000000207008"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ParseSystem(tt.in); got != tt.want {
			t.Errorf("ParseSystem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSystemURINameAndIsSNOMED(t *testing.T) {
	tests := []struct {
		sys    System
		uri    string
		name   string
		snomed bool
		known  bool
	}{
		{SNOMED, "http://snomed.info/sct", "SNOMED CT", true, true},
		{"SNOMED CT", "http://snomed.info/sct", "SNOMED CT", true, true}, // not canonical: still understood
		{ICD10, "http://hl7.org/fhir/sid/icd-10", "ICD-10", false, true},
		{LOINC, "http://loinc.org", "LOINC", false, true},
		{DMD, "https://dmd.nhs.uk", "dm+d", true, true},
		{Read2, "http://read.info/readv2", "Read v2", false, true},
		{CTV3, "http://read.info/ctv3", "CTV3", false, true},
		{"EMIS", "", "EMIS", false, false},
		{"urn:oid:1.2.3", "urn:oid:1.2.3", "urn:oid:1.2.3", false, false},
		{"https://example.org/codes", "https://example.org/codes", "https://example.org/codes", false, false},
	}
	for _, tt := range tests {
		if got := tt.sys.URI(); got != tt.uri {
			t.Errorf("%q.URI() = %q, want %q", tt.sys, got, tt.uri)
		}
		if got := tt.sys.Name(); got != tt.name {
			t.Errorf("%q.Name() = %q, want %q", tt.sys, got, tt.name)
		}
		if got := tt.sys.IsSNOMED(); got != tt.snomed {
			t.Errorf("%q.IsSNOMED() = %v, want %v", tt.sys, got, tt.snomed)
		}
		if got := tt.sys.Known(); got != tt.known {
			t.Errorf("%q.Known() = %v, want %v", tt.sys, got, tt.known)
		}
	}
}

func TestCodeKeyComparesCodesAsTheSameConcept(t *testing.T) {
	same := [][2]Code{
		{{System: SNOMED, Value: "38341003"}, {System: "https://snomed.info/sct/", Value: " 38341003 "}},
		{{System: ICD10, Value: "I10"}, {System: "ICD-10", Value: "I10X"}},
		{{System: ICD10, Value: "I48.9"}, {System: "http://hl7.org/fhir/sid/icd-10-uk", Value: "i489"}},
		{{System: "emis", Value: "ABC1"}, {System: "EMIS", Value: "ABC1"}},
	}
	for _, p := range same {
		if !p[0].Same(p[1]) {
			t.Errorf("%v and %v are not the same (keys %q, %q)", p[0], p[1], p[0].Key(), p[1].Key())
		}
	}
	differ := [][2]Code{
		{{System: SNOMED, Value: "38341003"}, {System: ICD10, Value: "38341003"}},
		{{System: SNOMED, Value: "38341003"}, {System: DMD, Value: "38341003"}},
		{{System: Read2, Value: "G20.."}, {System: Read2, Value: "g20.."}}, // Read codes are case-sensitive
		{{System: LOINC, Value: "8480-6"}, {System: LOINC, Value: "8462-4"}},
	}
	for _, p := range differ {
		if p[0].Same(p[1]) {
			t.Errorf("%v and %v are the same", p[0], p[1])
		}
	}
}

func TestUnmarshalTextMakesTheSystemCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SNOMED:38341003", "SNOMED:38341003"},
		{"SNOMED CT:38341003", "SNOMED:38341003"},
		{"sct:38341003", "SNOMED:38341003"},
		{"http://snomed.info/sct:38341003", "SNOMED:38341003"},
		{"https://snomed.info/sct/:38341003", "SNOMED:38341003"},
		{"icd-10:I10", "ICD10:I10"},
		{"http://loinc.org:8480-6", "LOINC:8480-6"},
		{"DM+D:39720311000001101", "DMD:39720311000001101"},
		{"urn:oid:1.2.3:X1", "urn:oid:1.2.3:X1"},
		{"emis:X1", "emis:X1"},
	}
	for _, tt := range tests {
		var c Code
		if err := c.UnmarshalText([]byte(tt.in)); err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if c.String() != tt.want {
			t.Errorf("%q read as %q, want %q", tt.in, c, tt.want)
		}
	}
	for _, bad := range []string{"38341003", "SNOMED:", ":38341003", "SNOMED:383 41003", " :1"} {
		var c Code
		if err := c.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q read as %q, want an error", bad, c)
		}
	}
}
