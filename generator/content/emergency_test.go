package content

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestOnly999NamesEachBlockThatLacks112(t *testing.T) {
	t.Parallel()
	body := "Call the practice on 01632 960999.\n\n" + // 1: part of a number
		"If you faint,\n**call 999**.\n\n" + // 3-4: 999 alone
		"Call 999 in the UK, 112 in Europe and\nmany other countries.\n\n" + // 6-7: both
		"1. Green: well.\n2. Red: call 999.\n3. Or 112 abroad.\n\n" + // 9-11: the item alone counts
		"NHS number 999 821 9930.\n" // 13: part of a number
	if got, want := only999([]byte(body), 1), []int{4, 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("only999 = %v, want %v", got, want)
	}
	if got, want := only999([]byte(body), 5), []int{8, 14}; !reflect.DeepEqual(got, want) {
		t.Errorf("with the body at line 5: only999 = %v, want %v", got, want)
	}
}

func TestLibraryOnly999NamesFileAndLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	page := "+++\ntitle = \"P\"\ncodes = [\"SNOMED:38341003\"]\n+++\nIn an emergency call 999.\n"
	if err := os.WriteFile(filepath.Join(dir, "p.md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mention{{File: filepath.Join(dir, "p.md"), Line: 5}}
	if got := l.Only999(); !reflect.DeepEqual(got, want) {
		t.Errorf("Only999 = %v, want %v", got, want)
	}
	if (*Library)(nil).Only999() != nil {
		t.Error("a nil library has mentions")
	}
}

func TestSamplePagesSay112WhereverTheySay999(t *testing.T) {
	t.Parallel()
	l, err := Load(filepath.Join("..", "..", "education"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Only999() {
		t.Errorf("%s:%d: 999 without 112", m.File, m.Line)
	}
}
