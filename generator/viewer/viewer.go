// Package viewer makes record.html, the self-opening record: one file that
// holds a small shell, the decryptor (a small JavaScript reader of Satchel's
// OpenPGP profile, built from js/ by the Makefile) and the armored OpenPGP
// message. It opens offline in
// any current browser, from file:// or a web server, and its
// Content-Security-Policy forbids every request, so nothing leaves the
// device.
//
// The decryptor is built by the Makefile into decryptor/ and embedded in the
// satchel binary; a binary built without it still compiles, and New says to
// run make.
package viewer

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/satchel-records/satchel/generator/i18n"

	"github.com/satchel-records/satchel/generator/phone"
	"github.com/satchel-records/satchel/generator/seal"
)

// decryptor holds what `make decryptor` builds from js/: decryptor.js (the
// decryptor and the npm libraries it uses, bundled and minified by esbuild)
// and NOTICES.txt (the licence of every package bundled into it, which
// every page carries). Only decryptor/.gitkeep is committed.
//
//go:embed all:decryptor
var decryptor embed.FS

//go:embed shell.html shell.css shell.js
var shell embed.FS

// serviceWorker is sw.js, which a hosted record.html registers.
//
//go:embed sw.js
var serviceWorker []byte

// ServiceWorkerFile is the name of the service worker a hosted record.html
// registers: it must sit beside record.html, in the bundle's folder, so
// that its scope is that folder and nothing else on the host.
const ServiceWorkerFile = "sw.js"

// ServiceWorker returns sw.js: a worker that keeps one copy of the locked
// record.html beside it and serves it when the network fails, so a hosted
// record opens again offline. It caches nothing else and stores nothing
// else; the host serves it, so its own CSP is the host's.
func ServiceWorker() []byte { return bytes.Clone(serviceWorker) }

// Viewer renders record.html pages. It holds the embedded assets, encoded
// once, and is safe for concurrent use.
type Viewer struct {
	page *template.Template
	// scripts and styles are the CSP sources (hash) of the shell's inline
	// scripts and its own style, hashed once: the decryptor alone is about
	// 100 KB, and every page allows the same ones.
	scripts, styles []string
	style           template.CSS
	script          template.JS
	decryptor       template.JS
	notices         template.HTML
	langs           map[string]*i18n.Language // every language Satchel has, by code
	// labels are the lock screen's labels as JSON (template.JS), by the
	// languages a page offers, joined with commas.
	labels sync.Map
	// keys are the armored public keys (template.HTML) publicKey made, by
	// the bytes of the key they were made from: a build passes the same
	// practice key for every page.
	keys sync.Map
}

// Page is what one record.html shows and holds.
type Page struct {
	// PracticeName and PracticePhone are shown before unlocking, with
	// Exported; nothing about the patient is.
	PracticeName, PracticePhone string
	// Exported is when the record was exported; only its date is shown.
	Exported time.Time
	// CurrentUntil, when set, is when the record stops being current: from
	// then on the page shows, by the reader's own clock, that it may be
	// out of date. It never locks. Once the record is open, the signed
	// date inside the bundle (bundle.json) is used instead. It counts from
	// the record's own date, so it may fall before Exported: a rebuild of
	// an old record is out of date at once.
	CurrentUntil time.Time
	// Message is the binary OpenPGP message (record.pgp).
	Message []byte
	// DocumentStyles are the texts of the record document's own <style>
	// elements (Styles finds them): the page's CSP allows each by its
	// hash, and the frame the record opens in inherits that policy, so
	// the record is styled by its own style sheets, with no CSP violation
	// and even where the page cannot reach into its frame (a host that
	// serves it sandboxed). They hold the practice's theme, never record
	// data: only their hashes are in the page.
	DocumentStyles [][]byte
	// PracticeKey, when set, is the practice's public signing key
	// (armored or binary). The page then shows a record only if it carries
	// a good signature by this key. When unset, the page checks the
	// signature against the key inside the bundle. Either way it shows
	// the fingerprint for the reader to compare with the key card, and an
	// unsigned record is never shown.
	PracticeKey []byte
	// Hosted says the practice hosts this page (base_url is set), with
	// ServiceWorker beside it as ServiceWorkerFile. The page then
	// registers that worker when it is served over http(s), so it opens
	// again with no network, and its CSP allows that one same-origin
	// worker (worker-src 'self') and no other request. Unhosted pages
	// register nothing and their CSP allows no worker.
	Hosted bool
	// Language is the code of the language the page opens in (the
	// patient's own, else English), and Languages those the reader can
	// switch to (English and site.toml's languages): the lock screen,
	// toolbar and messages, and the record document once open.
	Language  string
	Languages []string
}

// ErrNoDecryptor means satchel was built without the decryptor (`go build`
// rather than `make`).
var ErrNoDecryptor = errors.New("this satchel was built without the record.html decryptor (generator/viewer/decryptor): run make")

// New loads the embedded decryptor and shell; langs are the labels of
// every language Satchel has (i18n.LoadAll), for the lock screen. It fails
// with ErrNoDecryptor when the decryptor was not built into this binary.
func New(langs map[string]*i18n.Language) (*Viewer, error) {
	js, err := fs.ReadFile(decryptor, "decryptor/decryptor.js")
	if err != nil || !bytes.Contains(js, []byte("satchelDecryptor")) {
		return nil, ErrNoDecryptor
	}
	// The licences of what the decryptor is built from travel with it.
	notices, err := fs.ReadFile(decryptor, "decryptor/NOTICES.txt")
	if err != nil || !bytes.Contains(notices, []byte("== @noble/")) {
		return nil, fmt.Errorf("%w (no licence notices)", ErrNoDecryptor)
	}
	css, err := fs.ReadFile(shell, "shell.css")
	if err != nil {
		return nil, err
	}
	script, err := fs.ReadFile(shell, "shell.js")
	if err != nil {
		return nil, err
	}
	for _, s := range [][]byte{js, script, notices} {
		// Either would end or confuse the inline script element.
		if bytes.Contains(bytes.ToLower(s), []byte("</script")) || bytes.Contains(s, []byte("<!--")) {
			return nil, errors.New("a script cannot be inlined")
		}
	}
	page, err := template.ParseFS(shell, "shell.html")
	if err != nil {
		return nil, err
	}
	for _, code := range i18n.Available() {
		if langs[code] == nil {
			return nil, fmt.Errorf("no labels for language %q", code)
		}
	}
	return &Viewer{
		langs:     langs,
		page:      page,
		scripts:   []string{hash(js), hash(script)},
		styles:    []string{hash(css)},
		style:     template.CSS(css),
		script:    template.JS(script),
		decryptor: template.JS(js),
		notices:   template.HTML(notices),
	}, nil
}

// policy is the page's Content-Security-Policy: no request to any origin
// (default-src 'none', so no connect-src and no frame-src either: the record
// goes into a srcdoc frame, which loads nothing), the shell's scripts and
// style and the record document's styles by hash only; nothing may be compiled or evaluated. data: images and fonts
// are allowed because the record document embeds its images that way;
// neither causes a request. The srcdoc frame inherits this policy. A
// hosted page (Page.Hosted) may also register a service worker from its
// own origin: the shell registers only sw.js beside the page, and the
// page itself still may not fetch or connect anywhere (no connect-src).
// scripts and styles are CSP sources (hash), styles perhaps repeated.
func policy(scripts, styles []string, hosted bool) string {
	var b strings.Builder
	b.WriteString("default-src 'none'; script-src")
	for _, h := range scripts {
		b.WriteString(" " + h)
	}
	b.WriteString("; style-src")
	for i, h := range styles {
		if !slices.Contains(styles[:i], h) {
			b.WriteString(" " + h)
		}
	}
	b.WriteString("; img-src data:; font-src data:; base-uri 'none'; form-action 'none'")
	if hosted {
		b.WriteString("; worker-src 'self'")
	}
	return b.String()
}

// hash is the CSP source for an inline element's text, as the browser
// hashes it: after HTML's newline normalization (CR LF and CR to LF).
func hash(b []byte) string {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// pageData fills shell.html. Everything typed template.JS, CSS or HTML is
// inserted byte for byte, which the CSP hashes and the decoder rely on.
type pageData struct {
	CSP           string
	Style         template.CSS
	Shell         template.JS
	Decryptor     template.JS
	Notices       template.HTML
	Message       template.HTML
	PracticeKey   template.HTML
	Practice      string
	Phone         string       // in international form when it can be dialled
	PhoneURI      template.URL // its tel: link, or empty
	Date, DateISO string
	Until         string // current-until date, e.g. "12 June 2026"
	UntilISO      string // the instant, RFC 3339, for the page's clock check
	Hosted        bool   // registers sw.js when served over http(s)
	Lang          string // the language the page opens in
	Choices       []choice
	// Labels are the shell's labels in every language offered, as JSON
	// for shell.js: {"fr": {"shell_open": "Ouvrir le dossier", ...}}.
	Labels template.JS
	lang   *i18n.Language
}

// choice is one language the reader can switch to.
type choice struct {
	Code, Name string
	Chosen     bool
}

// shellLabel reports whether the label key is one the shell shows.
func shellLabel(key string) bool {
	return strings.HasPrefix(key, "shell_") || key == "language" || key == "safety_travelling_emergency"
}

// T returns the label key in the page's language, with {0}, {1}...
// replaced by args (markup made by Arg, LabelArg, PhoneArg or Text).
func (d *pageData) T(key string, args ...template.HTML) (template.HTML, error) {
	s, ok := d.lang.Label(key)
	if !ok || !shellLabel(key) {
		return "", fmt.Errorf("no shell label %q", key)
	}
	s = template.HTMLEscapeString(s)
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", string(a))
	}
	return template.HTML(s), nil
}

// Text returns s escaped, as an argument of T where no markup may go
// (the title).
func (d *pageData) Text(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) }

// Arg returns text in an element tag marked as T's argument i, which
// shell.js keeps when it writes the label again in another language;
// datetime, when set, is a <time>'s attribute.
func (d *pageData) Arg(i int, tag, datetime, text string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<%s data-arg="%d"`, tag, i)
	if datetime != "" {
		fmt.Fprintf(&b, ` datetime="%s"`, template.HTMLEscapeString(datetime))
	}
	fmt.Fprintf(&b, `>%s</%s>`, template.HTMLEscapeString(text), tag)
	return template.HTML(b.String())
}

// UntilArg returns the current-until date as T's argument i, with the id
// the page's tests and scripts know it by.
func (d *pageData) UntilArg(i int) template.HTML {
	return template.HTML(fmt.Sprintf(`<time data-arg="%d" id="current-until" datetime="%s">%s</time>`, i, template.HTMLEscapeString(d.UntilISO), template.HTMLEscapeString(d.Until)))
}

// LabelArg returns the label key as T's argument i, in an element tag
// that shell.js writes again in another language.
func (d *pageData) LabelArg(i int, tag, key string) (template.HTML, error) {
	h, err := d.T(key)
	return template.HTML(fmt.Sprintf(`<%s data-arg="%d" data-l="%s">%s</%s>`, tag, i, key, h, tag)), err
}

// PhoneArg returns the practice's phone number as T's argument i: a tel:
// link when it can be dialled.
func (d *pageData) PhoneArg(i int) template.HTML {
	if d.PhoneURI == "" {
		return d.Arg(i, "span", "", d.Phone)
	}
	return template.HTML(fmt.Sprintf(`<a class="phone" data-arg="%d" href="%s">%s</a>`, i, template.HTMLEscapeString(string(d.PhoneURI)), template.HTMLEscapeString(d.Phone)))
}

// languages fills the page's language, choices and labels from p.
func (v *Viewer) languages(d *pageData, p Page) error {
	codes := []string{i18n.English}
	for _, c := range append(slices.Clone(p.Languages), p.Language) {
		if c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	d.Lang = i18n.English
	for _, c := range codes {
		if _, ok := v.langs[c]; !ok {
			return fmt.Errorf("no labels for language %q", c)
		}
		if c == p.Language {
			d.Lang = c
		}
	}
	for _, c := range codes {
		d.Choices = append(d.Choices, choice{Code: c, Name: v.langs[c].Name, Chosen: c == d.Lang})
	}
	d.lang = v.langs[d.Lang]
	// The labels depend only on the languages offered: made once for each
	// set, not for every page.
	key := strings.Join(codes, ",")
	if js, ok := v.labels.Load(key); ok {
		d.Labels = js.(template.JS)
		return nil
	}
	labels := map[string]map[string]string{}
	for _, c := range codes {
		m := map[string]string{}
		l := v.langs[c]
		for _, k := range l.Keys() {
			if shellLabel(k) {
				m[k], _ = l.Label(k)
			}
		}
		labels[c] = m
	}
	// json.Marshal escapes <, > and &, so the labels cannot end the
	// script element they are in.
	js, err := json.Marshal(labels)
	if err != nil {
		return err
	}
	d.Labels = template.JS(js)
	v.labels.Store(key, d.Labels)
	return nil
}

// Render writes the whole self-contained record.html for p to w.
func (v *Viewer) Render(w io.Writer, p Page) error {
	if strings.TrimSpace(p.PracticeName) == "" {
		return errors.New("page has no practice name")
	}
	if len(p.Message) == 0 {
		return errors.New("page has no message")
	}
	if p.Exported.IsZero() {
		return errors.New("page has no export date")
	}
	armored, err := seal.Armor(p.Message)
	if err != nil {
		return fmt.Errorf("armoring the message: %w", err)
	}
	var key template.HTML
	if len(p.PracticeKey) > 0 {
		if key, err = v.publicKey(p.PracticeKey); err != nil {
			return err
		}
	}
	styles := slices.Clone(v.styles)
	for _, s := range p.DocumentStyles {
		styles = append(styles, hash(s))
	}
	data := pageData{
		CSP:         policy(v.scripts, styles, p.Hosted),
		Style:       v.style,
		Shell:       v.script,
		Decryptor:   v.decryptor,
		Notices:     v.notices,
		Message:     template.HTML(armored),
		PracticeKey: key,
		Practice:    p.PracticeName,
		Phone:       p.PracticePhone,
		Date:        p.Exported.Format("2 January 2006"),
		DateISO:     p.Exported.Format("2006-01-02"),
		Hosted:      p.Hosted,
	}
	// A patient abroad cannot dial 01632 960123: show +44 1632 960123,
	// as a link. site.Load has already refused a number that cannot be
	// dialled; one that still fails here is shown as given.
	if n, err := phone.Parse(p.PracticePhone); err == nil {
		data.Phone, data.PhoneURI = n.String(), template.URL(n.URI())
	}
	if err := v.languages(&data, p); err != nil {
		return err
	}
	if !p.CurrentUntil.IsZero() {
		data.Until = p.CurrentUntil.UTC().Format("2 January 2006")
		data.UntilISO = p.CurrentUntil.UTC().Format(time.RFC3339)
	}
	if err := v.page.Execute(w, &data); err != nil {
		return fmt.Errorf("writing record.html: %w", err)
	}
	return nil
}

// Styles returns the text of each <style> element of the HTML document
// doc, in order, for Page.DocumentStyles.
func Styles(doc []byte) [][]byte {
	var out [][]byte
	for off := 0; ; {
		i := indexFold(doc[off:], "<style")
		if i < 0 {
			return out
		}
		start := off + i + len("<style")
		if start < len(doc) && !bytes.ContainsRune([]byte(">/ \t\r\n\f"), rune(doc[start])) {
			off = start // <styles> or the like: not a style element
			continue
		}
		gt := bytes.IndexByte(doc[start:], '>')
		if gt < 0 {
			return out
		}
		body := start + gt + 1
		end := indexFold(doc[body:], "</style")
		if end < 0 {
			return out
		}
		out = append(out, doc[body:body+end])
		off = body + end
	}
}

// indexFold returns the index of the first tag in s that starts with tag
// (which begins with '<' and is lower-case ASCII) in any ASCII case, or
// -1. It does not copy s: a record document is megabytes, and lowering all
// of it for each page cost more than finding its style sheets.
func indexFold(s []byte, tag string) int {
	for off := 0; ; {
		i := bytes.IndexByte(s[off:], '<')
		if i < 0 {
			return -1
		}
		at := off + i
		if len(s)-at >= len(tag) && asciiFoldEqual(s[at:at+len(tag)], tag) {
			return at
		}
		off = at + 1
	}
}

// asciiFoldEqual reports whether b is lower (lower-case ASCII) with any of
// its letters in upper case.
func asciiFoldEqual(b []byte, lower string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// publicKey is the package's publicKey, made once for each key.
func (v *Viewer) publicKey(key []byte) (template.HTML, error) {
	if pub, ok := v.keys.Load(string(key)); ok {
		return pub.(template.HTML), nil
	}
	pub, err := publicKey(key)
	if err != nil {
		return "", err
	}
	v.keys.Store(string(key), template.HTML(pub))
	return template.HTML(pub), nil
}

// publicKey returns the armored public part of key (armored or binary). It
// re-serializes the public key only, so a secret key passed by mistake can
// never end up in a page.
func publicKey(key []byte) ([]byte, error) {
	var ring openpgp.EntityList
	var err error
	if bytes.HasPrefix(bytes.TrimSpace(key), []byte("-----BEGIN ")) {
		ring, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(key))
	} else {
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(key))
	}
	if err != nil || len(ring) == 0 {
		return nil, errors.New("the practice key cannot be read")
	}
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	for _, e := range ring {
		if err := e.Serialize(aw); err != nil {
			return nil, fmt.Errorf("writing the practice key: %w", err)
		}
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
