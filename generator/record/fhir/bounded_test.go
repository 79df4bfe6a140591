package fhir

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/strict"
)

func TestManyBadResourcesAreCountedNotEachPlaced(t *testing.T) {
	// Finding each error's line walks the file: for 20,000 errors that
	// took minutes. Twenty are placed now and the rest counted.
	const n = 20_000
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p","name":[{"text":"Alex Example"}]}}`)
	for i := range n {
		fmt.Fprintf(&b, ",\n{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c%d\",\"subject\":{\"reference\":\"Patient/p\"},\"onsetDateTime\":\"2020-13-45\"}}", i)
	}
	b.WriteString("]}\n")
	_, err := Read("records/p.json", []byte(b.String()))
	errs := strict.Split(err)
	if len(errs) != strict.MaxErrors+1 {
		t.Fatalf("%d errors, want %d and a count", len(errs), strict.MaxErrors+1)
	}
	if got, want := errs[0].Error(), `records/p.json:2: field "Bundle.entry[1].resource.onsetDateTime": invalid date`; !strings.HasPrefix(got, want) {
		t.Errorf("first error %q, want %q...", got, want)
	}
	if got, want := errs[len(errs)-1].Error(), "records/p.json: and 19,980 more errors"; got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
}

func TestDeeplyNestedJSONIsCheap(t *testing.T) {
	// encoding/json refuses nesting past 10,000 and scans what it skips
	// in linear time: no limit of Satchel's own is needed. This holds it.
	for _, open := range []string{"[", `{"a":`} {
		close := map[string]string{"[": "]", `{"a":`: "}"}[open]
		for _, d := range []int{9_000, 100_000} {
			data := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p","name":[{"text":"A"}],"zz":` +
				strings.Repeat(open, d) + "1" + strings.Repeat(close, d) + "}}]}"
			grew := allocated(func() { Read("p.json", []byte(data)) })
			if grew > 64<<20 {
				t.Errorf("%d deep %s: allocated %d MiB", d, open, grew>>20)
			}
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
