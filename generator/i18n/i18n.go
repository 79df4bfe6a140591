// Package i18n holds the record document's fixed labels (the emergency
// summary's headings, section headings, "High risk"...) in English and in
// the languages a practice can show beside it for patients who travel: a
// clinician abroad finds "Allergies · Alergias · Allergien" without a
// translator. Only labels are translated; clinical text stays as recorded.
//
// Each language is one embedded data file, lang/CODE.toml. English is the
// reference: every other file must hold exactly its keys, so a label added
// in English and forgotten in German fails to load, and fails the tests.
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/satchel-records/satchel/internal/strict"
)

//go:embed lang/*.toml
var files embed.FS

// English is the code of the reference language.
const English = "en"

// Language is one language's labels. It is immutable.
type Language struct {
	// Code is the two-letter language code, also used as the HTML lang
	// attribute of the labels ("fr").
	Code string
	// Name is the language's name in itself ("Français").
	Name   string
	labels map[string]string
}

// Label returns the label for key, and whether the language has one.
func (l *Language) Label(key string) (string, bool) {
	s, ok := l.labels[key]
	return s, ok
}

// Text returns the label key with its placeholders {0}, {1}... replaced by
// args. A key the language lacks comes back as "[key]": every language
// holds every English key (Load checks), so that is a bug in Satchel, and
// shows as one rather than as a blank.
func (l *Language) Text(key string, args ...string) string {
	s, ok := l.labels[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return s
	}
	// One pass over s, each {n} with an argument replaced: what
	// strings.NewReplacer would do, without building one per call (labels
	// are filled in thousands of times a build).
	var b strings.Builder
	b.Grow(len(s) + 16*len(args))
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		n, err := strconv.Atoi(s[i+1 : i+j])
		if err != nil || n < 0 || n >= len(args) || s[i+1:i+j] != strconv.Itoa(n) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(args[n])
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// Date writes t's day in the language: "3 Mar 2019", "3 mars 2019",
// "3. März 2019".
func (l *Language) Date(t time.Time) string { return l.date("date_day", t) }

// DayMonth writes t's day without its year: "3 Mar", "3. März".
func (l *Language) DayMonth(t time.Time) string { return l.date("date_day_month", t) }

// Month writes t's month and year: "Mar 2019", "März 2019".
func (l *Language) Month(t time.Time) string { return l.date("date_month", t) }

func (l *Language) date(key string, t time.Time) string {
	month := t.Format("Jan")
	if names := strings.Split(l.labels["months"], ","); len(names) == 12 {
		month = strings.TrimSpace(names[t.Month()-1])
	}
	return l.Text(key, strconv.Itoa(t.Day()), month, strconv.Itoa(t.Year()))
}

// Keys returns the language's label keys, sorted.
func (l *Language) Keys() []string {
	keys := make([]string, 0, len(l.labels))
	for k := range l.labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Available returns the codes of the embedded languages, sorted, English
// among them.
func Available() []string {
	entries, _ := fs.ReadDir(files, "lang")
	var out []string
	for _, e := range entries {
		if code, ok := strings.CutSuffix(e.Name(), ".toml"); ok {
			out = append(out, code)
		}
	}
	return out
}

// LoadAll loads every language Satchel has (Available), by code: for
// whatever writes in many languages, to load each once.
func LoadAll() (map[string]*Language, error) {
	all := map[string]*Language{}
	for _, code := range Available() {
		l, err := Load(code)
		if err != nil {
			return nil, err
		}
		all[code] = l
	}
	return all, nil
}

// Load returns the embedded language code. It fails if there is none, or
// if its file is malformed or does not hold exactly English's keys.
func Load(code string) (*Language, error) {
	if !validCode(code) {
		return nil, fmt.Errorf("%q is not a two-letter language code", code)
	}
	data, err := files.ReadFile("lang/" + code + ".toml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no labels for language %q: Satchel has %s", code, strings.Join(Available(), ", "))
	}
	if err != nil {
		return nil, err
	}
	var ref *Language
	if code != English {
		enData, err := files.ReadFile("lang/" + English + ".toml")
		if err != nil {
			return nil, err
		}
		if ref, err = parse("generator/i18n/lang/en.toml", enData, nil); err != nil {
			return nil, err
		}
	}
	return parse("generator/i18n/lang/"+code+".toml", data, ref)
}

func validCode(code string) bool {
	return len(code) == 2 && code[0] >= 'a' && code[0] <= 'z' && code[1] >= 'a' && code[1] <= 'z'
}

// file is a language file's shape.
type file struct {
	Language string            `toml:"language"`
	Name     string            `toml:"name"`
	Labels   map[string]string `toml:"labels"`
}

// parse decodes one language file strictly. When ref is set, the file must
// hold exactly ref's keys. Errors name the file, line and key.
func parse(name string, data []byte, ref *Language) (*Language, error) {
	var f file
	if _, err := strict.Decode(name, data, &f); err != nil {
		return nil, err
	}
	var errs []error
	line := func(k ...string) int { return strict.KeyLine(data, toml.Key(k)) }
	want := strings.TrimSuffix(name[strings.LastIndexByte(name, '/')+1:], ".toml")
	if f.Language != want {
		errs = append(errs, strict.Errorf(name, line("language"), "language", "must be %q, the file's name", want))
	}
	if strings.TrimSpace(f.Name) == "" {
		errs = append(errs, strict.Errorf(name, 0, "name", "required field is missing"))
	}
	keys := make([]string, 0, len(f.Labels))
	for k := range f.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.TrimSpace(f.Labels[k]) == "" {
			errs = append(errs, strict.Errorf(name, line("labels", k), "labels."+k, "label is empty"))
		}
		if ref != nil {
			if _, ok := ref.labels[k]; !ok {
				errs = append(errs, strict.Errorf(name, line("labels", k), "labels."+k, "unknown label: English has no such key"))
			}
		}
	}
	if ref != nil {
		for _, k := range ref.Keys() {
			if _, ok := f.Labels[k]; !ok {
				errs = append(errs, strict.Errorf(name, line("labels"), "labels."+k, "missing label: every language needs every key English has"))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Language{Code: f.Language, Name: f.Name, labels: f.Labels}, nil
}
