package main

import (
	"bytes"
	"context"
	"errors"
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
			if _, err := pl.Approve("p1", pipeline.Approver{By: "Dr Test", Role: "GP"}, tc.built); err != nil {
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

// -by and -role go into every bundle and are printed by satchel open:
// control characters and escape sequences in them are a usage error, with
// a hint, and nothing is approved.
func TestApproveRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-by", "Dr \x1b[2JTest", "-role", "GP"},
		{"-by", "Dr Test", "-role", "GP\x1b]0;x\x07"},
		{"-by", "Dr Test\nsatchel: pinned", "-role", "GP"},
		{"-by", "Dr \u009b31mTest", "-role", "GP"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append(append([]string{"approve", "-site", filepath.Join(t.TempDir(), "site.toml")}, args...), "p1"), &stdout, &stderr)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, "control character") || ue.hint == "" {
			t.Errorf("approve %q: got %v, want a usage error about a control character, with a hint", args, err)
		}
	}
}

// Every message line is cleaned of control characters and escape
// sequences: a record file name or an id cannot repaint the terminal or
// start a line of its own.
func TestMessagesCarryNoControlCharacters(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	msg(&b, "", "%s: built %s (%d cards)", "p\x1b[2J\x1b[H1", "records/p\x1b]0;t\x07.toml\nsatchel: fake", 2)
	msg(&b, "warning", "%v", errors.New("bad \u009b31mfile\r"))
	want := "satchel: p1: built records/p.toml satchel: fake (2 cards)\nsatchel: warning: bad file \n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// card list prints ids and labels from the card registry, a file anyone
// with access to private/ may have edited: without control characters.
func TestCardListCarriesNoControlCharacters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"site.toml":          "records = \"records\"\neducation = \"education\"\n[practice]\nname = \"Test Practice\"\naddress = \"1 Test Street\"\nphone = \"01632 960000\"\nods_code = \"Y99999\"\n",
		"records/.keep":      "",
		"education/.keep":    "",
		"private/cards.json": `{"patients": {"p\u001b[2J1": [{"serial": 1, "label": "Carer\u001b]0;x\u0007\n\tfake", "issued": "2026-01-02T00:00:00Z"}]}}`,
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"card", "list", "-site", filepath.Join(dir, "site.toml")}, &stdout, &stderr); err != nil {
		t.Fatalf("card list: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	if strings.ContainsAny(out, "\x1b\x07\t\r") || strings.Count(out, "\n") != 2 {
		t.Errorf("card list prints control characters: %q", out)
	}
	if !strings.Contains(out, "p1") || !strings.Contains(out, "Carer  fake") {
		t.Errorf("card list lost the printable text: %q", out)
	}
}

// The login name reaches the audit log from the environment: it is
// cleaned and cut like any text Satchel keeps.
func TestAuditNameFromTheEnvironmentIsPlainText(t *testing.T) {
	t.Setenv("USER", "eve\x1b[2J\nsatchel: pinned\u202e"+strings.Repeat("x", 100))
	got := who("")
	if strings.ContainsAny(got, "\x1b\n\u202e") || !strings.HasPrefix(got, "eve satchel: pinned") {
		t.Errorf("who() = %q: not cleaned", got)
	}
	if n := len([]rune(got)); n != 64 {
		t.Errorf("who() is %d characters, want 64", n)
	}
	t.Setenv("USER", "\x1b[2J")
	if got := who(""); got != "unknown" {
		t.Errorf("a login name of escapes alone gives %q, want unknown", got)
	}
}
