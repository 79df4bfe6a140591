package pipeline

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Git for Windows checks text files out with CRLF line endings unless the
// repository says otherwise (its installer sets core.autocrlf=true). An
// approval is a digest of the record's bytes, so in such a checkout every
// sample record would read as changed since it was approved, and `make
// run` would build none of them. .gitattributes keeps LF in every
// checkout: the sample practice, cloned once as Linux does and once as
// Windows does, checks the same in both.
//
// Both clones are of HEAD: a .gitattributes change counts once committed.
func TestSamplePracticeChecksTheSameInAWindowsCheckout(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "git")
	root, err := filepath.Abs(filepath.Join("..", "..")) // go test runs in the package's folder
	if err != nil {
		t.Fatal(err)
	}
	// safe.directory: the checkout may belong to another user than the
	// tests (a CI runner's clone), which git otherwise refuses to read.
	git := func(args ...string) *exec.Cmd {
		return exec.Command("git", append([]string{"-c", "safe.directory=*"}, args...)...)
	}
	if out, err := git("-C", root, "rev-parse", "--verify", "HEAD").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the repository is not a git checkout with a commit (required when CI=true): %v: %s", err, out)
		}
		t.Skipf("not a git checkout with a commit: %v", err)
	}
	check := func(autocrlf string) map[string]string {
		dir := filepath.Join(t.TempDir(), "clone")
		cmd := git("clone", "--quiet", "--config", "core.autocrlf="+autocrlf, root, dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v: %s", err, out)
		}
		cfg, err := site.Load(filepath.Join(dir, "site.toml"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range p.Check(clock()).Patients {
			got[c.ID] = fmt.Sprintf("%s (%s)", c.Status, c.Reason)
		}
		return got
	}
	linux, windows := check("false"), check("true")
	built := 0
	for _, s := range linux {
		if s == fmt.Sprintf("%s ()", Built) {
			built++
		}
	}
	if built == 0 {
		t.Fatalf("no sample patient would build even in a Linux checkout: %v", linux)
	}
	for id, s := range linux {
		if windows[id] != s {
			t.Errorf("%s: %s in a Linux checkout, %s in a Windows one (core.autocrlf=true)", id, s, windows[id])
		}
	}
	if len(windows) != len(linux) {
		t.Errorf("%d patients in a Windows checkout, %d in a Linux one", len(windows), len(linux))
	}
}
