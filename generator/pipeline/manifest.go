package pipeline

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/satchel-records/satchel/internal/atomicfile"
)

// Manifest is private/manifest.json: what the build did, for the practice.
// It holds no secret and no clinical data.
type Manifest struct {
	Generated time.Time       `json:"generated"`
	Patients  []ManifestEntry `json:"patients"`
}

// ManifestEntry is one patient in the manifest.
type ManifestEntry struct {
	ID       string         `json:"id"`
	Status   Status         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	BundleID string         `json:"bundle_id,omitempty"`
	Bundle   string         `json:"bundle,omitempty"`
	Viewer   string         `json:"viewer,omitempty"`
	SHA256   string         `json:"sha256,omitempty"`
	Cards    []CardFiles    `json:"cards,omitempty"`
	Withheld map[string]int `json:"withheld,omitempty"`
	// NotCarried counts what the source held that is no entry, per reason.
	NotCarried map[string]int `json:"not_carried,omitempty"`
}

// writeManifest writes the manifest last, atomically, 0600, entry by
// entry (see encodeManifest), from the entries the collector put aside,
// which finish sorted by id.
//
// A partial build (Options.Only) keeps the previous manifest's entries for
// the patients it did not rebuild, so the manifest always covers everyone.
func (b *builder) writeManifest(c *collector, partial bool) (string, error) {
	path := b.cfg.ManifestFile()
	// For a partial build, the last manifest's other patients, as
	// startIncremental found them (only a manifest that reads whole).
	var kept []string
	if partial {
		rebuilt := map[string]bool{}
		for _, s := range c.patients {
			rebuilt[s.id] = true
		}
		for _, id := range b.inc.manifest.ids() {
			if !rebuilt[id] {
				kept = append(kept, id)
			}
		}
		slices.Sort(kept)
	}
	var readErr error
	var buf []byte
	old := func(id string) []byte {
		e, ok := b.inc.manifestEntry(id)
		if !ok {
			readErr = errors.New(b.rel(b.cfg.ManifestFile()) + ": patient " + id + ": damaged entry")
			return nil
		}
		data, err := json.MarshalIndent(e, "    ", "  ")
		if err != nil {
			readErr = err
		}
		return data
	}
	entries := func(yield func([]byte) bool) {
		k := 0
		for _, s := range c.patients {
			for ; k < len(kept) && kept[k] < s.id; k++ {
				if !yield(old(kept[k])) || readErr != nil {
					return
				}
			}
			var err error
			if buf, err = s.manifestEntry(c.entries, buf); err != nil {
				readErr = err
				return
			}
			if !yield(buf) {
				return
			}
		}
		for ; k < len(kept); k++ {
			if !yield(old(kept[k])) || readErr != nil {
				return
			}
		}
	}
	err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error {
		err := encodeManifest(w, b.now, entries)
		// Everything is read from the last manifest: it may be replaced.
		b.inc.manifest.close()
		if err != nil {
			return err
		}
		return readErr
	})
	if err != nil {
		return "", err
	}
	return b.rel(path), nil
}

// manifestEntry is patient p's entry in the manifest.
func manifestEntry(p *Patient) ManifestEntry {
	e := ManifestEntry{ID: p.ID, Status: p.Status, BundleID: p.BundleID, Bundle: p.Bundle, Viewer: p.Viewer, SHA256: p.SHA256, Cards: p.Cards}
	if p.Status != Built && p.Status != Failed {
		e.Reason = p.Reason
	}
	if len(p.Withheld) > 0 {
		e.Withheld = p.Withheld
	}
	if len(p.NotCarried) > 0 {
		e.NotCarried = p.NotCarried
	}
	return e
}
