package record

import "strings"

// System is a code system, such as SNOMED CT or ICD-10. Readers store the
// canonical form ParseSystem returns: one of the constants below for a
// system Satchel knows, whichever way the export spelt it, or the export's
// own text for any other. Comparing codes, withholding them, matching
// education pages and writing FHIR all go through this one type, so no
// spelling of a system can slip past one of them.
type System string

// The code systems Satchel knows by name. A System holding anything else is
// a system Satchel does not know, kept as the export wrote it.
const (
	SNOMED System = "SNOMED" // SNOMED CT
	ICD10  System = "ICD10"  // ICD-10, including national editions such as ICD-10-UK
	LOINC  System = "LOINC"  // LOINC
	DMD    System = "DMD"    // the NHS Dictionary of Medicines and Devices (dm+d)
	Read2  System = "READ2"  // Read codes version 2
	CTV3   System = "CTV3"   // Clinical Terms Version 3 (Read codes version 3)
)

// FHIR system URIs of the known systems, as Satchel writes them.
const (
	uriSNOMED = "http://snomed.info/sct"
	uriICD10  = "http://hl7.org/fhir/sid/icd-10"
	uriLOINC  = "http://loinc.org"
	uriDMD    = "https://dmd.nhs.uk"
	uriRead2  = "http://read.info/readv2"
	uriCTV3   = "http://read.info/ctv3"
)

// ParseSystem returns the canonical System for s, the way a record, an
// education page, site.toml or a FHIR export spells a code system. Case,
// surrounding space, an http or https scheme and a trailing slash do not
// matter, nor do spaces, hyphens and underscores inside a short name:
// "SNOMED", "SCT", "snomed-ct", "SNOMED CT", "https://snomed.info/sct/" and
// "urn:oid:2.16.840.1.113883.6.96" are all SNOMED. A system it does not
// know is returned as given, less surrounding space, so nothing is lost.
func ParseSystem(s string) System {
	// Canonical values are what readers store: decide them at once.
	switch sys := System(s); sys {
	case SNOMED, ICD10, LOINC, DMD, Read2, CTV3:
		return sys
	}
	t := strings.TrimSpace(s)
	k := strings.ToLower(t)
	if strings.Contains(k, ":") {
		if sys, ok := uriSystem(k); ok {
			return sys
		}
		return System(t)
	}
	if sys, ok := shortSystem(k); ok {
		return sys
	}
	return System(t)
}

// uriSystem maps a lower-case URL or URN to a known system.
func uriSystem(k string) (System, bool) {
	switch k {
	case "urn:oid:2.16.840.1.113883.6.96":
		return SNOMED, true
	case "urn:oid:2.16.840.1.113883.6.3":
		return ICD10, true
	case "urn:oid:2.16.840.1.113883.6.1":
		return LOINC, true
	}
	rest, ok := strings.CutPrefix(k, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(k, "http://"); !ok {
			return "", false
		}
	}
	rest = strings.TrimRight(rest, "/")
	switch rest {
	case "snomed.info/sct":
		return SNOMED, true
	case "loinc.org":
		return LOINC, true
	case "dmd.nhs.uk", "fhir.nhs.uk/id/dmd", "fhir.nhs.uk/id/dmd-code":
		return DMD, true
	case "read.info/readv2":
		return Read2, true
	case "read.info/ctv3":
		return CTV3, true
	}
	// ICD-10 and its national editions (icd-10-uk, icd-10-cm...), which
	// share its codes at the level Satchel matches on.
	if ed, ok := strings.CutPrefix(rest, "hl7.org/fhir/sid/icd-10"); ok && (ed == "" || isEdition(ed)) {
		return ICD10, true
	}
	return "", false
}

// isEdition reports whether s is a national edition's suffix, such as "-uk".
func isEdition(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	for _, r := range s[1:] {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// shortSystem maps a lower-case short name to a known system.
func shortSystem(k string) (System, bool) {
	k = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '_', '+':
			return -1
		}
		return r
	}, k)
	switch k {
	case "snomed", "sct", "snomedct":
		return SNOMED, true
	case "icd10", "icd10uk":
		return ICD10, true
	case "loinc":
		return LOINC, true
	case "dmd":
		return DMD, true
	case "read", "read2", "readv2":
		return Read2, true
	case "ctv3", "read3", "readv3":
		return CTV3, true
	}
	return "", false
}

// Known reports whether s is one of the systems Satchel knows by name, in
// any spelling.
func (s System) Known() bool {
	switch ParseSystem(string(s)) {
	case SNOMED, ICD10, LOINC, DMD, Read2, CTV3:
		return true
	}
	return false
}

// IsSNOMED reports whether codes of s are SNOMED CT identifiers: SNOMED
// CT's own, or dm+d's, whose concepts are SNOMED CT concepts of the UK drug
// extension. A rule that names SNOMED CT codes must match both.
func (s System) IsSNOMED() bool {
	switch ParseSystem(string(s)) {
	case SNOMED, DMD:
		return true
	}
	return false
}

// URI returns the FHIR system URI of s: the standard one for a known
// system, s itself for an unknown system that is already a URI (an http
// address or a URN), or "" for an unknown short name, which would mean
// nothing to a receiver.
func (s System) URI() string {
	switch c := ParseSystem(string(s)); c {
	case SNOMED:
		return uriSNOMED
	case ICD10:
		return uriICD10
	case LOINC:
		return uriLOINC
	case DMD:
		return uriDMD
	case Read2:
		return uriRead2
	case CTV3:
		return uriCTV3
	default:
		if strings.ContainsAny(string(c), ":/") {
			return string(c)
		}
		return ""
	}
}

// Name returns the short name people know s by, for display: "SNOMED CT",
// "ICD-10", "LOINC", "dm+d", "Read v2", "CTV3", or an unknown system as
// given.
func (s System) Name() string {
	switch c := ParseSystem(string(s)); c {
	case SNOMED:
		return "SNOMED CT"
	case ICD10:
		return "ICD-10"
	case LOINC:
		return "LOINC"
	case DMD:
		return "dm+d"
	case Read2:
		return "Read v2"
	case CTV3:
		return "CTV3"
	default:
		return string(c)
	}
}

// Key returns c in the form codes are compared in, "SYSTEM|VALUE": the
// canonical system (an unknown one in upper case) and the value without
// surrounding space. ICD-10 values also lose their dot and the UK's "X"
// filler, so "I10", "I10X" and "I10.X" meet, as do "I48.9" and "I489". Two
// codes are the same concept in the same system when their keys are equal.
func (c Code) Key() string {
	sys := ParseSystem(string(c.System))
	val := strings.TrimSpace(c.Value)
	switch {
	case sys == ICD10:
		val = strings.ToUpper(strings.ReplaceAll(val, ".", ""))
		if len(val) == 4 && val[3] == 'X' {
			val = val[:3]
		}
	case !sys.Known():
		sys = System(strings.ToUpper(string(sys)))
	}
	return string(sys) + "|" + val
}

// Same reports whether c and o are the same concept in the same system,
// whichever way their systems are spelt; see Key.
func (c Code) Same(o Code) bool { return c.Key() == o.Key() }

// decisionCodes are the codes that say an entry is an advance decision.
var decisionCodes = map[Code]string{
	{System: SNOMED, Value: "304253006"}:       DecisionDNACPR,     // Not for resuscitation
	{System: SNOMED, Value: "450476008"}:       DecisionDNACPR,     // Not for attempted cardiopulmonary resuscitation
	{System: SNOMED, Value: "816301000000100"}: DecisionADRT,       // Has advance decision to refuse treatment (Mental Capacity Act 2005)
	{System: SNOMED, Value: "425392003"}:       DecisionDirective,  // Active advance directive
	{System: LOINC, Value: "75320-2"}:          DecisionDirective,  // Advance directive
	{System: LOINC, Value: "75781-5"}:          DecisionEscalation, // Physician orders for life-sustaining treatment (POLST)
}

// decisionWords are phrases that name an advance decision, for entries
// whose code Satchel does not know; checked in order, lower case.
var decisionWords = []struct{ words, kind string }{
	{"dnacpr", DecisionDNACPR},
	{"dnar", DecisionDNACPR},
	{"not for resuscitation", DecisionDNACPR},
	{"not for attempted cardiopulmonary resuscitation", DecisionDNACPR},
	{"not for attempted cpr", DecisionDNACPR},
	{"do not attempt cardiopulmonary resuscitation", DecisionDNACPR},
	{"do not attempt cpr", DecisionDNACPR},
	{"do not resuscitate", DecisionDNACPR},
	{"advance decision to refuse", DecisionADRT},
	{"treatment escalation", DecisionEscalation},
	{"recommended summary plan for emergency care", DecisionEscalation},
	{"advance directive", DecisionDirective},
	{"living will", DecisionDirective},
}

// DecisionKind says whether an entry with these codes and words is an
// advance decision, and of which kind (one of the Decision constants), or
// "" if it is not one.
func DecisionKind(codes []Code, words string) string {
	for _, c := range codes {
		if k := decisionCodes[Code{System: c.System, Value: c.Value}]; k != "" {
			return k
		}
	}
	w := strings.ToLower(words)
	for _, d := range decisionWords {
		if strings.Contains(w, d.words) {
			return d.kind
		}
	}
	return ""
}
