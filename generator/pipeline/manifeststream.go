package pipeline

import (
	"bufio"
	"encoding/json"
	"io"
	"iter"
	"time"
)

// encodeManifest writes the manifest of a build at generated with the
// entries of seq, one at a time, exactly as json.MarshalIndent(m, "", "  ")
// of the whole Manifest would write it, and a newline: the manifest of a
// practice of any size is never held whole in memory. seq must yield the
// entries sorted by id, each as json.MarshalIndent(e, "    ", "  ") makes
// it.
func encodeManifest(w io.Writer, generated time.Time, seq iter.Seq[[]byte]) error {
	bw := bufio.NewWriter(w)
	gen, err := json.Marshal(generated)
	if err != nil {
		return err
	}
	bw.WriteString("{\n  \"generated\": ")
	bw.Write(gen)
	bw.WriteString(",\n  \"patients\": [")
	n := 0
	for data := range seq {
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(data)
		n++
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}
