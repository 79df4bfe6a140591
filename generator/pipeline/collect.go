package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
)

// Flat memory. A build holds nothing per patient that it can put on disk:
// as the workers finish, each patient's result is taken in file order (a
// small reorder window, see eachPatient) and reduced to what the end of
// the build needs. Its manifest entry, its build-state entry, its audit
// events and its cards for the print sheet (issuedCard: which card, the
// files it names, the digest of its page; never its key) go to three temp
// files in private_dir (0600; no secret, no record data), read back when
// the sheet, the manifest, the build state and the audit log are written.
// The report keeps counts and the failed patients; every patient only
// when Options.Each is nil.

// spillFile is a temp file a build writes to as it goes and reads back at
// the end, named so that removeTemps clears one a killed build left.
type spillFile struct {
	f   *os.File
	w   *bufio.Writer
	off int64
}

func newSpill(dir, name string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*") // 0600
	if err != nil {
		return nil, err
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add appends data and returns where it starts.
func (s *spillFile) add(data []byte) (int64, error) {
	at := s.off
	_, err := s.w.Write(data)
	s.off += int64(len(data))
	return at, err
}

// read returns the n bytes add put at off, once flush has been called.
func (s *spillFile) read(off int64, n int, buf []byte) ([]byte, error) {
	buf = slices.Grow(buf[:0], n)[:n]
	_, err := s.f.ReadAt(buf, off)
	return buf, err
}

func (s *spillFile) flush() error { return s.w.Flush() }

func (s *spillFile) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// spilled is where a patient's entries are in the entries file: its
// manifest entry (mn bytes from off), then its build-state entry (sn
// bytes; 0 for none).
type spilled struct {
	id     string
	off    int64
	mn, sn int32
}

// manifestEntry and stateEntry read the patient's entries back into buf.
func (s spilled) manifestEntry(f *spillFile, buf []byte) ([]byte, error) {
	return f.read(s.off, int(s.mn), buf)
}

func (s spilled) stateEntry(f *spillFile, buf []byte) ([]byte, error) {
	return f.read(s.off+int64(s.mn), int(s.sn), buf)
}

// collector reduces each patient's result, in file order, to what the
// rest of the build needs.
type collector struct {
	b   *builder
	rep *Report
	// each is Options.Each; when nil, rep.Patients keeps every patient.
	each func(*Patient)
	// firsts are the first cards given by this build, by file (see Build).
	firsts []int

	// cards holds the issued cards, one JSON line each (sheet.go), and
	// issued counts them.
	cards  *spillFile
	issued int
	// drop are the first cards of patients who did not build: the
	// registry forgets them before it is saved.
	drop []cardRef

	entries, events *spillFile
	// patients are where each patient's entries are in entries: in file
	// order, then (once finish has run) sorted by id.
	patients []spilled
}

type cardRef struct {
	id     string
	serial int
}

func (b *builder) newCollector(rep *Report, each func(*Patient), firsts []int) (*collector, error) {
	c := &collector{b: b, rep: rep, each: each, firsts: firsts}
	var err error
	if c.entries, err = newSpill(b.cfg.PrivateDir, "build-entries"); err != nil {
		return nil, err
	}
	if c.events, err = newSpill(b.cfg.PrivateDir, "build-events"); err != nil {
		c.entries.remove()
		return nil, err
	}
	if c.cards, err = newSpill(b.cfg.PrivateDir, "build-cards"); err != nil {
		c.entries.remove()
		c.events.remove()
		return nil, err
	}
	return c, nil
}

func (c *collector) close() {
	c.entries.remove()
	c.events.remove()
	c.cards.remove()
}

// event adds e to the audit events the build writes once the registry is
// saved, as registry.Audit would write it.
func (c *collector) event(e registry.Event) error {
	e.Time = e.Time.UTC().Truncate(time.Second)
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = c.events.add(append(line, '\n'))
	return err
}

// add takes patient p, of the i-th record file, the next in file order.
func (c *collector) add(i int, p *Patient) error {
	b, rep := c.b, c.rep
	rep.total++
	if rep.counts == nil {
		rep.counts = map[Status]int{}
	}
	rep.counts[p.Status]++
	if p.Unchanged {
		rep.unchanged++
	}
	if p.Status == Failed {
		rep.failed = append(rep.failed, *p)
	}
	// The registry and audit log: what sealed once did for every patient
	// after the workers.
	if p.Status != Built {
		if serial := c.firsts[i]; serial != 0 {
			c.drop = append(c.drop, cardRef{p.ID, serial})
		}
	} else if !p.Unchanged {
		serials := make([]int, len(p.Cards))
		for i, cf := range p.Cards {
			serials[i] = cf.Serial
		}
		if err := c.event(registry.Event{Time: b.now, Who: b.by, What: registry.EventBuild, Patient: p.ID, Bundle: p.BundleID, Digest: p.SHA256, Cards: serials}); err != nil {
			return err
		}
		b.regMu.Lock()
		cards := b.reg.Cards(p.ID)
		b.regMu.Unlock()
		for _, rc := range cards {
			if !rc.Pending || !slices.Contains(serials, rc.Serial) {
				continue
			}
			ev := registry.Event{Time: b.now, Who: b.by, What: registry.EventIssue, Patient: p.ID, Serial: rc.Serial, Label: rc.Label}
			if rc.SummaryOnly() {
				ev.Scope = rc.Scope
			}
			if err := c.event(ev); err != nil {
				return err
			}
		}
	}
	for _, ic := range p.issued {
		if err := c.addCard(ic); err != nil {
			return err
		}
	}
	// The manifest entry, encoded as the manifest holds it, then the
	// build state, with each file's time as it is now: every file of the
	// patient is in place once its worker is done.
	e, err := json.MarshalIndent(manifestEntry(p), "    ", "  ")
	if err != nil {
		return err
	}
	at := spilled{id: p.ID, mn: int32(len(e))}
	if at.off, err = c.entries.add(e); err != nil {
		return err
	}
	if ps, ok := b.patientState(p); ok {
		data, err := json.Marshal(ps)
		if err != nil {
			return err
		}
		if _, err := c.entries.add(data); err != nil {
			return err
		}
		at.sn = int32(len(data))
	}
	c.patients = append(c.patients, at)
	if c.each != nil {
		c.each(p)
	} else {
		p.issued, p.outs = nil, nil
		rep.Patients = append(rep.Patients, *p)
	}
	return nil
}

// finish applies to the registry what the patients' builds did to it: the
// cards their bundles were first sealed to (those of the issue events put
// aside) are issued, and first cards of patients who did not build are
// dropped. It sorts the patients' entries by id.
func (c *collector) finish() error {
	b := c.b
	for _, f := range []*spillFile{c.entries, c.events, c.cards} {
		if err := f.flush(); err != nil {
			return err
		}
	}
	b.regMu.Lock()
	defer b.regMu.Unlock()
	for _, r := range c.drop {
		b.reg.Drop(r.id, r.serial)
	}
	err := c.eachEvent(func(e registry.Event) error {
		if e.What == registry.EventIssue {
			b.reg.Sealed(e.Patient, []int{e.Serial})
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(c.patients, func(x, y spilled) int { return strings.Compare(x.id, y.id) })
	return nil
}

// eachEvent calls fn with each event put aside so far, in order, and
// leaves the events file ready for more.
func (c *collector) eachEvent(fn func(registry.Event) error) error {
	if _, err := c.events.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(c.events.f, c.events.off)))
	for {
		var e registry.Event
		err := dec.Decode(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	_, err := c.events.f.Seek(0, io.SeekEnd)
	return err
}

// printed marks every card of the print sheet as printed in the
// registry, and adds the events saying so after the patients'.
func (c *collector) printed(sheet string) error {
	b := c.b
	err := c.eachCard(func(ic issuedCard) error {
		b.reg.MarkPrinted(ic.patient, ic.serial, ic.digest)
		return c.event(registry.Event{Time: b.now, Who: b.by, What: registry.EventPrintSheet, Patient: ic.patient, Serial: ic.serial, Sheet: sheet})
	})
	if err != nil {
		return err
	}
	return c.events.flush()
}

// audit appends the build's events to the audit log, first (keygen, if
// the build made the practice key) before those the collector put aside:
// the patients' in file order, then the print sheet's; a batch at a time.
func (c *collector) audit(first []registry.Event) error {
	b := c.b
	if err := b.reg.Audit(first...); err != nil {
		return err
	}
	var batch []registry.Event
	err := c.eachEvent(func(e registry.Event) error {
		if batch = append(batch, e); len(batch) == auditBatch {
			if err := b.reg.Audit(batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		return err
	}
	return b.reg.Audit(batch...)
}

// auditBatch is how many events go to the audit log in one write.
const auditBatch = 1024

// eachPatient builds the patients of files with workers goroutines and
// calls use with each, in the order of files, as soon as it and every
// patient before it are done (see inOrder). It stops at use's first
// error, and returns it.
func (b *builder) eachPatient(ctx context.Context, files []string, workers int, use func(int, *Patient) error) error {
	return inOrder(ctx, len(files), workers,
		func(i int) Patient { return b.patient(files[i]) },
		func(i int, p Patient) error { return use(i, &p) })
}

// patientState is what the build state records of patient p: its key and
// its files as they are on disk now. ok is false for a patient that did
// not build, or whose files are not all there as written: it is built
// afresh next time.
func (b *builder) patientState(p *Patient) (patientState, bool) {
	if p.Status != Built || p.key == "" {
		return patientState{}, false
	}
	files := slices.Clone(p.outs)
	for i := range files {
		info, err := os.Lstat(b.abs(files[i].Path))
		if err != nil || info.Size() != files[i].Size {
			return patientState{}, false
		}
		files[i].MTime = info.ModTime().UnixNano()
	}
	return patientState{Key: p.key, Files: files, Unread: p.unread}, true
}
