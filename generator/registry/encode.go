package registry

import (
	"bufio"
	"encoding/json"
	"io"
	"slices"
)

// encode writes the registry exactly as json.MarshalIndent(r, "", "  ")
// would, and a newline, one patient at a time: the registry of a practice
// of any size is written without a second copy of it in memory.
func (r *Registry) encode(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("{")
	first := true
	field := func(name string) {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n  \"" + name + "\": ")
	}
	if r.Format != 0 {
		field("format")
		bw.WriteString(jsonInt(r.Format))
	}
	field("patients")
	if err := encodeMap(bw, r.Patients); err != nil {
		return err
	}
	if len(r.Identities) > 0 {
		field("identities")
		if err := encodeMap(bw, r.Identities); err != nil {
			return err
		}
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// encodeMap writes m as json.MarshalIndent writes a map two levels in:
// its keys sorted, each value indented under it.
func encodeMap[V any](bw *bufio.Writer, m map[string]V) error {
	if m == nil {
		bw.WriteString("null")
		return nil
	}
	if len(m) == 0 {
		bw.WriteString("{}")
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bw.WriteByte('{')
	for i, k := range keys {
		key, err := json.Marshal(k)
		if err != nil {
			return err
		}
		value, err := json.MarshalIndent(m[k], "    ", "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(key)
		bw.WriteString(": ")
		bw.Write(value)
	}
	bw.WriteString("\n  }")
	return nil
}

func jsonInt(n int) string {
	data, _ := json.Marshal(n)
	return string(data)
}
