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
// entries sorted by id.
func encodeManifest(w io.Writer, generated time.Time, seq iter.Seq[ManifestEntry]) error {
	bw := bufio.NewWriter(w)
	gen, err := json.Marshal(generated)
	if err != nil {
		return err
	}
	bw.WriteString("{\n  \"generated\": ")
	bw.Write(gen)
	bw.WriteString(",\n  \"patients\": [")
	n := 0
	for e := range seq {
		data, err := json.MarshalIndent(e, "    ", "  ")
		if err != nil {
			return err
		}
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
