package testtool

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/satchel-records/satchel/internal/fixtures"
)

// FHIRFile is one FHIR JSON file a test reads.
type FHIRFile struct {
	// Name is the file's path below its folder, slash-separated (e.g.
	// "r4/summary.json" or "ips/bundle-minimal.json"): safe to show.
	Name string
	// Path names the file for a reader: its stem is the record's ID. For
	// the public examples it is where the file is; for Satchel's own it is
	// Name, as they are embedded in the test binary.
	Path string
	Data []byte
}

// ownFHIR holds Satchel's own FHIR test data: synthetic Bundles written for
// this project, with invented patients. See testdata/fhir/README.md.
//
//go:embed testdata/fhir
var ownFHIR embed.FS

// OwnFHIR returns Satchel's own synthetic FHIR Bundles, R4 (r4/) and STU3
// (stu3/), in name order. Each must read without error and build.
func OwnFHIR(tb testing.TB) []FHIRFile {
	tb.Helper()
	return append(ownFiles(tb, "r4"), ownFiles(tb, "stu3")...)
}

// RefusedFHIR returns Satchel's own synthetic Bundles that a reader must
// refuse (a message or a history Bundle does not hold a record), in name
// order.
func RefusedFHIR(tb testing.TB) []FHIRFile {
	tb.Helper()
	return ownFiles(tb, "refused")
}

func ownFiles(tb testing.TB, dir string) []FHIRFile {
	tb.Helper()
	root := path.Join("testdata/fhir", dir)
	names, err := fs.Glob(ownFHIR, path.Join(root, "*.json"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no FHIR test data in internal/testtool/%s", root)
	}
	sort.Strings(names)
	out := make([]FHIRFile, 0, len(names))
	for _, n := range names {
		data, err := ownFHIR.ReadFile(n)
		if err != nil {
			tb.Fatalf("cannot read internal/testtool/%s: %v", n, err)
		}
		name := dir + "/" + path.Base(n)
		out = append(out, FHIRFile{Name: name, Path: name, Data: data})
	}
	return out
}

// FHIRFixtures returns the folder of the public FHIR examples: third-party
// files, read unedited as a conformance suite. The environment variable
// SATCHEL_FHIR_FIXTURES names it (a relative name is taken from the
// repository root); by default it is beside the repository (see package
// internal/fixtures).
//
// When the folder is missing, the test fails if the environment variable
// CI is "true"; otherwise it is skipped, and one line saying so goes to
// stderr once per test binary.
func FHIRFixtures(tb testing.TB) string {
	tb.Helper()
	dir, ok := fixturesDir(tb)
	if !ok {
		tb.Skipf("public FHIR examples not found: set %s to their folder", fixtures.Env)
	}
	return dir
}

// PublicFHIR returns the public FHIR examples (every */*.json in the
// FHIRFixtures folder), in name order. A missing folder skips the test, or
// fails it when CI is "true", as FHIRFixtures does; a folder without
// examples fails it.
func PublicFHIR(tb testing.TB) []FHIRFile {
	tb.Helper()
	return publicFiles(tb, FHIRFixtures(tb))
}

// PublicFHIRIfPresent is PublicFHIR for a test that also reads other
// inputs: when the folder is missing (and CI is not "true") it returns
// nil, after the one-line notice, instead of skipping the test.
func PublicFHIRIfPresent(tb testing.TB) []FHIRFile {
	tb.Helper()
	dir, ok := fixturesDir(tb)
	if !ok {
		return nil
	}
	return publicFiles(tb, dir)
}

func publicFiles(tb testing.TB, dir string) []FHIRFile {
	tb.Helper()
	_, named, _ := fixtures.FHIR()
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no FHIR examples (*/*.json) in %s, the folder %s names", named, fixtures.Env)
	}
	sort.Strings(paths)
	out := make([]FHIRFile, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("cannot read a FHIR example: %v", err)
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, FHIRFile{Name: filepath.ToSlash(rel), Path: p, Data: data})
	}
	return out
}

// noticeOut receives the one-line notice of a missing folder; noticed
// says it was written. Tests of this package swap and reset them.
var (
	noticeOut io.Writer = os.Stderr
	noticed   atomic.Bool
)

// fixturesDir finds the public examples' folder. It reports ok=false, after
// the notice, when the folder is missing, and fails tb instead when CI is
// "true".
func fixturesDir(tb testing.TB) (dir string, ok bool) {
	tb.Helper()
	dir, named, err := fixtures.FHIR()
	if err != nil {
		tb.Fatalf("cannot find the public FHIR examples: %v", err)
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, true
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("public FHIR examples not found at %s: they are required when CI=true; set %s to their folder", named, fixtures.Env)
	}
	if !noticed.Swap(true) {
		fmt.Fprintf(noticeOut, "NOTE: public FHIR examples not found at %s (set %s to their folder): conformance tests skipped\n", named, fixtures.Env)
	}
	return "", false
}
