package fhir

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// resolve finds the resource a reference points to, from the resource that
// holds it. It understands the forms exporters use: a contained "#id", a
// fullUrl ("urn:uuid:...", or an absolute URL), a relative "Type/id" (against
// the referring entry's base, or matched by type and id when entries have no
// fullUrl), a version-specific ".../_history/n", and a conditional
// "Type?identifier=system|value". It returns nil for anything it cannot find:
// a dangling reference is not an error, the entry is read without it.
func (r *reader) resolve(from *node, ref string) *node {
	if ref == "" {
		return nil
	}
	root := from
	for root != nil && root.parent != nil {
		root = root.parent
	}
	if ref[0] == '#' {
		if root == nil {
			return nil
		}
		if ref == "#" {
			return root
		}
		return root.contained[ref[1:]]
	}
	if n := r.byURL[ref]; n != nil {
		return n
	}
	if strings.HasPrefix(ref, "urn:") {
		return nil
	}
	if typ, query, ok := strings.Cut(ref, "?"); ok {
		return r.conditional(typ, query)
	}
	if !strings.Contains(ref, "://") && root != nil {
		if base := baseOf(root.fullURL); base != "" {
			if n := r.byURL[base+ref]; n != nil {
				return n
			}
		}
	}
	typ, id := typeID(ref)
	if typ == "" {
		return nil
	}
	return r.byTypeID[typ+"/"+id]
}

// typeID returns the resource type and id a RESTful reference ends with,
// dropping a version ("Patient/1/_history/2" -> "Patient", "1").
func typeID(ref string) (typ, id string) {
	parts := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || parts[n-1] == "" || safeName(parts[n-2]) != parts[n-2] {
		return "", ""
	}
	return parts[n-2], parts[n-1]
}

// baseOf returns the service base of an absolute fullUrl, with a trailing
// slash: "https://x/fhir/Patient/1" -> "https://x/fhir/".
func baseOf(fullURL string) string {
	if !strings.Contains(fullURL, "://") {
		return ""
	}
	typ, id := typeID(fullURL)
	if typ == "" {
		return ""
	}
	i := strings.LastIndex(fullURL, "/"+typ+"/"+id)
	if i < 0 {
		return ""
	}
	return fullURL[:i+1]
}

// conditional resolves "Type?identifier=[system|]value" to the one resource
// of that type carrying the identifier. Other search parameters cannot be
// evaluated here, so such references stay unresolved.
func (r *reader) conditional(typ, query string) *node {
	q, err := url.ParseQuery(query)
	if err != nil || len(q) != 1 || len(q["identifier"]) != 1 {
		return nil
	}
	want := q["identifier"][0]
	sys, val, hasSys := strings.Cut(want, "|")
	if !hasSys {
		sys, val = "", want
	}
	var found *node
	for _, n := range r.nodes {
		if n.rt != typ {
			continue
		}
		for _, id := range r.identifiers(n) {
			if id.Value == val && (!hasSys || id.System == sys) {
				if found != nil && found != n {
					return nil // ambiguous
				}
				found = n
			}
		}
	}
	return found
}

// otherPatient reports whether a subject (or patient) reference names a
// patient other than the record's. A reference that resolves to anything
// but the record's Patient does; so does an unresolved "Patient/id" with
// another id, or a logical reference by an identifier the Patient does not
// carry in the same system. A reference that simply dangles does not: the
// entry is kept.
func (r *reader) otherPatient(from *node, ref *reference) bool {
	if ref == nil {
		return false
	}
	if ref.Reference != "" {
		if t := r.resolve(from, ref.Reference); t != nil {
			return t != r.patient
		}
		if strings.HasPrefix(ref.Reference, "urn:") || strings.HasPrefix(ref.Reference, "#") {
			return false
		}
		typ, id := typeID(ref.Reference)
		return typ == "Patient" && id != r.patient.id
	}
	if ref.Identifier != nil && ref.Identifier.Value != "" {
		sameSystem := false
		for _, id := range r.identifiers(r.patient) {
			if id.System == ref.Identifier.System {
				if id.Value == ref.Identifier.Value {
					return false
				}
				sameSystem = true
			}
		}
		return sameSystem
	}
	return false
}

// references reads an element that is a list of references, or a single
// one (R4 CarePlan.author).
func references(raw json.RawMessage) []reference {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '{' {
		var one reference
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		return []reference{one}
	}
	var refs []reference
	if json.Unmarshal(raw, &refs) != nil {
		return nil
	}
	return refs
}

// concepts reads an element that is a list of CodeableConcepts or a single
// one (category and type differ by resource and version). A code string
// (AllergyIntolerance.type) reads as none.
func concepts(raw json.RawMessage) []concept {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '{':
		var one concept
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		return []concept{one}
	case '[':
		var cs []concept
		if json.Unmarshal(raw, &cs) != nil {
			return nil
		}
		return cs
	}
	return nil
}

// statusCode reads clinicalStatus or verificationStatus: a code in STU3, a
// CodeableConcept in R4.
func statusCode(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{':
		var cc concept
		if json.Unmarshal(raw, &cc) == nil {
			for _, c := range cc.Coding {
				if c.Code != "" {
					return c.Code
				}
			}
			return strings.ToLower(cc.Text)
		}
	}
	return ""
}
