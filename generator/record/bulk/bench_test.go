package bulk

import (
	"path/filepath"
	"testing"

	"github.com/satchel-records/satchel/internal/synth"
)

// BenchmarkExport reads a 200-patient export, plain and gzip.
func BenchmarkExport(b *testing.B) {
	bs := bundles(200)
	for _, gz := range []bool{false, true} {
		dir := filepath.Join(b.TempDir(), "export")
		if err := synth.SplitNDJSON(bs, dir, gz); err != nil {
			b.Fatal(err)
		}
		name := "plain"
		if gz {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				x, err := Open(dir)
				if err != nil || x.Problems() != nil {
					b.Fatal(err, x.Problems())
				}
				for _, p := range x.Patients() {
					if _, _, err := x.Read(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
