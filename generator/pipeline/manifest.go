package pipeline

import (
	"io"
	"slices"
	"strings"
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
// entry (see encodeManifest).
//
// A partial build (Options.Only) keeps the previous manifest's entries for
// the patients it did not rebuild, so the manifest always covers everyone.
func (b *builder) writeManifest(rep *Report, partial bool) (string, error) {
	path := b.cfg.ManifestFile()
	// The patients of this build, by id; for a partial build, beside the
	// ids of the last manifest's other patients (read by startIncremental
	// as this function once did: only a manifest that reads whole).
	order := make([]int, len(rep.Patients))
	rebuilt := map[string]bool{}
	for i, p := range rep.Patients {
		order[i] = i
		rebuilt[p.ID] = true
	}
	slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(rep.Patients[i].ID, rep.Patients[j].ID) })
	var kept []string
	if partial {
		for id := range b.inc.manifest {
			if !rebuilt[id] {
				kept = append(kept, id)
			}
		}
		slices.Sort(kept)
	}
	entries := func(yield func(ManifestEntry) bool) {
		k := 0
		for _, i := range order {
			p := &rep.Patients[i]
			for ; k < len(kept) && kept[k] < p.ID; k++ {
				if !yield(b.inc.manifest[kept[k]]) {
					return
				}
			}
			if !yield(manifestEntry(p)) {
				return
			}
		}
		for ; k < len(kept); k++ {
			if !yield(b.inc.manifest[kept[k]]) {
				return
			}
		}
	}
	err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error {
		return encodeManifest(w, b.now, entries)
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
