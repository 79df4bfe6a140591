package site

import "path/filepath"

// Where Satchel writes. Every output path is made here and nowhere else, so
// that the layout of public_dir and private_dir can be read in one place:
//
//	public_dir/
//	  bundles/<bundle id>/record.pgp, record.html, record-<tag>.pgp
//	  practice-key.asc
//	  robots.txt
//	private_dir/                  (0700)
//	  master.key, practice.key    (0600)
//	  cards/<patient id>/card-<serial>.png, .html
//	  cards/sheet-<date>.html
//	  review/<patient id>.html, <patient id>.document.html
//	  approved/<patient id>.json  (what each approval saw, 0600)
//	  manifest.json
//	  cards.json, audit.jsonl, cards.lock (package registry)

// PublicKeyName is the practice's public key file, in public_dir and in
// every bundle.
const PublicKeyName = "practice-key.asc"

// BundlesDir is the folder of every patient's bundle folder.
func (c *Config) BundlesDir() string { return filepath.Join(c.PublicDir, "bundles") }

// BundleDir is the folder of the bundle with the given id.
func (c *Config) BundleDir(bundleID string) string { return filepath.Join(c.BundlesDir(), bundleID) }

// PublicKeyFile is the practice's published public key.
func (c *Config) PublicKeyFile() string { return filepath.Join(c.PublicDir, PublicKeyName) }

// RobotsFile is public_dir's robots.txt.
func (c *Config) RobotsFile() string { return filepath.Join(c.PublicDir, "robots.txt") }

// MasterFile is the practice master secret every card secret derives from.
func (c *Config) MasterFile() string { return filepath.Join(c.PrivateDir, "master.key") }

// PracticeKeyFile is the practice's secret signing key.
func (c *Config) PracticeKeyFile() string { return filepath.Join(c.PrivateDir, "practice.key") }

// CardsDir is the folder of key cards and print sheets.
func (c *Config) CardsDir() string { return filepath.Join(c.PrivateDir, "cards") }

// PatientCardsDir is the folder of one patient's key cards.
func (c *Config) PatientCardsDir(id string) string { return filepath.Join(c.CardsDir(), id) }

// ReviewDir is the folder of review sheets.
func (c *Config) ReviewDir() string { return filepath.Join(c.PrivateDir, "review") }

// SnapshotFile is the snapshot of what patient id's approval saw
// (policy.Snapshot).
func (c *Config) SnapshotFile(id string) string {
	return filepath.Join(c.PrivateDir, "approved", id+".json")
}

// ManifestFile is what the last build did, for the practice.
func (c *Config) ManifestFile() string { return filepath.Join(c.PrivateDir, "manifest.json") }

// Rel returns path relative to the site's folder, with forward slashes,
// for manifests and messages; a path outside it is returned as it is.
func (c *Config) Rel(path string) string {
	if r, err := filepath.Rel(c.Root, path); err == nil && r != ".." && !startsWithParent(r) {
		return filepath.ToSlash(r)
	}
	return path
}

func startsWithParent(rel string) bool {
	return len(rel) >= 3 && rel[:2] == ".." && (rel[2] == '/' || rel[2] == filepath.Separator)
}
