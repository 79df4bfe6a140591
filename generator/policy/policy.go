package policy

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// Rule names, as review sheets and the manifest report them.
const (
	RuleMarkedWithheld = "marked-withheld"
	RuleThirdParty     = "third-party"
	RuleSecurityLabel  = "security-label"
	RuleSensitiveCode  = "sensitive-code"
	BlockEnhanced      = "enhanced-review-indicated"
	BlockDeclined      = "online-access-declined"
	BlockUnder16       = "under-16-without-competence-assessment"
	BlockDeceased      = "deceased"
)

// SNOMED CT codes that act on the whole patient.
const (
	CodeEnhancedReview    = "1364731000000104" // enhanced review indicated before granting access
	CodeNoEnhancedReview  = "1364751000000106" // enhanced review not indicated
	CodeOnlineDeclined    = "1290331000000103" // online access declined by patient
	defaultMinAge         = 16
	confidentialRestrict  = "R"
	confidentialVeryRestr = "V"
)

// Rules are the withholding and blocking rules. DefaultRules gives the
// defaults; site.toml may override them.
//
// An approval records the rules in force when it was given (its [policy]
// table), under site.toml's names, so that loosening them after approval
// needs a new one.
type Rules struct {
	// Labels are security labels that withhold an entry unless the approval
	// names it: confidentiality R and V and sensitivity codes.
	Labels []string `toml:"withhold_labels"`
	// SensitiveCodes are SNOMED CT codes withheld by default (e.g.
	// termination of pregnancy, gender identity, safeguarding). They match
	// a code in any spelling of SNOMED CT, and a dm+d code, since dm+d
	// identifiers are SNOMED CT identifiers (record.System.IsSNOMED).
	SensitiveCodes []string `toml:"sensitive_codes"`
	// MinAge is the age below which a patient needs a competence assessment.
	MinAge int `toml:"min_age"`
	// AllowDeceased lets a patient who has died be built; otherwise the
	// record is blocked by BlockDeceased.
	AllowDeceased bool `toml:"allow_deceased"`
}

// Canonical returns the rules in the one form approvals compare: labels
// as NormLabel spells them and codes trimmed, each list sorted with no
// repeats. Rules with the same Canonical form withhold and block exactly
// the same entries and patients, however site.toml is written.
func (rules Rules) Canonical() Rules {
	set := func(vs []string, norm func(string) string) []string {
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			out = append(out, norm(v))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	rules.Labels = set(rules.Labels, NormLabel)
	rules.SensitiveCodes = set(rules.SensitiveCodes, strings.TrimSpace)
	return rules
}

// Differences names, as site.toml's [policy] spells them, each rule whose
// value differs between rules and other, compared in Canonical form.
func (rules Rules) Differences(other Rules) []string {
	a, b := rules.Canonical(), other.Canonical()
	var diff []string
	if !slices.Equal(a.Labels, b.Labels) {
		diff = append(diff, "withhold_labels")
	}
	if !slices.Equal(a.SensitiveCodes, b.SensitiveCodes) {
		diff = append(diff, "sensitive_codes")
	}
	if a.MinAge != b.MinAge {
		diff = append(diff, "min_age")
	}
	if a.AllowDeceased != b.AllowDeceased {
		diff = append(diff, "allow_deceased")
	}
	return diff
}

// DefaultRules returns the rules Satchel applies unless site.toml says
// otherwise.
func DefaultRules() Rules {
	return Rules{
		Labels: []string{confidentialRestrict, confidentialVeryRestr,
			"HIV", "PSY", "PSYTHPN", "SDV", "ETH", "SEX", "STD", "SUD", "SICKLE", "GDIS", "DRGIS", "BH", "MH", "SOC"},
		// A starting list, not a complete one: each practice adds its own
		// in site.toml ([policy] sensitive_codes).
		SensitiveCodes: []string{
			"386639001", // termination of pregnancy
			"86406008",  // human immunodeficiency virus infection
			"165816005", // HIV positive
		},
		MinAge: defaultMinAge,
	}
}

// Decision is the outcome of applying the rules to one record.
type Decision struct {
	// Reason explains why the record is blocked, in words that carry no
	// patient data; empty when it is not.
	Reason string
	// Out holds only what may leave the practice; nil when blocked.
	Out *record.Record
	// Entries says, for every entry of the record, whether it goes out and
	// under which rule it is withheld: for the review sheet.
	Entries []EntryDecision
	// Blocks are the patient-level rules that stopped the bundle.
	Blocks []string
	// Withheld counts withheld entries per rule.
	Withheld map[string]int
}

// EntryDecision is the fate of one entry.
type EntryDecision struct {
	Key      string
	Label    string
	Exported bool
	Rule     string // empty when exported
	Reason   string // the practice's own reason, for marked-withheld
	// TextNotCarried names the entry's free-text parts that the export
	// held and Satchel does not carry ("note").
	TextNotCarried []string
}

// The two ways an approval fails to cover a record, as Check returns them.
// Their messages carry no patient data. Check wraps ErrChanged in a
// *ChangedError that names what changed; test for it with errors.Is.
var (
	ErrAwaitingApproval = errors.New("awaiting approval: no approval file")
	ErrChanged          = errors.New("record changed since it was approved: review it and approve again")
)

// ChangedError says which of the inputs an approval covers changed since
// it was given. Its message names them, never their content.
type ChangedError struct {
	// Legacy is set when the approval was written before Satchel recorded
	// the key file and release policy: it cannot say what it covered.
	Legacy bool
	Record bool     // the record file or one of its letters
	Key    string   // "changed", "added" or "removed"; empty when the key file is as approved
	Policy []string // the [policy] rules whose values changed, as site.toml names them
}

// Error names what changed, and says to approve again.
func (e *ChangedError) Error() string {
	if e.Legacy {
		return "changed since approval: approved before satchel recorded the key and release policy: approve again"
	}
	if e.Key == "" && len(e.Policy) == 0 {
		return ErrChanged.Error()
	}
	var parts []string
	if e.Record {
		parts = append(parts, "the record or one of its letters changed")
	}
	if e.Key != "" {
		parts = append(parts, "the patient's key file "+map[string]string{"changed": "changed", "added": "was added", "removed": "was removed"}[e.Key])
	}
	if len(e.Policy) > 0 {
		parts = append(parts, "the site's release policy changed ("+strings.Join(e.Policy, ", ")+")")
	}
	return "changed since approval: " + strings.Join(parts, "; ") + ": review it and approve again"
}

// Is makes errors.Is(err, ErrChanged) hold for every ChangedError.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }

// Inputs are everything an approval covers: every input that decides what
// leaves the practice for one patient.
type Inputs struct {
	Record  []byte          // the record file's bytes
	Letters []record.Letter // the record's letters
	// Key is the bytes of the patient's own key file (patient.public_key),
	// nil when the record names none: absence is recorded too, so that a
	// key added later needs a new approval.
	Key []byte
	// Rules are the release rules in force: site.toml's [policy] over
	// Satchel's defaults (ForSite).
	Rules Rules
}

// Check compares an approval with the inputs of one record. It returns nil
// when the approval covers exactly these inputs, so the record may go on
// to the rules; ErrAwaitingApproval when there is no approval; and a
// *ChangedError (errors.Is ErrChanged) naming what changed since: the
// record or a letter, the patient's key file, or a release rule. An
// approval from before Satchel recorded the key file and rules fails
// closed: it is changed.
func Check(a *Approval, in Inputs) error {
	if a == nil {
		return ErrAwaitingApproval
	}
	if a.KeySHA256 == "" || a.Policy == nil {
		return &ChangedError{Legacy: true}
	}
	e := &ChangedError{Record: a.SHA256 != Digest(in.Record, in.Letters)}
	switch key := KeyDigest(in.Key); {
	case a.KeySHA256 == key:
	case a.KeySHA256 == NoKey:
		e.Key = "added"
	case key == NoKey:
		e.Key = "removed"
	default:
		e.Key = "changed"
	}
	e.Policy = a.Policy.Differences(in.Rules)
	if !e.Record && e.Key == "" && len(e.Policy) == 0 {
		return nil
	}
	return e
}

// Blocked reports whether a patient-level rule stopped the record.
func (d Decision) Blocked() bool { return len(d.Blocks) > 0 }

// Apply applies the rules to r, approved by a (nil if not yet approved),
// on date now. Review sheets apply them whatever the approval says; a build
// applies them only once Check has passed.
func (rules Rules) Apply(r *record.Record, a *Approval, now time.Time) Decision {
	d := Decision{Withheld: map[string]int{}}
	named := map[string]bool{}
	if a != nil {
		for _, k := range a.Named {
			named[k] = true
		}
	}
	labels := map[string]bool{}
	for _, l := range rules.Labels {
		labels[NormLabel(l)] = true
	}
	sensitive := map[string]bool{}
	for _, c := range rules.SensitiveCodes {
		sensitive[strings.TrimSpace(c)] = true
	}

	// Patient-level blocks: the most recent of the enhanced-review codes
	// decides; a recorded refusal of access always blocks.
	var enhanced, notEnhanced record.Date
	var enhancedSeen, notEnhancedSeen bool
	for _, e := range r.Entries() {
		for _, c := range e.Codes() {
			if !c.System.IsSNOMED() {
				continue
			}
			switch strings.TrimSpace(c.Value) {
			case CodeEnhancedReview:
				if !enhancedSeen || enhanced.Before(e.When()) {
					enhanced = e.When()
				}
				enhancedSeen = true
			case CodeNoEnhancedReview:
				if !notEnhancedSeen || notEnhanced.Before(e.When()) {
					notEnhanced = e.When()
				}
				notEnhancedSeen = true
			case CodeOnlineDeclined:
				d.Blocks = appendOnce(d.Blocks, BlockDeclined)
			}
		}
	}
	if enhancedSeen && !(notEnhancedSeen && enhanced.Before(notEnhanced)) {
		d.Blocks = appendOnce(d.Blocks, BlockEnhanced)
	}
	if r.Patient.HasDied() && !rules.AllowDeceased {
		d.Blocks = appendOnce(d.Blocks, BlockDeceased)
	}
	// Ages are counted to the date of death where there is one: a child
	// who died aged 11 stays 11.
	at := now
	if died := r.Patient.Died; !died.IsZero() && died.Time.Before(now) {
		at = died.Time
	}
	// Age fails closed: a partial birth date counts as its latest possible
	// day, and no birth date at all blocks unless the approval confirms an
	// adult.
	age, known := ageOn(r.Patient.Born, at)
	if (known && age < rules.MinAge) || (!known && (a == nil || !a.AdultConfirmed)) {
		if a == nil || a.Competence == nil {
			d.Blocks = appendOnce(d.Blocks, BlockUnder16)
		}
	}

	keep := func(e record.Entry) bool {
		m := record.Marked(e)
		rule := ""
		switch {
		case m.Withheld:
			rule = RuleMarkedWithheld
		case m.ThirdParty:
			rule = RuleThirdParty
		case hasLabel(m.Labels, labels) && !named[m.Key]:
			rule = RuleSecurityLabel
		case (hasSensitiveCode(e.Codes(), sensitive) || hasSensitiveCode(m.Linked, sensitive)) && !named[m.Key]:
			rule = RuleSensitiveCode
		case isPatientLevel(e.Codes()):
			// Access codes are about the record, not clinical content:
			// they stay in the practice.
			rule = "access-code"
		}
		ed := EntryDecision{Key: m.Key, Label: e.Label(), Exported: rule == "", Rule: rule, TextNotCarried: m.TextNotCarried}
		if rule == RuleMarkedWithheld {
			ed.Reason = m.Reason
		}
		d.Entries = append(d.Entries, ed)
		if rule != "" {
			d.Withheld[rule]++
		}
		return rule == ""
	}
	out := r.Filter(keep)
	if d.Blocked() {
		d.Reason = "blocked by rule: " + strings.Join(d.Blocks, ", ")
		return d
	}
	d.Out = out
	return d
}

// Horizon returns the first instant after now at which Apply could judge
// r otherwise than it does at now, whatever the approval: the day the
// patient reaches the minimum age (two days early, so that no time zone
// sees it first), or a date of death still to come. It is the zero time
// when no instant after now changes anything: Apply depends on the clock
// through the patient's age alone. An incremental build that skips a
// patient without reading the record again does so only before it.
func (rules Rules) Horizon(r *record.Record, now time.Time) time.Time {
	var h time.Time
	earlier := func(t time.Time) {
		if h.IsZero() || t.Before(h) {
			h = t
		}
	}
	died := r.Patient.Died
	if !died.IsZero() && died.Time.After(now) {
		earlier(died.Time)
	}
	// After a death, the age Apply counts is the age at death: fixed.
	alive := died.IsZero() || died.Time.After(now)
	if age, known := ageOn(r.Patient.Born, now); alive && known && age < rules.MinAge {
		by, bm, bd := latestDay(r.Patient.Born)
		earlier(time.Date(by+rules.MinAge, bm, bd, 0, 0, 0, 0, time.UTC).Add(-48 * time.Hour))
	}
	if !h.IsZero() && !h.After(now) {
		// The clock is near enough a change that nothing may be assumed.
		return now
	}
	return h
}

func isPatientLevel(codes []record.Code) bool {
	for _, c := range codes {
		if !c.System.IsSNOMED() {
			continue
		}
		switch strings.TrimSpace(c.Value) {
		case CodeEnhancedReview, CodeNoEnhancedReview, CodeOnlineDeclined:
			return true
		}
	}
	return false
}

// NormLabel returns a security label in the one spelling rules compare:
// upper case, with all whitespace removed ("r ", " V" read as R, V).
func NormLabel(l string) string {
	return strings.ToUpper(strings.Join(strings.Fields(l), ""))
}

func hasLabel(have []string, withheld map[string]bool) bool {
	for _, l := range have {
		if withheld[NormLabel(l)] {
			return true
		}
	}
	return false
}

// hasSensitiveCode reports whether any of codes is one of the sensitive
// SNOMED CT codes, in whatever spelling of the system (record.System
// IsSNOMED; a dm+d identifier is a SNOMED CT identifier too).
func hasSensitiveCode(codes []record.Code, sensitive map[string]bool) bool {
	for _, c := range codes {
		if c.System.IsSNOMED() && sensitive[strings.TrimSpace(c.Value)] {
			return true
		}
	}
	return false
}

// ageOn returns the patient's age in whole years on now, and false when
// there is no birth date. A partial birth date ("2010", "2010-12") counts
// as the latest day it may mean, so that the age is never overstated.
func ageOn(born record.Date, now time.Time) (int, bool) {
	if born.IsZero() || born.Precision == record.Unknown {
		return 0, false
	}
	by, bm, bd := latestDay(born)
	ny, nm, nd := now.Date()
	age := ny - by
	if nm < bm || (nm == bm && nd < bd) {
		age--
	}
	return age, true
}

// latestDay returns the latest day a birth date may mean: 31 December of
// a year, the last day of a month.
func latestDay(born record.Date) (int, time.Month, int) {
	by, bm, bd := born.Time.Date()
	switch born.Precision {
	case record.Year:
		bm, bd = time.December, 31
	case record.Month:
		bd = time.Date(by, bm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	return by, bm, bd
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// ForSite returns the default rules with each of a site's [policy]
// settings that is set replacing its default: the practice's own sensitive
// codes, labels and minimum age, and whether patients who have died may be
// built.
func ForSite(p site.Policy) Rules {
	rules := DefaultRules()
	rules.AllowDeceased = p.AllowDeceased
	if p.SensitiveCodes != nil {
		rules.SensitiveCodes = p.SensitiveCodes
	}
	if p.Labels != nil {
		rules.Labels = p.Labels
	}
	if p.MinAge > 0 {
		rules.MinAge = p.MinAge
	}
	return rules
}
