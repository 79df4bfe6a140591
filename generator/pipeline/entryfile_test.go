package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The last build's state and manifest are read an entry at a time from
// their files: each entry as decoding the whole file gives it, and a file
// that does not decode whole is damaged, as before.
func TestEntryFileReadsWhatDecodingWholeGives(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := buildState{Format: stateFormat, Satchel: fileStamp{Path: "satchel", Size: 7, SHA256: "ab"}, Patients: map[string]patientState{
		"p1":     {Key: "k1", Files: []fileStamp{{Path: "public/bundles/x/record.html", Size: 10, SHA256: "cd"}}},
		`p"2\`:   {Key: "k2"},
		"p3-ünï": {Key: "k3", Unread: &unreadState{Key: "u3", Until: 42, Warnings: []string{"w"}}},
	}}
	data, err := json.MarshalIndent(st, "", " \t")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readPrevState(state)
	if err != nil {
		t.Fatal(err)
	}
	defer got.patients.close()
	e := got.patients
	if got.Format != st.Format || got.Satchel != st.Satchel {
		t.Errorf("read format %d and satchel %+v, want %d and %+v", got.Format, got.Satchel, st.Format, st.Satchel)
	}
	if n := len(e.ids()); n != len(st.Patients) {
		t.Errorf("%d entries, want %d", n, len(st.Patients))
	}
	for id, want := range st.Patients {
		ps, ok := got.patient(id)
		if !ok || !reflect.DeepEqual(ps, want) {
			t.Errorf("patient %q: got %+v (%v), want %+v", id, ps, ok, want)
		}
	}
	if _, ok := got.patient("p4"); ok {
		t.Error("an entry of a patient the file does not have")
	}

	m := Manifest{Patients: []ManifestEntry{{ID: "b", Status: Built, BundleID: "x"}, {ID: "a", Status: Failed}}}
	data, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(manifest, data, 0o600); err != nil {
		t.Fatal(err)
	}
	inc := incremental{}
	if inc.manifest, err = indexManifest(manifest); err != nil {
		t.Fatal(err)
	}
	for _, want := range m.Patients {
		if e, ok := inc.manifestEntry(want.ID); !ok || !reflect.DeepEqual(e, want) {
			t.Errorf("manifest entry %s: got %+v (%v), want %+v", want.ID, e, ok, want)
		}
	}
	inc.close()
	if _, ok := inc.manifestEntry("a"); ok {
		t.Error("a closed manifest still reads")
	}

	// A file that is not JSON as it should be is damaged; an entry that
	// does not decode is not read, and only that patient is built afresh.
	bad := filepath.Join(dir, "bad.json")
	for name, text := range map[string]string{
		"truncated":         `{"format":3,"patients":{"p1":{"key":"k1"},`,
		"not an object":     `{"format":3,"patients":[{"key":"k1"}]}`,
		"null":              `{"format":3,"patients":null}`,
		"after the end":     `{"format":3,"patients":{}} {}`,
		"damaged elsewhere": `{"format":"three","patients":{}}`,
	} {
		if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readPrevState(bad); !errors.Is(err, errDamaged) {
			t.Errorf("%s: got %v, want errDamaged", name, err)
		}
	}
	text := fmt.Sprintf(`{"format":%d,"patients":{"p1":{"key":7},"p2":{"key":"k2"}}}`, stateFormat)
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	one, err := readPrevState(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer one.patients.close()
	if _, ok := one.patient("p1"); ok {
		t.Error("an entry of the wrong type was read")
	}
	if ps, ok := one.patient("p2"); !ok || ps.Key != "k2" {
		t.Errorf("the entry beside one of the wrong type: got %+v (%v)", ps, ok)
	}
	// Another format is no state at all; a manifest with an entry that
	// does not decode is not used.
	if err := os.WriteFile(bad, fmt.Appendf(nil, `{"format":%d,"patients":{"p2":{"key":"k2"}}}`, stateFormat+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if old, err := readPrevState(bad); err != nil || old.patients != nil {
		t.Errorf("a state of another format: got %v, %v", old.patients, err)
	}
	if err := os.WriteFile(bad, []byte(`{"patients":[{"id":"a","status":"built"},{"id":"b","cards":"x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := indexManifest(bad); !errors.Is(err, errDamaged) {
		t.Errorf("a manifest with a damaged entry: got %v, want errDamaged", err)
	}
}
