// Package site loads site.toml: the practice's configuration. It decodes the
// file strictly into a typed struct, then validates and derives in a
// separate step, reporting every problem at once with its line.
package site

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/satchel-records/satchel/generator/phone"
	"github.com/satchel-records/satchel/internal/input"
	"github.com/satchel-records/satchel/internal/strict"
)

// Config is a validated site.toml, with every path joined to the folder
// that holds it.
type Config struct {
	File string // the site.toml it was read from
	Root string // the folder holding File; relative paths start here

	Practice Practice

	RecordsDir string // patient records and their approvals
	// EducationDir holds the practice's own education pages, each
	// replacing the built-in page of the same name; "" for the built-in
	// library alone.
	EducationDir string
	PublicDir    string // only what may be handed out or hosted
	PrivateDir   string // key cards, manifest, master secret (0700)
	TemplatesDir string // optional: practice templates overriding the built-in ones
	ThemesDir    string // optional: practice themes overriding the built-in ones
	Theme        string // theme name, "default" unless set

	// BaseURL, when set, is where public_dir is hosted; key card QR codes
	// then hold a link that opens the record with no typing. Ends in "/".
	BaseURL string
	// Languages lists the languages shown beside English for the record's
	// fixed labels (e.g. "fr", "es", "de").
	Languages []string
	// CurrentDays is how many days after export a record is considered
	// current; after that the viewer and the record warn that it may be out
	// of date (they never lock). Default 90.
	CurrentDays int
	// Policy overrides the default withholding rules where set.
	Policy Policy
	// HighRisk adds medicines to flag as high-risk in the emergency
	// summary, beside the built-in list.
	HighRisk []HighRiskMedicine
	// PDF writes record-<tag>.pdf beside each card's gpg file: the record
	// as a password-protected PDF a phone's own reader opens offline.
	// Default true; "pdf = false" turns it off.
	PDF bool
	// Placeholders name the practice details still as satchel init wrote
	// them (file, line and field): satchel check warns of each, and a
	// build refuses to start, since cards and records would carry them.
	Placeholders []error
}

// Policy is site.toml's [policy] table. A nil list or zero MinAge keeps
// Satchel's default.
type Policy struct {
	SensitiveCodes []string `toml:"sensitive_codes"` // SNOMED CT codes withheld unless named in the approval
	Labels         []string `toml:"withhold_labels"` // security labels withheld unless named in the approval
	MinAge         int      `toml:"min_age"`         // below this age a competence assessment is needed
	// AllowDeceased lets records of patients who have died be built; by
	// default they are blocked (rule "deceased").
	AllowDeceased bool `toml:"allow_deceased"`
}

// HighRiskMedicine is one entry of site.toml's [[high_risk]] list: a
// medicine matched by code or by a word in its name.
type HighRiskMedicine struct {
	Code  string `toml:"code"`  // e.g. "DMD:108503006"; optional
	Name  string `toml:"name"`  // a word in the medicine's name, e.g. "apixaban"; optional
	Group string `toml:"group"` // why it is high-risk, e.g. "anticoagulant"
}

// Practice describes the GP practice that issues the records.
type Practice struct {
	Name    string `toml:"name"`
	Address string `toml:"address"`
	Phone   string `toml:"phone"` // as written; Load checks it can be dialled from abroad
	ODS     string `toml:"ods_code"`
	// Email, Hours and OutOfHours are optional: how to reach the practice,
	// when it is open ("Monday to Friday, 8am to 6:30pm") and the number
	// to call when it is closed.
	Email      string `toml:"email"`
	Hours      string `toml:"hours"`
	OutOfHours string `toml:"out_of_hours"`
}

// Dial is a phone number as printed in the record and as a tel: link.
type Dial struct {
	Text string       // "+44 1632 960123"
	URI  template.URL // "tel:+441632960123"
}

// PhoneDial returns the practice's phone number in international form, or
// nil if there is none. A number Load would refuse is printed as written,
// with no link.
func (p Practice) PhoneDial() *Dial { return dial(p.Phone) }

// OutOfHoursDial returns the out-of-hours number like PhoneDial.
func (p Practice) OutOfHoursDial() *Dial { return dial(p.OutOfHours) }

// NewDial returns any phone number s (a contact's, as recorded) like
// PhoneDial: in international form with a tel: link when it can be
// dialled, else as written with no link; nil when s is empty.
func NewDial(s string) *Dial { return dial(s) }

func dial(s string) *Dial {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	n, err := phone.Parse(s)
	if err != nil {
		return &Dial{Text: strings.TrimSpace(s)}
	}
	return &Dial{Text: n.String(), URI: template.URL(n.URI())}
}

// file is the on-disk shape of site.toml.
type file struct {
	Practice  Practice `toml:"practice"`
	Records   string   `toml:"records"`
	Education string   `toml:"education"`
	Theme     string   `toml:"theme"`
	PublicDir string   `toml:"public_dir"`
	Private   string   `toml:"private_dir"`
	Templates string   `toml:"templates_dir"`
	Themes    string   `toml:"themes_dir"`

	BaseURL     string             `toml:"base_url"`
	Languages   []string           `toml:"languages"`
	CurrentDays int                `toml:"current_days"`
	Policy      Policy             `toml:"policy"`
	HighRisk    []HighRiskMedicine `toml:"high_risk"`
	PDF         *bool              `toml:"pdf"`
}

var (
	odsCode = regexp.MustCompile(`^[A-Z0-9]{3,10}$`)
	// email is deliberately plain: one @, a dot in the domain, no spaces
	// or characters that would need quoting in a mailto: link.
	email = regexp.MustCompile(`^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
)

// maxHours bounds the opening-hours line, which is printed as one line.
const maxHours = 200

// Load reads and validates the site file at path.
func Load(path string) (*Config, error) {
	data, err := input.Read(path, "", input.MaxSite)
	if err != nil {
		return nil, strict.Errorf(path, 0, "", "cannot read the site file: %s", reason(err))
	}
	return Parse(path, data)
}

// Parse validates data, the content of the site file at path.
func Parse(path string, data []byte) (*Config, error) {
	var f file
	md, err := strict.Decode(path, data, &f)
	// Decoding errors (syntax, types) stop here; unknown keys are reported
	// together with the validation problems below.
	var errs []error
	if err != nil {
		for _, e := range strict.Split(err) {
			if strict.IsUnknownField(e) {
				errs = append(errs, e)
				continue
			}
			return nil, err
		}
	}
	line := func(key ...string) int { return strict.KeyLine(data, key) }
	var placeholders []error
	missing := func(field string, key ...string) {
		l := line(key[:len(key)-1]...)
		if len(key) == 1 {
			l = 0
		}
		errs = append(errs, strict.Errorf(path, l, field, "required field is missing"))
	}
	if !md.IsDefined("practice") {
		errs = append(errs, strict.Errorf(path, 0, "practice", "missing [practice] table"))
	} else {
		for _, k := range []struct{ key, val string }{
			{"name", f.Practice.Name}, {"address", f.Practice.Address}, {"phone", f.Practice.Phone}, {"ods_code", f.Practice.ODS},
		} {
			if strings.TrimSpace(k.val) == "" {
				missing("practice."+k.key, "practice", k.key)
			}
		}
		if f.Practice.ODS != "" && !odsCode.MatchString(f.Practice.ODS) {
			errs = append(errs, strict.Errorf(path, line("practice", "ods_code"), "practice.ods_code", "must be 3 to 10 capital letters and digits, such as Y12345"))
		}
		for _, k := range []struct{ key, val string }{{"phone", f.Practice.Phone}, {"out_of_hours", f.Practice.OutOfHours}} {
			if _, err := phone.Parse(k.val); strings.TrimSpace(k.val) != "" && err != nil {
				errs = append(errs, strict.Errorf(path, line("practice", k.key), "practice."+k.key, "%s", err))
			}
		}
		if md.IsDefined("practice", "out_of_hours") && strings.TrimSpace(f.Practice.OutOfHours) == "" {
			errs = append(errs, strict.Errorf(path, line("practice", "out_of_hours"), "practice.out_of_hours", "is empty: give a phone number or leave the line out"))
		}
		if md.IsDefined("practice", "email") && !email.MatchString(f.Practice.Email) {
			errs = append(errs, strict.Errorf(path, line("practice", "email"), "practice.email", "must be an email address such as reception@example.org"))
		}
		for _, k := range []struct{ key, val, example string }{
			{"name", f.Practice.Name, initName}, {"address", f.Practice.Address, initAddress}, {"ods_code", f.Practice.ODS, initODS},
		} {
			if strings.TrimSpace(k.val) == k.example {
				placeholders = append(placeholders, strict.Errorf(path, line("practice", k.key), "practice."+k.key, "is still satchel init's example: put in your practice's own"))
			}
		}
		if h := f.Practice.Hours; md.IsDefined("practice", "hours") && (strings.TrimSpace(h) == "" || len(h) > maxHours || strings.ContainsAny(h, "\r\n")) {
			errs = append(errs, strict.Errorf(path, line("practice", "hours"), "practice.hours", "must be one line of at most %d characters, such as Monday to Friday, 8am to 6:30pm", maxHours))
		}
	}
	if f.Records == "" {
		missing("records", "records")
	}
	// Paths stay relative to the working folder when site.toml's path is,
	// so that messages name files as the user would type them.
	root := filepath.Dir(path)
	c := &Config{
		Placeholders: placeholders,
		File:         path,
		Root:         root,
		Practice:     f.Practice,
		RecordsDir:   join(root, f.Records),
		EducationDir: join(root, f.Education),
		PublicDir:    join(root, or(f.PublicDir, "public")),
		PrivateDir:   join(root, or(f.Private, "private")),
		TemplatesDir: join(root, f.Templates),
		ThemesDir:    join(root, f.Themes),
		Theme:        or(f.Theme, "default"),
	}
	c.BaseURL, c.Languages, c.Policy, c.HighRisk = f.BaseURL, f.Languages, f.Policy, f.HighRisk
	c.CurrentDays = f.CurrentDays
	c.PDF = f.PDF == nil || *f.PDF
	if !md.IsDefined("current_days") {
		c.CurrentDays = 90
	} else if c.CurrentDays < 1 {
		errs = append(errs, strict.Errorf(path, line("current_days"), "current_days", "must be a whole number of days, at least 1"))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			errs = append(errs, strict.Errorf(path, line("base_url"), "base_url", "must be an http or https address, such as https://records.example.nhs.uk/"))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, strict.Errorf(path, line("base_url"), "base_url", "must not have a query or fragment"))
		default:
			if !strings.HasSuffix(c.BaseURL, "/") {
				c.BaseURL += "/"
			}
		}
	}
	for _, l := range c.Languages {
		if !regexp.MustCompile(`^[a-z]{2}$`).MatchString(l) {
			errs = append(errs, strict.Errorf(path, line("languages"), "languages", "must be two-letter language codes such as fr, es, de"))
			break
		}
	}
	if c.Policy.MinAge < 0 || c.Policy.MinAge > 18 {
		errs = append(errs, strict.Errorf(path, line("policy", "min_age"), "policy.min_age", "must be between 0 and 18"))
	}
	// A code written "SNOMED:86406008" would silently match nothing, and
	// the entry it was meant to withhold would leave: refuse it.
	for _, code := range c.Policy.SensitiveCodes {
		if !regexp.MustCompile(`^[1-9][0-9]{5,17}$`).MatchString(code) {
			errs = append(errs, strict.Errorf(path, line("policy", "sensitive_codes"), "policy.sensitive_codes", "must be SNOMED CT concept ids written as digits alone, such as 386639001"))
			break
		}
	}
	for i, h := range c.HighRisk {
		if h.Code == "" && h.Name == "" {
			errs = append(errs, strict.Errorf(path, 0, fmt.Sprintf("high_risk[%d]", i), "needs a code or a name"))
		}
	}
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`).MatchString(c.Theme) {
		errs = append(errs, strict.Errorf(path, line("theme"), "theme", "must be a theme name such as default or large-print"))
	}
	for _, d := range []struct{ field, dir string }{{"records", c.RecordsDir}, {"education", c.EducationDir}, {"templates_dir", c.TemplatesDir}, {"themes_dir", c.ThemesDir}} {
		if d.dir == "" {
			continue
		}
		if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
			errs = append(errs, strict.Errorf(path, line(d.field), d.field, "not a folder"))
		}
	}
	if c.PublicDir == c.PrivateDir || within(c.PrivateDir, c.PublicDir) || within(c.PublicDir, c.PrivateDir) {
		errs = append(errs, strict.Errorf(path, line("private_dir"), "private_dir", "must not be inside, or contain, public_dir: secrets would be published"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func within(dir, parent string) bool {
	rel, err := filepath.Rel(parent, dir)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
}

func join(root, p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(root, p)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func reason(err error) string {
	var ie *input.Error
	if errors.As(err, &ie) {
		return ie.Reason
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
