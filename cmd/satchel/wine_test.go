package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/testtool"
)

// TestWindowsBinaryBuildsTheSamplePracticeUnderWine cross-builds satchel for
// windows/amd64, as `make dist` does, and runs it under Debian's wine on a
// copy of the sample practice: check, then build; and init makes a new
// practice that check accepts. Every bundle the Windows
// binary wrote must open with stock gpg on Linux, with a good signature, with
// the secret zbarimg reads from that patient's card, and the manifest's
// digest must be the bundle's.
//
// Go 1.24 and later need bcryptprimitives.dll (ProcessPrng), which wine 8
// (Debian 12) lacks. testdata/wine/bcryptprimitives.c is a ten-line DLL
// that forwards ProcessPrng to wine's own BCryptGenRandom; it is built with
// mingw-w64 and put in the test's wine prefix, never shipped. Windows 10 and
// later carry the real one.
func TestWindowsBinaryBuildsTheSamplePracticeUnderWine(t *testing.T) {
	testtool.Slow(t, "cross-builds satchel.exe and runs it under wine")
	testtool.Need(t, "wine", "x86_64-w64-mingw32-gcc", "gpg", "zbarimg")
	t.Parallel()
	tmp := t.TempDir()
	exe := filepath.Join(tmp, "satchel.exe")
	runCmd(t, []string{"GOOS=windows", "GOARCH=amd64"}, "", "go", "build", "-trimpath", "-o", exe, ".")

	prefix := filepath.Join(tmp, "wine")
	env := []string{"WINEPREFIX=" + prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY="}
	runCmd(t, env, "", "wine", "wineboot", "--init")
	dll := filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	runCmd(t, nil, "", "x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll, filepath.Join("testdata", "wine", "bcryptprimitives.c"), "-lbcrypt")

	practice := filepath.Join(tmp, "practice")
	if err := os.Mkdir(practice, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := testtool.CopySamplePractice(practice); err != nil {
		t.Fatal(err)
	}
	// A new practice, as the practice's own computer starts one.
	runCmd(t, env, tmp, "wine", exe, "init", "newpractice")
	if out := runCmd(t, env, filepath.Join(tmp, "newpractice"), "wine", exe, "check", "-site", "site.toml"); !strings.Contains(out, "checked 0 records") {
		t.Fatalf("satchel.exe check after init:\n%s", out)
	}
	out := runCmd(t, env, practice, "wine", exe, "check", "-site", "site.toml")
	if !strings.Contains(out, "would build") {
		t.Fatalf("satchel.exe check printed no summary:\n%s", out)
	}
	runCmd(t, env, practice, "wine", exe, "build", "-site", "site.toml")

	var m struct {
		Patients []struct {
			ID, Status, Bundle, SHA256 string
			Cards                      []struct{ PNG string }
		}
	}
	data, err := os.ReadFile(filepath.Join(practice, "private", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	home := testtool.GNUPGHome(t)
	if _, err := testtool.GPG(t, home, nil, "--import", filepath.Join(practice, "public", "practice-key.asc")); err != nil {
		t.Fatal(err)
	}
	built := 0
	for _, p := range m.Patients {
		if p.Status != "built" {
			continue
		}
		built++
		bundle := filepath.Join(practice, filepath.FromSlash(p.Bundle))
		if got := sha256File(t, bundle); got != p.SHA256 {
			t.Errorf("%s: manifest digest %s, bundle's %s", p.ID, p.SHA256, got)
		}
		if len(p.Cards) == 0 {
			t.Fatalf("%s: built with no card", p.ID)
		}
		secret, err := testtool.Zbar(t, filepath.Join(practice, filepath.FromSlash(p.Cards[0].PNG)))
		if err != nil {
			t.Fatal(err)
		}
		status, err := testtool.GPG(t, home, []byte(secret+"\n"), "--pinentry-mode", "loopback", "--passphrase-fd", "0",
			"--status-fd", "1", "--output", filepath.Join(tmp, p.ID+".zip"), "--decrypt", bundle)
		if err != nil {
			t.Fatalf("%s: gpg could not open the bundle satchel.exe wrote: %v", p.ID, err)
		}
		if !bytes.Contains(status, []byte("[GNUPG:] GOODSIG")) {
			t.Errorf("%s: gpg reports no good signature on the bundle satchel.exe wrote", p.ID)
		}
	}
	if built < 8 {
		t.Fatalf("satchel.exe built %d sample patients, want the 8 that `make run` builds", built)
	}
	// A rebuild reads the last build's state and manifest while it runs
	// and replaces both at the end, which Windows allows only once it has
	// closed them.
	out = runCmd(t, env, practice, "wine", exe, "build", "-site", "site.toml")
	if want := fmt.Sprintf("(%d unchanged since the last build", built); !strings.Contains(out, want) {
		t.Errorf("satchel.exe rebuilt with nothing changed and did not say %q:\n%s", want, out)
	}
	// The daily round: a clinician approves again the sample record that
	// changed since its approval (satchel.exe replaces the sidecar and
	// appends to the audit log), and the next build adds that patient
	// alone.
	runCmd(t, env, practice, "wine", exe, "approve", "-site", "site.toml", "-by", "Dr Amara Okafor", "-role", "GP partner", "rmc-0007")
	out = runCmd(t, env, practice, "wine", exe, "build", "-site", "site.toml")
	if want := fmt.Sprintf("built %d of 12 patients (%d unchanged since the last build", built+1, built); !strings.Contains(out, want) {
		t.Errorf("satchel.exe built after rmc-0007 was approved again and did not say %q:\n%s", want, out)
	}
	audit, err := os.ReadFile(filepath.Join(practice, "private", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(audit), []byte("\n")) {
		var e struct{ What, Patient string }
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("the audit log satchel.exe kept has a line that is not JSON: %v", err)
		}
		if e.Patient == "rmc-0007" {
			logged[e.What] = true
		}
	}
	if !logged["approve"] || !logged["build"] {
		t.Errorf("the audit log satchel.exe kept has these events for rmc-0007: %v; want approve and build", logged)
	}
}

// sha256File returns the hex SHA-256 of the file at path.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// runCmd runs name with args in dir (the test's folder if empty), with env
// added to the test's environment, and returns its output; it fails t if
// the command fails.
func runCmd(t *testing.T, env []string, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
