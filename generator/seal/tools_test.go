package seal

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/satchel-records/satchel/internal/testtool"
)

// needTool fails the test, with the fix, when a real client is missing:
// these tests never fall back to a mock.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make test-deps`", name)
	}
	return p
}

// gnupg is a throwaway GnuPG home for one test.
type gnupg struct {
	t    *testing.T
	home string
}

// newGnuPG makes a GnuPG home of its own, in a short path because
// gpg-agent's socket path is limited to ~100 characters, and stops its
// agent when the test ends.
func newGnuPG(t *testing.T) *gnupg {
	t.Helper()
	return &gnupg{t: t, home: testtool.GNUPGHome(t)}
}

// run runs gpg with stdin, returning stdout, stderr and the exit error.
func (g *gnupg) run(stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	g.t.Helper()
	cmd := exec.Command("gpg", append([]string{"--homedir", g.home, "--batch", "--no-tty", "--no-auto-key-retrieve"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// importKey imports e into the keyring, with its secret key if secret.
func (g *gnupg) importKey(e *openpgp.Entity, secret bool) {
	g.t.Helper()
	var buf bytes.Buffer
	var err error
	if secret {
		err = e.SerializePrivateWithoutSigning(&buf, nil)
	} else {
		err = e.Serialize(&buf)
	}
	if err != nil {
		g.t.Fatal(err)
	}
	if _, stderr, err := g.run(buf.Bytes(), "--import"); err != nil {
		g.t.Fatalf("gpg --import: %v\n%s", err, stderr)
	}
}

// decrypt runs gpg --decrypt on msg, giving passphrase on fd 0 when it is
// not nil, and returns what gpg wrote to its output file (nil when it wrote
// none), the --status-fd lines and gpg's exit error.
func (g *gnupg) decrypt(msg, passphrase []byte) (plain []byte, status string, err error) {
	g.t.Helper()
	dir := g.t.TempDir()
	in := filepath.Join(dir, "record.pgp")
	out := filepath.Join(dir, "record.out")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		g.t.Fatal(err)
	}
	args := []string{"--pinentry-mode", "loopback", "--status-fd", "1", "--output", out}
	var stdin []byte
	if passphrase != nil {
		args = append(args, "--passphrase-fd", "0")
		stdin = append(append([]byte{}, passphrase...), '\n')
	}
	stdout, _, err := g.run(stdin, append(args, "--decrypt", in)...)
	// A failed run may still leave output behind; callers check that.
	plain, rerr := os.ReadFile(out)
	if rerr != nil {
		plain = nil
		if err == nil {
			g.t.Fatal(rerr)
		}
	}
	return plain, string(stdout), err
}

// versionBefore reports whether the installed gpg is older than
// major.minor.
func (g *gnupg) versionBefore(major, minor int) bool {
	g.t.Helper()
	out, _, err := g.run(nil, "--version")
	if err != nil {
		g.t.Fatalf("gpg --version: %v", err)
	}
	var ma, mi int
	first, _, _ := strings.Cut(string(out), "\n")
	if _, err := fmt.Sscanf(first[strings.LastIndex(first, " ")+1:], "%d.%d", &ma, &mi); err != nil {
		g.t.Fatalf("cannot read gpg version from %q", first)
	}
	return ma < major || ma == major && mi < minor
}

// statusHas reports whether gpg's status output has a line starting with
// "[GNUPG:] "+prefix.
func statusHas(status, prefix string) bool {
	for _, line := range strings.Split(status, "\n") {
		if strings.HasPrefix(line, "[GNUPG:] "+prefix) {
			return true
		}
	}
	return false
}

// sqDecrypt runs sq decrypt on msg, typing passphrase at the terminal sq
// insists on (through script), and returns the plaintext. signerCert, when
// set, is a certificate file sq must verify a signature against.
func sqDecrypt(t *testing.T, msg, passphrase []byte, signerCert string) ([]byte, error) {
	t.Helper()
	needTool(t, "sq")
	needTool(t, "script")
	dir := t.TempDir()
	in := filepath.Join(dir, "record.pgp")
	out := filepath.Join(dir, "record.out")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	sq := `sq decrypt -o "$OUT" "$IN"`
	if signerCert != "" {
		sq = `sq decrypt --signer-cert "$CERT" -o "$OUT" "$IN"`
	}
	cmd := exec.Command("sh", "-c", `printf '%s\n' "$PW" | script -qec '`+sq+`' /dev/null`)
	cmd.Env = append(os.Environ(), "PW="+string(passphrase), "IN="+in, "OUT="+out, "CERT="+signerCert, "HOME="+dir, "SHELL=/bin/sh")
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	// script does not pass on sq's exit status everywhere: a missing output
	// file is the failure signal too.
	plain, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// execOutput runs a command and returns its combined output.
func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
