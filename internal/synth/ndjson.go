package synth

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// SplitNDJSON writes FHIR Bundles as a FHIR Bulk Data export into dir: one
// NDJSON file per resource type (Patient.ndjson, Condition.ndjson, ...),
// gzip-compressed (.ndjson.gz) when gz is set. References to an entry's
// fullUrl become "Type/id", as a server's export writes them; a resource
// found in several Bundles under the same type and id (a shared
// Medication or Practitioner) is written once. Every resource must have
// an id. Key order within each resource is kept.
func SplitNDJSON(bundles [][]byte, dir string, gz bool) error {
	byType := map[string]*bytes.Buffer{}
	seen := map[string]bool{}
	for n, data := range bundles {
		var b struct {
			Entry []struct {
				FullURL  string          `json:"fullUrl"`
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return fmt.Errorf("bundle %d: %w", n, err)
		}
		urls := map[string]string{}
		type res struct{ rt, id string }
		heads := make([]res, len(b.Entry))
		for i, e := range b.Entry {
			var h struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			}
			if err := json.Unmarshal(e.Resource, &h); err != nil || h.ID == "" {
				return fmt.Errorf("bundle %d entry %d: a resource without an id", n, i)
			}
			heads[i] = res{h.ResourceType, h.ID}
			if e.FullURL != "" {
				urls[e.FullURL] = h.ResourceType + "/" + h.ID
			}
		}
		for i, e := range b.Entry {
			k := heads[i].rt + "/" + heads[i].id
			if seen[k] {
				continue
			}
			seen[k] = true
			line, err := rewriteRefs(e.Resource, urls)
			if err != nil {
				return fmt.Errorf("bundle %d entry %d: %w", n, i, err)
			}
			buf := byType[heads[i].rt]
			if buf == nil {
				buf = new(bytes.Buffer)
				byType[heads[i].rt] = buf
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		data := byType[t].Bytes()
		name := t + ".ndjson"
		if gz {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			if _, err := w.Write(data); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			data, name = z.Bytes(), name+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// rewriteRefs compacts a resource onto one line and rewrites every
// "reference" that is a fullUrl of the Bundle to "Type/id". It decodes
// with key order kept (a token stream), so the line holds the same
// members in the same order.
func rewriteRefs(raw json.RawMessage, urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, err
	}
	line := out.Bytes()
	for url, to := range urls {
		from, _ := json.Marshal(url)
		repl, _ := json.Marshal(to)
		key := []byte(`"reference":`)
		line = bytes.ReplaceAll(line, append(append([]byte{}, key...), from...), append(append([]byte{}, key...), repl...))
	}
	if bytes.ContainsAny(line, "\n\r") {
		return nil, errors.New("a line break left in a resource")
	}
	return line, nil
}
