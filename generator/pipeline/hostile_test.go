package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// hostileCanary is planted in every hostile record: no error may repeat it.
const hostileCanary = "Jane Canary, NHS 943 476 5919, HIV positive"

// hostileRecords writes records built to stall or exhaust a build into dir,
// and returns what each one's error must say.
func hostileRecords(t *testing.T, dir string) map[string]string {
	t.Helper()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	head := "[patient]\nname = \"" + hostileCanary + "\"\n"
	write("h-tables.toml", head+"x = "+strings.Repeat("{a=", 200<<10/3)+"\n")
	write("h-arrays.toml", head+"x = "+strings.Repeat("[", 200<<10)+"\n")
	write("h-dotted.toml", head+strings.Repeat("a.", 100<<10)+"b = 1\n")
	var many strings.Builder
	many.WriteString(head)
	for i := range 100_000 {
		fmt.Fprintf(&many, "k%d=1\n", i)
	}
	write("h-many.toml", many.String())
	write("h-key.toml", head+"\""+hostileCanary+"\" = true\n")
	// A good record whose approval sidecar is hostile.
	write("h-approval.toml", head)
	write("h-approval.approval.toml", "x = "+strings.Repeat("{a=", 20<<10/3)+"\n")

	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.toml"), []byte(head), 0o600)
	if err := os.Symlink(filepath.Join(outside, "secret.toml"), filepath.Join(dir, "h-outside.toml")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"h-tables":   "h-tables.toml:3: nested too deeply",
		"h-arrays":   "h-arrays.toml:3: nested too deeply",
		"h-dotted":   "h-dotted.toml:3: nested too deeply",
		"h-many":     "h-many.toml: and 99,980 more errors",
		"h-key":      `h-key.toml:3: field "patient": unknown field`,
		"h-approval": "h-approval.approval.toml:1: nested too deeply",
		"h-outside":  "h-outside.toml: cannot read the record: a symbolic link to outside its folder",
	}
	if runtime.GOOS != "windows" {
		if err := mkfifo(filepath.Join(dir, "h-fifo.json")); err != nil {
			t.Fatal(err)
		}
		want["h-fifo"] = "h-fifo.json: cannot read the record: not a regular file (a FIFO)"
		if err := os.Symlink("/dev/zero", filepath.Join(dir, "h-zero.json")); err != nil {
			t.Fatal(err)
		}
		want["h-zero"] = "h-zero.json: cannot read the record: not a regular file (a device)"
	}
	return want
}

// A hostile record (nested tables, a FIFO, a link to /dev/zero or out of
// the folder, 100,000 errors) fails that patient alone, quickly, with an
// error that names the file and repeats nothing of it; the others build.
func TestHostileRecordsCostOnePatientEach(t *testing.T) {
	cfg := samplePractice(t)
	want := hostileRecords(t, cfg.RecordsDir)
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for id := range want {
		path, _ := filepath.Glob(filepath.Join(cfg.RecordsDir, id+".*"))
		var pr *Prepared
		grew := allocated(func() { pr = pl.Prepare(path[0], clock()) })
		if grew > 200<<20 {
			t.Errorf("%s: reading it allocated %d MiB", id, grew>>20)
		}
		if pr.Status != Failed {
			t.Errorf("%s: status %s, want failed", id, pr.Status)
		}
	}

	done := make(chan *Report, 1)
	go func() { done <- runBuild(t, cfg) }()
	var rep *Report
	select {
	case rep = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the build did not finish")
	}
	built := 0
	for _, p := range rep.Patients {
		w, hostile := want[p.ID]
		switch {
		case hostile:
			msg := fmt.Sprint(p.Err)
			if p.Status != Failed || !strings.Contains(msg, w) {
				t.Errorf("%s: status %s, error %.300q; want failed with %q", p.ID, p.Status, msg, w)
			}
			if strings.Contains(msg, "Canary") || strings.Contains(msg, "HIV") {
				t.Errorf("%s: the error repeats the record: %.300q", p.ID, msg)
			}
			if n := strings.Count(msg, "\n"); n > 25 {
				t.Errorf("%s: %d error lines", p.ID, n)
			}
		case p.Status == Built:
			built++
		}
	}
	if built == 0 {
		t.Error("no sample patient built beside the hostile records")
	}
	if got := len(rep.Failed()); got != len(want) {
		t.Errorf("%d patients failed, want the %d hostile ones", got, len(want))
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
