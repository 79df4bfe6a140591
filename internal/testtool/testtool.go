// Package testtool runs the real OpenPGP and QR tools (GnuPG, Sequoia,
// zbar) from tests, each GnuPG run in its own throwaway home. A missing tool
// fails the test with a hint: checks are never skipped, except that Slow
// leaves the slowest out of `go test -short` (make test-fast).
//
// It also holds the FHIR files tests read: Satchel's own synthetic Bundles
// (OwnFHIR, RefusedFHIR), always there, and the public examples kept
// outside the repository (PublicFHIR), a conformance suite whose tests skip
// when the folder is missing, unless CI is "true"; and CountFHIR, an
// independent count of what a FHIR reader should carry.
package testtool

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Need fails t unless every named command is on PATH.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run `make test-deps` (or make test, which installs it)", tool)
		}
	}
}

// Slow skips t when the tests run with -short (make test-fast), saying why
// it is slow. It never skips otherwise: make test and CI, which run without
// -short, run every check, whatever tools or time it takes.
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("slow (%s): runs without -short, as make test does", why)
	}
}

// GNUPGHome returns a fresh GnuPG home for t, whose agent is stopped when
// the test ends. The user's own keyring is never touched.
func GNUPGHome(t testing.TB) string {
	t.Helper()
	Need(t, "gpg", "gpgconf")
	// gpg-agent's socket path must be short: use a short temp dir.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		cmd.Run()
		os.RemoveAll(home)
	})
	return home
}

// GPG runs gpg in home with args, feeding stdin, and returns stdout. Errors
// carry gpg's status lines, never plaintext.
func GPG(t testing.TB, home string, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("gpg", append([]string{"--batch", "--no-tty", "--quiet"}, args...)...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("gpg %s: %v: %s", args[0], err, firstLine(errb.String()))
	}
	return out.Bytes(), nil
}

// SQDecrypt decrypts the file msg with passphrase using Sequoia's sq, which
// reads passwords only from a terminal: script(1) gives it one.
func SQDecrypt(t testing.TB, msg string, passphrase []byte) ([]byte, error) {
	t.Helper()
	Need(t, "sq", "script")
	out := filepath.Join(t.TempDir(), "sq.out")
	cmdline := fmt.Sprintf("sq decrypt -o %s %s", shellQuote(out), shellQuote(msg))
	cmd := exec.Command("script", "-qec", cmdline, "/dev/null")
	cmd.Stdin = bytes.NewReader(append(passphrase, '\n'))
	cmd.Env = append(os.Environ(), "SEQUOIA_HOME="+t.TempDir())
	var tty bytes.Buffer
	cmd.Stdout, cmd.Stderr = &tty, &tty
	err := cmd.Run()
	data, rerr := os.ReadFile(out)
	if err != nil || rerr != nil {
		return nil, fmt.Errorf("sq decrypt failed: %v", err)
	}
	return data, nil
}

// Zbar returns the text of the QR code in the PNG file at path.
func Zbar(t testing.TB, path string) (string, error) {
	t.Helper()
	Need(t, "zbarimg")
	out, err := exec.Command("zbarimg", "-q", "--raw", path).Output()
	if err != nil {
		return "", fmt.Errorf("zbarimg found no QR code in %s: %v", filepath.Base(path), err)
	}
	return strings.TrimRight(string(out), "\n"), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
