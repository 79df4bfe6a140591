package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// A record past its current days still opens with satchel open, with a
// warning saying since when it may be out of date; a fresh one warns not.
func TestOpenWarnsWhenTheRecordIsOutOfDate(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "zbarimg")
	for _, tc := range []struct {
		name  string
		built time.Time
		stale bool
	}{
		{"built 100 days ago", time.Now().UTC().AddDate(0, 0, -100).Truncate(time.Second), true},
		{"built an hour ago", time.Now().UTC().Add(-time.Hour).Truncate(time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range map[string]string{
				"site.toml":       "records = \"records\"\neducation = \"education\"\ncurrent_days = 90\n[practice]\nname = \"Test Practice\"\naddress = \"1 Test Street\"\nphone = \"01632 960000\"\nods_code = \"Y99999\"\n",
				"records/p1.toml": "[patient]\nname = \"Pat One\"\nborn = 1970-01-01\n",
				"education/.keep": "",
			} {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := site.Load(filepath.Join(dir, "site.toml"))
			if err != nil {
				t.Fatal(err)
			}
			pl, err := pipeline.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := pl.Approve("p1", "Dr Test", "GP", tc.built); err != nil {
				t.Fatal(err)
			}
			rep, err := pl.Build(context.Background(), pipeline.Options{Now: func() time.Time { return tc.built }})
			if err != nil || !rep.OK() {
				t.Fatalf("build: %v", err)
			}
			p := rep.Patients[0]
			key, err := testtool.Zbar(t, filepath.Join(dir, p.Cards[0].PNG))
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err = run(context.Background(), []string{"open", "-key", key, "-out", filepath.Join(dir, "out"), filepath.Join(dir, p.Viewer)}, &stdout, &stderr)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "document.html")); err != nil {
				t.Error("the record was not written")
			}
			until := tc.built.AddDate(0, 0, 90).Format("2 January 2006")
			warned := strings.Contains(stderr.String(), "satchel: warning: this record may be out of date since "+until)
			if warned != tc.stale {
				t.Errorf("out-of-date warning: %v, want %v", warned, tc.stale)
			}
			if !strings.Contains(stderr.String(), "current until "+until) {
				t.Error("satchel open does not say until when the record is current")
			}
		})
	}
}
