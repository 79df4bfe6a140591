package site

import (
	"os"
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
)

// FuzzParse parses mutations of the sample practice's site.toml, with a
// canary planted in keys and values. It must not panic, every error line
// names the file, none repeats the canary, and a site that parses parses
// alike twice.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("../../site.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("[practice]\nname = \"Zq9 Canary\"\nods = \"Zq9 Canary\"\n\"Zq9 Canary\" = 1\n[policy]\n\"Zq9 Canary\" = [1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "fuzz-site/site.toml"
		cfg, err := Parse(path, data)
		if err != nil {
			fuzzcheck.InputError(t, path, err)
			return
		}
		again, err := Parse(path, data)
		if err != nil || again.RecordsDir != cfg.RecordsDir || again.PublicDir != cfg.PublicDir || again.CurrentDays != cfg.CurrentDays {
			t.Fatalf("a second parse differs: %v", err)
		}
	})
}
