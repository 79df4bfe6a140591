package fhir

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/satchel-records/satchel/generator/record"
)

// prepare works out, before any entry is written, what depends on other
// resources: which resources are skipped, which requests a statement
// covers, and which group or report each result belongs to.
func (r *reader) prepare() {
	var reports, groups []*node
	r.each(func(n *node) {
		n.labels = mergeLabels(r.bundleLabels, n.labels)
		n.third = n.third || r.bundleThird
		if n.parent != nil {
			n.labels = mergeLabels(n.parent.labels, n.labels)
			n.third = n.third || n.parent.third
		}
		n.skip = r.skipReason(n)
		if n.skip != "" {
			return
		}
		switch n.rt {
		case "DiagnosticReport":
			reports = append(reports, n)
		case "Observation":
			if len(n.res.HasMember) > 0 || hasMemberRelated(n.res.Related) {
				groups = append(groups, n)
			}
		case "MedicationStatement":
			for _, b := range n.res.BasedOn {
				if t := r.resolve(n, b.Reference); t != nil && t.rt == "MedicationRequest" {
					t.covered = true
					if n.plan == nil {
						n.plan = t
					}
				}
			}
		case "MedicationRequest":
			for _, b := range n.res.BasedOn {
				t := r.resolve(n, b.Reference)
				if t != nil && t.rt == "MedicationRequest" || t == nil && refType(b.Reference) == "MedicationRequest" {
					n.covered = true // an issue of an authorisation, not a medicine of its own
				}
			}
		case "DeviceUseStatement":
			if n.res.Device != nil {
				if t := r.resolve(n, n.res.Device.Reference); t != nil && t.rt == "Device" {
					t.usedBy = true
				}
			}
		}
	})
	for _, rep := range reports {
		t := title(r.code(rep))
		d := r.firstDate(rep, "effectiveDateTime", rep.res.EffectiveDateTime, "effectivePeriod.start", start(rep.res.EffectivePeriod), "issued", rep.res.Issued)
		for i, ref := range references(rep.res.Result) {
			r.member(rep, ref, t, d, fmt.Sprintf(".result[%d]", i))
		}
	}
	// Groups after reports: a panel's own name (e.g. "Full blood count")
	// says more than the report's ("Diagnostic studies report").
	for _, g := range groups {
		t := title(r.code(g))
		d := r.firstDate(g, "effectiveDateTime", g.res.EffectiveDateTime, "effectivePeriod.start", start(g.res.EffectivePeriod), "issued", g.res.Issued)
		if d.IsZero() {
			d = g.panelDate
		}
		for i, ref := range g.res.HasMember {
			r.member(g, ref, t, d, fmt.Sprintf(".hasMember[%d]", i))
		}
		for i, rel := range g.res.Related {
			if rel.Type == "has-member" {
				r.member(g, rel.Target, t, d, fmt.Sprintf(".related[%d].target", i))
			}
		}
	}
}

// member files the Observation ref points to under a report or group.
func (r *reader) member(from *node, ref reference, panel string, d record.Date, field string) {
	t := r.resolve(from, ref.Reference)
	if t == nil && ref.Reference != "" {
		r.rec.Unresolved = append(r.rec.Unresolved, from.path+field)
	}
	if t == nil || t.rt != "Observation" {
		return
	}
	if panel != "" {
		t.panel = panel
	}
	if t.panelDate.IsZero() {
		t.panelDate = d
	}
	t.labels = mergeLabels(t.labels, from.labels)
	t.third = t.third || from.third
}

func hasMemberRelated(rs []related) bool {
	for _, r := range rs {
		if r.Type == "has-member" {
			return true
		}
	}
	return false
}

// refType returns the resource type a RESTful reference names.
func refType(ref string) string {
	t, _ := typeID(ref)
	return t
}

// each calls f on every decoded resource: top-level ones in order, each
// followed by those it contains.
func (r *reader) each(f func(*node)) {
	for _, n := range r.nodes {
		f(n)
		for _, c := range n.children {
			f(c)
		}
	}
}

// skipReason says why a resource is not carried, or "" if it is.
func (r *reader) skipReason(n *node) string {
	if n.res == nil {
		return ""
	}
	res := n.res
	if res.Status == "entered-in-error" || statusCode(res.VerificationStatus) == "entered-in-error" ||
		statusCode(res.ClinicalStatus) == "entered-in-error" {
		return SkipEnteredInError
	}
	if n.parent != nil && n.parent.skip != "" {
		return n.parent.skip
	}
	subject := res.Subject
	if subject == nil {
		subject = res.Patient
	}
	if classOf(n.rt) == classClinical && r.otherPatient(n, subject) {
		return SkipOtherPatient
	}
	switch n.rt {
	case "Condition", "AllergyIntolerance":
		if statusCode(res.VerificationStatus) == "refuted" {
			return SkipRefuted
		}
	case "Consent":
		if consentKind(n) == "" {
			return SkipConsent
		}
	case "Procedure":
		if res.Status == "not-done" || res.NotDone != nil && *res.NotDone {
			return SkipNotDone
		}
	case "Encounter":
		if res.Status == "cancelled" {
			return SkipNotDone
		}
	case "Flag":
		if res.Status == "inactive" {
			return SkipInactive
		}
	case "DocumentReference":
		if res.Status == "superseded" {
			return SkipSuperseded
		}
	}
	return ""
}

// convert writes the entries, in Bundle order. Resources contained in a
// clinical resource or a List (e.g. GP Connect's ended allergies) are
// entries too; those inside context resources are only reference targets.
func (r *reader) convert() {
	for _, n := range r.nodes {
		r.entry(n)
		if classOf(n.rt) == classClinical || n.rt == "List" {
			for _, ch := range n.children {
				if ch.rt != "Patient" {
					r.entry(ch)
				}
			}
		}
	}
}

func (r *reader) mark(n *node) record.Mark {
	// Each entry gets its own copy of the labels: entries made from one
	// resource (components) must not share a slice.
	n.produced = true
	labels := slices.Clone(n.labels)
	linked := valueCodes(n.res)
	for _, t := range r.linked(n) {
		labels = mergeLabels(labels, t.labels)
		linked = append(linked, all(r.code(t))...)
		linked = append(linked, valueCodes(t.res)...)
	}
	return record.Mark{Key: n.key, Labels: labels, ThirdParty: n.third, Also: all(r.code(n)), Linked: linked, TextNotCarried: textNotCarried(n.res)}
}

// textNotCarried names the free-text elements of res that hold text and
// are not carried: note (R4 annotations, and reaction notes) and comment
// (STU3 Observation).
func textNotCarried(res *resource) []string {
	var out []string
	note := holdsText(res.Note)
	for _, rc := range res.Reaction {
		note = note || holdsText(rc.Note)
	}
	if note {
		out = append(out, "note")
	}
	if holdsText(res.Comment) {
		out = append(out, "comment")
	}
	return out
}

// holdsText reports whether a raw JSON element holds anything: not
// absent, null, empty, "" or [].
func holdsText(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", `""`, "[]", "{}":
		return false
	}
	return true
}

// maxLinked bounds how many resources one entry's labels are gathered from.
const maxLinked = 64

// linked returns every resource n points to whose labels and codes travel
// with it, and what those point to in turn: the Medication of a statement
// or request, the request a statement derives from, the Device a use
// statement reports, the Binary a document's or report's attachment
// holds. A label on any of them withholds the entry that shows it.
func (r *reader) linked(n *node) []*node {
	seen := map[*node]bool{n: true}
	var out []*node
	queue := []*node{n}
	for len(queue) > 0 && len(out) < maxLinked {
		m := queue[0]
		queue = queue[1:]
		for _, ref := range linkRefs(m.res) {
			t := r.resolve(m, ref)
			if t == nil || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
			queue = append(queue, t)
		}
	}
	return out
}

// linkRefs lists the references of res that linked follows.
func linkRefs(res *resource) []string {
	var refs []string
	if res.MedicationReference != nil {
		refs = append(refs, res.MedicationReference.Reference)
	}
	for _, b := range res.BasedOn {
		refs = append(refs, b.Reference)
	}
	if res.Device != nil {
		refs = append(refs, res.Device.Reference)
	}
	var content []docContent
	if res.ResourceType == "DocumentReference" && len(res.Content) > 0 && json.Unmarshal(res.Content, &content) == nil {
		for _, c := range content {
			refs = append(refs, c.Attachment.URL)
		}
	}
	for _, a := range res.PresentedForm {
		refs = append(refs, a.URL)
	}
	return refs
}

// valueCodes returns the kept codes of an Observation's value and of its
// components' codes and values: the sensitive-code rule reads them as the
// entry's own (a value of "HIV positive" is as sensitive as a code).
func valueCodes(res *resource) []record.Code {
	out := all(res.ValueCodeableConcept)
	for _, c := range res.Component {
		out = append(out, all(c.Code)...)
		out = append(out, all(c.ValueCodeableConcept)...)
	}
	return out
}

// entry converts one resource into its entry (or entries).
func (r *reader) entry(n *node) {
	if n.res == nil || classOf(n.rt) != classClinical {
		return
	}
	if n.skip != "" {
		r.skipped(n.skip)
		return
	}
	res := n.res
	switch n.rt {
	case "Condition":
		r.rec.Problems = append(r.rec.Problems, record.Problem{
			Mark:     r.mark(n),
			Code:     pick(r.code(n)),
			Title:    title(r.code(n)),
			Onset:    r.firstDate(n, "onsetDateTime", res.OnsetDateTime, "onsetPeriod.start", start(res.OnsetPeriod)),
			Status:   problemStatus(res),
			Recorded: r.firstDate(n, "recordedDate", res.RecordedDate, "assertedDate", res.AssertedDate),
		})
	case "AllergyIntolerance":
		r.allergy(n)
	case "MedicationStatement", "MedicationRequest":
		if !n.covered || n.rt == "MedicationStatement" {
			r.medication(n)
		}
	case "Immunization":
		vc := res.VaccineCode
		if nullFlavor(vc) {
			if p := extConcept(res.Extension, "VaccinationProcedure"); p != nil {
				vc = p
			}
		}
		im := record.Immunisation{
			Mark:    r.mark(n),
			Code:    pick(vc),
			Vaccine: title(vc),
			Date:    r.firstDate(n, "occurrenceDateTime", res.OccurrenceDateTime, "date", res.Date),
		}
		// One recorded as not given is shown as such, never dropped: a
		// declined or contraindicated vaccine matters to a clinician.
		if res.Status == "not-done" || res.NotGiven != nil && *res.NotGiven {
			im.NotGiven = true
			why := concepts(res.StatusReason)
			if res.Explanation != nil {
				why = append(why, concepts(res.Explanation.ReasonNotGiven)...)
			}
			im.Reason = title(firstTitled(why))
		}
		r.rec.Immunisations = append(r.rec.Immunisations, im)
	case "Consent":
		r.consent(n)
	case "Observation":
		r.observation(n)
	case "DiagnosticReport":
		if strings.TrimSpace(res.Conclusion) != "" {
			t := title(r.code(n))
			r.rec.Results = append(r.rec.Results, record.Result{
				Mark:  r.mark(n),
				Code:  pick(r.code(n)),
				Title: t,
				Text:  res.Conclusion,
				Date:  r.firstDate(n, "effectiveDateTime", res.EffectiveDateTime, "effectivePeriod.start", start(res.EffectivePeriod), "issued", res.Issued),
				Panel: t,
			})
		}
	case "Procedure":
		r.rec.Procedures = append(r.rec.Procedures, record.Procedure{
			Mark:  r.mark(n),
			Code:  pick(r.code(n)),
			Title: title(r.code(n)),
			Date:  r.firstDate(n, "performedDateTime", res.PerformedDateTime, "performedPeriod.start", start(res.PerformedPeriod)),
		})
	case "DocumentReference":
		r.letter(n)
	case "Device":
		// A device is the patient's when it names the patient; one a
		// DeviceUseStatement reports is written from that statement.
		if n.usedBy || res.Patient == nil || r.resolve(n, res.Patient.Reference) != r.patient {
			return
		}
		t := r.deviceTitle(n)
		mk := r.mark(n)
		if len(mk.Also) == 0 {
			mk.Also = all(firstCoded(concepts(res.Type))) // every coding of the device, for record.json
		}
		r.rec.Devices = append(r.rec.Devices, record.Device{Mark: mk, Code: t.code, Title: t.title})
	case "DeviceUseStatement":
		var t deviceWords
		if res.Device != nil {
			if d := r.resolve(n, res.Device.Reference); d != nil && d.res != nil {
				t = r.deviceTitle(d)
			} else {
				t.title = res.Device.Display
			}
		}
		r.rec.Devices = append(r.rec.Devices, record.Device{
			Mark:  r.mark(n),
			Code:  t.code,
			Title: t.title,
			Date: r.firstDate(n, "timingPeriod.start", start(res.TimingPeriod), "timingDateTime", res.TimingDateTime,
				"whenUsed.start", start(res.WhenUsed), "recordedOn", res.RecordedOn),
		})
	case "Flag":
		r.rec.Alerts = append(r.rec.Alerts, record.Alert{
			Mark:  r.mark(n),
			Code:  pick(r.code(n)),
			Title: title(r.code(n)),
			Date:  r.firstDate(n, "period.start", start(res.Period)),
		})
	case "CarePlan":
		cats := concepts(res.Category)
		cat := firstTitled(cats)
		t := strings.TrimSpace(res.Title)
		if t == "" {
			t = title(cat)
		}
		if t == "" {
			t = "Care plan"
		}
		r.rec.CarePlans = append(r.rec.CarePlans, record.CarePlan{
			Mark:    r.mark(n),
			Code:    pick(cat),
			Title:   t,
			Summary: res.Description,
			Date:    r.firstDate(n, "period.start", start(res.Period), "created", res.Created),
			Status:  strings.TrimSpace(res.Status),
		})
	case "Encounter":
		types := concepts(res.Type)
		cc := firstTitled(types)
		if cc == nil {
			cc = firstTitled(concepts(res.ServiceType))
		}
		t := title(cc)
		if t == "" {
			var class coding
			if json.Unmarshal(res.Class, &class) == nil && !strings.Contains(class.System, "NullFlavor") {
				t = class.Display
			}
		}
		if t == "" {
			t = "Encounter"
		}
		r.rec.Encounters = append(r.rec.Encounters, record.Encounter{
			Mark:  r.mark(n),
			Code:  pick(cc),
			Title: t,
			Date:  r.firstDate(n, "period.start", start(res.Period)),
		})
	case "ReferralRequest", "ProcedureRequest", "ServiceRequest":
		cc := r.code(n)
		if title(cc) == "" {
			cc = firstTitled(concepts(res.Type))
		}
		if cc == nil {
			cc = firstTitled(res.ServiceRequested)
		}
		if cc == nil {
			cc = firstTitled(res.ReasonCode)
		}
		t := title(cc)
		if t == "" {
			t = strings.TrimSpace(res.Description)
		}
		if t == "" {
			t = "Referral"
		}
		r.rec.Referrals = append(r.rec.Referrals, record.Referral{
			Mark:   r.mark(n),
			Code:   pick(cc),
			Title:  t,
			Status: res.Status,
			Date: r.firstDate(n, "authoredOn", res.AuthoredOn, "occurrenceDateTime", res.OccurrenceDateTime,
				"occurrencePeriod.start", start(res.OccurrencePeriod)),
		})
	}
}

// problemStatus maps clinicalStatus (a code in STU3, a concept in R4) to
// active, inactive or resolved. Without one, an abatement means resolved.
// allergyStatus maps an allergy's clinicalStatus; one with none is active,
// the safe reading for a clinician.
func allergyStatus(res *resource) string {
	switch statusCode(res.ClinicalStatus) {
	case "inactive":
		return "inactive"
	case "resolved":
		return "resolved"
	}
	return "active"
}

func problemStatus(res *resource) string {
	switch statusCode(res.ClinicalStatus) {
	case "active", "recurrence", "relapse":
		return "active"
	case "inactive", "remission":
		return "inactive"
	case "resolved":
		return "resolved"
	}
	if res.AbatementDateTime != "" || res.AbatementPeriod != nil || res.AbatementString != "" ||
		res.AbatementBoolean != nil && *res.AbatementBoolean {
		return "resolved"
	}
	return "active"
}

func (r *reader) allergy(n *node) {
	res := n.res
	cc := r.code(n)
	if nullFlavor(cc) {
		for i := range res.Reaction {
			if res.Reaction[i].Substance != nil {
				cc = res.Reaction[i].Substance
				break
			}
		}
	}
	var manifest []string
	severity := ""
	rank := map[string]int{"mild": 1, "moderate": 2, "severe": 3}
	for _, re := range res.Reaction {
		for i := range re.Manifestation {
			if t := title(&re.Manifestation[i]); t != "" && !contains(manifest, t) {
				manifest = append(manifest, t)
			}
		}
		if rank[re.Severity] > rank[severity] {
			severity = re.Severity
		}
	}
	r.rec.Allergies = append(r.rec.Allergies, record.Allergy{
		Mark:      r.mark(n),
		Code:      pick(cc),
		Substance: title(cc),
		Reaction:  strings.Join(manifest, ", "),
		Severity:  severity,
		Status:    allergyStatus(res),
		// Allergy has one date; when the export does not say when it was
		// recorded, the onset is the nearest thing it does say.
		Recorded: r.firstDate(n, "recordedDate", res.RecordedDate, "assertedDate", res.AssertedDate,
			"onsetDateTime", res.OnsetDateTime, "onsetPeriod.start", start(res.OnsetPeriod)),
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// medication writes a MedicationStatement, or a MedicationRequest that no
// statement covers, as a medication.
func (r *reader) medication(n *node) {
	res := n.res
	m := record.Medication{Mark: r.mark(n)}
	cc := res.MedicationCodeableConcept
	if cc == nil && res.MedicationReference != nil {
		t := r.resolve(n, res.MedicationReference.Reference)
		if t != nil && t.rt == "Medication" {
			cc = r.code(t)
		}
		if t == nil && res.MedicationReference.Display == "" {
			r.rec.Unresolved = append(r.rec.Unresolved, n.path+".medicationReference")
		}
		if title(cc) == "" {
			m.Name = res.MedicationReference.Display
		}
	}
	m.Code = pick(cc)
	if len(m.Also) == 0 {
		m.Also = all(cc) // every coding of the medicine, for record.json
	}
	if t := title(cc); t != "" {
		m.Name = t
	}
	if n.rt == "MedicationStatement" {
		m.Dose = dose(dosages(res.Dosage))
		m.Start = r.firstDate(n, "effectiveDateTime", res.EffectiveDateTime, "effectivePeriod.start", start(res.EffectivePeriod), "dateAsserted", res.DateAsserted)
		if res.EffectivePeriod != nil {
			m.End = r.date(n, "effectivePeriod.end", res.EffectivePeriod.End)
		}
		switch {
		case res.Taken == "n", res.Status == "completed", res.Status == "stopped", res.Status == "not-taken":
			m.Status = "stopped"
		default:
			m.Status = "current"
		}
		if p := n.plan; p != nil {
			m.Kind = prescriptionKind(p.res)
			if m.Dose == "" {
				m.Dose = dose(p.res.DosageInstruction)
			}
		}
	} else {
		m.Dose = dose(res.DosageInstruction)
		m.Start = r.date(n, "authoredOn", res.AuthoredOn)
		m.Kind = prescriptionKind(res)
		switch res.Status {
		case "completed", "stopped", "cancelled", "ended":
			m.Status = "stopped"
		default:
			m.Status = "current"
		}
	}
	r.rec.Medications = append(r.rec.Medications, m)
}

// dosages reads MedicationStatement.dosage: a list, or one object in
// resources shaped like MedicationAdministration.
func dosages(raw json.RawMessage) []dosage {
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '{' {
		var d dosage
		if json.Unmarshal(raw, &d) != nil {
			return nil
		}
		return []dosage{d}
	}
	var ds []dosage
	if json.Unmarshal(raw, &ds) != nil {
		return nil
	}
	return ds
}

func dose(ds []dosage) string {
	for _, d := range ds {
		if t := strings.TrimSpace(d.Text); t != "" {
			return t
		}
	}
	return ""
}

// prescriptionKind reads repeat or acute from the UK prescription type
// extension (CareConnect, UK Core) or R4 courseOfTherapyType.
func prescriptionKind(res *resource) string {
	code := ""
	if cc := extConcept(res.Extension, "PrescriptionType"); cc != nil && len(cc.Coding) > 0 {
		code = cc.Coding[0].Code
	} else if res.CourseOfTherapyType != nil && len(res.CourseOfTherapyType.Coding) > 0 {
		code = res.CourseOfTherapyType.Coding[0].Code
	}
	switch code {
	case "repeat", "repeat-dispensing", "continuous":
		return "repeat"
	case "acute", "acute-handwritten", "delayed-prescribing":
		return "acute"
	}
	return ""
}

// extConcept returns the CodeableConcept of the first extension whose URL
// contains name.
func extConcept(exts []extension, name string) *concept {
	for i := range exts {
		if strings.Contains(exts[i].URL, name) && exts[i].ValueCodeableConcept != nil {
			return exts[i].ValueCodeableConcept
		}
	}
	return nil
}

// observation writes one result for the Observation's value and one for
// each valued component (blood pressure: systolic and diastolic, in a panel
// named after the observation).
func (r *reader) observation(n *node) {
	res := n.res
	obsTitle := title(r.code(n))
	d := r.firstDate(n, "effectiveDateTime", res.EffectiveDateTime, "effectivePeriod.start", start(res.EffectivePeriod),
		"effectiveInstant", res.EffectiveInstant, "issued", res.Issued)
	at := takenAt(res.EffectiveDateTime, start(res.EffectivePeriod), res.EffectiveInstant, res.Issued)
	if d.IsZero() {
		d = n.panelDate
	}
	wrote := false
	if hasValue(&res.values) {
		out := record.Result{Mark: r.mark(n), Code: pick(r.code(n)), Title: obsTitle, Date: d, At: at, Panel: n.panel}
		setValue(&out, &res.values, res.ReferenceRange)
		r.rec.Results = append(r.rec.Results, out)
		wrote = true
	}
	for i := range res.Component {
		c := &res.Component[i]
		if !hasValue(&c.values) {
			continue
		}
		m := r.mark(n)
		m.Key += ".component[" + strconv.Itoa(i) + "]"
		m.Also = all(c.Code) // the component's own codings, not the panel's
		panel := obsTitle
		if panel == "" {
			panel = n.panel
		}
		out := record.Result{Mark: m, Code: pick(c.Code), Title: title(c.Code), Date: d, At: at, Panel: panel}
		setValue(&out, &c.values, c.ReferenceRange)
		r.rec.Results = append(r.rec.Results, out)
		wrote = true
	}
	if !wrote && len(res.HasMember) == 0 && !hasMemberRelated(res.Related) {
		// A coded observation with no value is a finding ("never smoked",
		// "enhanced review indicated"): kept, because some decide what may
		// leave the practice. Only one with no words at all is dropped.
		if obsTitle == "" && pick(r.code(n)).IsZero() {
			r.skipped(SkipNoValue)
			n.skip = SkipNoValue
			return
		}
		// A GP Connect "Comment note" is a consultation's free text, not a
		// finding: shown, it would be an empty entry titled "Comment
		// note". It is not carried, and counted as such.
		if commentNote(r.code(n)) {
			r.skipped(SkipCommentNote)
			n.skip = SkipCommentNote
			return
		}
		if k := record.DecisionKind(all(r.code(n)), obsTitle); k != "" {
			r.rec.AdvanceDecisions = append(r.rec.AdvanceDecisions, record.AdvanceDecision{
				Mark: r.mark(n), Kind: k, Code: pick(r.code(n)), Title: obsTitle, Date: d, Status: decisionStatus(res.Status)})
			return
		}
		r.rec.Findings = append(r.rec.Findings, record.Finding{Mark: r.mark(n), Code: pick(r.code(n)), Title: obsTitle, Date: d})
	}
}

func hasValue(v *values) bool {
	return v.ValueQuantity != nil || v.ValueCodeableConcept != nil || v.ValueString != nil ||
		v.ValueBoolean != nil || v.ValueInteger != nil || v.ValueRange != nil || v.ValueRatio != nil ||
		v.ValueTime != nil || v.ValueDateTime != nil || v.ValuePeriod != nil ||
		len(v.ValueSampledData) > 0 || len(v.ValueAttachment) > 0
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// quantityWords writes a quantity as "<5 mmol/L".
func quantityWords(q *quantity) string {
	if q == nil || q.Value == nil {
		return ""
	}
	s := q.Comparator + num(*q.Value)
	if u := unit(q); u != "" {
		s += " " + u
	}
	return s
}

func unit(q *quantity) string {
	if q.Unit != "" {
		return q.Unit
	}
	return q.Code
}

// setValue fills a result's value (a number when it is one, words
// otherwise) and reference range.
func setValue(out *record.Result, v *values, ranges []refRange) {
	switch {
	case v.ValueQuantity != nil:
		q := v.ValueQuantity
		out.Unit = unit(q)
		if q.Value != nil {
			if q.Comparator == "" {
				f := *q.Value
				out.Value = &f
			} else {
				// "<5" is not 5: keep it in words.
				out.Text = q.Comparator + num(*q.Value)
			}
		}
	case v.ValueInteger != nil:
		f := *v.ValueInteger
		out.Value = &f
	case v.ValueCodeableConcept != nil:
		out.Text = title(v.ValueCodeableConcept)
	case v.ValueString != nil:
		out.Text = *v.ValueString
	case v.ValueBoolean != nil:
		out.Text = "no"
		if *v.ValueBoolean {
			out.Text = "yes"
		}
	case v.ValueRange != nil:
		out.Text = strings.TrimSpace(quantityWords(v.ValueRange.Low) + " to " + quantityWords(v.ValueRange.High))
	case v.ValueRatio != nil:
		out.Text = quantityWords(v.ValueRatio.Numerator) + " / " + quantityWords(v.ValueRatio.Denominator)
	case v.ValueTime != nil:
		out.Text = *v.ValueTime
	case v.ValueDateTime != nil:
		out.Text = *v.ValueDateTime
	case v.ValuePeriod != nil:
		out.Text = strings.TrimSpace(v.ValuePeriod.Start + " to " + v.ValuePeriod.End)
	case len(v.ValueSampledData) > 0:
		out.Text = "sampled data (not shown)"
	case len(v.ValueAttachment) > 0:
		out.Text = "attachment (not shown)"
	}
	if len(ranges) > 0 {
		if l := ranges[0].Low; l != nil && l.Value != nil {
			f := *l.Value
			out.Low = &f
		}
		if h := ranges[0].High; h != nil && h.Value != nil {
			f := *h.Value
			out.High = &f
		}
		if (out.Low != nil || out.High != nil) && targetRange(&ranges[0]) {
			out.RangeType = record.RangeTarget
		}
	}
}

// targetRange reports whether a reference range is a target rather than a
// normal range: its type is "treatment" or "therapeutic" (HL7
// referencerange-meaning), or its words say target or therapeutic.
func targetRange(r *refRange) bool {
	if r.Type != nil {
		for _, c := range r.Type.Coding {
			switch strings.ToLower(strings.TrimSpace(c.Code)) {
			case "treatment", "therapeutic":
				return true
			}
		}
	}
	for _, words := range []string{r.Text, typeText(r.Type)} {
		w := strings.ToLower(words)
		if strings.Contains(w, "target") || strings.Contains(w, "therapeutic") {
			return true
		}
	}
	return false
}

func typeText(c *concept) string {
	if c == nil {
		return ""
	}
	s := c.Text
	for _, cd := range c.Coding {
		s += " " + cd.Display
	}
	return s
}

type deviceWords struct {
	title string
	code  record.Code
}

// deviceTitle names a device by its kind (a pacemaker), else by the name
// its maker gave it.
func (r *reader) deviceTitle(n *node) deviceWords {
	res := n.res
	types := concepts(res.Type)
	cc := firstTitled(types)
	if cc == nil && len(types) > 0 {
		cc = &types[0] // coded only: its code still names it
	}
	w := deviceWords{title: title(cc), code: pick(cc)}
	if w.title == "" {
		for _, dn := range res.DeviceName {
			if strings.TrimSpace(dn.Name) != "" {
				w.title = strings.TrimSpace(dn.Name)
				break
			}
		}
	}
	if w.title == "" {
		w.title = strings.TrimSpace(res.Model)
	}
	return w
}

// letter writes a DocumentReference as a letter. A text attachment (inline
// or in a Binary in the Bundle) becomes its body; anything else (a PDF, an
// image, a document kept elsewhere) is listed by title only.
func (r *reader) letter(n *node) {
	res := n.res
	l := record.Letter{Mark: r.mark(n)}
	l.Title = strings.TrimSpace(res.Description)
	if l.Title == "" {
		l.Title = title(firstTitled(concepts(res.Type)))
	}
	var ctx docContext
	if len(res.Context) > 0 && res.Context[0] == '{' {
		if json.Unmarshal(res.Context, &ctx) != nil {
			r.fail(n.path+".context", "wrong type (want an object)")
		}
	}
	l.Date = r.firstDate(n, "context.period.start", start(ctx.Period), "created", res.Created, "date", res.Date, "indexed", res.Indexed)
	if authors := references(res.Author); len(authors) > 0 {
		l.From = r.partyName(n, authors[0])
	}
	if l.From == "" && res.Custodian != nil {
		l.From = r.partyName(n, *res.Custodian)
	}
	var content []docContent
	if len(res.Content) > 0 && json.Unmarshal(res.Content, &content) != nil {
		r.fail(n.path+".content", "wrong type (want a list of content)")
	}
	for i, c := range content {
		a := c.Attachment
		if l.Title == "" {
			l.Title = strings.TrimSpace(a.Title)
		}
		if l.Date.IsZero() {
			l.Date = r.date(n, "content["+strconv.Itoa(i)+"].attachment.creation", a.Creation)
		}
		if l.Body != "" || !textual(a.ContentType) {
			continue
		}
		field := n.path + ".content[" + strconv.Itoa(i) + "].attachment.data"
		data := a.Data
		if data == "" && a.URL != "" {
			if b := r.resolve(n, a.URL); b != nil && b.rt == "Binary" {
				data, field = b.res.Data, b.path+".data"
				if data == "" && len(b.res.Content) > 0 && b.res.Content[0] == '"' {
					field = b.path + ".content"
					if json.Unmarshal(b.res.Content, &data) != nil {
						r.fail(field, "wrong type (want base64 data)")
					}
				}
			}
		}
		if data == "" {
			continue
		}
		body, ok := decodeBase64(data)
		if !ok {
			r.fail(field, "invalid base64 data")
			continue
		}
		l.Body = text(body)
		if !markdown(a.ContentType) {
			l.Body = plainMarkdown(l.Body)
		}
	}
	if l.Title == "" {
		l.Title = "Document"
	}
	r.rec.Letters = append(r.rec.Letters, l)
}

// textual reports whether a MIME type is text Satchel can show as a
// letter's Markdown body. HTML and RTF are text, but not Markdown: they are
// listed by title only.
func textual(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "text/plain", "text/markdown", "text/x-markdown":
		return true
	}
	return false
}

func markdown(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "text/markdown" || mt == "text/x-markdown"
}

// plainMarkdown writes plain text as Markdown that renders as the same
// text: punctuation is escaped (so "# 1" or "* note" stay as typed), and
// each line break is kept (an address block stays on its lines) instead of
// being folded into a paragraph.
func plainMarkdown(s string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		for j := 0; j < len(line); j++ {
			if c := line[j]; c < 0x80 && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(line[j])
		}
		if i == len(lines)-1 {
			break
		}
		if line != "" && strings.TrimSpace(lines[i+1]) != "" {
			b.WriteString("\\\n") // a hard line break
		} else {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	return nil, false
}

// text makes a document body safe to hold as a string: valid UTF-8 and
// Unix line endings.
func text(b []byte) string {
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// partyName names the author of a document: a person (with their title),
// an organisation, or the reference's own display text. A PractitionerRole
// is followed to its practitioner, else its organisation.
func (r *reader) partyName(from *node, ref reference) string {
	t := r.resolve(from, ref.Reference)
	if t != nil && t.rt == "PractitionerRole" {
		next := references(t.res.Practitioner)
		if len(next) == 0 {
			next = references(t.res.Organization)
		}
		role := t
		t = nil
		if len(next) > 0 {
			t = r.resolve(role, next[0].Reference)
		}
	}
	switch {
	case t == nil:
	case t == r.patient:
		return r.rec.Patient.Name
	case classOf(t.rt) == classParty:
		names, _ := humanNames(t.res.Name)
		if s := chooseName(names, true); s != "" {
			return s
		}
	}
	return strings.TrimSpace(ref.Display)
}

// code returns a resource's code element, read on first use. It is an
// object in every resource Satchel reads; a wrong shape is an error.
func (r *reader) code(n *node) *concept {
	if n.codeParsed {
		return n.code
	}
	n.codeParsed = true
	raw := n.res.Code
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var cc concept
	if raw[0] != '{' || json.Unmarshal(raw, &cc) != nil {
		r.fail(n.path+".code", "wrong type (want a CodeableConcept)")
		return nil
	}
	n.code = &cc
	return n.code
}

func start(p *period) string {
	if p == nil {
		return ""
	}
	return p.Start
}

// date parses a FHIR date or dateTime held in field of n; a bad one is an
// error naming the field's FHIR path.
func (r *reader) date(n *node, field, v string) record.Date {
	if v == "" {
		return record.Date{}
	}
	d, err := record.ParseDate(v)
	if err != nil {
		r.fail(n.path+"."+field, "%s", err.Error())
		return record.Date{}
	}
	return d
}

// firstDate returns the first date given, from pairs of field name and
// value. Every non-empty value is checked, so a bad date is reported even
// when an earlier one is good.
func (r *reader) firstDate(n *node, pairs ...string) record.Date {
	var first record.Date
	for i := 0; i+1 < len(pairs); i += 2 {
		d := r.date(n, pairs[i], pairs[i+1])
		if first.IsZero() {
			first = d
		}
	}
	return first
}

// takenAt returns, in UTC, the time of day of the first value that is a
// date (the one firstDate picks from the same values), where it is a
// date-time; zero when it is a date alone.
func takenAt(values ...string) time.Time {
	for _, v := range values {
		if d, err := record.ParseDate(v); err != nil || d.IsZero() {
			continue
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC()
		}
		return time.Time{}
	}
	return time.Time{}
}

// consentConcepts returns the concepts that say what a Consent is about:
// its provision's codes first (the decision itself), then its scope,
// categories and policy rule.
func consentConcepts(res *resource) []concept {
	var cs []concept
	if res.Provision != nil {
		cs = append(cs, concepts(res.Provision.Code)...)
	}
	cs = append(cs, concepts(res.Scope)...)
	cs = append(cs, concepts(res.Category)...)
	return append(cs, concepts(res.PolicyRule)...)
}

// consentKind says which kind of advance decision a Consent records, or ""
// for one that is not an advance decision (a consent to share or to
// research). Consent codes (R4 scope "adr", consent categories "dnr",
// "acd" and "polst", v3 ActCode "DNR") say so, as do SNOMED CT and LOINC
// codes and words that name a decision.
func consentKind(n *node) string {
	cs := consentConcepts(n.res)
	var codes []record.Code
	words := ""
	for i := range cs {
		codes = append(codes, all(&cs[i])...)
		words += " " + title(&cs[i])
	}
	if k := record.DecisionKind(codes, words); k != "" {
		return k
	}
	kind := ""
	for _, c := range cs {
		for _, cd := range c.Coding {
			switch strings.ToLower(strings.TrimSpace(cd.Code)) {
			case "dnr":
				return record.DecisionDNACPR
			case "polst":
				kind = record.DecisionEscalation
			case "acd", "adr":
				if kind == "" {
					kind = record.DecisionDirective
				}
			}
		}
	}
	return kind
}

// consent writes a Consent that records an advance decision.
func (r *reader) consent(n *node) {
	res := n.res
	cs := consentConcepts(res)
	var code record.Code
	t := ""
	for i := range cs {
		if record.DecisionKind(all(&cs[i]), title(&cs[i])) != "" {
			code, t = pick(&cs[i]), title(&cs[i])
			break
		}
	}
	m := r.mark(n)
	for i := range cs {
		m.Also = append(m.Also, all(&cs[i])...)
	}
	r.rec.AdvanceDecisions = append(r.rec.AdvanceDecisions, record.AdvanceDecision{
		Mark:   m,
		Kind:   consentKind(n),
		Code:   code,
		Title:  t,
		Date:   r.firstDate(n, "dateTime", res.DateTime, "period.start", start(res.Period)),
		Status: decisionStatus(res.Status),
	})
}

// decisionStatus reads a Consent's or Observation's status: a decision
// that is rejected, inactive, or only proposed is not in force.
func decisionStatus(s string) string {
	switch s {
	case "inactive", "rejected", "draft", "proposed", "cancelled":
		return "inactive"
	}
	return "active"
}
