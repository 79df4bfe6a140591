package pipeline

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/keycard"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// MergeOptions are the knobs of a merge. The zero value merges for real.
type MergeOptions struct {
	// Now is the merge's clock; nil means time.Now.
	Now func() time.Time
	// Shards is N, the number of shards whose results to merge; 0 means
	// the one N that private/shards holds results of.
	Shards int
	// By names who runs the merge, for the audit log of the print sheet;
	// empty means "satchel merge".
	By string

	// stop, in tests, is called where a merge may be killed ("registry":
	// just saved; "audit": a batch of events just written); an error
	// from it ends the merge there, as a kill would.
	stop func(at string) error
	// auditBatch is how many events go to the audit log in one write;
	// 0 means auditBatch.
	auditBatch int
}

func (o MergeOptions) stopAt(at string) error {
	if o.stop == nil {
		return nil
	}
	return o.stop(at)
}

// MergeReport is the outcome of a merge.
type MergeReport struct {
	// Shards is N, the number of shards merged.
	Shards int
	// Total is how many patients the merged manifest has; Count says how
	// many of them ended how.
	Total  int
	counts map[Status]int
	// Unchanged counts the patients the shards skipped as unchanged.
	Unchanged int
	// Failures are the errors of the patients that failed, as their
	// shards printed them: file, line and field, no patient data.
	Failures []string
	Warnings []string
	// Resumed is when the merge this one finished was stopped part way
	// (after saving the card registry), zero if it was not one.
	Resumed time.Time
	// Manifest, Sheet are relative to the site root, as in Report.
	Manifest   string
	Sheet      string
	SheetCards int
}

// Count returns how many patients ended with status s.
func (r *MergeReport) Count(s Status) int { return r.counts[s] }

// OK reports whether no patient failed.
func (r *MergeReport) OK() bool { return r.Count(Failed) == 0 && len(r.Failures) == 0 }

// Merge combines the results of the N shards of a sharded build
// (shard.go) into what one build writes for the practice: the print sheet,
// the card registry, the audit log, the manifest and the build state. It
// then removes the bundles of patients no longer in the records folder, as
// a build does, and the shards' results. It holds the registry lock
// exclusively, so it waits for no shard: while one still runs it is
// refused. Every shard must be present, of the same N, built against the
// registry as it is now, the practice key and the same Satchel, and cover
// the records folder as it is now; otherwise the merge is refused, naming
// the shard and what to do, before it writes anything.
func (p *Pipeline) Merge(opt MergeOptions) (*MergeReport, error) {
	cfg := p.cfg
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	n, err := p.pickShards(opt.Shards)
	if err != nil {
		return nil, err
	}
	reg, err := registry.Open(cfg.PrivateDir)
	if errors.Is(err, registry.ErrBusy) {
		return nil, errors.New("a shard (or another satchel) is still using the card registry: wait until every shard has finished, then run satchel merge again")
	}
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	shards, err := p.readShards(n)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, x := range shards {
			x.close()
		}
	}()
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		return nil, err
	}
	fingerprint, err := keyFingerprint(cfg.PracticeKeyFile())
	if err != nil {
		return nil, err
	}
	rep := &MergeReport{Shards: n, counts: map[Status]int{}}
	// A merge stopped after saving the registry left a journal: these
	// shards were built against the registry before it (unless they
	// were run again since).
	journalPath := mergeJournalFile(ShardsDir(cfg), n)
	journal, err := readMergeJournal(journalPath, reg.Digest())
	if err != nil {
		return nil, err
	}
	if journal != nil && shards[0].Registry != journal.Before {
		journal = nil
	}
	built := reg.Digest()
	start := now().UTC().Truncate(time.Second)
	if journal != nil {
		built, start = journal.Before, journal.Time
		rep.Resumed = journal.Time
	}
	if err := p.checkShards(shards, built, fingerprint); err != nil {
		return nil, err
	}

	// Everything is read and checked. What merge writes is put together
	// entry by entry from the shards' files, in the order one build
	// writes it; in memory are only where each entry lies and the
	// registry.
	type ref[T any] struct {
		x *shardIndex
		e T
	}
	var manifest, state []ref[keyedSpan]
	var events []ref[eventSpan]
	var issued []ref[sheetSpan]
	for _, x := range shards {
		for _, c := range x.cards {
			var sc shardCards
			if err := x.read(c.span, &sc); err != nil {
				return nil, fmt.Errorf("%s: cannot read it again: %w", p.rel(x.f.Name()), err)
			}
			reg.Set(c.id, sc.Cards, sc.Identity)
		}
		rep.Unchanged += x.Unchanged
		rep.Failures = append(rep.Failures, x.Failures...)
		for _, e := range x.manifest {
			manifest = append(manifest, ref[keyedSpan]{x, e})
		}
		for _, e := range x.state {
			state = append(state, ref[keyedSpan]{x, e})
		}
		for _, e := range x.events {
			events = append(events, ref[eventSpan]{x, e})
		}
		for _, c := range x.sheet {
			issued = append(issued, ref[sheetSpan]{x, c})
		}
	}
	byID := func(a, b ref[keyedSpan]) int { return strings.Compare(a.e.id, b.e.id) }
	slices.SortStableFunc(manifest, byID)
	slices.SortStableFunc(state, byID)
	// In the order one build writes them: cards revoked because an id
	// names another patient first, then builds and issues, patient by
	// patient.
	slices.SortStableFunc(events, func(a, b ref[eventSpan]) int {
		return cmp.Or(cmp.Compare(a.e.rotation, b.e.rotation), strings.Compare(a.e.patient, b.e.patient))
	})
	slices.SortStableFunc(issued, func(a, b ref[sheetSpan]) int {
		return cmp.Or(strings.Compare(a.e.patient, b.e.patient), cmp.Compare(a.e.serial, b.e.serial))
	})

	b := &builder{Pipeline: p, now: start, reg: reg, master: master}
	by := opt.By
	if by == "" {
		by = "satchel merge"
	}
	// No shard runs now: the temp files of one that was killed can go.
	var temps Report
	b.removeTemps(&temps)
	rep.Warnings = append(rep.Warnings, temps.Warnings...)
	switch {
	case journal != nil && journal.Sheet != "":
		// The stopped merge wrote the sheet whole before its journal.
		rep.Sheet = p.rel(filepath.Join(cfg.CardsDir(), journal.Sheet))
		rep.SheetCards = len(issued)
	case len(issued) > 0:
		src := &mergeSheet{n: len(issued), langs: p.langs, at: func(i int) (*shardIndex, sheetSpan) { return issued[i].x, issued[i].e }}
		if rep.Sheet, err = b.writeSheetFrom(src); err != nil {
			return nil, fmt.Errorf("cannot write the print sheet: %w", err)
		}
		rep.SheetCards = len(issued)
	}
	// The sheet is on disk (the shards made their bundles and cards
	// durable before writing their results): mark its cards printed.
	for _, c := range issued {
		reg.MarkPrinted(c.e.patient, c.e.serial, c.e.digest)
	}
	pending, err := reg.PendingDigest()
	if err != nil {
		return nil, fmt.Errorf("cannot save the card registry: %w", err)
	}
	var resume *auditResume
	if journal == nil {
		size, err := auditSize(cfg.PrivateDir)
		if err != nil {
			return nil, fmt.Errorf("cannot read the audit log: %w", err)
		}
		j := &mergeJournal{Format: mergeJournalFormat, Before: built, After: pending, Time: b.now, AuditSize: size}
		if rep.Sheet != "" {
			j.Sheet = filepath.Base(rep.Sheet)
		}
		if err := j.write(journalPath); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", p.rel(journalPath), err)
		}
		if err := reg.Save(); err != nil {
			return nil, fmt.Errorf("cannot save the card registry: %w", err)
		}
	} else {
		// The stopped merge saved the registry this merge has made
		// again: it stays. Of the audit events, only those it had not
		// written yet are written.
		if pending != journal.After {
			return nil, errors.New("the card registry a stopped merge saved is not the one merging the shards again makes: run every shard again, then satchel merge")
		}
		lines, err := auditSince(cfg.PrivateDir, journal.AuditSize)
		if err != nil {
			return nil, fmt.Errorf("cannot read the audit log: %w", err)
		}
		resume = &auditResume{lines: lines}
	}
	if err := opt.stopAt("registry"); err != nil {
		return nil, err
	}
	// The shards' events, then the print sheet's, a batch at a time.
	size := cmp.Or(opt.auditBatch, auditBatch)
	batch := make([]registry.Event, 0, size)
	audit := func(e registry.Event) error {
		if done, err := resume.written(e); done || err != nil {
			return err
		}
		if batch = append(batch, e); len(batch) == size {
			if err := reg.Audit(batch...); err != nil {
				return err
			}
			batch = batch[:0]
			return opt.stopAt("audit")
		}
		return nil
	}
	for _, r := range events {
		var e registry.Event
		if err := r.x.read(r.e.span, &e); err != nil {
			return nil, fmt.Errorf("%s: cannot read it again: %w", p.rel(r.x.f.Name()), err)
		}
		if err := audit(e); err != nil {
			return nil, fmt.Errorf("cannot write the audit log: %w", err)
		}
	}
	for _, c := range issued {
		e := registry.Event{Time: b.now, Who: by, What: registry.EventPrintSheet, Patient: c.e.patient, Serial: c.e.serial, Sheet: filepath.Base(rep.Sheet)}
		if err := audit(e); err != nil {
			return nil, fmt.Errorf("cannot write the audit log: %w", err)
		}
	}
	if err := reg.Audit(batch...); err != nil {
		return nil, fmt.Errorf("cannot write the audit log: %w", err)
	}
	var readErr error
	entries := func(yield func([]byte) bool) {
		for _, r := range manifest {
			var e ManifestEntry
			if readErr = r.x.read(r.e.span, &e); readErr != nil {
				return
			}
			rep.counts[e.Status]++
			rep.Total++
			data, err := json.MarshalIndent(e, "    ", "  ")
			if readErr = err; err != nil || !yield(data) {
				return
			}
		}
	}
	err = atomicfile.WriteFunc(cfg.ManifestFile(), 0o600, func(w io.Writer) error {
		if err := encodeManifest(w, b.now, entries); err != nil {
			return err
		}
		return readErr
	})
	if err != nil {
		return nil, fmt.Errorf("cannot write the manifest: %w", err)
	}
	rep.Manifest = p.rel(cfg.ManifestFile())
	// Last of what a build writes: a merge that dies before this leaves
	// the old state, and the patients rebuilt no longer match it.
	exe, err := json.Marshal(shards[0].Satchel)
	if err != nil {
		return nil, err
	}
	err = atomicfile.WriteFunc(b.stateFile(), 0o600, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, `{"format":%d,"satchel":%s,"patients":{`, stateFormat, exe)
		for i, r := range state {
			data, err := r.x.raw(r.e.span)
			if err != nil {
				return err
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				return err
			}
			key, _ := json.Marshal(r.e.id) // a string always marshals
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(key)
			bw.WriteByte(':')
			bw.Write(compact.Bytes())
		}
		bw.WriteString("}}\n")
		return bw.Flush()
	})
	if err != nil {
		return nil, fmt.Errorf("cannot write the build state: %w", err)
	}
	keep := make([]string, len(manifest))
	for i, r := range manifest {
		keep[i] = r.e.id
	}
	if err := b.prune(keep); err != nil {
		rep.Warnings = append(rep.Warnings, "cannot remove old bundles: "+err.Error())
	}
	// Only now that everything is durable: the results go (closed first:
	// Windows cannot remove an open file).
	for _, x := range shards {
		x.close()
	}
	if err := os.RemoveAll(filepath.Join(ShardsDir(cfg), strconv.Itoa(n))); err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("cannot remove the shards' results: %v", err))
	}
	os.Remove(ShardsDir(cfg)) // only if empty
	return rep, nil
}

// mergeSheet is the merged print sheet's keycard.SheetSource: the shards'
// cards for the sheet, in the order at gives them, each read back from
// its shard's result when the sheet comes to it, with the labels of its
// language from langs (loaded once, not for every card). The sheet's list
// of cards comes from the index alone.
type mergeSheet struct {
	n     int
	at    func(i int) (*shardIndex, sheetSpan)
	langs map[string]*i18n.Language
}

func (s *mergeSheet) Len() int { return s.n }

func (s *mergeSheet) Entry(i int) (string, int, string, error) {
	_, c := s.at(i)
	return c.patient, c.serial, c.label, nil
}

func (s *mergeSheet) Card(i int) (keycard.SheetCard, error) {
	x, sp := s.at(i)
	var c shardSheetCard
	if err := x.read(sp.span, &c); err != nil {
		return keycard.SheetCard{}, fmt.Errorf("%s: cannot read it again: %w", x.f.Name(), err)
	}
	mc, err := c.sheetCard()
	mc.Labels = s.langs[cmp.Or(mc.Language, i18n.English)]
	return mc.SheetCard, err
}

// rotationOrder puts the cards revoked because an id names another
// patient before everything else a build logs.
func rotationOrder(e registry.Event) int {
	if e.What == registry.EventRevoke {
		return 0
	}
	return 1
}

// pickShards returns N, the number of shards to merge: n if given, else
// the one N that private/shards holds results of.
func (p *Pipeline) pickShards(n int) (int, error) {
	dir := ShardsDir(p.cfg)
	if _, err := os.ReadDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("%s: cannot read the shards' results: %w", p.rel(dir), err)
	}
	ns := Unmerged(p.cfg)
	run := "run `satchel build -shard K/N` for every K from 0 to N-1 first"
	switch {
	case n < 0 || n > maxShards:
		return 0, fmt.Errorf("-shards must be from 1 to %d", maxShards)
	case n > 0 && !slices.Contains(ns, n):
		return 0, fmt.Errorf("%s: no results of %d shards: %s", p.rel(dir), n, run)
	case n > 0:
		return n, nil
	case len(ns) == 0:
		return 0, fmt.Errorf("%s: no shard results to merge: %s", p.rel(dir), run)
	case len(ns) > 1:
		var list []string
		for _, v := range ns {
			list = append(list, strconv.Itoa(v))
		}
		return 0, fmt.Errorf("%s holds results of sharded builds of %s shards: say which to merge with -shards N, and remove the folder of the other", p.rel(dir), strings.Join(list, " and "))
	}
	return ns[0], nil
}

// readShards reads the results of the n shards, refusing any missing,
// damaged or not of shard K of n.
func (p *Pipeline) readShards(n int) (shards []*shardIndex, err error) {
	defer func() {
		if err != nil {
			for _, x := range shards {
				x.close()
			}
		}
	}()
	var missing []string
	for k := range n {
		sh := Shard{K: k, N: n}
		path := shardFile(p.cfg, sh)
		x, err := readShardIndex(path)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, sh.String())
			continue
		}
		var sce *sheetCardError
		switch {
		case errors.As(err, &sce):
			return shards, fmt.Errorf("%s: damaged: %w", p.rel(path), err)
		case errors.Is(err, errDamaged):
			return shards, fmt.Errorf("%s: damaged: not a shard result; run `satchel build -shard %s` again", p.rel(path), sh)
		case err != nil:
			return shards, fmt.Errorf("%s: cannot read the shard's result: %w", p.rel(path), err)
		}
		shards = append(shards, x)
		if x.Format != shardFormat {
			return shards, fmt.Errorf("%s: written by another version of Satchel: run `satchel build -shard %s` again with this one", p.rel(path), sh)
		}
		if x.N != n || x.K != k {
			return shards, fmt.Errorf("%s: holds the result of shard %d/%d, not %s: run `satchel build -shard %s` again", p.rel(path), x.K, x.N, sh, sh)
		}
	}
	if len(missing) > 0 {
		return shards, fmt.Errorf("no result of shard%s %s in %s (a shard that failed, was stopped or is still running leaves none): run `satchel build -shard %s`, then satchel merge",
			plural(len(missing)), strings.Join(missing, ", "), p.rel(filepath.Join(ShardsDir(p.cfg), strconv.Itoa(n))), missing[0])
	}
	// A folder of a shard beyond N is of another run: never merge around it.
	entries, _ := os.ReadDir(filepath.Join(ShardsDir(p.cfg), strconv.Itoa(n)))
	for _, e := range entries {
		if e.Name() == mergeJournalName || atomicfile.IsTemp(e.Name()) {
			continue
		}
		if k, err := strconv.Atoi(e.Name()); err != nil || k < 0 || k >= n {
			return shards, fmt.Errorf("%s: not a shard of %d: remove it", p.rel(filepath.Join(ShardsDir(p.cfg), strconv.Itoa(n), e.Name())), n)
		}
	}
	return shards, nil
}

// checkShards refuses shards that were not built against the registry as
// it is now (digest), the practice key (fingerprint), the same Satchel
// and the records folder as it is now, that hold patients not theirs, or
// whose patients' files are no longer as the shard wrote them (another
// build since).
func (p *Pipeline) checkShards(results []*shardIndex, digest, fingerprint string) error {
	again := "run every shard again, then satchel merge"
	first := results[0]
	owner := map[string]int{}
	b := &builder{Pipeline: p}
	for _, r := range results {
		sh := Shard{K: r.K, N: r.N}
		switch {
		case r.Registry != digest:
			return fmt.Errorf("shard %s read the card registry as it was before a change (a satchel card change, or another build, since it ran): %s", sh, again)
		case r.Key != fingerprint:
			return fmt.Errorf("shard %s was built with another practice key than %s: %s", sh, p.rel(p.cfg.PracticeKeyFile()), again)
		case r.Satchel.SHA256 != first.Satchel.SHA256:
			return fmt.Errorf("shards %s and %s were built by different Satchel executables: %s with one satchel", Shard{K: first.K, N: first.N}, sh, again)
		}
		for _, id := range r.Patients {
			if ShardOf(id, r.N) != r.K {
				return fmt.Errorf("shard %s holds patient %s, who belongs to shard %d/%d: %s", sh, id, ShardOf(id, r.N), r.N, again)
			}
			owner[id] = r.K
		}
		for _, e := range slices.SortedFunc(slices.Values(r.state), func(a, b keyedSpan) int { return strings.Compare(a.id, b.id) }) {
			var st patientState
			if err := r.read(e.span, &st); err != nil {
				return fmt.Errorf("%s: cannot read it again: %w", p.rel(r.f.Name()), err)
			}
			for _, f := range st.Files {
				if _, ok := b.stillThere(f); !ok {
					return fmt.Errorf("%s: changed or removed since shard %s wrote it for patient %s (another build since?): %s", f.Path, sh, e.id, again)
				}
			}
		}
	}
	files, _, err := p.records()
	if err != nil {
		return err
	}
	now := map[string]bool{}
	for _, f := range files {
		id := record.Stem(f)
		now[id] = true
		if _, ok := owner[id]; !ok {
			return fmt.Errorf("%s: new since shard %d/%d ran: %s", p.rel(f), ShardOf(id, first.N), first.N, again)
		}
	}
	for id, k := range owner {
		if !now[id] {
			return fmt.Errorf("patient %s: the record is gone since shard %d/%d ran: %s", id, k, first.N, again)
		}
	}
	return nil
}

// keyFingerprint returns the fingerprint of the practice key in path, in
// upper-case hex, without unlocking it.
func keyFingerprint(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: cannot read the practice signing key: %w", path, err)
	}
	defer clear(data)
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil || len(ring) != 1 {
		return "", fmt.Errorf("%s is not a practice signing key (an armored OpenPGP secret key)", path)
	}
	return strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint)), nil
}
