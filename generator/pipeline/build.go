package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/pdfcrypt"
	"github.com/satchel-records/satchel/generator/practicekey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// Options are the knobs of a build. The zero value builds for real.
type Options struct {
	// Now is the build's clock; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness for session keys and the master secret; nil
	// means crypto/rand. Tests fix it (with Workers = 1) for stable output.
	Rand io.Reader
	// Workers is how many patients are built at once; 0 means GOMAXPROCS.
	Workers int
	// Only limits the build to these patient ids; empty means all.
	Only []string
	// KeyPassphrase returns the passphrase of a protected practice key;
	// it is called only if the key is protected. nil means none is
	// available, and a protected key stops the build.
	KeyPassphrase func() ([]byte, error)
	// By names who runs the build, for the audit log of cards the build
	// issues itself; empty means "satchel build".
	By string
	// Force rebuilds every patient, even those whose inputs have not
	// changed since the last build (see incremental.go).
	Force bool
	// Each, when set, is given every patient as the build goes, in the
	// order of their record files, and the report then keeps only counts
	// and the failed patients: a build of any size holds no patient
	// once done with it. It is called from one goroutine at a time, with
	// a patient that is the callee's to keep or drop.
	Each func(*Patient)
	// Shard, when set, builds only the patients of one shard, for
	// `satchel merge` to combine (see shard.go); Report.Manifest then
	// names the shard's result.
	Shard *Shard

	// satchel, when set, stands for the digest of Satchel's executable:
	// tests change it to act as a new version.
	satchel string
	// readEvery prepares every patient, skipping none unread: tests
	// compare the two ways.
	readEvery bool
}

// Patient is what happened to one patient's record.
type Patient struct {
	ID       string
	File     string // the record file, relative to the site root
	Status   Status // built, awaiting-approval, ...
	Reason   string // why, for any status but built; no patient data
	Err      error  // the input errors, for failed
	BundleID string
	Bundle   string // record.pgp, relative to the site root; empty when no full record is published
	Viewer   string // record.html (summary.html when no full record is published), relative to the site root
	SHA256   string // of record.pgp
	Cards    []CardFiles
	Withheld map[string]int // withheld entries per rule
	Warnings []string       // what to fix that did not stop the build; no patient data
	// NotCarried counts the source's resources that are no entry, per
	// reason (words, no patient data).
	NotCarried map[string]int
	Pages      int // education pages included
	// Took is how long this patient's build took, Render the part of it
	// spent rendering the record document and PDF laying out its PDF copy
	// (zero when off); DocBytes and PDFBytes are their sizes, the PDF's
	// unencrypted: for `make bench`.
	Took, Render, PDF  time.Duration
	DocBytes, PDFBytes int

	// Unchanged is true when the patient was built by an earlier build
	// and nothing its output depends on has changed since: this build
	// wrote no file for them, and the manifest carries their entry.
	Unchanged bool

	// issued are the cards for the print sheet: new, changed, or never
	// yet put on a sheet. They hold secrets: never in the manifest or a
	// message.
	issued []issuedCard
	// key is what the patient's output depends on, and outs the files
	// written for them, for the build state (incremental.go).
	key  string
	outs outputs
	// unread is what lets the next build skip the patient unread
	// (unread.go); nil when it may not.
	unread *unreadState
	// skippedUnread is true when the patient was skipped unread.
	skippedUnread bool
}

// CardFiles are the files of one key card, relative to the site root.
type CardFiles struct {
	Serial int    `json:"serial"`
	Label  string `json:"label,omitempty"`
	PNG    string `json:"png"`
	HTML   string `json:"html"`
	// GPG is the bundle sealed for this card alone, in public_dir: the
	// file the card tells GnuPG users to decrypt.
	GPG string `json:"gpg"`
	// PDF is the record as a PDF locked with this card's key (without
	// dashes), in public_dir, for a phone's own PDF reader; empty when
	// site.toml turns PDF copies off.
	PDF string `json:"pdf,omitempty"`
	// Scope is "summary" for a card that opens the emergency summary
	// alone (its GPG, PDF and Viewer hold nothing else); empty for a full
	// card.
	Scope string `json:"scope,omitempty"`
	// Viewer is the page a summary-only card opens, summary.html; empty
	// for a full card, which opens the patient's record.html.
	Viewer string `json:"viewer,omitempty"`
}

// Report is the outcome of a build.
type Report struct {
	// Patients is every patient, in the order of their record files;
	// nil when Options.Each took them one by one instead.
	Patients []Patient
	Warnings []string // no patient data
	// Errors are problems in shared inputs (e.g. an education page) that
	// did not stop the patients building but must be fixed.
	Errors   []error
	Manifest string // path of manifest.json, relative to the site root
	// MasterCreated is true when this build created the master secret.
	MasterCreated bool
	// KeyCreated is true when this build created the practice signing key
	// (a new practice), KeyExported when it wrote public_dir's copy of the
	// public key; Fingerprint is the key's, in upper-case hex.
	KeyCreated, KeyExported bool
	Fingerprint             string
	// Sheet is the print sheet of the cards issued or changed by this
	// build, relative to the site root, and SheetCards how many it holds;
	// empty when no card changed.
	Sheet      string
	SheetCards int

	// What the build counted of its patients (collect.go), kept whether
	// or not Patients is.
	total, unchanged int
	counts           map[Status]int
	failed           []Patient
}

// OK reports whether the build had no failure that needs the practice to act.
func (r *Report) OK() bool { return len(r.Errors) == 0 && len(r.Failed()) == 0 }

// Failed returns the patients whose build failed on bad input. Patients
// awaiting approval, changed since approval or blocked by policy are not
// failures: they are the approval workflow doing its job.
func (r *Report) Failed() []Patient { return r.failed }

// Unchanged returns how many patients were skipped as unchanged since the
// last build (they count as built too).
func (r *Report) Unchanged() int { return r.unchanged }

// Count returns how many patients ended with status s.
func (r *Report) Count(s Status) int { return r.counts[s] }

// Total returns how many patients the build took: every record file, or
// those of Options.Only.
func (r *Report) Total() int { return r.total }

// builder is one build of a pipeline: what every patient's build shares.
// Everything in it is read-only once Build has set it up, so workers share
// it without locks.
type builder struct {
	*Pipeline
	now    time.Time
	rand   io.Reader
	master []byte
	// reg is the card registry, locked for the whole build. Workers
	// reach it only through regMu: a patient whose id now names another
	// patient changes it mid-build (see bind).
	reg     *registry.Registry
	regMu   sync.Mutex
	by      string // who runs the build, for the audit log
	key     *practicekey.Key
	keyFile bundle.File // the public key, as every bundle carries it
	// sync flushes every bundle and card at once, before the manifest.
	sync atomicfile.Syncer
	// dups holds the error of each record file whose patient id another
	// file has too: neither is built.
	dups map[string]error
	// inc is what the build knows of the last one, to skip the patients
	// whose output would not change.
	inc incremental
	// exeOverride stands for the executable's digest when set (tests).
	exeOverride string
	readEvery   bool // Options.readEvery
	// shard is set for a shard of a sharded build (shard.go).
	shard *shardRun
}

// Run opens the site cfg and builds every patient: Open, then Build.
func Run(ctx context.Context, cfg *site.Config, opt Options) (*Report, error) {
	p, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	return p.Build(ctx, opt)
}

// Build builds every patient. Nothing is written until every shared input
// has been read: the records folder, the master secret and the practice
// key. A brand-new practice gets both made here, once Open has succeeded.
func (p *Pipeline) Build(ctx context.Context, opt Options) (*Report, error) {
	cfg := p.cfg
	// satchel init's example practice would be printed on every card.
	if err := errors.Join(cfg.Placeholders...); err != nil {
		return nil, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	rnd := opt.Rand
	if rnd == nil {
		rnd = rand.Reader
	} else {
		rnd = &lockedReader{r: rnd}
	}
	b := &builder{Pipeline: p, now: now().UTC().Truncate(time.Second), rand: rnd}
	rep := &Report{}

	files, dups, err := p.records()
	if err != nil {
		return nil, err
	}
	b.dups = dups
	if len(opt.Only) > 0 {
		files = slices.DeleteFunc(files, func(f string) bool { return !slices.Contains(opt.Only, record.Stem(f)) })
	}
	if opt.Shard != nil {
		if files, err = b.startShard(opt, files); err != nil {
			return nil, err
		}
	}
	if err := b.loadSecrets(opt, rep); err != nil {
		return nil, err
	}
	// Held until the build ends, so a `satchel card` change cannot save
	// over the cards this build issues, nor a build over its change, and
	// no other build is writing while this one clears temp files.
	if b.reg, err = b.openRegistry(); err != nil {
		return nil, err
	}
	defer b.reg.Close()
	b.removeTemps(rep)
	b.exeOverride, b.readEvery = opt.satchel, opt.readEvery
	b.startIncremental(opt.Force, rep)
	defer b.inc.close()
	if err := b.adoptPrinted(); err != nil {
		return nil, err
	}
	if err := b.writePublic(rep); err != nil {
		return nil, err
	}
	if p.pageErr != nil {
		// Bad pages are left out and reported; patients still build.
		rep.Errors = append(rep.Errors, p.pageErr)
	}
	for _, pg := range p.library.Stale(b.now) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: education page is past its review date (%s)", p.rel(pg.File), pg.NextReview))
	}
	// Give a first card to every patient who has none, before the workers
	// start: the registry is then read-only while they run. It is pending
	// until a bundle is sealed to it, and dropped if the patient does not
	// build: a patient never built has no card.
	b.by = opt.By
	if b.by == "" {
		b.by = "satchel build"
	}
	// firsts[i] is the serial of the first card given to the patient of
	// files[i] here, 0 if none: a slice, not a map, as it has everyone.
	firsts := make([]int, len(files))
	for i, f := range files {
		id := record.Stem(f)
		if len(b.reg.Cards(id)) == 0 {
			firsts[i] = b.reg.Add(id, "Patient", b.now).Serial
		}
	}

	workers := opt.Workers
	if workers <= 0 {
		// Two per core: a worker spends much of its time waiting on the
		// disk (record.html is megabytes), and the other keeps the core busy.
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	col, err := b.newCollector(rep, opt.Each, firsts)
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", b.rel(cfg.PrivateDir), err)
	}
	defer col.close()
	if err := b.eachPatient(ctx, files, workers, col.add); err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", b.rel(cfg.PrivateDir), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The disk flushes the bundles and cards while the print sheet is
	// made; Sync below waits for it.
	b.sync.Start()

	if b.shard != nil {
		if err := col.finish(); err != nil {
			return nil, fmt.Errorf("cannot write in %s: %w", b.rel(cfg.PrivateDir), err)
		}
		return b.finishShard(rep, col)
	}
	if len(opt.Only) == 0 {
		if err := b.prune(files); err != nil {
			rep.Warnings = append(rep.Warnings, "cannot remove old bundles: "+err.Error())
		}
	}
	var first []registry.Event
	if rep.KeyCreated {
		first = append(first, registry.Event{Time: b.now, Who: b.by, What: registry.EventKeygen, Key: b.key.Fingerprint})
	}
	if err := col.finish(); err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", b.rel(cfg.PrivateDir), err)
	}
	if col.issued > 0 {
		if rep.Sheet, err = b.writeSheet(col); err != nil {
			return nil, fmt.Errorf("cannot write the print sheet: %w", err)
		}
		rep.SheetCards = col.issued
	}
	// Bundles and cards were written without a flush each; make them all
	// durable at once before the manifest says they exist.
	if err := b.sync.Sync(); err != nil {
		return nil, fmt.Errorf("cannot make the bundles and cards durable: %w", err)
	}
	// Only now is the sheet surely on disk: a build that dies before this
	// leaves its cards unmarked, and the next build prints them again.
	// The save also keeps the identities that ids adopted in this build.
	if err := col.printed(filepath.Base(rep.Sheet)); err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", b.rel(cfg.PrivateDir), err)
	}
	if err := b.reg.Save(); err != nil {
		return nil, fmt.Errorf("cannot save the card registry: %w", err)
	}
	if err := col.audit(first); err != nil {
		return nil, fmt.Errorf("cannot write the audit log: %w", err)
	}
	if rep.Manifest, err = b.writeManifest(col, len(opt.Only) > 0); err != nil {
		return nil, fmt.Errorf("cannot write the manifest: %w", err)
	}
	// Last: a build that dies before this leaves the old state, and the
	// patients it rebuilt no longer match it, so they are built again.
	if err := b.saveState(col, len(opt.Only) > 0); err != nil {
		return nil, fmt.Errorf("cannot write the build state: %w", err)
	}
	return rep, nil
}

// patient builds one patient. It never panics on bad input and never
// leaves a half-written file: every file is written to a temp file and
// renamed.
func (b *builder) patient(file string) (p Patient) {
	start := time.Now()
	defer func() { p.Took = time.Since(start) }()
	// A bug must cost one patient, not the run, and its panic value (which
	// could hold record data) is never printed.
	defer func() {
		if recover() != nil {
			p = Patient{ID: record.Stem(file), File: b.rel(file), Status: Failed, Reason: "failed",
				Err: fmt.Errorf("%s: internal error while building this patient: a bug in Satchel, please report it (no record data was printed)", b.rel(file))}
			b.unpublish(p.ID)
		}
	}()
	if err := b.dups[file]; err != nil {
		p = Patient{ID: record.Stem(file), File: b.rel(file), Status: Failed, Reason: "failed", Err: err}
		return p
	}
	if p, ok := b.skipUnread(file); ok {
		return p
	}
	pr := b.Prepare(file, b.now)
	p = Patient{ID: pr.ID, File: pr.File, Status: pr.Status, Reason: pr.Reason, Err: pr.Err, Warnings: pr.Warnings}
	if pr.Status == Built || pr.Status == Blocked {
		// The rules ran on an approved record: say what they withheld.
		p.Withheld = pr.Decision.Withheld
	}
	if pr.Record != nil {
		p.NotCarried = pr.Record.NotCarried
	}
	if pr.Status != Built {
		b.unpublish(pr.ID)
		return p
	}
	id := pr.ID
	fail := func(err error) Patient {
		p.Status, p.Err, p.Reason = Failed, err, "failed"
		b.unpublish(id)
		return p
	}
	rotated, err := b.bind(id, pr.Record)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", p.File, err))
	}
	if rotated != "" {
		p.Warnings = append(p.Warnings, rotated)
	}
	holder, cards, first := b.cards(id)
	p.Pages = len(pr.Pages)
	p.BundleID = holder.BundleID(b.master)

	// Freshness counts from the record's own date, not the build's.
	until := b.currentUntil(pr, b.now)
	if len(cards) > 0 {
		p.key = b.patientKey(pr, holder.Generation, p.BundleID, cards, first, until)
		if e, files, ok := b.unchanged(id, p.key, p.BundleID, cards); ok {
			p.Unchanged, p.outs = true, outputs(files)
			p.Bundle, p.Viewer, p.SHA256, p.Cards = e.Bundle, e.Viewer, e.SHA256, e.Cards
			if e.Bundle == "" {
				p.Warnings = append(p.Warnings, summaryOnlyWarning(id))
			}
			p.unread = b.unreadFor(pr, &p, holder, cards, first)
			return p
		}
	}
	doc, fhirJSON, view, took, err := b.document(pr, docMeta{now: b.now, bundleID: p.BundleID, currentUntil: until,
		fingerprint: provenance.ShortFingerprint(b.key.Fingerprint)})
	p.Render, p.DocBytes = took, len(doc)
	if err != nil {
		return fail(err)
	}
	var pdf []byte
	if b.pdf != nil {
		if pdf, p.PDF, err = b.recordPDF(pr, docMeta{now: b.now, bundleID: p.BundleID, currentUntil: until,
			fingerprint: provenance.ShortFingerprint(b.key.Fingerprint)}, view); err != nil {
			return fail(err)
		}
		p.PDFBytes = len(pdf)
	}
	info, err := b.infoFile(p.BundleID, pr.Approval, until)
	if err != nil {
		return fail(fmt.Errorf("%s: cannot pack the bundle: %w", p.File, err))
	}
	zipped, err := bundle.Pack([]bundle.File{{Name: bundle.Document, Data: doc}, {Name: bundle.FHIR, Data: fhirJSON}, b.keyFile, info}, b.now)
	if err != nil {
		return fail(fmt.Errorf("%s: cannot pack the bundle: %w", p.File, err))
	}

	if len(cards) == 0 {
		p.Status, p.Reason = Failed, "no live key card: issue one with satchel card add"
		p.Err = fmt.Errorf("%s: no live key card: issue one with satchel card add %s", p.File, id)
		b.unpublish(id)
		return p
	}
	// Everything is sealed and locked before anything is written: a
	// patient that fails here leaves the last build's files as they were.
	secrets := make([]cardkey.Secret, len(cards))
	var fullPass, summaryPass [][]byte
	for i, c := range cards {
		secrets[i] = cardSecret(b.master, holder, c)
		if c.SummaryOnly() {
			summaryPass = append(summaryPass, secrets[i].Passphrase())
		} else {
			fullPass = append(fullPass, secrets[i].Passphrase())
		}
	}
	// The full record is sealed to the full cards and the patient's own
	// key only: never to a summary-only card. The first card's packet
	// leads record.pgp, which GnuPG 2.2 opens with it: only the others
	// need a file of their own.
	own1 := len(fullPass) > 0 && !cards[0].SummaryOnly() && cards[0].Serial == first
	var msg *sealed
	if len(fullPass) > 0 || len(pr.OwnKey) > 0 {
		if msg, err = b.seal(zipped, fullPass, pr.OwnKey, own1); err != nil {
			return fail(fmt.Errorf("%s: cannot seal the bundle: %w", p.File, err))
		}
	}
	// The emergency summary alone, for the summary-only cards: a document,
	// bundle and messages of its own, with no FHIR record (which would
	// hold everything).
	var sum *summaryBundle
	if len(summaryPass) > 0 {
		if sum, err = b.summary(pr, docMeta{now: b.now, bundleID: p.BundleID, currentUntil: until,
			fingerprint: provenance.ShortFingerprint(b.key.Fingerprint)}, info, summaryPass); err != nil {
			return fail(err)
		}
	}
	// Each card's own files: the message gpg opens, the page a browser
	// opens, and its PDF copy.
	gpgFiles, viewers, pdfFiles := make([]string, len(cards)), make([]string, len(cards)), make([]string, len(cards))
	perCard := make([][]byte, len(cards))
	lockedPDFs := make([][]byte, len(cards))
	nFull, nSummary := 0, 0
	for i, c := range cards {
		own := holder.CardFile(b.master, c.Serial)
		if c.SummaryOnly() {
			gpgFiles[i], viewers[i], perCard[i] = own, summaryPage, sum.msg.PerCard[nSummary]
			nSummary++
		} else {
			gpgFiles[i], viewers[i], perCard[i] = own, "record.html", msg.PerCard[nFull]
			if nFull == 0 && own1 {
				gpgFiles[i], perCard[i] = "record.pgp", nil
			}
			nFull++
		}
		copyPDF := pdf
		if c.SummaryOnly() {
			copyPDF = sum.pdf
		}
		if copyPDF != nil {
			if lockedPDFs[i], err = pdfcrypt.Encrypt(copyPDF, pdfPassword(secrets[i]), b.rand); err != nil {
				return fail(fmt.Errorf("%s: cannot lock the PDF copy for key card %d: %w", p.File, c.Serial, err))
			}
			pdfFiles[i] = pdfFile(own)
		}
	}

	dir := b.cfg.BundleDir(p.BundleID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(fmt.Errorf("cannot create the bundle folder: %w", err))
	}
	pgp := filepath.Join(dir, "record.pgp")
	html := filepath.Join(dir, "record.html")
	keep := map[string]bool{}
	for i := range cards {
		if perCard[i] != nil {
			keep[gpgFiles[i]] = true
			if err := b.writeLater(&p.outs, filepath.Join(dir, gpgFiles[i]), perCard[i], 0o644); err != nil {
				return fail(fmt.Errorf("cannot write the bundle: %w", err))
			}
		}
		if lockedPDFs[i] != nil {
			keep[pdfFiles[i]] = true
			if err := b.writeLater(&p.outs, filepath.Join(dir, pdfFiles[i]), lockedPDFs[i], 0o644); err != nil {
				return fail(fmt.Errorf("cannot write the PDF copy: %w", err))
			}
		}
	}
	removeStaleCardFiles(dir, keep)
	if msg != nil {
		if err := b.writeLater(&p.outs, pgp, msg.All, 0o644); err != nil {
			return fail(fmt.Errorf("cannot write the bundle: %w", err))
		}
		if err := b.writeViewer(&p.outs, html, msg.All, doc, until, pr.Record.Patient.Language); err != nil {
			return fail(err)
		}
		digest := sha256.Sum256(msg.All)
		p.SHA256 = hex.EncodeToString(digest[:])
		p.Bundle, p.Viewer = b.rel(pgp), b.rel(html)
	} else {
		// Only summary-only cards, and no key of the patient's own: no
		// one may open the full record.
		os.Remove(pgp)
		os.Remove(html)
		p.Warnings = append(p.Warnings, summaryOnlyWarning(id))
	}
	summaryHTML := filepath.Join(dir, summaryPage)
	if sum != nil {
		if err := b.writeViewer(&p.outs, summaryHTML, sum.msg.All, sum.doc, until, pr.Record.Patient.Language); err != nil {
			return fail(err)
		}
		if msg == nil {
			p.Viewer = b.rel(summaryHTML)
		}
	} else {
		os.Remove(summaryHTML)
	}
	// A hosted record.html keeps itself for offline use through sw.js
	// beside it; a bundle no longer hosted loses it.
	sw := filepath.Join(dir, viewer.ServiceWorkerFile)
	if b.cfg.BaseURL == "" {
		os.Remove(sw)
	} else if err := b.writeLater(&p.outs, sw, viewer.ServiceWorker(), 0o644); err != nil {
		return fail(fmt.Errorf("cannot write the viewer: %w", err))
	}

	cardDir := b.cfg.PatientCardsDir(id)
	if err := os.MkdirAll(cardDir, 0o700); err != nil {
		return fail(fmt.Errorf("cannot create the card folder: %w", err))
	}
	for i, c := range cards {
		files, issued, err := b.writeCard(&p.outs, cardDir, id, c, p.BundleID, cardPaths{gpg: gpgFiles[i], pdf: pdfFiles[i], viewer: viewers[i]}, secrets[i], holder.CardTag(b.master, c.Serial), pr.Record.Patient.Language)
		if err != nil {
			return fail(fmt.Errorf("cannot write key card %d: %w", c.Serial, err))
		}
		files.GPG = b.rel(filepath.Join(dir, gpgFiles[i]))
		if pdfFiles[i] != "" {
			files.PDF = b.rel(filepath.Join(dir, pdfFiles[i]))
		}
		if c.SummaryOnly() {
			files.Scope, files.Viewer = string(c.Scope), b.rel(summaryHTML)
		}
		p.Cards = append(p.Cards, files)
		if issued != nil {
			p.issued = append(p.issued, *issued)
		}
	}
	b.removeRevokedCards(cardDir, id)
	p.Status = Built
	p.unread = b.unreadFor(pr, &p, holder, cards, first)
	return p
}

// summaryOnlyWarning says that patient id's full record is not published.
func summaryOnlyWarning(id string) string {
	return fmt.Sprintf("%s: every live card opens the emergency summary only: the full record is not published until a full card is issued (satchel card add %s)", id, id)
}

// writeViewer writes a self-opening page at path holding message, the
// sealed bundle whose document is doc.
func (b *builder) writeViewer(o *outputs, path string, message, doc []byte, until time.Time, language string) error {
	err := b.writeFuncLater(o, path, 0o644, func(w io.Writer) error {
		return b.viewer.Render(w, viewer.Page{
			PracticeName:  b.cfg.Practice.Name,
			PracticePhone: b.cfg.Practice.Phone,
			Exported:      b.now,
			CurrentUntil:  until,
			Message:       message,
			PracticeKey:   b.key.Public,
			// The theme's style sheet, allowed by hash in the page's CSP.
			DocumentStyles: viewer.Styles(doc),
			Hosted:         b.cfg.BaseURL != "",
			// The lock screen offers the record document's languages and
			// opens in the patient's own.
			Language:  language,
			Languages: b.cfg.Languages,
		})
	})
	if err != nil {
		return fmt.Errorf("cannot write the viewer: %w", err)
	}
	return nil
}

// unpublish removes a patient's bundle from public_dir: a record that is
// no longer approved, or is now blocked, must not stay handed out.
func (b *builder) unpublish(id string) {
	b.regMu.Lock()
	h := b.reg.Holder(id)
	b.regMu.Unlock()
	os.RemoveAll(b.cfg.BundleDir(h.BundleID(b.master)))
}

// prune removes bundle folders of patients who are no longer in the records
// folder. Only folders named like bundle ids are touched.
func (b *builder) prune(files []string) error {
	// Sorted, for a binary search: smaller than a map of everyone's.
	keep := make([]string, len(files))
	b.regMu.Lock()
	for i, f := range files {
		keep[i] = b.reg.Holder(record.Stem(f)).BundleID(b.master)
	}
	b.regMu.Unlock()
	slices.Sort(keep)
	dir := b.cfg.BundlesDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, found := slices.BinarySearch(keep, e.Name()); e.IsDir() && isBundleID(e.Name()) && !found {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func isBundleID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// lockedReader lets workers share one deterministic test reader.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
