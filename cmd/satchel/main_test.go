package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/satchel-records/satchel/generator/testtool"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"satchel": func() {
			if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
				if !errors.Is(err, errReported) {
					fmt.Fprintf(os.Stderr, "satchel: error: %v\n", err)
				}
				var ue usageError
				if errors.As(err, &ue) && ue.hint != "" {
					fmt.Fprintf(os.Stderr, "satchel: hint: %s\n", ue.hint)
				}
				os.Exit(1)
			}
		},
	})
}

// TestScripts runs the command-line scenarios in testdata/script: each
// inlines a site, its records and the expected messages.
func TestScripts(t *testing.T) {
	testtool.Need(t, "gpg", "zbarimg")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"qr":         cmdQR,
			"gpgdecrypt": cmdGPGDecrypt,
			"manifest":   cmdManifest,
			"flipbyte":   cmdFlipByte,
			"notemp":     cmdNoTemp,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("GNUPGHOME", filepath.Join(env.WorkDir, ".gnupg"))
			env.Defer(func() {})
			return os.Mkdir(filepath.Join(env.WorkDir, ".gnupg"), 0o700)
		},
	})
}

// qr PNG VAR: read the QR code in PNG with zbarimg and set $VAR to its text.
func cmdQR(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: qr PNG VAR")
	}
	err := ts.Exec("zbarimg", "-q", "--raw", ts.MkAbs(args[0]))
	if neg {
		if err == nil {
			ts.Fatalf("zbarimg read a QR code")
		}
		return
	}
	ts.Check(err)
	ts.Setenv(args[1], strings.TrimSpace(ts.ReadFile("stdout")))
}

// gpgdecrypt SECRET IN OUT: decrypt IN with GnuPG 2.2 and the passphrase.
func cmdGPGDecrypt(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: gpgdecrypt SECRET IN OUT")
	}
	pass := filepath.Join(ts.MkAbs("."), ".pass")
	ts.Check(os.WriteFile(pass, []byte(args[0]+"\n"), 0o600))
	defer os.Remove(pass)
	err := ts.Exec("gpg", "--batch", "--no-tty", "--quiet", "--pinentry-mode", "loopback", "--passphrase-file", pass,
		"--output", ts.MkAbs(args[2]), "--decrypt", ts.MkAbs(args[1]))
	if neg != (err != nil) {
		ts.Fatalf("gpg decrypt: got err=%v, want failure=%v", err, neg)
	}
}

// manifest ID STATUS [BUNDLEVAR]: check the patient's status in the manifest
// and optionally set $BUNDLEVAR to the bundle folder.
func cmdManifest(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: manifest ID STATUS [VAR]")
	}
	var m struct {
		Patients []struct {
			ID, Status, Bundle string
			Cards              []struct{ PNG string }
		}
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("private/manifest.json")), &m))
	for _, p := range m.Patients {
		if p.ID != args[0] {
			continue
		}
		if (p.Status == args[1]) == neg {
			ts.Fatalf("patient %s has status %s", p.ID, p.Status)
		}
		if len(args) > 2 {
			ts.Setenv(args[2], filepath.Dir(p.Bundle))
			if len(p.Cards) > 0 {
				ts.Setenv(args[2]+"_CARD", p.Cards[0].PNG)
			}
		}
		return
	}
	ts.Fatalf("patient %s is not in the manifest", args[0])
}

// flipbyte FILE OUT: copy FILE to OUT with one byte in the middle changed.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	b[len(b)/2] ^= 0x01
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}

// notemp: no temporary file is left anywhere in the work folder.
func cmdNoTemp(ts *testscript.TestScript, neg bool, args []string) {
	filepath.Walk(ts.MkAbs("."), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") {
			ts.Fatalf("temporary file left behind: %s", p)
		}
		return nil
	})
}
