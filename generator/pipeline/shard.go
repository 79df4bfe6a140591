package pipeline

// Sharded builds. `satchel build -shard K/N` builds the patients of shard
// K of N: a stable partition by patient id alone (ShardOf), so that N
// processes agree on it without talking, on one machine or as the pods of
// a Kubernetes Indexed Job sharing a volume. Each shard writes its own
// patients' bundles and key cards as a build does (the shards' patients
// are disjoint, so their files are), and puts everything a build would
// write for the practice as a whole (its manifest entries, the cards and
// identities of its patients, its audit events, its build state and the
// cards for the print sheet) in one result file,
// private/shards/<N>/<K>/shard.json. It never saves the registry, the
// audit log, the manifest or the build state, never prunes and never
// writes a print sheet: `satchel merge` (merge.go) does all that once
// every shard has finished.
//
// Shards hold the registry lock shared for the whole build, so they run
// together while a card change, a plain build or a merge is refused until
// they have all finished; and they record the digest of the registry they
// read: merge refuses shards that read different registries, or a
// registry changed since.

import (
	"crypto/sha256"
	"encoding/binary"
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

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/keycard"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// Shard is one part of a sharded build: shard K of N, K from 0 (as
// Kubernetes numbers the completion indexes of an Indexed Job).
type Shard struct {
	K, N int
}

// maxShards bounds N: more shards than that is a typo, not a practice.
const maxShards = 10000

// ParseShard reads a shard as `satchel build -shard` takes it: "K/N",
// such as 0/3, with 0 <= K < N.
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if !ok || kerr != nil || nerr != nil {
		return Shard{}, errors.New("-shard must be K/N, two whole numbers such as 0/3: shard K (from 0) of N")
	}
	sh := Shard{K: k, N: n}
	return sh, sh.check()
}

// check reports whether the shard is one of N, N at least 1.
func (s Shard) check() error {
	switch {
	case s.N < 1:
		return fmt.Errorf("-shard %s: N, the number of shards, must be at least 1", s)
	case s.N > maxShards:
		return fmt.Errorf("-shard %s: N, the number of shards, must be at most %d", s, maxShards)
	case s.K < 0 || s.K >= s.N:
		return fmt.Errorf("-shard %s: K must be from 0 to %d: shards are numbered from 0, as Kubernetes numbers the completion indexes of an Indexed Job", s, s.N-1)
	}
	return nil
}

// String returns the shard as "K/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// ShardOf returns the shard, of n, that patient id belongs to: the first
// 8 bytes of the SHA-256 of the id, modulo n. It depends on the id alone,
// so every shard (and merge) agrees on it without talking.
func ShardOf(id string, n int) int {
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(n))
}

// ShardsDir is the folder under which shards leave their results for
// satchel merge.
func ShardsDir(cfg *site.Config) string { return filepath.Join(cfg.PrivateDir, "shards") }

// shardDir is the folder of shard s's result.
func shardDir(cfg *site.Config, s Shard) string {
	return filepath.Join(ShardsDir(cfg), strconv.Itoa(s.N), strconv.Itoa(s.K))
}

// shardFile is shard s's result.
func shardFile(cfg *site.Config, s Shard) string {
	return filepath.Join(shardDir(cfg, s), "shard.json")
}

// shardFormat changes whenever the meaning of a shard result changes.
const shardFormat = 1

// shardResult is private/shards/<N>/<K>/shard.json: what one shard built,
// and everything merge needs to write what a build writes for the whole
// practice. It holds no clinical data; Sheet holds the secrets of the
// cards to print (as their pages in private/cards do), so it is 0600.
//
// The shard writes it an entry at a time (writeShardResult) and merge
// reads it so (shardIndex); this type is its schema.
type shardResult struct {
	shardHead
	// Patients are the shard's patient ids: each record file's id whose
	// ShardOf is K.
	Patients []string `json:"patients"`
	// Manifest are the shard's manifest entries, one per patient.
	Manifest []ManifestEntry `json:"manifest"`
	// Cards are each patient's cards and identity as the build left them.
	Cards map[string]shardCards `json:"cards"`
	// Events are the audit events of the shard's build, but the
	// print-sheet ones: merge writes those with the sheet.
	Events []registry.Event `json:"events"`
	// State is the build state of the patients built.
	State map[string]patientState `json:"state"`
	// Sheet are the cards for the print sheet.
	Sheet []shardSheetCard `json:"sheet,omitempty"`
	// Failures are the errors of the patients that failed, as the shard
	// printed them (file, line, field; never patient data).
	Failures []string `json:"failures,omitempty"`
}

// shardCards is what the registry holds of one patient.
type shardCards struct {
	Cards    []registry.Card    `json:"cards,omitempty"`
	Identity *registry.Identity `json:"identity,omitempty"`
}

// shardSheetCard is a card for the print sheet: the card as its page shows
// it, with its secret in printed form (keycard.Card keeps it unexported),
// and the digest the registry records once the sheet is on disk.
type shardSheetCard struct {
	Patient string       `json:"patient"`
	Digest  string       `json:"digest"`
	Secret  string       `json:"secret"`
	Card    keycard.Card `json:"card"`
}

// shardRun is what a shard's build keeps beside a plain build's.
type shardRun struct {
	Shard
	// events are audit events the build would have written at once (an
	// id now naming another patient): merge writes them. Guarded by the
	// builder's regMu, which bind holds.
	events []registry.Event
}

// startShard checks that the build may run as shard opt.Shard and returns
// the record files of its patients. A shard never makes the practice key
// or the master secret: N shards would make N of each.
func (b *builder) startShard(opt Options, files []string) ([]string, error) {
	sh := *opt.Shard
	if err := sh.check(); err != nil {
		return nil, err
	}
	if len(opt.Only) > 0 {
		return nil, fmt.Errorf("shard %s: a sharded build builds every patient of its shard", sh)
	}
	cfg := b.cfg
	for _, f := range []string{cfg.MasterFile(), cfg.PracticeKeyFile()} {
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("shard %s: %s does not exist, and each of %d shards would make its own: run `satchel keygen` (or one plain `satchel build`) first", sh, b.rel(f), sh.N)
		}
	}
	b.shard = &shardRun{Shard: sh}
	return slices.DeleteFunc(files, func(f string) bool { return ShardOf(record.Stem(f), sh.N) != sh.K }), nil
}

// openRegistry opens the card registry for the build: exclusively for a
// plain build; shared for a shard, which then removes its last result, so
// that a shard that dies leaves none for merge to take.
func (b *builder) openRegistry() (*registry.Registry, error) {
	if b.shard == nil {
		return registry.Open(b.cfg.PrivateDir)
	}
	reg, err := registry.OpenShared(b.cfg.PrivateDir)
	if err != nil {
		return nil, err
	}
	if reg.Format < registry.Format {
		reg.Close()
		return nil, fmt.Errorf("shard %s: the card registry is from an older Satchel: run one plain `satchel build` first, to bring it up to date", b.shard)
	}
	if err := os.RemoveAll(shardDir(b.cfg, b.shard.Shard)); err != nil {
		reg.Close()
		return nil, fmt.Errorf("shard %s: cannot remove its last result: %w", b.shard, err)
	}
	return reg, nil
}

// finishShard ends a shard's build: it brings the registry (in memory) up
// to date as a build does, makes every file durable, and writes the
// shard's result, last.
func (b *builder) finishShard(rep *Report, col *collector) (*Report, error) {
	sh := b.shard
	// Bundles and cards were written without a flush each: make them all
	// durable before the result says they exist.
	if err := b.sync.Sync(); err != nil {
		return nil, fmt.Errorf("cannot make the bundles and cards durable: %w", err)
	}
	dir := shardDir(b.cfg, sh.Shard)
	for _, d := range []string{ShardsDir(b.cfg), filepath.Dir(dir), dir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create the shard folder: %w", err)
		}
	}
	path := shardFile(b.cfg, sh.Shard)
	err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error {
		return b.writeShardResult(w, rep, col)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot write the shard's result: %w", err)
	}
	rep.Manifest = b.rel(path)
	return rep, nil
}

// shardHead is the part of a shardResult that is not a list.
type shardHead struct {
	Format int `json:"format"`
	N      int `json:"n"`
	K      int `json:"k"`
	// Built is when the shard built, as its files and events say.
	Built time.Time `json:"built"`
	// Registry is the digest of the card registry the shard read ("" for
	// none); Key the practice key's fingerprint; Satchel the executable
	// that built it (its digest, for the build state).
	Registry  string    `json:"registry"`
	Key       string    `json:"key"`
	Satchel   fileStamp `json:"satchel"`
	Unchanged int       `json:"unchanged"`
}

// writeShardResult writes the shard's result (a shardResult, as JSON) to
// w, each list an element at a time: what a shard holds in memory does
// not grow with its results, as a plain build's does not (the manifest
// entries and build state come from the collector's spill file, the
// print sheet's cards are made one at a time).
func (b *builder) writeShardResult(w io.Writer, rep *Report, col *collector) error {
	sh := b.shard
	head, err := json.Marshal(shardHead{Format: shardFormat, N: sh.N, K: sh.K, Built: b.now, Registry: b.reg.Digest(),
		Key: b.key.Fingerprint, Satchel: b.inc.exe, Unchanged: rep.Unchanged()})
	if err != nil {
		return err
	}
	o := &jsonObject{w: w}
	o.raw(head[:len(head)-1]) // the object stays open for the lists
	o.list("patients", "[", "]", func(item func(key string, v any) error) error {
		for _, s := range col.patients {
			if err := item("", s.id); err != nil {
				return err
			}
		}
		return nil
	})
	var buf []byte
	o.list("manifest", "[", "]", func(item func(string, any) error) error {
		for _, s := range col.patients {
			if buf, err = s.manifestEntry(col.entries, buf); err != nil {
				return err
			}
			if err := item("", json.RawMessage(buf)); err != nil {
				return err
			}
		}
		return nil
	})
	o.list("state", "{", "}", func(item func(string, any) error) error {
		for _, s := range col.patients {
			if s.sn == 0 {
				continue
			}
			if buf, err = s.stateEntry(col.entries, buf); err != nil {
				return err
			}
			if err := item(s.id, json.RawMessage(buf)); err != nil {
				return err
			}
		}
		return nil
	})
	o.list("cards", "{", "}", func(item func(string, any) error) error {
		for _, s := range col.patients {
			sc := shardCards{Cards: b.reg.Cards(s.id)}
			if ident, ok := b.reg.Identities[s.id]; ok {
				sc.Identity = &ident
			}
			if err := item(s.id, sc); err != nil {
				return err
			}
		}
		return nil
	})
	o.list("events", "[", "]", func(item func(string, any) error) error {
		for _, e := range sh.events {
			if err := item("", e); err != nil {
				return err
			}
		}
		return col.eachEvent(func(e registry.Event) error { return item("", e) })
	})
	// The cards for the print sheet, made again as the sheet would make
	// them.
	o.list("sheet", "[", "]", func(item func(string, any) error) error {
		src := &sheetCards{b: b, c: col}
		for i := range src.Len() {
			c, err := src.Card(i)
			if err != nil {
				return err
			}
			if err := item("", shardSheetCard{Patient: c.PatientID, Digest: src.cur.digest, Secret: c.Secret.String(), Card: c.Card}); err != nil {
				return err
			}
		}
		return nil
	})
	o.list("failures", "[", "]", func(item func(string, any) error) error {
		for _, p := range rep.Failed() {
			if p.Err == nil {
				continue
			}
			for _, e := range joinedErrors(p.Err) {
				if err := item("", e.Error()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	o.raw([]byte("}\n"))
	return o.err
}

// jsonObject writes a JSON object's members one at a time; the first
// error sticks and ends the writing.
type jsonObject struct {
	w   io.Writer
	err error
}

func (o *jsonObject) raw(p []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(p)
	}
}

// list writes member name as an array (open "[") or object (open "{"),
// whose items each calls item for: an object's with their key.
func (o *jsonObject) list(name, open, close string, each func(item func(key string, v any) error) error) {
	o.raw([]byte(`,"` + name + `":` + open))
	first := true
	err := each(func(key string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			o.raw([]byte{','})
		}
		first = false
		if open == "{" {
			k, _ := json.Marshal(key) // a string always marshals
			o.raw(append(k, ':'))
		}
		o.raw(data)
		return o.err
	})
	if o.err == nil {
		o.err = err
	}
	o.raw([]byte(close))
}

// mergeCard is a card for the merged print sheet, with the digest the
// registry records of it once the sheet is on disk.
type mergeCard struct {
	keycard.SheetCard
	digest string
}

// sheetCard turns a shard's card for the print sheet back into one.
func (c shardSheetCard) sheetCard() (mergeCard, error) {
	s, err := cardkey.Parse(c.Secret)
	if err != nil {
		return mergeCard{}, err
	}
	card := c.Card
	card.Secret = s
	return mergeCard{SheetCard: keycard.SheetCard{Card: card, PatientID: c.Patient}, digest: c.Digest}, nil
}

// Unmerged returns the numbers of shards N of which private/shards holds
// results not merged yet (or left by shards that are still running),
// smallest first.
func Unmerged(cfg *site.Config) []int {
	entries, _ := os.ReadDir(ShardsDir(cfg))
	var ns []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() && n >= 1 && strconv.Itoa(n) == e.Name() {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns
}
