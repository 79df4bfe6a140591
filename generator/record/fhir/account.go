package fhir

import (
	"strings"

	"github.com/satchel-records/satchel/generator/record"
)

// Why resources end in no entry, as counted in Record.NotCarried. Words
// only, never a resource's content: the review sheet and the manifest
// show them.
var skipWords = map[string]string{
	SkipEnteredInError: "entered in error",
	SkipNotDone:        "procedure or visit that did not take place",
	SkipRefuted:        "diagnosis or allergy ruled out",
	SkipInactive:       "alert no longer raised",
	SkipSuperseded:     "document replaced by a newer version",
	SkipOtherPatient:   "about another patient",
	SkipNoValue:        "observation with no value and no words",
	SkipConsent:        "consent to share or to research: not an advance decision",
	SkipCommentNote:    "consultation comment note: free text, not carried",
}

// typeReason says why a resource of type rt, which Satchel does not read
// into an entry, is not carried. rt is a resource type name (checked by
// safeName), so it is safe to show.
func typeReason(rt string) string {
	switch classOf(rt) {
	case classBilling:
		return "billing: not clinical"
	case classIgnored:
		return strings.ToLower(safeName(rt)) + ": frames the record, not an entry"
	}
	switch rt {
	case "QuestionnaireResponse", "Questionnaire":
		return "questionnaire response: not part of the exported record"
	case "Patient":
		return "patient details: shown as the record's heading, not an entry"
	case "Medication":
		return "medicine details: read into the prescriptions that name them"
	case "List":
		return "list: its entries are read one by one"
	case "Binary":
		return "attachment: read as its document's text"
	case "Practitioner", "PractitionerRole", "Organization", "RelatedPerson":
		return "practitioner or organisation: used to name authors"
	}
	return strings.ToLower(safeName(rt)) + ": a kind of resource Satchel does not read"
}

// countsContained reports whether resources contained in one of type rt
// are accounted for one by one: those in a clinical resource or a List are
// (they may be entries); those in anything else are only its context.
func countsContained(rt string) bool {
	return classOf(rt) == classClinical || rt == "List"
}

// account counts, once the entries are made, every decoded resource that
// ended in none: by its skip reason, or why its kind makes no entry.
func (r *reader) account() {
	for _, n := range r.nodes {
		r.accountNode(n)
		if countsContained(n.rt) {
			for _, c := range n.children {
				r.accountNode(c)
			}
		}
	}
}

func (r *reader) accountNode(n *node) {
	if n.produced {
		return
	}
	if n.skip != "" {
		if w := skipWords[n.skip]; w != "" {
			r.rec.NotCarry(w)
			return
		}
	}
	reason := typeReason(n.rt)
	switch {
	case n.rt == "Patient" && n != r.patient:
		reason = "another person's details"
	case n.rt == "MedicationRequest" && n.covered:
		reason = "prescription issue or plan: folded into its medicine"
	case n.rt == "Device" && n.usedBy:
		reason = "device: shown through its use statement"
	case n.rt == "Device":
		reason = "device: not the patient's"
	case n.rt == "DiagnosticReport":
		reason = "report without a conclusion: its results are listed"
	case n.rt == "Observation":
		reason = "panel: its results are listed"
	}
	r.rec.NotCarry(reason)
}

// commentNote reports a GP Connect consultation "Comment note" (SNOMED CT
// 37331000000100).
func commentNote(cc *concept) bool {
	for _, c := range all(cc) {
		if c.System == record.SNOMED && c.Value == "37331000000100" {
			return true
		}
	}
	return false
}
