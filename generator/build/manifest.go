package build

import (
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/satchel-records/satchel/generator/atomicfile"
	"github.com/satchel-records/satchel/generator/policy"
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
	Status   policy.Status  `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	BundleID string         `json:"bundle_id,omitempty"`
	Bundle   string         `json:"bundle,omitempty"`
	Viewer   string         `json:"viewer,omitempty"`
	SHA256   string         `json:"sha256,omitempty"`
	Cards    []CardFiles    `json:"cards,omitempty"`
	Withheld map[string]int `json:"withheld,omitempty"`
}

// writeManifest writes the manifest last, atomically, 0600.
func (b *builder) writeManifest(rep *Report) (string, error) {
	m := Manifest{Generated: b.now, Patients: []ManifestEntry{}}
	for _, p := range rep.Patients {
		e := ManifestEntry{ID: p.ID, Status: p.Status, BundleID: p.BundleID, Bundle: p.Bundle, Viewer: p.Viewer, SHA256: p.SHA256, Cards: p.Cards}
		if p.Status != policy.Built && p.Status != policy.Failed {
			e.Reason = p.Reason
		}
		if len(p.Withheld) > 0 {
			e.Withheld = p.Withheld
		}
		m.Patients = append(m.Patients, e)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(b.cfg.PrivateDir, "manifest.json")
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return "", err
	}
	return rel(b.cfg, path), nil
}

// cardTemplate is the parsed key card template.
type cardTemplate struct{ t *template.Template }

// newCardTemplate parses keycard.html from the first layer that has it, so
// a practice can restyle its cards.
func newCardTemplate(layers []fs.FS) (*cardTemplate, error) {
	for _, l := range layers {
		b, err := fs.ReadFile(l, "keycard.html")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		t, err := template.New("keycard.html").Parse(string(b))
		if err != nil {
			return nil, err
		}
		return &cardTemplate{t: t}, nil
	}
	return nil, errors.New("no keycard.html template")
}
