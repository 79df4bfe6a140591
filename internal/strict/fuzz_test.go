package strict

import (
	"strings"
	"testing"
)

// FuzzDecode decodes mutations of a small record. It must not panic,
// every error line names the file, none repeats the canary planted in keys
// and values, and there are at most MaxErrors and a count.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("[patient]\nname = \"Zq9 Canary\"\n\"Zq9 Canary\" = 1\n[[problems]]\ntitle = \"x\"\ncodes = [{system = \"s\", code = \"1\"}]\n[extra.a.b]\nc = [[1.5]]\n"))
	f.Add([]byte("a = {b = {c = [[{d = 1}]]}}\n'Zq9 Canary'.x = 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v testRecord
		_, err := Decode("x.toml", data, &v)
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.Contains(msg, "Zq9") || strings.Contains(msg, "Canary") {
			t.Fatalf("the error repeats the input: %q", msg)
		}
		lines := strings.Split(msg, "\n")
		if len(lines) > MaxErrors+1 {
			t.Fatalf("%d error lines", len(lines))
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "x.toml") {
				t.Fatalf("an error line does not name the file: %q", l)
			}
		}
	})
}
