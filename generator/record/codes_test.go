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
