// Package fuzzcheck holds what the fuzz targets of Satchel's input readers
// require of every error they get: it names the file on every line, never
// repeats the canary planted in the seeds, and lists at most twenty
// problems and a count of the rest. It imports only the standard library,
// so every reader's own tests can use it.
package fuzzcheck

import (
	"strings"
	"testing"
)

// Canary is planted in fuzz seeds, in keys and values: no error may
// repeat it, or any part of it.
const Canary = "Zq9 Canary"

// maxLines is twenty errors and the "and N more" line.
const maxLines = 21

// InputError fails t unless err (when not nil) is what an input error must
// be for the file at path.
func InputError(t testing.TB, path string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, part := range strings.Fields(Canary) {
		if strings.Contains(msg, part) {
			t.Fatalf("the error repeats the input: %q", msg)
		}
	}
	lines := strings.Split(msg, "\n")
	if len(lines) > maxLines {
		t.Fatalf("%d error lines", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, path) {
			t.Fatalf("an error line does not name the file: %q", l)
		}
	}
}
