package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// starter is the site.toml that Init writes: every setting, explained,
// with placeholders for the practice's details that satchel check accepts
// so that a new practice can try Satchel at once.
// The practice details satchel init writes: examples that satchel check
// accepts (with a warning) and a build refuses (Config.Placeholders).
const (
	initName    = "Example Practice (change me)"
	initAddress = "1 Example Street, Exampleton EX1 1AA"
	initODS     = "Y00000"
)

const starter = `# Satchel's settings for one GP practice. Written by satchel init: change the
# [practice] details below before handing out any record. Paths are relative
# to this file's folder. See README.md for every setting.

# One record per patient: <id>.toml (Satchel's format) or <id>.json (a FHIR
# export), with <id>.approval.toml beside it once a clinician approves it.
records = "records"

# Satchel has a built-in library of education pages about common conditions.
# A Markdown page in this folder with the same file name as a built-in one
# (e.g. asthma.md) replaces it; any other page is added. Leave it empty to
# use the built-in library as it is.
education = "education"

# What may be handed out or hosted (bundles), and what must stay in the
# practice: the master secret, signing key, key cards and manifest. Back up
# private/master.key and private/practice.key.
public_dir = "public"
private_dir = "private"

# The look of the record: "default" or "large-print".
theme = "default"

# Fixed labels of the record shown in these languages too, for patients
# who travel: fr, es, de, it. Clinical text stays as recorded.
# languages = ["fr", "es"]

# A record is current for this many days after its export; after that it
# says it may be out of date (it still opens).
current_days = 90

# Where public_dir is hosted, if it is: key card QR codes then hold a link
# that opens the record with no typing.
# base_url = "https://records.example.org/"

# A PDF copy of each record for a phone's own PDF reader, locked with the
# card's key. Set to false to turn it off.
pdf = true

[practice]
name = "` + initName + `"
address = "` + initAddress + `"
# Printed in international form (+44 ...) as a link, so a patient abroad
# can dial it.
phone = "01632 960000"
# The practice's ODS code.
ods_code = "` + initODS + `"
# Optional: shown in the record and on its lock screen.
# email = "reception@example.org"
# hours = "Monday to Friday, 8am to 6:30pm"
# out_of_hours = "111"

# The release rules. Without this table Satchel's defaults apply: entries
# with the usual sensitive security labels, and a few sensitive SNOMED CT
# codes, are withheld unless an approval releases them by name; a patient
# under 16 needs a competence assessment; records of patients who have died
# are not built.
# [policy]
# sensitive_codes = ["386639001", "86406008", "165816005"]
# min_age = 16
# allow_deceased = false
`

// Init makes a new practice folder at dir (made if missing): a commented
// site.toml, an empty records folder and an empty education folder for
// the practice's own pages. It refuses, changing nothing, if dir already
// holds a site.toml. It returns the site.toml's path.
func Init(dir string) (string, error) {
	path := filepath.Join(dir, "site.toml")
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("%s already exists: satchel init makes a new practice folder and never replaces one", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "records"), filepath.Join(dir, "education")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	// O_EXCL: a site.toml that appeared since the check is never replaced.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists: satchel init makes a new practice folder and never replaces one", path)
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(starter); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}
