package fhir

import (
	"sort"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
)

// kept maps a FHIR coding to its canonical system (record.ParseSystem, so
// every spelling of a system reads the same) and a rank (lower is
// preferred), or ok=false for a system Satchel does not keep. Others
// (RxNorm, CVX, Read, Multilex, local codes) are not kept: nothing
// downstream matches on them, and the entry's title still carries their
// meaning in words.
func kept(c coding) (system record.System, rank int, ok bool) {
	if strings.TrimSpace(c.Code) == "" {
		return "", 0, false
	}
	switch sys := record.ParseSystem(c.System); sys {
	case record.SNOMED:
		if isDMD(c) {
			return record.DMD, 0, true
		}
		return record.SNOMED, 0, true
	case record.ICD10, record.LOINC, record.DMD:
		return sys, 1, true
	}
	return "", 0, false
}

// isDMD reports whether a SNOMED CT coding is identifiably a dm+d concept:
// its version names the UK drug extension module, or its identifier sits in
// the dm+d namespace (1000001). dm+d products are SNOMED concepts, so this is
// the only way to tell them apart; an international concept used for a drug
// stays SNOMED.
func isDMD(c coding) bool {
	if strings.Contains(c.Version, "999000011000001104") {
		return true
	}
	// SCTID: item, namespace (7 digits), partition (2), check digit.
	// Partition "10" marks a concept in an extension namespace.
	s := strings.TrimSpace(c.Code)
	if len(s) < 11 || !allDigits(s) {
		return false
	}
	return s[len(s)-3:len(s)-1] == "10" && s[len(s)-10:len(s)-3] == "1000001"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pick returns the preferred kept code of a concept: SNOMED CT (or dm+d
// held as SNOMED), then ICD-10, LOINC or dm+d in the order given.
func pick(cc *concept) record.Code {
	if cc == nil {
		return record.Code{}
	}
	best, bestRank := -1, 0
	var bestSys record.System
	for i, c := range cc.Coding {
		sys, rank, ok := kept(c)
		if !ok {
			continue
		}
		if best < 0 || rank < bestRank {
			best, bestRank, bestSys = i, rank, sys
		}
	}
	if best < 0 {
		return record.Code{}
	}
	c := cc.Coding[best]
	display := c.Display
	if display == "" {
		display = cc.Text
	}
	return record.Code{System: bestSys, Value: strings.TrimSpace(c.Code), Display: display}
}

// all returns every code of a concept, kept systems first, so policy and
// education pages can match on any coding of it and record.json keeps them.
func all(cc *concept) []record.Code {
	if cc == nil {
		return nil
	}
	var out []record.Code
	for _, c := range cc.Coding {
		if sys, _, ok := kept(c); ok {
			out = append(out, record.Code{System: sys, Value: strings.TrimSpace(c.Code), Display: c.Display})
		}
	}
	// Codings of other systems follow, so that record.json keeps every
	// coding the export gave (never an empty code).
	for _, c := range cc.Coding {
		v, sys := strings.TrimSpace(c.Code), strings.TrimSpace(c.System)
		if _, _, ok := kept(c); !ok && v != "" && sys != "" {
			out = append(out, record.Code{System: record.ParseSystem(sys), Value: v, Display: c.Display})
		}
	}
	return out
}

// title returns words for a concept: the text the clinician saw if there is
// one, else the display of the preferred code, else any display.
func title(cc *concept) string {
	if cc == nil {
		return ""
	}
	if t := strings.TrimSpace(cc.Text); t != "" {
		return t
	}
	if c := pick(cc); c.Display != "" {
		return c.Display
	}
	for _, c := range cc.Coding {
		if c.Display != "" {
			return c.Display
		}
	}
	return ""
}

// firstTitled returns the first concept of cs that has words.
func firstTitled(cs []concept) *concept {
	for i := range cs {
		if title(&cs[i]) != "" {
			return &cs[i]
		}
	}
	return nil
}

// firstCoded returns the first concept of cs that has a coding.
func firstCoded(cs []concept) *concept {
	for i := range cs {
		if len(cs[i].Coding) > 0 {
			return &cs[i]
		}
	}
	return nil
}

// nullFlavor reports whether a concept says only "unknown": a v3 NullFlavor
// or data-absent-reason coding and nothing else.
func nullFlavor(cc *concept) bool {
	if cc == nil || len(cc.Coding) == 0 {
		return cc == nil || cc.Text == ""
	}
	for _, c := range cc.Coding {
		if !strings.Contains(c.System, "NullFlavor") && !strings.Contains(c.System, "data-absent-reason") {
			return false
		}
	}
	return true
}

// Security labels. Confidentiality R and V and the v3 ActCode information
// sensitivity codes are kept; the policy package decides what they withhold.
// Systems are compared after labelSystem has normalised their spelling.
func confidentialitySystem(s string) bool {
	s = labelSystem(s)
	return s == "terminology.hl7.org/CodeSystem/v3-Confidentiality" ||
		s == "hl7.org/fhir/v3/Confidentiality" ||
		s == "urn:oid:2.16.840.1.113883.5.25"
}

func actCodeSystem(s string) bool {
	s = labelSystem(s)
	return s == "terminology.hl7.org/CodeSystem/v3-ActCode" ||
		s == "hl7.org/fhir/v3/ActCode" ||
		s == "urn:oid:2.16.840.1.113883.5.4"
}

// labelSystem returns a security label's system without surrounding
// whitespace, scheme (http and https alike) or trailing slashes, so that
// every spelling an exporter uses compares equal.
func labelSystem(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"http://", "https://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = s[len(p):]
			break
		}
	}
	return strings.TrimRight(s, "/")
}

// labelCode returns a security label's code upper-cased with all
// whitespace removed ("r ", " V", "H IV" read as R, V, HIV).
func labelCode(c string) string {
	return strings.ToUpper(strings.Join(strings.Fields(c), ""))
}

// sensitive reports whether code is a v3 InformationSensitivityPolicy code
// (act, entity or role sensitivity).
func sensitive(code string) bool {
	switch code {
	case "ETH", "ETHUD", "GDIS", "HIV", "MST", "SCA", "SDV", "SEX", "SPI", "BH", "COGN", "DVD",
		"EMOTDIS", "MH", "PSY", "PSYTHPN", "SUD", "OPIOIDUD", "STD", "TBOO", "SICKLE", "SOC",
		"DRGIS", "PREGNANT", "PRS", "DIA", "DEMO", "DOB", "GENDER", "LIVARG", "MARST", "PATLOC",
		"RACE", "REL", "B", "EMPL", "LOCIS", "SSP", "ADOL", "CEL", "EMP", "PDS", "PHY":
		return true
	}
	return false
}

// thirdPartyWords reports whether a code, display or extension URL says
// "third party". There is no standard FHIR code for it; exporters use their
// own labels and extensions, and all of them spell it out.
func thirdPartyWords(s string) bool {
	if s == "" {
		return false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	n := b.String()
	return strings.Contains(n, "thirdparty") || strings.Contains(n, "3rdparty")
}

// marks reads a resource's security labels and third-party markers from its
// meta.security and meta.tag codings (exporters put sensitivity codes such as
// HIV in either).
func marks(sec []coding, exts []extension) (labels []string, third bool) {
	for _, c := range sec {
		code := labelCode(c.Code)
		switch {
		case confidentialitySystem(c.System), strings.TrimSpace(c.System) == "":
			// A label without a system is read as the confidentiality or
			// sensitivity code it spells: failing closed.
			if code == "R" || code == "V" || sensitive(code) {
				labels = append(labels, code)
			}
		case actCodeSystem(c.System) && sensitive(code):
			labels = append(labels, code)
		}
		if thirdPartyWords(c.Code) || thirdPartyWords(c.Display) {
			third = true
		}
	}
	for _, e := range exts {
		if thirdPartyWords(e.URL) && (e.ValueBoolean == nil || *e.ValueBoolean) {
			third = true
		}
	}
	return labels, third
}

// mergeLabels returns the sorted union of label lists.
func mergeLabels(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	if len(out) < 2 {
		return out
	}
	sort.Strings(out)
	j := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[j-1] {
			out[j] = out[i]
			j++
		}
	}
	return out[:j]
}
