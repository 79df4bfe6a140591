package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func setup(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"records", "education"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "site.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const good = `records = "records"
education = "education"

[practice]
name = "Test Practice"
address = "1 Test Street"
phone = "01632 960000"
ods_code = "Y99999"
`

func TestLoadAppliesDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(setup(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Theme != "default" || filepath.Base(c.PublicDir) != "public" || filepath.Base(c.PrivateDir) != "private" {
		t.Errorf("defaults: theme %q public %q private %q", c.Theme, c.PublicDir, c.PrivateDir)
	}
	if !c.PDF {
		t.Error("pdf is off by default; want on")
	}
	if c.RecordsDir != filepath.Join(filepath.Dir(c.File), "records") {
		t.Errorf("records dir %q is not beside site.toml", c.RecordsDir)
	}
}

func TestLoadReportsEveryProblemWithLine(t *testing.T) {
	t.Parallel()
	body := strings.Replace(good, `ods_code = "Y99999"`, `ods_code = "bad code"`+"\ncolour = \"blue\"", 1)
	body = strings.Replace(body, `education = "education"`, `education = "missing"`, 1)
	body = strings.Replace(body, `phone = "01632 960000"`, "", 1)
	_, err := Load(setup(t, body))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`site.toml:8: field "practice.ods_code"`,
		`site.toml:9: field "practice": unknown field`,
		`site.toml:2: field "education": not a folder`,
		`field "practice.phone": required field is missing`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestLoadRejectsWrongTypeWithLine(t *testing.T) {
	t.Parallel()
	_, err := Load(setup(t, strings.Replace(good, `records = "records"`, "records = 3", 1)))
	if err == nil || !strings.Contains(err.Error(), `site.toml:1: field "records": wrong type (want a string)`) {
		t.Fatalf("got %v", err)
	}
}

func TestLoadRejectsPrivateInsidePublic(t *testing.T) {
	t.Parallel()
	_, err := Load(setup(t, "public_dir = \"out\"\nprivate_dir = \"out/secret\"\n"+good))
	if err == nil || !strings.Contains(err.Error(), "private_dir") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadNamesAMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadReadsOptionalSettings(t *testing.T) {
	t.Parallel()
	body := "base_url = \"https://records.example.org/riverside\"\nlanguages = [\"fr\", \"de\"]\ncurrent_days = 30\npdf = false\n" + good +
		"\n[policy]\nsensitive_codes = [\"123456\"]\nmin_age = 13\n\n[[high_risk]]\nname = \"tacrolimus\"\ngroup = \"immunosuppressant\"\n"
	c, err := Load(setup(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://records.example.org/riverside/" || len(c.Languages) != 2 || c.CurrentDays != 30 ||
		c.Policy.MinAge != 13 || len(c.Policy.SensitiveCodes) != 1 || len(c.HighRisk) != 1 || c.PDF {
		t.Errorf("got %+v", c)
	}
}

func TestLoadRejectsBadOptionalSettings(t *testing.T) {
	t.Parallel()
	body := "base_url = \"ftp://x\"\nlanguages = [\"French\"]\ncurrent_days = 0\n" + good + "\n[[high_risk]]\ngroup = \"x\"\n"
	_, err := Load(setup(t, body))
	for _, want := range []string{`site.toml:1: field "base_url"`, `site.toml:2: field "languages"`, `site.toml:3: field "current_days"`, `field "high_risk[0]": needs a code or a name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

// A sensitive code written with its system ("SNOMED:86406008") would match
// nothing and withhold nothing: it is refused, naming the line, not the code.
func TestLoadRejectsSensitiveCodesThatWouldMatchNothing(t *testing.T) {
	for _, code := range []string{"SNOMED:86406008", "86406008 ", "HIV", "123"} {
		_, err := Load(setup(t, good+"\n[policy]\nsensitive_codes = [\"86406008\", \""+code+"\"]\n"))
		if err == nil || !strings.Contains(err.Error(), `field "policy.sensitive_codes": must be SNOMED CT concept ids`) {
			t.Errorf("%q: %v", code, err)
		}
		if err != nil && code != "123" && strings.Contains(err.Error(), strings.TrimSpace(code)) {
			t.Errorf("%q: the error quotes the setting: %v", code, err)
		}
	}
	if _, err := Load(setup(t, good+"\n[policy]\nsensitive_codes = [\"86406008\", \"1364731000000104\"]\n")); err != nil {
		t.Errorf("valid codes refused: %v", err)
	}
}

func TestLoadReadsHelpAbroadSettings(t *testing.T) {
	t.Parallel()
	body := good + "email = \"reception@example.org\"\nhours = \"Monday to Friday, 8am to 6:30pm\"\nout_of_hours = \"(01632) 960 999\"\n"
	c, err := Load(setup(t, body))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Practice
	if p.Email != "reception@example.org" || p.Hours != "Monday to Friday, 8am to 6:30pm" {
		t.Errorf("got %+v", p)
	}
	if d := p.PhoneDial(); d == nil || d.Text != "+44 1632 960000" || d.URI != "tel:+441632960000" {
		t.Errorf("phone: %+v", d)
	}
	if d := p.OutOfHoursDial(); d == nil || d.Text != "+44 1632 960999" || d.URI != "tel:+441632960999" {
		t.Errorf("out of hours: %+v", d)
	}
}

func TestLoadLeavesHelpAbroadSettingsOptional(t *testing.T) {
	t.Parallel()
	c, err := Load(setup(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Practice; p.Email != "" || p.Hours != "" || p.OutOfHours != "" || p.OutOfHoursDial() != nil {
		t.Errorf("got %+v", p)
	}
}

// A number a patient abroad could not dial, an email that is not one and
// hours that break the line are refused with file, line and field, never
// the value.
func TestLoadRejectsBadHelpAbroadSettings(t *testing.T) {
	t.Parallel()
	body := strings.Replace(good, `phone = "01632 960000"`, `phone = "960000 Zq9"`, 1) +
		"email = \"Zq9 at example.org\"\nhours = \"\"\"Zq9\nsecond line\"\"\"\nout_of_hours = \"NHS 111 Zq9\"\n"
	_, err := Load(setup(t, body))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`site.toml:7: field "practice.phone": must be a UK phone number`,
		`site.toml:9: field "practice.email": must be an email address`,
		`site.toml:10: field "practice.hours": must be one line`,
		`site.toml:12: field "practice.out_of_hours": must be a UK phone number`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "Zq9") {
		t.Errorf("the error quotes a value:\n%v", err)
	}
	_, err = Load(setup(t, good+"out_of_hours = \" \"\n"))
	if err == nil || !strings.Contains(err.Error(), `site.toml:9: field "practice.out_of_hours": is empty`) {
		t.Errorf("empty out_of_hours: %v", err)
	}
}
