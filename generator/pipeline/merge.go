package pipeline

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/cardkey"
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
}

// MergeReport is the outcome of a merge.
type MergeReport struct {
	// Shards is N, the number of shards merged.
	Shards int
	// Patients are the merged manifest's entries.
	Patients []ManifestEntry
	// Unchanged counts the patients the shards skipped as unchanged.
	Unchanged int
	// Failures are the errors of the patients that failed, as their
	// shards printed them: file, line and field, no patient data.
	Failures []string
	Warnings []string
	// Manifest, Sheet are relative to the site root, as in Report.
	Manifest   string
	Sheet      string
	SheetCards int
}

// Count returns how many patients ended with status s.
func (r *MergeReport) Count(s Status) int {
	n := 0
	for _, p := range r.Patients {
		if p.Status == s {
			n++
		}
	}
	return n
}

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
	results, err := p.readShards(n)
	if err != nil {
		return nil, err
	}
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		return nil, err
	}
	fingerprint, err := keyFingerprint(cfg.PracticeKeyFile())
	if err != nil {
		return nil, err
	}
	if err := p.checkShards(results, reg.Digest(), fingerprint); err != nil {
		return nil, err
	}

	// Everything is read and checked: put it together in memory.
	rep := &MergeReport{Shards: n}
	st := buildState{Format: stateFormat, Satchel: results[0].Satchel, Patients: map[string]patientState{}}
	var events []registry.Event
	var issued []mergeCard
	for _, r := range results {
		for _, id := range r.Patients {
			sc := r.Cards[id]
			reg.Set(id, sc.Cards, sc.Identity)
		}
		rep.Patients = append(rep.Patients, r.Manifest...)
		rep.Unchanged += r.Unchanged
		rep.Failures = append(rep.Failures, r.Failures...)
		events = append(events, r.Events...)
		for id, ps := range r.State {
			st.Patients[id] = ps
		}
		for _, c := range r.Sheet {
			ic, err := c.sheetCard()
			if err != nil {
				return nil, fmt.Errorf("%s: damaged: card %d of patient %s: %w", p.rel(shardFile(cfg, Shard{K: r.K, N: n})), c.Card.Serial, c.Patient, err)
			}
			issued = append(issued, ic)
		}
	}
	slices.SortStableFunc(rep.Patients, func(a, b ManifestEntry) int { return strings.Compare(a.ID, b.ID) })
	// In the order one build writes them: cards revoked because an id
	// names another patient first, then builds and issues, patient by
	// patient.
	slices.SortStableFunc(events, func(a, b registry.Event) int {
		return cmp.Or(cmp.Compare(rotationOrder(a), rotationOrder(b)), strings.Compare(a.Patient, b.Patient))
	})
	slices.SortStableFunc(issued, func(a, b mergeCard) int {
		return cmp.Or(strings.Compare(a.PatientID, b.PatientID), cmp.Compare(a.Serial, b.Serial))
	})

	b := &builder{Pipeline: p, now: now().UTC().Truncate(time.Second), reg: reg, master: master}
	by := opt.By
	if by == "" {
		by = "satchel merge"
	}
	// No shard runs now: the temp files of one that was killed can go.
	var temps Report
	b.removeTemps(&temps)
	rep.Warnings = append(rep.Warnings, temps.Warnings...)
	if len(issued) > 0 {
		sheet := make([]keycard.SheetCard, len(issued))
		for i, c := range issued {
			sheet[i] = c.SheetCard
		}
		if rep.Sheet, err = b.writeSheetFrom(keycard.SheetSlice(sheet)); err != nil {
			return nil, fmt.Errorf("cannot write the print sheet: %w", err)
		}
		rep.SheetCards = len(sheet)
		for _, c := range issued {
			events = append(events, registry.Event{Time: b.now, Who: by, What: registry.EventPrintSheet, Patient: c.PatientID, Serial: c.Serial, Sheet: filepath.Base(rep.Sheet)})
		}
	}
	// The sheet is on disk (the shards made their bundles and cards
	// durable before writing their results): mark its cards printed.
	for _, c := range issued {
		reg.MarkPrinted(c.PatientID, c.Serial, c.digest)
	}
	if err := reg.Save(); err != nil {
		return nil, fmt.Errorf("cannot save the card registry: %w", err)
	}
	if err := reg.Audit(events...); err != nil {
		return nil, fmt.Errorf("cannot write the audit log: %w", err)
	}
	m := Manifest{Generated: b.now, Patients: rep.Patients}
	if m.Patients == nil {
		m.Patients = []ManifestEntry{}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(cfg.ManifestFile(), append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write the manifest: %w", err)
	}
	rep.Manifest = p.rel(cfg.ManifestFile())
	// Last of what a build writes: a merge that dies before this leaves
	// the old state, and the patients rebuilt no longer match it.
	if data, err = json.Marshal(st); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(b.stateFile(), append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write the build state: %w", err)
	}
	keep := make([]string, len(rep.Patients))
	for i, e := range rep.Patients {
		keep[i] = e.ID
	}
	if err := b.prune(keep); err != nil {
		rep.Warnings = append(rep.Warnings, "cannot remove old bundles: "+err.Error())
	}
	// Only now that everything is durable: the results go.
	if err := os.RemoveAll(filepath.Join(ShardsDir(cfg), strconv.Itoa(n))); err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("cannot remove the shards' results: %v", err))
	}
	os.Remove(ShardsDir(cfg)) // only if empty
	return rep, nil
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
func (p *Pipeline) readShards(n int) ([]shardResult, error) {
	results := make([]shardResult, n)
	var missing []string
	for k := range n {
		sh := Shard{K: k, N: n}
		path := shardFile(p.cfg, sh)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, sh.String())
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read the shard's result: %w", p.rel(path), err)
		}
		r := &results[k]
		if json.Unmarshal(data, r) != nil {
			return nil, fmt.Errorf("%s: damaged: not a shard result; run `satchel build -shard %s` again", p.rel(path), sh)
		}
		if r.Format != shardFormat {
			return nil, fmt.Errorf("%s: written by another version of Satchel: run `satchel build -shard %s` again with this one", p.rel(path), sh)
		}
		if r.N != n || r.K != k {
			return nil, fmt.Errorf("%s: holds the result of shard %d/%d, not %s: run `satchel build -shard %s` again", p.rel(path), r.K, r.N, sh, sh)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no result of shard%s %s in %s (a shard that failed, was stopped or is still running leaves none): run `satchel build -shard %s`, then satchel merge",
			plural(len(missing)), strings.Join(missing, ", "), p.rel(filepath.Join(ShardsDir(p.cfg), strconv.Itoa(n))), missing[0])
	}
	// A folder of a shard beyond N is of another run: never merge around it.
	entries, _ := os.ReadDir(filepath.Join(ShardsDir(p.cfg), strconv.Itoa(n)))
	for _, e := range entries {
		if k, err := strconv.Atoi(e.Name()); err != nil || k < 0 || k >= n {
			return nil, fmt.Errorf("%s: not a shard of %d: remove it", p.rel(filepath.Join(ShardsDir(p.cfg), strconv.Itoa(n), e.Name())), n)
		}
	}
	return results, nil
}

// checkShards refuses shards that were not built against the registry as
// it is now (digest), the practice key (fingerprint), the same Satchel
// and the records folder as it is now, that hold patients not theirs, or
// whose patients' files are no longer as the shard wrote them (another
// build since).
func (p *Pipeline) checkShards(results []shardResult, digest, fingerprint string) error {
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
		for _, id := range slices.Sorted(maps.Keys(r.State)) {
			for _, f := range r.State[id].Files {
				if _, ok := b.stillThere(f); !ok {
					return fmt.Errorf("%s: changed or removed since shard %s wrote it for patient %s (another build since?): %s", f.Path, sh, id, again)
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
