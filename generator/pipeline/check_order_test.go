package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// Check prepares and renders the records on every core, and reports them
// as one record at a time would: the patients in the order of their
// files, the problems in that order, and a shared NHS number named
// against the first file that holds it.
func TestCheckReportsInFileOrder(t *testing.T) {
	t.Parallel()
	const n = 40
	recs := map[string]string{}
	for i := range n {
		nhs := ""
		if i == 5 || i == 17 || i == 33 {
			nhs = "nhs_number = \"9995260182\"\n"
		}
		recs[fmt.Sprintf("p%02d", i)] = fmt.Sprintf("[patient]\nname = \"Pat %02d\"\nborn = 1970-01-01\n%s", i, nhs)
	}
	bad := map[int]bool{3: true, 30: true}
	for i := range bad {
		recs[fmt.Sprintf("p%02d", i)] = "[patient]\nname = 1\nborn = 1970-01-01\n"
	}
	cfg := practiceWithPolicy(t, "", recs)
	for i := range n {
		if !bad[i] {
			approveAs(t, cfg, fmt.Sprintf("p%02d", i), dr)
		}
	}
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep := pl.Check(clock())

	if len(rep.Patients) != n {
		t.Fatalf("%d patients checked, want %d", len(rep.Patients), n)
	}
	for i, p := range rep.Patients {
		want, status := fmt.Sprintf("p%02d", i), Built
		if bad[i] {
			status = Failed
		}
		if p.ID != want || p.Status != status {
			t.Errorf("patient %d of the report is %s (%s), want %s (%s)", i, p.ID, p.Status, want, status)
		}
	}
	if len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0].Error(), "p03.toml") || !strings.Contains(rep.Problems[1].Error(), "p30.toml") {
		t.Errorf("problems %q: want p03.toml's, then p30.toml's", rep.Problems)
	}
	var shared []string
	for _, w := range rep.Warnings {
		if strings.Contains(w, "same NHS number as") {
			shared = append(shared, w)
		}
	}
	if len(shared) != 2 || !strings.HasPrefix(shared[0], "records/p17.toml") || !strings.HasPrefix(shared[1], "records/p33.toml") ||
		!strings.HasSuffix(shared[0], "records/p05.toml") || !strings.HasSuffix(shared[1], "records/p05.toml") {
		t.Errorf("shared NHS number warnings %q: want p17's, then p33's, each naming p05", shared)
	}
}
