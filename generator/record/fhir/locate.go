package fhir

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// step is one step of a FHIR path: an element name, or a list index.
type step struct {
	key   string
	index int // used when key is ""
}

// parsePath splits "Bundle.entry[3].resource.onsetDateTime" into steps,
// dropping the leading "Bundle". Dotted element paths inside a resource
// ("effectivePeriod.start") split the same way.
func parsePath(path string) []step {
	var steps []step
	for i, part := range strings.Split(path, ".") {
		if i == 0 && part == "Bundle" {
			continue
		}
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			steps = append(steps, step{key: name})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			if !ok {
				break
			}
			n, err := strconv.Atoi(num)
			if err != nil {
				break
			}
			steps = append(steps, step{index: n})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return steps
}

// locate returns the line of the element at a FHIR path, or of the
// deepest part of the path that exists (so a missing element is reported at
// its resource), or 0 if nothing of it is found. It walks the file again
// with a tokenizer, which is slow but only runs when reporting an error.
func locate(data []byte, path string) int {
	off, ok := locateOffset(data, path)
	if !ok && off == 0 {
		return 0
	}
	return lineAt(data, off)
}

// locateOffset returns the offset of the value at path; ok is false when
// the path is only partly found (off is then that of the deepest part).
func locateOffset(data []byte, path string) (off int, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	best := 0
	for _, s := range parsePath(path) {
		tok, err := dec.Token()
		if err != nil {
			return best, false
		}
		found := false
		if s.key != "" {
			if tok != json.Delim('{') {
				return best, false
			}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return best, false
				}
				if k == s.key {
					found = true
					break
				}
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return best, false
				}
			}
		} else {
			if tok != json.Delim('[') {
				return best, false
			}
			for i := 0; dec.More(); i++ {
				if i == s.index {
					found = true
					break
				}
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return best, false
				}
			}
		}
		if !found {
			return best, false
		}
		best = valueStart(data, int(dec.InputOffset()))
	}
	return best, true
}

// valueStart skips the separators between the decoder's position and the
// next value.
func valueStart(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n', ':', ',':
			i++
			continue
		}
		break
	}
	return i
}
