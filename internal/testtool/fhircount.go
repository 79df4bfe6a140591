package testtool

import (
	"encoding/json"
	"slices"
	"strings"
)

// FHIRCounts are the entries a FHIR export should yield, per section.
type FHIRCounts struct {
	Problems, Medications, Allergies, Immunisations, Results, Findings int
	// AdvanceDecisions are DNACPR decisions and other advance directives.
	AdvanceDecisions int
}

// CountFHIR counts, from the Bundle decoded generically, what the
// reader should carry. It shares no code with the reader. The rules:
//
//   - Resources counted are the Bundle's entries, plus resources contained
//     in a clinical resource or a List (GP Connect puts ended allergies in a
//     List's contained), but not those contained in anything else.
//   - Nothing entered-in-error is counted (status, or verificationStatus or
//     clinicalStatus, as a code or in a CodeableConcept), and nothing whose
//     subject/patient points at a patient other than the record's: by a
//     reference, or by an identifier in a system the Patient has an
//     identifier in, with another value.
//   - problems: Conditions not refuted. allergies: AllergyIntolerances not
//     refuted. immunisations: every Immunization, given or not.
//   - medications: MedicationStatements, plus MedicationRequests that no
//     MedicationStatement names in basedOn and that are not themselves
//     basedOn another MedicationRequest (GP Connect issues of a repeat).
//   - results: for each Observation, one if it has a value[x] plus one per
//     component that has a value[x]; plus one per DiagnosticReport with a
//     conclusion.
//   - findings: Observations with no value[x], none in a component, no
//     hasMember and no related of type has-member, whose code has words: a
//     text, a coding's display, or a SNOMED CT or LOINC code; those that
//     name an advance decision (see decision) are advance decisions instead,
//     and GP Connect "Comment note"s (SNOMED CT 37331000000100) are neither.
//   - advance decisions: such Observations, and Consents that name one.
func CountFHIR(data []byte) (FHIRCounts, error) {
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		return FHIRCounts{}, err
	}
	type item struct {
		res       map[string]any
		container map[string]any
	}
	byURL := map[string]map[string]any{}
	byTypeID := map[string]map[string]any{}
	var items []item
	var patient map[string]any
	counted := map[string]bool{
		"Condition": true, "AllergyIntolerance": true, "MedicationStatement": true, "MedicationRequest": true,
		"Immunization": true, "Observation": true, "Procedure": true, "DiagnosticReport": true,
		"DocumentReference": true, "Device": true, "DeviceUseStatement": true, "Flag": true, "CarePlan": true,
		"Encounter": true, "ReferralRequest": true, "ProcedureRequest": true, "ServiceRequest": true, "List": true,
		"Consent": true,
	}
	for _, e := range asList(b["entry"]) {
		em := asMap(e)
		res := asMap(em["resource"])
		if res == nil {
			continue
		}
		rt, id := str(res["resourceType"]), str(res["id"])
		if u := str(em["fullUrl"]); u != "" {
			byURL[u] = res
		}
		if id != "" {
			byTypeID[rt+"/"+id] = res
		}
		if rt == "Patient" {
			patient = res
		}
		items = append(items, item{res: res})
		if counted[rt] {
			for _, c := range asList(res["contained"]) {
				items = append(items, item{res: asMap(c), container: res})
			}
		}
	}
	target := func(it item, ref string) map[string]any {
		switch {
		case strings.HasPrefix(ref, "#"):
			root := it.container
			if root == nil {
				root = it.res
			}
			for _, c := range asList(root["contained"]) {
				if "#"+str(asMap(c)["id"]) == ref {
					return asMap(c)
				}
			}
			return nil
		case byURL[ref] != nil:
			return byURL[ref]
		}
		parts := strings.Split(ref, "/")
		if len(parts) >= 2 {
			return byTypeID[parts[len(parts)-2]+"/"+parts[len(parts)-1]]
		}
		return nil
	}
	code := func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		for _, c := range asList(asMap(v)["coding"]) {
			if s := str(asMap(c)["code"]); s != "" {
				return s
			}
		}
		return ""
	}
	dropped := func(it item) bool {
		for _, r := range []map[string]any{it.res, it.container} {
			if r == nil {
				continue
			}
			if str(r["status"]) == "entered-in-error" || code(r["verificationStatus"]) == "entered-in-error" ||
				code(r["clinicalStatus"]) == "entered-in-error" {
				return true
			}
		}
		subj := asMap(it.res["subject"])
		if subj == nil {
			subj = asMap(it.res["patient"])
		}
		ref := str(subj["reference"])
		if patient == nil {
			return false
		}
		if ref == "" {
			id := asMap(subj["identifier"])
			sys, val := str(id["system"]), str(id["value"])
			if val == "" {
				return false
			}
			other := false
			for _, pid := range asList(patient["identifier"]) {
				if str(asMap(pid)["system"]) == sys {
					if str(asMap(pid)["value"]) == val {
						return false
					}
					other = true
				}
			}
			return other
		}
		if tg := target(it, ref); tg != nil {
			return str(tg["resourceType"]) != "Patient" || str(tg["id"]) != str(patient["id"])
		}
		parts := strings.Split(ref, "/")
		return len(parts) >= 2 && parts[len(parts)-2] == "Patient" && parts[len(parts)-1] != str(patient["id"])
	}
	hasValue := func(m map[string]any) bool {
		for k := range m {
			if strings.HasPrefix(k, "value") {
				return true
			}
		}
		return false
	}
	coveredRequests := map[string]bool{} // by "MedicationRequest/id"
	for _, it := range items {
		if str(it.res["resourceType"]) != "MedicationStatement" || dropped(it) {
			continue
		}
		for _, bo := range asList(it.res["basedOn"]) {
			if tg := target(it, str(asMap(bo)["reference"])); tg != nil && str(tg["resourceType"]) == "MedicationRequest" {
				coveredRequests["MedicationRequest/"+str(tg["id"])] = true
			}
		}
	}
	var c FHIRCounts
	for _, it := range items {
		r := it.res
		if dropped(it) {
			continue
		}
		switch str(r["resourceType"]) {
		case "Condition":
			if code(r["verificationStatus"]) != "refuted" {
				c.Problems++
			}
		case "AllergyIntolerance":
			if code(r["verificationStatus"]) != "refuted" {
				c.Allergies++
			}
		case "Immunization":
			c.Immunisations++
		case "Consent":
			var ccs []any
			if p := asMap(r["provision"]); p != nil {
				ccs = append(ccs, asList(p["code"])...)
			}
			ccs = append(ccs, r["scope"], r["policyRule"])
			ccs = append(ccs, asList(r["category"])...)
			if r["category"] != nil && asList(r["category"]) == nil {
				ccs = append(ccs, r["category"])
			}
			for _, cc := range ccs {
				if decision(asMap(cc), true) {
					c.AdvanceDecisions++
					break
				}
			}
		case "MedicationStatement":
			c.Medications++
		case "MedicationRequest":
			issue := false
			for _, bo := range asList(r["basedOn"]) {
				ref := str(asMap(bo)["reference"])
				tg := target(it, ref)
				if tg != nil && str(tg["resourceType"]) == "MedicationRequest" || strings.Contains(ref, "MedicationRequest/") {
					issue = true
				}
			}
			if !issue && !coveredRequests["MedicationRequest/"+str(r["id"])] {
				c.Medications++
			}
		case "Observation":
			valued := 0
			if hasValue(r) {
				valued++
			}
			for _, comp := range asList(r["component"]) {
				if hasValue(asMap(comp)) {
					valued++
				}
			}
			c.Results += valued
			if valued == 0 && len(asList(r["hasMember"])) == 0 && !hasMemberRelated(r) && worded(asMap(r["code"])) {
				if decision(asMap(r["code"]), false) {
					c.AdvanceDecisions++
				} else if !commentNote(asMap(r["code"])) {
					c.Findings++
				}
			}
		case "DiagnosticReport":
			if strings.TrimSpace(str(r["conclusion"])) != "" {
				c.Results++
			}
		}
	}
	return c, nil
}

// decision reports whether a CodeableConcept names an advance decision
// (DNACPR, an advance decision to refuse treatment, a treatment escalation
// plan, an advance directive): by a SNOMED CT or LOINC code, by words, or,
// in a Consent (consent), by a consent category or scope code.
func decision(cc map[string]any, consent bool) bool {
	codes := map[string]bool{"304253006": true, "450476008": true, "816301000000100": true, "425392003": true,
		"75320-2": true, "75781-5": true}
	words := []string{"dnacpr", "dnar", "not for resuscitation", "not for attempted c", "do not attempt c",
		"do not resuscitate", "advance decision to refuse", "treatment escalation",
		"recommended summary plan for emergency care", "advance directive", "living will"}
	texts := []string{str(cc["text"])}
	for _, c := range asList(cc["coding"]) {
		cm := asMap(c)
		code := str(cm["code"])
		if codes[code] || consent && slices.Contains([]string{"dnr", "acd", "adr", "polst"}, strings.ToLower(code)) {
			return true
		}
		texts = append(texts, str(cm["display"]))
	}
	for _, t := range texts {
		for _, w := range words {
			if strings.Contains(strings.ToLower(t), w) {
				return true
			}
		}
	}
	return false
}

// commentNote reports a GP Connect consultation "Comment note" (SNOMED CT
// 37331000000100): free text, which a reader does not carry as a finding.
func commentNote(cc map[string]any) bool {
	for _, c := range asList(cc["coding"]) {
		if str(asMap(c)["code"]) == "37331000000100" {
			return true
		}
	}
	return false
}

// hasMemberRelated reports an STU3 Observation that groups others.
func hasMemberRelated(obs map[string]any) bool {
	for _, rel := range asList(obs["related"]) {
		if str(asMap(rel)["type"]) == "has-member" {
			return true
		}
	}
	return false
}

// worded reports whether a CodeableConcept says something a reader can show.
func worded(cc map[string]any) bool {
	if strings.TrimSpace(str(cc["text"])) != "" {
		return true
	}
	for _, c := range asList(cc["coding"]) {
		cm := asMap(c)
		sys := str(cm["system"])
		if str(cm["display"]) != "" || str(cm["code"]) != "" && (sys == "http://snomed.info/sct" || sys == "http://loinc.org") {
			return true
		}
	}
	return false
}

func asList(v any) []any         { l, _ := v.([]any); return l }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func str(v any) string           { s, _ := v.(string); return s }

// CountResources counts the resources of a FHIR Bundle a reader must
// account for, each as an entry or as not carried: every entry's resource,
// and the resources contained in a clinical resource or a List. It shares
// no code with the reader.
func CountResources(data []byte) (int, error) {
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		return 0, err
	}
	containers := map[string]bool{
		"Condition": true, "AllergyIntolerance": true, "MedicationStatement": true, "MedicationRequest": true,
		"Immunization": true, "Observation": true, "Procedure": true, "DiagnosticReport": true,
		"DocumentReference": true, "Device": true, "DeviceUseStatement": true, "Flag": true, "CarePlan": true,
		"Encounter": true, "ReferralRequest": true, "ProcedureRequest": true, "ServiceRequest": true, "List": true,
		"Consent": true,
	}
	n := 0
	for _, e := range asList(b["entry"]) {
		res := asMap(asMap(e)["resource"])
		if res == nil {
			continue
		}
		n++
		if containers[str(res["resourceType"])] {
			n += len(asList(res["contained"]))
		}
	}
	return n, nil
}
