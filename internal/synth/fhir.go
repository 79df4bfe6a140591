package synth

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// FHIRBundle returns one synthetic patient's record as a FHIR R4
// collection Bundle, its entries named by urn:uuid fullUrls as Synthea and
// many exporters write them: a Patient, problems (Condition), medicines
// (MedicationRequest referring to a Medication, the same Medication
// resource for every patient on that medicine), an allergy now and then,
// an immunisation and results (Observation), each recorded by one of a few
// shared Practitioners.
func FHIRBundle(rng *rand.Rand, i int) []byte {
	pid := fmt.Sprintf("pat-%05d", i)
	var entries []map[string]any
	add := func(res map[string]any) {
		entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + uuid(res["resourceType"].(string), res["id"].(string)), "resource": res})
	}
	ref := func(typ, id string) map[string]any {
		return map[string]any{"reference": "urn:uuid:" + uuid(typ, id)}
	}
	nhs := strings.ReplaceAll(NHSNumber(i), " ", "")
	add(map[string]any{
		"resourceType": "Patient", "id": pid,
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
		"name":       []any{map[string]any{"use": "official", "given": []any{given[rng.IntN(len(given))]}, "family": family[rng.IntN(len(family))]}},
		"gender":     []string{"female", "male"}[rng.IntN(2)],
		"birthDate":  fmt.Sprintf("%04d-%02d-%02d", 1930+rng.IntN(75), 1+rng.IntN(12), 1+rng.IntN(28)),
	})
	gp := fmt.Sprintf("gp-%d", rng.IntN(4))
	add(map[string]any{"resourceType": "Practitioner", "id": gp, "name": []any{map[string]any{"prefix": []any{"Dr"}, "family": family[rng.IntN(len(family))]}}})
	for n, k := range rng.Perm(len(problem))[:1+rng.IntN(4)] {
		p := problem[k]
		add(map[string]any{
			"resourceType": "Condition", "id": fmt.Sprintf("%s-c%d", pid, n),
			"clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", ""),
			"code":           concept("http://snomed.info/sct", strings.TrimPrefix(p.code, "SNOMED:"), p.title),
			"subject":        ref("Patient", pid), "recorder": ref("Practitioner", gp),
			"onsetDateTime": fmt.Sprintf("%04d-%02d-01", 2000+rng.IntN(26), 1+rng.IntN(12)),
		})
	}
	for n, k := range rng.Perm(len(medicine))[:1+rng.IntN(5)] {
		m := medicine[k]
		mid := fmt.Sprintf("med-%d", k)
		add(map[string]any{"resourceType": "Medication", "id": mid, "code": map[string]any{"text": m.name}})
		add(map[string]any{
			"resourceType": "MedicationRequest", "id": fmt.Sprintf("%s-m%d", pid, n),
			"status": "active", "intent": "order",
			"medicationReference": ref("Medication", mid), "subject": ref("Patient", pid), "requester": ref("Practitioner", gp),
			"authoredOn":        fmt.Sprintf("%04d-%02d-01", 2015+rng.IntN(11), 1+rng.IntN(12)),
			"dosageInstruction": []any{map[string]any{"text": m.dose}},
		})
	}
	if rng.IntN(3) == 0 {
		add(map[string]any{
			"resourceType": "AllergyIntolerance", "id": pid + "-a0",
			"code":     map[string]any{"text": "Penicillin"},
			"patient":  ref("Patient", pid),
			"reaction": []any{map[string]any{"manifestation": []any{map[string]any{"text": "Rash"}}, "severity": "moderate"}},
		})
	}
	add(map[string]any{
		"resourceType": "Immunization", "id": pid + "-i0", "status": "completed",
		"vaccineCode": map[string]any{"text": "Influenza vaccine"}, "patient": ref("Patient", pid),
		"occurrenceDateTime": "2025-10-14",
	})
	n := 0
	for _, r := range result {
		for j := 0; j < 1+rng.IntN(6); j++ {
			code, _ := strings.CutPrefix(r.code, "LOINC:")
			add(map[string]any{
				"resourceType": "Observation", "id": fmt.Sprintf("%s-o%d", pid, n), "status": "final",
				"code":              concept("http://loinc.org", code, r.title),
				"subject":           ref("Patient", pid),
				"effectiveDateTime": fmt.Sprintf("2026-%02d-%02d", 1+j, 1+rng.IntN(28)),
				"valueQuantity":     map[string]any{"value": float64(int(r.mean*(0.85+0.3*rng.Float64())*10)) / 10, "unit": r.unit},
				"referenceRange":    []any{map[string]any{"low": map[string]any{"value": r.low, "unit": r.unit}, "high": map[string]any{"value": r.high, "unit": r.unit}}},
			})
			n++
		}
	}
	b, err := json.MarshalIndent(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries}, "", "  ")
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return b
}

func concept(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return map[string]any{"coding": []any{c}, "text": display}
}

// uuid returns a fixed, well-formed UUID for a resource, so that the same
// shared resource has the same fullUrl in every patient's Bundle.
func uuid(typ, id string) string {
	h := uint64(14695981039346656037)
	for _, c := range []byte(typ + "/" + id) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	g := h * 0x9e3779b97f4a7c15
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(g>>48)&0xfff, g&0xffffffffffff)
}
