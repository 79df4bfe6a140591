package record

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// tomlRecord is the on-disk shape of Satchel's own record format.
type tomlRecord struct {
	Patient       Patient        `toml:"patient"`
	Problems      []Problem      `toml:"problems"`
	Medications   []Medication   `toml:"medications"`
	Allergies     []Allergy      `toml:"allergies"`
	Immunisations []Immunisation `toml:"immunisations"`
	Results       []Result       `toml:"results"`
	Procedures    []Procedure    `toml:"procedures"`
	Letters       []Letter       `toml:"letters"`
	Devices       []Device       `toml:"devices"`
	Alerts        []Alert        `toml:"alerts"`
	CarePlans     []CarePlan     `toml:"care_plans"`
	// Contacts are written [[contacts]]: relationship, name, phone.
	Contacts   []Contact   `toml:"contacts"`
	Encounters []Encounter `toml:"encounters"`
	Referrals  []Referral  `toml:"referrals"`
	Findings   []Finding   `toml:"findings"`
	// AdvanceDecisions are written [[advance_decisions]], with kind one of
	// dnacpr, adrt, escalation or directive.
	AdvanceDecisions []AdvanceDecision `toml:"advance_decisions"`
}

// ReadTOML reads a record in Satchel's TOML format from path. The record's
// ID is the file's stem. Errors name the file, line and field, never a value.
func ReadTOML(path string) (*Record, error) {
	data, err := input.Read(path, "", input.MaxRecord)
	if err != nil {
		return nil, strict.Errorf(path, 0, "", "cannot read: %s", input.Reason(err))
	}
	return DecodeTOML(path, data)
}

// DecodeTOML decodes data, the content of the record file at path.
func DecodeTOML(path string, data []byte) (*Record, error) {
	if len(data) > input.MaxRecordTOML {
		return nil, strict.Errorf(path, 0, "", "too large for a TOML record: the limit is %d MiB", input.MaxRecordTOML>>20)
	}
	var t tomlRecord
	md, err := strict.Decode(path, data, &t)
	if err != nil {
		return nil, err
	}
	r := &Record{
		ID:            Stem(path),
		Source:        path,
		Format:        "satchel-toml",
		Patient:       t.Patient,
		Problems:      t.Problems,
		Medications:   t.Medications,
		Allergies:     t.Allergies,
		Immunisations: t.Immunisations,
		Results:       t.Results,
		Procedures:    t.Procedures,
		Letters:       t.Letters,
		Devices:       t.Devices,
		Alerts:        t.Alerts,
		CarePlans:     t.CarePlans,
		Contacts:      t.Contacts,
		Encounters:    t.Encounters,
		Referrals:     t.Referrals,
		Findings:      t.Findings,

		AdvanceDecisions: t.AdvanceDecisions,
	}
	var errs []error
	need := func(ok bool, line int, field, what string) {
		if !ok {
			errs = append(errs, strict.Errorf(path, line, field, "missing %s", what))
		}
	}
	if !md.IsDefined("patient") {
		errs = append(errs, strict.Errorf(path, 0, "patient", "missing [patient] table"))
	} else {
		need(r.Patient.Name != "", strict.KeyLine(data, []string{"patient"}), "patient.name", "the patient's name")
		if l := r.Patient.Language; l != "" && !slices.Contains(i18n.Available(), l) {
			errs = append(errs, strict.Errorf(path, strict.KeyLine(data, []string{"patient", "language"}), "patient.language", "no labels for language %q: Satchel has %s", l, strings.Join(i18n.Available(), ", ")))
		}
		if th := r.Patient.Theme; th != "" && !themeName.MatchString(th) {
			errs = append(errs, strict.Errorf(path, strict.KeyLine(data, []string{"patient", "theme"}), "patient.theme", "%q is not a theme name: lower-case letters, digits and dashes, such as large-print", th))
		}
		if !r.Patient.Died.IsZero() {
			r.Patient.Deceased = true
			if r.Patient.Died.Before(r.Patient.Born) {
				errs = append(errs, strict.Errorf(path, strict.KeyLine(data, []string{"patient", "died"}), "patient.died", "is before the date of birth"))
			}
		}
	}
	keyed(r.Problems, "problems", func(p *Problem, field string) {
		need(p.Title != "", 0, field+".title", "a title")
		if p.Status == "" {
			p.Status = "active"
		}
		errs = appendEnum(errs, path, field+".status", p.Status, "active", "resolved", "inactive")
	})
	keyed(r.Medications, "medications", func(m *Medication, field string) {
		need(m.Name != "", 0, field+".name", "a name")
		if m.Status == "" {
			m.Status = "current"
		}
		errs = appendEnum(errs, path, field+".status", m.Status, "current", "stopped")
		if m.Kind != "" {
			errs = appendEnum(errs, path, field+".kind", m.Kind, "repeat", "acute")
		}
	})
	keyed(r.Allergies, "allergies", func(a *Allergy, field string) {
		need(a.Substance != "", 0, field+".substance", "a substance")
		if a.Status == "" {
			a.Status = "active"
		}
		errs = appendEnum(errs, path, field+".status", a.Status, "active", "inactive", "resolved")
		if a.Severity != "" {
			errs = appendEnum(errs, path, field+".severity", a.Severity, "mild", "moderate", "severe")
		}
	})
	keyed(r.Immunisations, "immunisations", func(i *Immunisation, field string) {
		need(i.Vaccine != "", 0, field+".vaccine", "a vaccine")
	})
	keyed(r.Results, "results", func(res *Result, field string) {
		need(res.Title != "", 0, field+".title", "a title")
		need(res.Value != nil || res.Text != "", 0, field+".value", "a value or text")
		if res.RangeType != "" {
			errs = appendEnum(errs, path, field+".range_type", res.RangeType, "normal", RangeTarget)
			if res.RangeType == "normal" {
				res.RangeType = RangeNormal
			}
		}
	})
	keyed(r.Procedures, "procedures", func(p *Procedure, field string) {
		need(p.Title != "", 0, field+".title", "a title")
	})
	titled := func(section string, n int, title func(int) string) {
		for i := 0; i < n; i++ {
			field := fmt.Sprintf("%s[%d]", section, i)
			need(title(i) != "", 0, field+".title", "a title")
		}
	}
	keyed(r.Devices, "devices", func(*Device, string) {})
	titled("devices", len(r.Devices), func(i int) string { return r.Devices[i].Title })
	keyed(r.Alerts, "alerts", func(*Alert, string) {})
	titled("alerts", len(r.Alerts), func(i int) string { return r.Alerts[i].Title })
	keyed(r.CarePlans, "care_plans", func(c *CarePlan, field string) {
		if c.Status == "" {
			c.Status = "active"
		}
		errs = appendEnum(errs, path, field+".status", c.Status, "active", "draft", "on-hold", "revoked", "completed", "unknown")
	})
	keyed(r.Contacts, "contacts", func(c *Contact, field string) {
		need(c.Name != "" || c.Phone != "", 0, field+".name", "a name or a phone number")
	})
	titled("care_plans", len(r.CarePlans), func(i int) string { return r.CarePlans[i].Title })
	keyed(r.Encounters, "encounters", func(*Encounter, string) {})
	titled("encounters", len(r.Encounters), func(i int) string { return r.Encounters[i].Title })
	keyed(r.Referrals, "referrals", func(*Referral, string) {})
	titled("referrals", len(r.Referrals), func(i int) string { return r.Referrals[i].Title })
	keyed(r.Findings, "findings", func(*Finding, string) {})
	titled("findings", len(r.Findings), func(i int) string { return r.Findings[i].Title })
	keyed(r.AdvanceDecisions, "advance_decisions", func(a *AdvanceDecision, field string) {
		errs = appendEnum(errs, path, field+".kind", a.Kind, DecisionDNACPR, DecisionADRT, DecisionEscalation, DecisionDirective)
		if a.Status == "" {
			a.Status = "active"
		}
		errs = appendEnum(errs, path, field+".status", a.Status, "active", "inactive")
	})
	dir := filepath.Dir(path)
	keyed(r.Letters, "letters", func(l *Letter, field string) {
		need(l.Title != "", 0, field+".title", "a title")
		if l.File == "" {
			need(false, 0, field+".file", "the letter's Markdown file")
			return
		}
		if filepath.IsAbs(l.File) || strings.Contains(filepath.ToSlash(l.File), "../") {
			errs = append(errs, strict.Errorf(path, 0, field+".file", "must name a file beside the record"))
			return
		}
		body, err := input.Read(filepath.Join(dir, l.File), dir, input.MaxLetter)
		if err != nil {
			errs = append(errs, strict.Errorf(path, 0, field+".file", "cannot read the letter: %s", input.Reason(err)))
			return
		}
		l.Body = string(body)
	})
	// At most strict.MaxErrors are placed on their lines: each costs a
	// walk through the file.
	if err := strict.Join(path, errs); err != nil {
		return nil, fixLines(data, err)
	}
	return r, nil
}

// keyed gives each entry its Key ("problems[0]") and runs check on it.
func keyed[T any, P interface {
	*T
	Entry
}](s []T, section string, check func(P, string)) {
	for i := range s {
		p := P(&s[i])
		field := fmt.Sprintf("%s[%d]", section, i)
		Marked(p).Key = field
		check(p, field)
	}
}

// themeName is what a theme's name may be (site.toml's theme alike).
var themeName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func appendEnum(errs []error, path, field, v string, allowed ...string) []error {
	for _, a := range allowed {
		if v == a {
			return errs
		}
	}
	return append(errs, strict.Errorf(path, 0, field, "must be one of %s", strings.Join(allowed, ", ")))
}

// fixLines fills in the line of "section[i].field" errors by counting
// [[section]] headers in data.
func fixLines(data []byte, err error) error {
	var out []error
	for _, e := range strict.Split(err) {
		var se *strict.Error
		if errors.As(e, &se) && se.Line == 0 {
			se.Line = entryLine(data, se.Field)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// entryLine finds the line of the i-th [[section]] header for a field such
// as "letters[2].file".
func entryLine(data []byte, field string) int {
	var section string
	var idx int
	if n, _ := fmt.Sscanf(strings.Replace(strings.SplitN(field, ".", 2)[0], "[", " ", 1), "%s %d]", &section, &idx); n != 2 {
		return 0
	}
	seen := -1
	header := "[[" + section + "]]"
	lines := strings.Split(string(data), "\n")
	_, key, _ := strings.Cut(field, ".")
	for i, line := range lines {
		if strings.ReplaceAll(strings.TrimSpace(line), " ", "") != header {
			continue
		}
		if seen++; seen != idx {
			continue
		}
		// The entry's own line for the field, if it is set there.
		for j := i + 1; j < len(lines) && key != ""; j++ {
			t := strings.TrimSpace(lines[j])
			if strings.HasPrefix(t, "[") {
				break
			}
			if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
				return j + 1
			}
		}
		return i + 1
	}
	return 0
}

// Stem returns a file's name without folder and extension(s), e.g.
// "records/ab12.json" -> "ab12".
func Stem(path string) string {
	base := filepath.Base(path)
	if i := strings.Index(base, "."); i > 0 {
		return base[:i]
	}
	return base
}
