package bundle

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
)

var when = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestPackUnpackRoundTripsAndIsStable(t *testing.T) {
	t.Parallel()
	files := []File{{Document, []byte("<p>doc</p>")}, {FHIR, []byte(`{"resourceType":"Bundle"}`)}}
	a, err := Pack(files, when)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Pack(files, when)
	if !bytes.Equal(a, b) {
		t.Error("the same files packed twice differ")
	}
	got, err := Unpack(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(Find(got, Document).Data) != "<p>doc</p>" || Find(got, "nope") != nil {
		t.Errorf("unpacked %+v", got)
	}
}

func TestUnpackRefusesWhatIsNotABundle(t *testing.T) {
	t.Parallel()
	zipOf := func(names ...string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			w, _ := zw.Create(n)
			w.Write([]byte("x"))
		}
		zw.Close()
		return buf.Bytes()
	}
	for name, data := range map[string][]byte{
		"not a zip":        []byte("hello"),
		"no document":      zipOf(FHIR),
		"path in name":     zipOf(Document, "../evil.html"),
		"folder in name":   zipOf(Document, "sub/x.html"),
		"absolute name":    zipOf(Document, "/etc/x"),
		"empty zip":        zipOf(),
		"dot-dot the name": zipOf(Document, ".."),
	} {
		if _, err := Unpack(data); !errors.Is(err, ErrNotBundle) {
			t.Errorf("%s: got %v, want ErrNotBundle", name, err)
		}
	}
}

// Only the names Satchel writes pass CheckNames: a bundle holding
// anything else, or a name twice, is refused before any file is written.
func TestCheckNamesRefusesUnknownAndRepeatedNames(t *testing.T) {
	ok := []File{{Name: Document}, {Name: FHIR}, {Name: PracticeKey}, {Name: Info}}
	if err := CheckNames(ok); err != nil {
		t.Fatalf("Satchel's own names: %v", err)
	}
	for _, name := range []string{".bashrc", `..\..\evil.bat`, "../x", "/etc/passwd", `C:\x.bat`, "document.html ", "Document.html", "", "\x1b[2Jx"} {
		err := CheckNames(append(ok[:1:1], File{Name: name}))
		if !errors.Is(err, ErrUnknownFile) || !errors.Is(err, ErrNotBundle) {
			t.Errorf("%q: got %v, want ErrUnknownFile", name, err)
		}
		if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%q: the error carries an escape character", name)
		}
	}
	if err := CheckNames([]File{{Name: Document}, {Name: Document}}); !errors.Is(err, ErrUnknownFile) {
		t.Errorf("a name twice: got %v, want ErrUnknownFile", err)
	}
}

// freshPack is Pack as it was before compressors were pooled: a new
// BestSpeed flate writer for every file. Pooled writers must give the same
// bytes, or bundles would change with the order patients were built in.
func freshPack(t *testing.T, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: when})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPooledCompressorsPackWhatFreshOnesDo(t *testing.T) {
	t.Parallel()
	// Different sizes and contents so a writer left with another file's
	// window or pending bits would show.
	sets := make([][]File, 6)
	for i := range sets {
		big := bytes.Repeat([]byte(fmt.Sprintf("<p>line %d of a synthetic record</p>\n", i)), 50+i*400)
		sets[i] = []File{{Document, big}, {FHIR, []byte(strings.Repeat(`{"resourceType":"Bundle"}`, i+1))}, {Info, []byte{byte(i)}}}
	}
	want := make([][]byte, len(sets))
	for i, files := range sets {
		want[i] = freshPack(t, files)
	}
	var wg sync.WaitGroup
	for round := range 3 {
		for i, files := range sets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := Pack(files, when)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, want[i]) {
					t.Errorf("round %d, set %d: pooled compressors packed other bytes than fresh ones", round, i)
				}
			}()
		}
	}
	wg.Wait()
}
