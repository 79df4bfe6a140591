package pipeline

import (
	"encoding/json"
	"os"
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

// writeManifest writes the manifest last, atomically, 0600.
//
// A partial build (Options.Only) keeps the previous manifest's entries for
// the patients it did not rebuild, so the manifest always covers everyone.
func (b *builder) writeManifest(rep *Report, partial bool) (string, error) {
	path := b.cfg.ManifestFile()
	m := Manifest{Generated: b.now, Patients: []ManifestEntry{}}
	rebuilt := map[string]bool{}
	for _, p := range rep.Patients {
		rebuilt[p.ID] = true
	}
	if partial {
		var old Manifest
		if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &old) == nil {
			for _, e := range old.Patients {
				if !rebuilt[e.ID] {
					m.Patients = append(m.Patients, e)
				}
			}
		}
	}
	for _, p := range rep.Patients {
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
		m.Patients = append(m.Patients, e)
	}
	slices.SortFunc(m.Patients, func(a, b ManifestEntry) int { return strings.Compare(a.ID, b.ID) })
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return "", err
	}
	return b.rel(path), nil
}
