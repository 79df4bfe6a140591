package pdfcrypt

import (
	"bytes"
	"compress/zlib"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"image"
	pngenc "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/fpdf"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/satchel-records/satchel/internal/testtool"
)

// Canaries: a patient's name and NHS number, which must appear in the
// text a reader shows and nowhere in the encrypted file's bytes.
const (
	canaryName = "Wynfreda Quillfeather"
	canaryNHS  = "999 123 4560"
	// key is shaped like a card key without dashes: 28 capitals and digits.
	key = "K7QM2ZP9XW4RT8HB6NVD3JC5YLFA"
)

// fixture is a two-page record as fpdf writes it, naming the canary
// patient in its text, title, subject, author, keywords and a link. compress
// chooses whether fpdf compresses its page streams.
func fixture(t testing.TB, compress bool) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(compress)
	p.SetTitle(canaryName+" (record)", true)
	p.SetSubject("NHS "+canaryNHS, true)
	p.SetAuthor(canaryName, true)
	p.SetKeywords(canaryNHS, true)
	p.SetCreator("Satchel", true)
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Cell(0, 10, "Patient: "+canaryName)
	p.Ln(10)
	p.Cell(0, 10, "NHS number: "+canaryNHS+" (checked) \\ back-slash")
	p.Ln(10)
	p.CellFormat(0, 10, "link", "", 1, "", false, 0, "https://example.org/"+strings.ReplaceAll(canaryName, " ", "-"))
	p.AddPage()
	p.Cell(0, 10, "Page two, still "+canaryName)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encryptFixture(t testing.TB, compress bool) (plain, enc []byte) {
	t.Helper()
	plain = fixture(t, compress)
	enc, err := Encrypt(plain, key, rand.Reader)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return plain, enc
}

// writeTemp writes data to a file in t's temporary folder.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func TestQpdfAndPopplerOpenWithTheKey(t *testing.T) {
	testtool.Need(t, "qpdf", "pdftotext")
	for _, compress := range []bool{true, false} {
		_, enc := encryptFixture(t, compress)
		in := writeTemp(t, "record.pdf", enc)

		if out, err := run(t, "qpdf", "--check", "--password="+key, in); err != nil {
			t.Fatalf("qpdf --check: %v\n%s", err, out)
		}
		dec := filepath.Join(t.TempDir(), "plain.pdf")
		if out, err := run(t, "qpdf", "--password="+key, "--decrypt", in, dec); err != nil {
			t.Fatalf("qpdf --decrypt: %v\n%s", err, out)
		}
		text, err := run(t, "pdftotext", "-upw", key, in, "-")
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, text)
		}
		for _, want := range []string{canaryName, canaryNHS, "(checked) \\ back-slash", "Page two"} {
			if !strings.Contains(text, want) {
				t.Errorf("compress=%v: pdftotext output lacks %q", compress, want)
			}
		}
		// The decrypted copy's text is the same.
		text2, err := run(t, "pdftotext", dec, "-")
		if err != nil || text2 != text {
			t.Errorf("compress=%v: the decrypted copy reads differently (%v)", compress, err)
		}
	}
}

// TestTheKeyOpensAsUserOnly checks that the card's key opens the copy as
// its user, with /P's permissions, not as the owner: no one holds the
// owner password, so nothing lifts the restrictions on changing it.
func TestTheKeyOpensAsUserOnly(t *testing.T) {
	testtool.Need(t, "qpdf")
	_, enc := encryptFixture(t, true)
	out, err := run(t, "qpdf", "--show-encryption", "--password="+key, writeTemp(t, "record.pdf", enc))
	if err != nil {
		t.Fatalf("qpdf --show-encryption: %v\n%s", err, out)
	}
	for _, want := range []string{"Supplied password is user password", "modify anything: not allowed", "print high resolution: allowed"} {
		if !strings.Contains(out, want) {
			t.Errorf("qpdf --show-encryption does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "owner password") {
		t.Errorf("the key opens the copy as its owner:\n%s", out)
	}
}

func TestWrongKeyFailsInQpdfAndPoppler(t *testing.T) {
	testtool.Need(t, "qpdf", "pdftotext")
	_, enc := encryptFixture(t, true)
	in := writeTemp(t, "record.pdf", enc)
	for _, wrong := range []string{"K7QM2ZP9XW4RT8HB6NVD3JC5YLFB", "", strings.ToLower(key)} {
		dec := filepath.Join(t.TempDir(), "plain.pdf")
		if _, err := run(t, "qpdf", "--password="+wrong, "--decrypt", in, dec); err == nil {
			t.Errorf("qpdf decrypted with a wrong key")
		}
		if text, err := run(t, "pdftotext", "-upw", wrong, in, "-"); err == nil || strings.Contains(text, canaryName) {
			t.Errorf("pdftotext read the text with a wrong key")
		}
	}
}

func TestPdfinfoReportsAES256(t *testing.T) {
	testtool.Need(t, "pdfinfo")
	_, enc := encryptFixture(t, true)
	in := writeTemp(t, "record.pdf", enc)
	out, err := run(t, "pdfinfo", "-upw", key, in)
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	want := "Encrypted:       yes (print:yes copy:yes change:no addNotes:no algorithm:AES-256)"
	if !strings.Contains(out, want) {
		t.Errorf("pdfinfo says\n%s\nwant the line %q", out, want)
	}
	// The information dictionary keeps only the producer.
	for _, field := range []string{"Title:", "Subject:", "Author:", "Keywords:", "Creator:", "CreationDate:"} {
		if strings.Contains(out, field) {
			t.Errorf("pdfinfo shows %s: the document information was not dropped", field)
		}
	}
	if strings.Contains(out, "Quillfeather") || strings.Contains(out, "4560") {
		t.Error("pdfinfo shows the canary")
	}
}

// TestNoCanaryInTheEncryptedBytes looks for the canaries in the raw bytes
// and in every stream that inflates, in the plain and UTF-16 spellings
// fpdf uses, and in a literal string's escaped form.
func TestNoCanaryInTheEncryptedBytes(t *testing.T) {
	for _, compress := range []bool{true, false} {
		plain, enc := encryptFixture(t, compress)
		if !compress && !bytes.Contains(plain, []byte(canaryName)) {
			t.Fatal("the fixture does not hold the canary in clear: the test proves nothing")
		}
		var hay [][]byte
		hay = append(hay, enc)
		doc, err := parse(enc)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range doc.objects {
			if o.stream == nil {
				continue
			}
			if r, err := zlib.NewReader(bytes.NewReader(o.stream)); err == nil {
				if b, err := io.ReadAll(r); err == nil {
					hay = append(hay, b)
				}
			}
		}
		for _, h := range hay {
			// Only whole numbers: short digit runs turn up by chance in the hex strings the file is written in.
			for _, c := range []string{canaryName, "Quillfeather", "Wynfreda", canaryNHS, "9991234560"} {
				if bytes.Contains(h, []byte(c)) || bytes.Contains(h, utf16(c)) {
					t.Errorf("compress=%v: %q is in the encrypted file", compress, c)
				}
			}
		}
	}
}

func utf16(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

func TestSameInputTwiceDiffersAndBothOpen(t *testing.T) {
	testtool.Need(t, "pdftotext")
	plain := fixture(t, true)
	a, err := Encrypt(plain, key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encrypt(plain, key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions are the same bytes")
	}
	for _, enc := range [][]byte{a, b} {
		text, err := run(t, "pdftotext", "-upw", key, writeTemp(t, "r.pdf", enc), "-")
		if err != nil || !strings.Contains(text, canaryName) {
			t.Errorf("an encryption does not open: %v", err)
		}
	}
}

// TestDecryptsToTheOriginal decrypts every string and stream in Go and
// compares them with the input's: only the information dictionary
// changes, and the catalog gains /Extensions.
func TestDecryptsToTheOriginal(t *testing.T) {
	for _, compress := range []bool{true, false} {
		plain, enc := encryptFixture(t, compress)
		before, err := parse(plain)
		if err != nil {
			t.Fatal(err)
		}
		after := openDoc(t, enc, key)
		info, _ := before.trailer.get("Info").(ref)
		root, _ := before.trailer.get("Root").(ref)
		if len(after.objects) != len(before.objects) {
			t.Fatalf("%d objects besides /Encrypt, want %d", len(after.objects), len(before.objects))
		}
		for i, o := range before.objects {
			got := after.objects[i]
			if got.num != o.num || got.gen != o.gen {
				t.Fatalf("object %d %d is now %d %d", o.num, o.gen, got.num, got.gen)
			}
			switch o.num {
			case info.num:
				want := dict{{"Producer", o.val.(dict).get("Producer")}}
				if !equal(got.val, want) {
					t.Errorf("information dictionary is %v, want %v", got.val, want)
				}
				continue
			case root.num:
				if got.val.(dict).get("Extensions") == nil {
					t.Error("the catalog lacks /Extensions")
				}
				got.val = got.val.(dict)[:len(got.val.(dict))-1]
			}
			if o.stream != nil {
				got.val = got.val.(dict).set("Length", o.val.(dict).get("Length"))
			}
			if !equal(got.val, o.val) {
				t.Errorf("object %d decrypts to %v, want %v", o.num, got.val, o.val)
			}
			if !bytes.Equal(got.stream, o.stream) {
				t.Errorf("object %d's stream does not decrypt to the original", o.num)
			}
		}
	}
}

func equal(a, b value) bool {
	var x, y bytes.Buffer
	write(&x, a)
	write(&y, b)
	return bytes.Equal(x.Bytes(), y.Bytes())
}

var errWrongPassword = errors.New("wrong password")

// openDoc parses enc and decrypts it with password: the reader's side of
// Algorithm 2.A for the user password, written independently of Encrypt.
func openDoc(t testing.TB, enc []byte, password string) *document {
	t.Helper()
	doc, err := decryptDoc(enc, password)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func decryptDoc(enc []byte, password string) (*document, error) {
	doc, err := parse(enc)
	if err != nil {
		return nil, err
	}
	er, ok := doc.trailer.get("Encrypt").(ref)
	if !ok || doc.find(er) == nil {
		return nil, errors.New("no /Encrypt")
	}
	ed, ok := doc.find(er).val.(dict)
	if !ok {
		return nil, errors.New("/Encrypt is not a dictionary")
	}
	u, _ := ed.get("U").(str)
	ue, _ := ed.get("UE").(str)
	perms, _ := ed.get("Perms").(str)
	if len(u) != 48 || len(ue) != 32 || len(perms) != 16 {
		return nil, errors.New("bad /U, /UE or /Perms")
	}
	if !bytes.Equal(hash2B([]byte(password), u[32:40], nil), u[:32]) {
		return nil, errWrongPassword
	}
	fileKey := make([]byte, 32)
	block, _ := aes.NewCipher(hash2B([]byte(password), u[40:48], nil))
	cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(fileKey, ue)
	block, _ = aes.NewCipher(fileKey)
	p := make([]byte, 16)
	block.Decrypt(p, perms)
	if string(p[9:12]) != "adb" || p[8] != 'T' {
		return nil, errors.New("/Perms does not decrypt")
	}
	out := &document{trailer: doc.trailer}
	for _, o := range doc.objects {
		if o.num == er.num {
			continue
		}
		v, err := decryptValue(o.val, fileKey)
		if err != nil {
			return nil, err
		}
		o.val = v
		if o.stream != nil {
			if o.stream, err = decrypt(fileKey, o.stream); err != nil {
				return nil, err
			}
		}
		out.objects = append(out.objects, o)
	}
	return out, nil
}

func decryptValue(v value, key []byte) (value, error) {
	switch v := v.(type) {
	case str:
		p, err := decrypt(key, v)
		return str(p), err
	case array:
		out := make(array, len(v))
		for i, e := range v {
			var err error
			if out[i], err = decryptValue(e, key); err != nil {
				return nil, err
			}
		}
		return out, nil
	case dict:
		out := make(dict, len(v))
		for i, e := range v {
			out[i].key = e.key
			var err error
			if out[i].val, err = decryptValue(e.val, key); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

func decrypt(key, data []byte) ([]byte, error) {
	if len(data) < 32 || len(data)%16 != 0 {
		return nil, errors.New("bad AES data length")
	}
	block, _ := aes.NewCipher(key)
	p := make([]byte, len(data)-16)
	cipher.NewCBCDecrypter(block, data[:16]).CryptBlocks(p, data[16:])
	pad := int(p[len(p)-1])
	if pad < 1 || pad > 16 {
		return nil, errors.New("bad padding")
	}
	return p[:len(p)-pad], nil
}

func TestWrongKeyDoesNotOpenInGo(t *testing.T) {
	_, enc := encryptFixture(t, true)
	if _, err := decryptDoc(enc, "K7QM2ZP9XW4RT8HB6NVD3JC5YLFB"); !errors.Is(err, errWrongPassword) {
		t.Fatalf("a wrong key: %v, want errWrongPassword", err)
	}
}

func TestRefusesPasswordsItCannotUse(t *testing.T) {
	plain := fixture(t, true)
	for _, pw := range []string{"", "KEY\u00e9", "KEY\n", strings.Repeat("A", 128)} {
		if _, err := Encrypt(plain, pw, rand.Reader); err == nil {
			t.Errorf("a password of %d bytes was accepted", len(pw))
		} else if pw != "" && strings.Contains(err.Error(), pw) {
			t.Errorf("the error repeats the password")
		}
	}
	if _, err := Encrypt(plain, strings.Repeat("A", 127), rand.Reader); err != nil {
		t.Errorf("a 127-byte password: %v", err)
	}
}

func TestRefusesInputItCannotRead(t *testing.T) {
	good := fixture(t, false)
	xref := bytes.LastIndex(good, []byte("\nxref\n")) + 1
	cases := map[string][]byte{
		"empty":           {},
		"not a PDF":       []byte("hello " + canaryName),
		"truncated":       good[:len(good)/2],
		"no trailer":      append(good[:xref+20:xref+20], []byte("startxref\n"+strconv.Itoa(xref)+"\n%%EOF\n")...),
		"updated":         bytes.Replace(good, []byte("/Root"), []byte("/Prev 9 /Root"), 1),
		"encrypted":       bytes.Replace(good, []byte("/Root"), []byte("/Encrypt 1 0 R /Root"), 1),
		"no root":         bytes.Replace(good, []byte("/Root"), []byte("/Roots"), 1),
		"bad offset":      bytes.Replace(good, []byte("0000000015 00000 n"), []byte("0000000016 00000 n"), 1),
		"long stream":     bytes.Replace(good, []byte("/Length "), []byte("/Length 9"), 1),
		"xref stream":     append(good[:xref:xref], []byte("startxref\n15\n%%EOF\n")...),
		"deep nesting":    bytes.Replace(good, []byte("/Type /Catalog"), []byte("/Type "+strings.Repeat("[", 1000)), 1),
		"open string":     bytes.Replace(good, []byte("/Producer ("), []byte("/Producer (("), 1),
		"encrypted again": mustEncrypt(t, good),
	}
	for name, in := range cases {
		_, err := Encrypt(in, key, rand.Reader)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "Quillfeather") {
			t.Errorf("%s: the error quotes the input: %v", name, err)
		}
	}
}

func mustEncrypt(t testing.TB, pdf []byte) []byte {
	t.Helper()
	enc, err := Encrypt(pdf, key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestHash2BOpensQpdfsAES256 checks Algorithm 2.B against qpdf's own R6
// encryption: the user and owner passwords given to qpdf must validate
// against its /U and /O, and /UE must unwrap to the key that decrypts
// its /Perms.
func TestHash2BOpensQpdfsAES256(t *testing.T) {
	testtool.Need(t, "qpdf")
	in := writeTemp(t, "plain.pdf", fixture(t, false))
	out := filepath.Join(t.TempDir(), "qpdf.pdf")
	const user, owner = "USERPASSWORD28CHARSXXXXXXXXX", "an owner password"
	if msg, err := run(t, "qpdf", "--qdf", "--object-streams=disable", "--encrypt", user, owner, "256", "--", in, out); err != nil {
		t.Fatalf("qpdf --encrypt: %v\n%s", err, msg)
	}
	enc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parse(enc)
	if err != nil {
		t.Fatalf("reading qpdf's output: %v", err)
	}
	er, _ := doc.trailer.get("Encrypt").(ref)
	ed, _ := doc.find(er).val.(dict)
	if r := ed.get("R"); r != number("6") {
		t.Fatalf("qpdf wrote /R %v, want 6", r)
	}
	u, _ := ed.get("U").(str)
	o, _ := ed.get("O").(str)
	if len(u) < 48 || len(o) < 48 {
		t.Fatal("qpdf's /U or /O is short")
	}
	if !bytes.Equal(hash2B([]byte(user), u[32:40], nil), u[:32]) {
		t.Error("the user password does not validate qpdf's /U")
	}
	if !bytes.Equal(hash2B([]byte(owner), o[32:40], u[:48]), o[:32]) {
		t.Error("the owner password does not validate qpdf's /O")
	}
	if bytes.Equal(hash2B([]byte(owner), u[32:40], nil), u[:32]) {
		t.Error("the owner password validates /U")
	}
	if _, err := decryptDoc(enc, user); err != nil {
		t.Errorf("decrypting qpdf's file in Go: %v", err)
	}
}

// FuzzEncrypt encrypts mutations of fpdf output. It must never panic, its
// errors must quote neither the input nor the password, and whatever it
// writes must parse again and decrypt with the password.
func FuzzEncrypt(f *testing.F) {
	f.Add(fixture(f, false))
	f.Add(fixture(f, true))
	f.Add([]byte("%PDF-1.3\nxref\n0 1\n0000000000 65535 f \ntrailer\n<</Size 1>>\nstartxref\n9\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		enc, err := Encrypt(data, key, sevens{})
		if err != nil {
			for _, c := range []string{"Wynfreda", "Quillfeather", canaryNHS, key} {
				if strings.Contains(err.Error(), c) {
					t.Fatalf("the error quotes the input or the password: %v", err)
				}
			}
			return
		}
		if _, err := decryptDoc(enc, key); err != nil {
			t.Fatalf("the output does not open again: %v", err)
		}
	})
}

// sevens is a cheap, endless and fixed source of "random" bytes.
type sevens struct{}

func (sevens) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 7
	}
	return len(p), nil
}

// richFixture uses more of what fpdf writes: an embedded UTF-8 TrueType
// font (Go Regular, subset, with ToUnicode and CIDToGIDMap streams), XMP
// metadata, a PNG image with a soft mask and a file attachment, each
// naming the canary.
func richFixture(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var png bytes.Buffer
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetTitle(canaryName, true)
	p.SetXmpMetadata([]byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:title>` + canaryName + `</dc:title></x:xmpmeta>`))
	p.SetAttachments([]fpdf.Attachment{{Content: []byte("NHS " + canaryNHS), Filename: "note.txt", Description: canaryName}})
	p.AddUTF8FontFromBytes("go", "", goregular.TTF)
	p.AddPage()
	p.SetFont("go", "", 12)
	p.Cell(0, 10, "Patient: "+canaryName+" — Zoë Ñandú, Ωμέγα, Дмитрий")
	p.Ln(10)
	p.Cell(0, 10, "NHS number: "+canaryNHS)
	p.Ln(10)
	p.RegisterImageOptionsReader("dot", fpdf.ImageOptions{ImageType: "PNG"}, &png)
	p.ImageOptions("dot", 10, 40, 20, 20, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEmbeddedFontImageMetadataAndAttachmentAreEncrypted(t *testing.T) {
	testtool.Need(t, "qpdf", "pdftotext", "pdfinfo")
	plain := richFixture(t)
	enc := mustEncrypt(t, plain)
	in := writeTemp(t, "record.pdf", enc)
	if out, err := run(t, "qpdf", "--check", "--password="+key, in); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	text, err := run(t, "pdftotext", "-upw", key, in, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	for _, want := range []string{canaryName, "Zoë Ñandú, Ωμέγα, Дмитрий", canaryNHS} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
	if info, err := run(t, "pdfinfo", "-upw", key, "-meta", in); err != nil || !strings.Contains(info, canaryName) {
		t.Errorf("the XMP metadata does not decrypt (%v)", err)
	}
	for _, c := range []string{"Quillfeather", "4560", "Zo\xc3\xab"} {
		if bytes.Contains(enc, []byte(c)) {
			t.Errorf("%q is in the encrypted file", c)
		}
	}
	if _, err := decryptDoc(enc, key); err != nil {
		t.Errorf("decrypting in Go: %v", err)
	}
}
