package strict

import (
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
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
		fuzzcheck.InputError(t, "x.toml", err)
	})
}
