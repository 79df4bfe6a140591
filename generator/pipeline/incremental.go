package pipeline

// Incremental builds. Each built patient's output is keyed by everything it
// depends on: the record file, its approval (which holds the digest of the
// record, its letters and the patient's key file, checked before a record
// builds), the patient's key file and the encryption key chosen from it,
// the education pages matched (their content), the date the record stops
// being current, the patient's live cards, generation and bundle id, and
// what every patient shares: Satchel itself (a digest of its executable,
// which embeds the viewer, templates, themes and labels), the practice's
// template and theme folders, every option of site.toml, the practice key
// and the master secret (by a keyed digest). private/build-state.json keeps
// each patient's key and the files written for it (size, time and
// SHA-256), no patient data. A build whose key for a patient is the one
// recorded, and whose files are all on disk as recorded, writes nothing for
// that patient: no file in public_dir, no card, no print sheet, no audit
// event. Everything time-dependent is judged afresh every build, so a
// patient turning 16 or a record whose date passes is still noticed:
// Prepare runs for every patient, except those skipped unread (unread.go)
// before the instant their judgment could change.

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// stateName is the build state file in private_dir.
const stateName = "build-state.json"

// stateFormat changes whenever the meaning of a key changes: every patient
// is then rebuilt once.
const stateFormat = 1

// buildState is private/build-state.json. It holds digests, sizes and
// times only: no patient data, no secret.
type buildState struct {
	Format int `json:"format"`
	// Satchel caches the digest of the satchel executable by its size and
	// time, so that it is read only when it changes.
	Satchel  fileStamp               `json:"satchel"`
	Patients map[string]patientState `json:"patients"`
}

// prevState is a buildState as read back: its patients' entries are
// read from the file when the build comes to them (entryFile).
type prevState struct {
	Format   int
	Satchel  fileStamp
	patients *entryFile
}

// patient returns what the previous build recorded of patient id; ok is
// false for none, or an entry that cannot be read.
func (s *prevState) patient(id string) (st patientState, ok bool) {
	if !s.patients.decode(id, &st) {
		return patientState{}, false
	}
	return st, true
}

// readPrevState opens the build state at path. Its entries are only
// found here, and decoded when the build comes to them: a patient whose
// entry does not decode then is built afresh. A state of another format
// is none.
func readPrevState(path string) (prevState, error) {
	var st prevState
	e, err := indexFile(path, "patients", (func(*json.RawMessage) string)(nil),
		map[string]any{"format": &st.Format, "satchel": &st.Satchel})
	if err != nil {
		return prevState{}, err
	}
	if st.Format != stateFormat {
		e.close()
		return prevState{}, nil
	}
	st.patients = e
	return st, nil
}

// indexManifest opens the manifest at path, whose every entry must
// decode.
func indexManifest(path string) (*entryFile, error) {
	return indexFile(path, "patients", func(e *ManifestEntry) string { return e.ID }, nil)
}

// patientState is what the last build that built a patient recorded.
type patientState struct {
	Key   string      `json:"key"`
	Files []fileStamp `json:"files"`
	// Unread, when set, lets the next build skip the patient without
	// reading the record (unread.go).
	Unread *unreadState `json:"unread,omitempty"`
}

// fileStamp is one file as a build left it. Path is relative to the
// site's folder (absolute when outside it); MTime is in nanoseconds.
type fileStamp struct {
	Path   string `json:"path,omitempty"`
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime"`
	SHA256 string `json:"sha256"`
}

// incremental is what a build knows of the previous one.
type incremental struct {
	// on is false when no patient may be skipped: -force, or an input
	// whose digest could not be made.
	on bool
	// global is the digest of what every patient's output depends on.
	global string
	// prev is the previous build's state.
	prev prevState
	// manifest finds the previous manifest's entries, by id, carried for
	// the patients this build skips.
	manifest *entryFile
	exe      fileStamp
	pagesMu  sync.Mutex
	pages    map[*content.Page]string
	// library digests every education page, for unread keys.
	library string
}

// manifestEntry returns the previous manifest's entry of patient id.
func (inc *incremental) manifestEntry(id string) (e ManifestEntry, ok bool) {
	if !inc.manifest.decode(id, &e) {
		return ManifestEntry{}, false
	}
	return e, true
}

// close closes the previous build's state and manifest, which must come
// before either is replaced.
func (inc *incremental) close() {
	inc.prev.patients.close()
	inc.manifest.close()
}

func (b *builder) stateFile() string { return filepath.Join(b.cfg.PrivateDir, stateName) }

// startIncremental loads the previous build's state and manifest and makes
// the digest of the shared inputs. Anything it cannot read turns skipping
// off (with a warning when a file is damaged): the build then rebuilds
// every patient, which is always correct.
func (b *builder) startIncremental(force bool, rep *Report) {
	inc := &b.inc
	inc.pages = map[*content.Page]string{}
	var err error
	inc.prev, err = readPrevState(b.stateFile())
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case errors.Is(err, errDamaged):
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: damaged, so every patient is rebuilt", b.rel(b.stateFile())))
	case err != nil:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: cannot read it, so every patient is rebuilt", b.rel(b.stateFile())))
	}
	// Only a manifest that reads whole is used.
	inc.manifest, _ = indexManifest(b.cfg.ManifestFile())
	global, exe, err := b.globalKey(inc.prev.Satchel)
	inc.exe = exe
	if err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("every patient is rebuilt: %v", err))
		return
	}
	inc.global, inc.on = global, !force
	if b.library != nil {
		h := sha256.New()
		for _, pg := range b.library.Pages() {
			io.WriteString(h, b.pageDigest(pg))
		}
		inc.library = hex.EncodeToString(h.Sum(nil))
	}
}

// globalInputs are what every patient's output depends on.
type globalInputs struct {
	Format int
	// Satchel is the digest of the executable: its code, its embedded
	// viewer and decryptor, templates, themes, labels and code tables.
	Satchel string
	// Site is site.toml as read: practice details, languages, base_url,
	// pdf, current_days, policy, high-risk medicines and folders.
	Site any
	// Templates and Themes digest every file of every layer, the
	// practice's own folders and the built-in ones.
	Templates, Themes string
	PracticeKey       string // digest of the public key every bundle carries
	Master            string // keyed digest: bundle ids and card secrets derive from it
}

// globalKey returns the digest of the shared inputs, and the executable's
// stamp (its digest reused from cached when its size and time match).
func (b *builder) globalKey(cached fileStamp) (string, fileStamp, error) {
	exe, err := b.executable(cached)
	if err != nil {
		return "", exe, err
	}
	tmpl, err := digestStack(b.tmpl)
	if err != nil {
		return "", exe, err
	}
	themes, err := digestStack(layers.Themes(b.cfg))
	if err != nil {
		return "", exe, err
	}
	mac := hmac.New(sha256.New, b.master)
	mac.Write([]byte("satchel build state"))
	in := globalInputs{Format: stateFormat, Satchel: exe.SHA256, Site: b.cfg, Templates: tmpl, Themes: themes,
		PracticeKey: digest(b.key.Public), Master: hex.EncodeToString(mac.Sum(nil))}
	data, err := json.Marshal(in)
	if err != nil {
		return "", exe, fmt.Errorf("cannot digest the site's options: %w", err)
	}
	return digest(data), exe, nil
}

// executable returns the stamp of the running satchel binary, reading it
// only when its size or time differs from cached.
func (b *builder) executable(cached fileStamp) (fileStamp, error) {
	if b.exeOverride != "" {
		return fileStamp{SHA256: b.exeOverride}, nil
	}
	path, err := os.Executable()
	if err != nil {
		return fileStamp{}, errors.New("cannot find Satchel's own executable")
	}
	f, err := os.Open(path)
	if err != nil {
		return fileStamp{}, errors.New("cannot read Satchel's own executable")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileStamp{}, errors.New("cannot read Satchel's own executable")
	}
	s := fileStamp{Size: st.Size(), MTime: st.ModTime().UnixNano()}
	if cached.SHA256 != "" && cached.Size == s.Size && cached.MTime == s.MTime {
		s.SHA256 = cached.SHA256
		return s, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fileStamp{}, errors.New("cannot read Satchel's own executable")
	}
	s.SHA256 = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// digestStack digests the name and content of every file of every layer.
func digestStack(s layers.Stack) (string, error) {
	h := sha256.New()
	for _, l := range s {
		if l.FS == nil {
			continue
		}
		fmt.Fprintf(h, "layer %q\n", l.Dir)
		err := fs.WalkDir(l.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			data, err := fs.ReadFile(l.FS, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%q %d\n", p, len(data))
			h.Write(data)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("cannot read %s", l.Dir)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cardInputs is what a live card contributes to its patient's key: what
// its files and the sealed bundle depend on. Whether it is pending or on a
// sheet is left out: a build changes both.
type cardInputs struct {
	Serial     int
	Label      string
	Issued     time.Time
	Generation int
	Letters    bool
	Scope      registry.Scope
}

// keyedCards returns what cards contribute to a patient's keys.
func keyedCards(cards []registry.Card) []cardInputs {
	var out []cardInputs
	for _, c := range cards {
		out = append(out, cardInputs{Serial: c.Serial, Label: c.Label, Issued: c.Issued, Generation: c.Generation, Letters: c.Letters, Scope: c.Scope})
	}
	return out
}

// patientInputs is what one patient's output depends on, beside the
// shared inputs.
type patientInputs struct {
	Global     string
	ID         string
	Generation int
	BundleID   string
	Cards      []cardInputs
	First      int
	// Record is the digest of the record file. Approval is the approval
	// as read: it holds the digest of the record and its letters and of
	// the patient's key file, which the build has checked.
	Record   string
	Approval *policy.Approval
	KeyFile  string
	// OwnKey is the fingerprint of the key the bundle is sealed to, chosen
	// from the key file as of the build's date.
	OwnKey       string
	Pages        []string
	CurrentUntil time.Time
}

// patientKey returns the key of a patient whose record builds, given its
// cards and bundle.
func (b *builder) patientKey(pr *Prepared, generation int, bundleID string, cards []registry.Card, first int, until time.Time) string {
	in := patientInputs{Global: b.inc.global, ID: pr.ID, Generation: generation, BundleID: bundleID, First: first,
		Record: digest(pr.Data), Approval: pr.Approval, KeyFile: digest(pr.KeyFile), CurrentUntil: until}
	in.Cards = keyedCards(cards)
	if len(pr.OwnKey) > 0 {
		if k, ok := pr.OwnKey[0].EncryptionKey(b.now); ok {
			in.OwnKey = hex.EncodeToString(k.PublicKey.Fingerprint)
		}
	}
	for _, pg := range pr.Pages {
		in.Pages = append(in.Pages, b.pageDigest(pg))
	}
	data, err := json.Marshal(in)
	if err != nil {
		// Never skip what cannot be keyed.
		return ""
	}
	return digest(data)
}

// pageDigest digests an education page's content, once per build.
func (b *builder) pageDigest(pg *content.Page) string {
	b.inc.pagesMu.Lock()
	defer b.inc.pagesMu.Unlock()
	if d, ok := b.inc.pages[pg]; ok {
		return d
	}
	data, err := json.Marshal(pg)
	d := digest(data)
	if err != nil {
		d = "unreadable"
	}
	b.inc.pages[pg] = d
	return d
}

// unchanged reports whether the patient id, whose key is now key, may be
// skipped: the last build recorded the same key, every file it wrote for
// the patient is on disk as it was (same size, and same time or same
// digest), the previous manifest has the patient built in the same
// bundle, and every live card was put on a print sheet as it is. It
// returns the manifest entry to carry and the files as they are now.
func (b *builder) unchanged(id, key, bundleID string, cards []registry.Card) (ManifestEntry, []fileStamp, bool) {
	inc := &b.inc
	if !inc.on || key == "" {
		return ManifestEntry{}, nil, false
	}
	st, ok := inc.prev.patient(id)
	if !ok || st.Key != key {
		return ManifestEntry{}, nil, false
	}
	e, ok := inc.manifestEntry(id)
	if !ok || e.Status != Built || e.BundleID != bundleID || len(e.Cards) != len(cards) {
		return ManifestEntry{}, nil, false
	}
	files := slices.Clone(st.Files)
	byPath := map[string]string{}
	for i := range files {
		f := &files[i]
		now, ok := b.stillThere(*f)
		if !ok {
			return ManifestEntry{}, nil, false
		}
		*f = now
		byPath[f.Path] = f.SHA256
	}
	// A card written but never put on a sheet (a build that died before
	// its sheet) must be rebuilt, so that it is printed.
	for _, c := range cards {
		page := b.rel(filepath.Join(b.cfg.PatientCardsDir(id), fmt.Sprintf("card-%d.html", c.Serial)))
		if d, ok := byPath[page]; !ok || c.Printed != d {
			return ManifestEntry{}, nil, false
		}
	}
	return e, files, true
}

// stillThere reports whether f is on disk as recorded, and returns its
// stamp as it is now (its time may differ when its content does not).
func (b *builder) stillThere(f fileStamp) (fileStamp, bool) {
	path := b.abs(f.Path)
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() || info.Size() != f.Size {
		return f, false
	}
	if info.ModTime().UnixNano() == f.MTime {
		return f, true
	}
	data, err := os.ReadFile(path)
	if err != nil || digest(data) != f.SHA256 {
		return f, false
	}
	f.MTime = info.ModTime().UnixNano()
	return f, true
}

// abs turns a path as the state records it back into a path on disk.
func (b *builder) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.cfg.Root, filepath.FromSlash(p))
}

// outputs collects the files written for one patient.
type outputs []fileStamp

// add records a file written (or left as it was) with content data.
func (o *outputs) add(b *builder, path string, data []byte) {
	*o = append(*o, fileStamp{Path: b.rel(path), Size: int64(len(data)), SHA256: digest(data)})
}

// writeLater writes a file of the patient's as b.sync.WriteLater does,
// and records it.
func (b *builder) writeLater(o *outputs, path string, data []byte, perm os.FileMode) error {
	if err := b.sync.WriteLater(path, data, perm); err != nil {
		return err
	}
	o.add(b, path, data)
	return nil
}

// writeFuncLater is writeLater for content produced by fn.
func (b *builder) writeFuncLater(o *outputs, path string, perm os.FileMode, fn func(io.Writer) error) error {
	var h hash.Hash
	var n int64
	err := b.sync.WriteFuncLater(path, perm, func(w io.Writer) error {
		h, n = sha256.New(), 0
		return fn(io.MultiWriter(w, h, countWriter{&n}))
	})
	if err != nil {
		return err
	}
	*o = append(*o, fileStamp{Path: b.rel(path), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

type countWriter struct{ n *int64 }

func (c countWriter) Write(p []byte) (int, error) {
	*c.n += int64(len(p))
	return len(p), nil
}

// saveState writes private/build-state.json once everything else is on
// disk: each patient built now with its key and its files as they are on
// disk, each patient skipped as it was, and, for a partial build, every
// other patient as the last build left them. A patient that did not build
// is left out, so it is built afresh next time. It is written entry by
// entry from those the collector put aside, exactly as json.Marshal of
// the whole buildState would write it.
func (b *builder) saveState(c *collector, partial bool) error {
	var kept []string
	if partial {
		seen := map[string]bool{}
		for _, s := range c.patients {
			seen[s.id] = true
		}
		for _, id := range b.inc.prev.patients.ids() {
			if !seen[id] {
				kept = append(kept, id)
			}
		}
		slices.Sort(kept)
	}
	exe, err := json.Marshal(b.inc.exe)
	if err != nil {
		return err
	}
	return atomicfile.WriteFunc(b.stateFile(), 0o600, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, `{"format":%d,"satchel":%s,"patients":{`, stateFormat, exe)
		n := 0
		entry := func(id string, data []byte) {
			key, _ := json.Marshal(id)
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.Write(key)
			bw.WriteByte(':')
			bw.Write(data)
			n++
		}
		// A patient this partial build left as it was: its entry as the
		// last state has it.
		keptEntry := func(id string) error {
			st, ok := b.inc.prev.patient(id)
			if !ok {
				return nil // an entry that does not decode: built afresh
			}
			data, err := json.Marshal(st)
			if err != nil {
				return err
			}
			entry(id, data)
			return nil
		}
		// The same id twice (two record files of one id) never builds, so
		// never has an entry: ids are unique here, as in a map.
		k := 0
		var buf []byte
		for _, s := range c.patients {
			if s.sn == 0 {
				continue
			}
			for ; k < len(kept) && kept[k] < s.id; k++ {
				if err := keptEntry(kept[k]); err != nil {
					return err
				}
			}
			if buf, err = s.stateEntry(c.entries, buf); err != nil {
				return err
			}
			entry(s.id, buf)
		}
		for ; k < len(kept); k++ {
			if err := keptEntry(kept[k]); err != nil {
				return err
			}
		}
		// Everything is read from the last state: it may be replaced.
		b.inc.prev.patients.close()
		bw.WriteString("}}\n")
		return bw.Flush()
	})
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
