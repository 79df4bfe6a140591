package render

import (
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/internal/testtool"
)

// TestDocumentFitsAPhoneScreen lays the document out in a real browser, in a
// frame 360 CSS pixels wide (a small phone), and checks that nothing is wider
// than the screen: a record the patient has to scroll sideways to read is
// one they will misread. Headless Chromium will not make its window narrower
// than 500 pixels, so the frame sets the width; the script that measures it
// runs in the outer page, since the document itself allows none.
func TestDocumentFitsAPhoneScreen(t *testing.T) {
	testtool.Slow(t, "Chromium lays out a record at phone width")
	t.Parallel()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make test-deps`")
	}
	const width = 360
	rec := fullRecord()
	// Long unbroken words are what usually push a layout sideways.
	rec.Medications[0].Name = "Co-amoxiclav-250mg/125mg-tablets-" + strings.Repeat("x", 40)
	rec.Results[2].Title = "Glycated-haemoglobin-(HbA1c)-IFCC-standardised-" + strings.Repeat("y", 30)
	rec.Letters[0].Body = "# Plan\n\n" + strings.Repeat("z", 90)

	var frames strings.Builder
	themes := []string{"default", "large-print"}
	for i, theme := range themes {
		out := render(t, newRenderer(t, theme, nil), testDocument(rec))
		fmt.Fprintf(&frames, `<iframe id="f%d" width="%d" height="800" srcdoc="%s"></iframe>`, i, width, html.EscapeString(out))
	}
	page := `<!doctype html><html><head><title>pending</title></head><body>` + frames.String() + `<script>
window.addEventListener("load", function () {
  var w = [];
  for (var i = 0; i < ` + fmt.Sprint(len(themes)) + `; i++) {
    var d = document.getElementById("f" + i).contentDocument;
    var e = d.documentElement;
    w.push(d.querySelector(".summary") ? e.scrollWidth + "/" + e.clientWidth : "none");
  }
  document.title = "widths:" + w.join(",");
});
</script></body></html>`
	dir := t.TempDir()
	file := filepath.Join(dir, "phone.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=800,900",
		"--virtual-time-budget=10000", "--dump-dom", "file://"+file)
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium failed: %v", err)
	}
	m := regexp.MustCompile(`<title>widths:([^<]*)</title>`).FindSubmatch(dom)
	if m == nil {
		t.Fatal("chromium did not report the document's width")
	}
	got := strings.Split(string(m[1]), ",")
	if len(got) != len(themes) {
		t.Fatalf("chromium reported %d widths for %d documents", len(got), len(themes))
	}
	for i, w := range got {
		var content, screen int
		if _, err := fmt.Sscanf(w, "%d/%d", &content, &screen); err != nil {
			t.Errorf("%s theme: the document did not load in the frame", themes[i])
			continue
		}
		if screen > width || screen < width-20 {
			t.Errorf("%s theme: frame is %d px wide, want about %d", themes[i], screen, width)
		}
		if content > screen {
			t.Errorf("%s theme: document is %d px wide on a %d px screen", themes[i], content, screen)
		}
	}
}
