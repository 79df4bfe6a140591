package record

import (
	"fmt"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/strict"
)

func TestManyBadEntriesAreCountedNotEachPlaced(t *testing.T) {
	// Each entry has no title and a bad status: two errors each. Placing
	// every one on its line used to take minutes (a walk of the file per
	// error); now twenty are placed and the rest counted.
	const n = 30_000
	var b strings.Builder
	b.WriteString("[patient]\nname = \"Alex Example\"\n")
	for range n {
		b.WriteString("[[problems]]\nstatus = \"maybe\"\n")
	}
	_, err := DecodeTOML("records/p.toml", []byte(b.String()))
	errs := strict.Split(err)
	if len(errs) != strict.MaxErrors+1 {
		t.Fatalf("%d errors, want %d and a count", len(errs), strict.MaxErrors+1)
	}
	if got, want := errs[0].Error(), `records/p.toml:3: field "problems[0].title": missing a title`; got != want {
		t.Errorf("first error %q, want %q", got, want)
	}
	if got, want := errs[len(errs)-1].Error(), fmt.Sprintf("records/p.toml: and %s more errors", "59,980"); got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
}

func TestTooLargeTOMLRecordIsRefusedUnread(t *testing.T) {
	data := []byte("[patient]\nname = \"Alex Example\"\n" + strings.Repeat("# padding\n", 200_000))
	_, err := DecodeTOML("records/p.toml", data)
	if err == nil || err.Error() != "records/p.toml: too large for a TOML record: the limit is 1 MiB" {
		t.Errorf("err = %v", err)
	}
}
