package ips

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
)

// Code systems and the HL7 terminology Satchel writes. The URIs of the
// systems a record's codes are in come from record.System.URI.
const (
	systemLOINC = "http://loinc.org"

	systemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"
	systemODS       = "https://fhir.nhs.uk/Id/ods-organization-code"

	systemConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	systemConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category"
	systemAllergyClinical   = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	systemObsCategory       = "http://terminology.hl7.org/CodeSystem/observation-category"
	systemInterpretation    = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	systemDataAbsent        = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
	systemRangeMeaning      = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
	systemListEmpty         = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
	systemCourseOfTherapy   = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
	systemNullFlavor        = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
)

// codings returns the FHIR codings of an entry: its primary code, then the
// other codings of the same concept, without repeats.
func codings(primary record.Code, also []record.Code) []coding {
	var out []coding
	add := func(c record.Code) {
		if c.IsZero() {
			return
		}
		// A short name FHIR has no URI for would mean nothing to a
		// receiver; the entry's words still carry its meaning.
		sys := c.System.URI()
		if sys == "" {
			return
		}
		v := strings.TrimSpace(c.Value)
		for _, o := range out {
			if o.System == sys && o.Code == v {
				return
			}
		}
		out = append(out, coding{System: sys, Code: v, Display: clean(c.Display)})
	}
	add(primary)
	for _, c := range also {
		add(c)
	}
	return out
}

// codeable returns the concept for an entry: its codings and, as text, the
// words the clinician saw.
func codeable(primary record.Code, also []record.Code, text string) concept {
	return concept{Coding: codings(primary, also), Text: clean(text)}
}

func coded(system, code, display string) *concept {
	return &concept{Coding: []coding{{System: system, Code: code, Display: display}}}
}

// conditionStatus maps a problem's status to condition-clinical. Satchel's
// TOML reader makes an unset status active, and so does the FHIR reader:
// the same here, so the two never disagree.
func conditionStatus(s string) *concept {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "resolved":
		return coded(systemConditionClinical, "resolved", "Resolved")
	case "inactive":
		return coded(systemConditionClinical, "inactive", "Inactive")
	}
	return coded(systemConditionClinical, "active", "Active")
}

// allergyStatus maps an allergy's status to allergyintolerance-clinical;
// none means active, the safe reading for a clinician.
func allergyStatus(s string) *concept {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "resolved":
		return coded(systemAllergyClinical, "resolved", "Resolved")
	case "inactive":
		return coded(systemAllergyClinical, "inactive", "Inactive")
	}
	return coded(systemAllergyClinical, "active", "Active")
}

// criticality reads the worst reaction's severity as the risk of a future
// one. Only the two ends say something safe: a severe reaction means high
// risk, a mild one low; moderate is left unstated rather than guessed.
func criticality(severity string) string {
	switch severity {
	case "severe":
		return "high"
	case "mild":
		return "low"
	}
	return ""
}

// reactionSeverity keeps only the values FHIR defines.
func reactionSeverity(s string) string {
	switch s {
	case "mild", "moderate", "severe":
		return s
	}
	return ""
}

// requestStatus maps a referral's status (R4, or STU3 ReferralRequest's, or
// words from a TOML record) to ServiceRequest.status.
func requestStatus(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown":
		return s
	case "suspended":
		return "on-hold"
	case "cancelled":
		return "revoked"
	}
	return "unknown"
}

// observationCategory guesses an observation's category from its LOINC
// code or its words. It is a hint for receiving systems that file results
// by category; anything not recognised is filed as laboratory, which is
// what most results in a GP record are.
func observationCategory(r *record.Result) *concept {
	cat := func(code, display string) *concept {
		return &concept{Coding: []coding{{System: systemObsCategory, Code: code, Display: display}}}
	}
	if r.Code.System.URI() == systemLOINC && vitalLOINC(strings.TrimSpace(r.Code.Value)) {
		return cat("vital-signs", "Vital Signs")
	}
	words := strings.ToLower(r.Title + " " + r.Panel)
	has := func(ws ...string) bool {
		for _, w := range ws {
			if strings.Contains(words, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("blood pressure", "systolic", "diastolic", "pulse", "heart rate", "respiratory rate",
		"temperature", "weight", "height", "bmi", "body mass index", "oxygen saturation", "spo2", "waist"):
		return cat("vital-signs", "Vital Signs")
	case has("smoking", "smoker", "alcohol", "tobacco"):
		return cat("social-history", "Social History")
	case has("x-ray", "xray", "ultrasound", "mri", "ct scan", "mammogra", "dexa"):
		return cat("imaging", "Imaging")
	case has("ecg", "electrocardiogram", "echocardiogram", "spirometry", "peak flow"):
		return cat("procedure", "Procedure")
	case has("score", "questionnaire", "phq-9", "gad-7"):
		return cat("survey", "Survey")
	}
	return cat("laboratory", "Laboratory")
}

func vitalLOINC(code string) bool {
	switch code {
	case "85354-9", "8480-6", "8462-4", "8478-0", "8867-4", "9279-1", "8310-5", "29463-7", "3141-9",
		"8302-2", "8306-3", "39156-5", "2708-6", "59408-5", "8287-5", "9843-4", "8280-0":
		return true
	}
	return false
}

// gender maps the record's sex to FHIR administrative gender; "" when the
// record says nothing.
func gender(sex string) string {
	switch strings.ToLower(strings.TrimSpace(sex)) {
	case "":
		return ""
	case "male", "m":
		return "male"
	case "female", "f":
		return "female"
	case "unknown", "u", "not known", "not stated":
		return "unknown"
	}
	return "other"
}

// nameParts splits a name written as one string ("Dr Amara Okafor",
// "HADDAD, Samir") into FHIR parts. It is a best effort: the text is always
// written too, and a receiver shows that.
func nameParts(s string) humanName {
	n := humanName{Text: clean(s)}
	if fam, given, ok := strings.Cut(n.Text, ","); ok {
		n.Family = strings.TrimSpace(fam)
		n.Given = strings.Fields(given)
		return n
	}
	f := strings.Fields(n.Text)
	for len(f) > 1 && isPrefix(f[0]) {
		n.Prefix = append(n.Prefix, f[0])
		f = f[1:]
	}
	if len(f) > 0 {
		n.Family = f[len(f)-1]
		if len(f) > 1 {
			n.Given = f[:len(f)-1]
		}
	}
	return n
}

func isPrefix(w string) bool {
	switch strings.ToLower(strings.TrimSuffix(w, ".")) {
	case "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "lady", "lord":
		return true
	}
	return false
}

// nhsNumber returns an NHS number with its spaces and dashes removed.
func nhsNumber(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// uuidNamespaceURL is the RFC 4122 namespace for names that are URLs
// (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
const uuidNamespaceURL = "\x6b\xa7\xb8\x11\x9d\xad\x11\xd1\x80\xb4\x00\xc0\x4f\xd4\x30\xc8"

// uuid5 returns the name-based (SHA-1, version 5) UUID of name in the URL
// namespace. Output that must be byte-stable needs ids that depend only on
// what they name; anyone can recompute them, and they reveal nothing the
// name does not.
func uuid5(name string) string {
	h := sha1.New()
	h.Write([]byte(uuidNamespaceURL))
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// clean makes s fit for a FHIR string: valid UTF-8, no control characters
// but line breaks and tabs (XML, and so the narrative, cannot hold them),
// no surrounding whitespace (FHIR strings must not be only whitespace).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0x7f || r == 0xFFFE || r == 0xFFFF:
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
