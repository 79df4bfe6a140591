// Package pdfcrypt encrypts a finished PDF with a password, the way every
// phone and computer's built-in reader can open: the standard security
// handler, AES-256, revision 6 (ISO 32000-2). It reads the plain PDFs fpdf
// writes (one classic cross-reference table, no object streams) and
// rewrites every object with its strings and stream data encrypted.
package pdfcrypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Encrypt returns pdf encrypted with the standard security handler,
// AES-256, revision 6 (PDF 2.0 / ISO 32000-2), user password password
// (and no owner password anyone holds: see newSecurity), every string and
// stream encrypted, permissions to print and copy allowed. rand supplies
// the file key, salts and IVs.
//
// The document information dictionary keeps only /Producer (encrypted
// too): a title or date could name the patient or the visit. The password
// must be 1 to 127 bytes of printable ASCII. Input Encrypt cannot read
// (not from fpdf, already encrypted, damaged) is refused with an error
// that quotes none of it.
func Encrypt(pdf []byte, password string, rand io.Reader) ([]byte, error) {
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	doc, err := parse(pdf)
	if err != nil {
		return nil, fmt.Errorf("pdfcrypt: %w", err)
	}
	if doc.trailer.get("Encrypt") != nil {
		return nil, errors.New("pdfcrypt: the PDF is already encrypted")
	}
	root, ok := doc.trailer.get("Root").(ref)
	if !ok || doc.find(root) == nil {
		return nil, errors.New("pdfcrypt: the PDF has no catalog (trailer /Root)")
	}
	if _, ok := doc.find(root).val.(dict); !ok {
		return nil, errors.New("pdfcrypt: the PDF's catalog is not a dictionary")
	}
	info, hasInfo := doc.trailer.get("Info").(ref)
	if hasInfo {
		if o := doc.find(info); o == nil || o.stream != nil {
			hasInfo = false
		} else if _, ok := o.val.(dict); !ok {
			hasInfo = false
		}
	}

	sec, err := newSecurity(password, rand)
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	// %PDF-1.7 with Adobe's extension level 8 (added to the catalog below)
	// is how AES-256 R6 files declare themselves to readers older than
	// PDF 2.0; the binary comment marks the file as binary.
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := map[int]int{}
	gens := map[int]int{}
	last := 0
	for _, o := range doc.objects {
		val := o.val
		switch {
		case o.num == root.num && o.gen == root.gen:
			val = val.(dict).set("Extensions", dict{{"ADBE", dict{
				{"BaseVersion", name("1.7")},
				{"ExtensionLevel", number("8")},
			}}})
		case hasInfo && o.num == info.num && o.gen == info.gen:
			kept := dict{}
			if p, ok := val.(dict).get("Producer").(str); ok {
				kept = dict{{"Producer", p}}
			}
			val = kept
		}
		val, err = encryptStrings(val, sec.key, rand)
		if err != nil {
			return nil, err
		}
		var data []byte
		if o.stream != nil {
			data, err = encrypt(sec.key, o.stream, rand)
			if err != nil {
				return nil, err
			}
			val = val.(dict).set("Length", number(fmt.Sprint(len(data))))
		}
		offsets[o.num], gens[o.num] = out.Len(), o.gen
		writeObject(&out, o.num, o.gen, val, data)
		last = o.num
	}

	encNum := last + 1
	offsets[encNum], gens[encNum] = out.Len(), 0
	writeObject(&out, encNum, 0, sec.encryptDict(), nil)

	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", encNum+1)
	for n := 1; n <= encNum; n++ {
		if off, ok := offsets[n]; ok {
			fmt.Fprintf(&out, "%010d %05d n \n", off, gens[n])
		} else {
			out.WriteString("0000000000 00000 f \n")
		}
	}
	trailer := dict{
		{"Size", number(fmt.Sprint(encNum + 1))},
		{"Root", root},
	}
	if hasInfo {
		trailer = append(trailer, entry{"Info", info})
	}
	trailer = append(trailer,
		entry{"Encrypt", ref{encNum, 0}},
		entry{"ID", array{str(sec.fileID), str(sec.fileID)}},
	)
	out.WriteString("trailer\n")
	write(&out, trailer)
	fmt.Fprintf(&out, "\nstartxref\n%d\n%%%%EOF\n", xref)
	return out.Bytes(), nil
}

// find returns the object r refers to, or nil.
func (d *document) find(r ref) *object {
	for i := range d.objects {
		if d.objects[i].num == r.num && d.objects[i].gen == r.gen {
			return &d.objects[i]
		}
	}
	return nil
}

func writeObject(out *bytes.Buffer, num, gen int, val value, stream []byte) {
	fmt.Fprintf(out, "%d %d obj\n", num, gen)
	write(out, val)
	if stream != nil {
		out.WriteString("\nstream\n")
		out.Write(stream)
		out.WriteString("\nendstream")
	}
	out.WriteString("\nendobj\n")
}

// encryptStrings returns v with every string in it encrypted.
func encryptStrings(v value, key []byte, rand io.Reader) (value, error) {
	switch v := v.(type) {
	case str:
		c, err := encrypt(key, v, rand)
		return str(c), err
	case array:
		out := make(array, len(v))
		for i, e := range v {
			var err error
			if out[i], err = encryptStrings(e, key, rand); err != nil {
				return nil, err
			}
		}
		return out, nil
	case dict:
		out := make(dict, len(v))
		for i, e := range v {
			out[i].key = e.key
			var err error
			if out[i].val, err = encryptStrings(e.val, key, rand); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// encryptDict is the /Encrypt dictionary (ISO 32000-2, 7.6.2 and 7.6.4.2). Its
// strings are not encrypted.
func (s *security) encryptDict() dict {
	return dict{
		{"Filter", name("Standard")},
		{"V", number("5")},
		{"R", number("6")},
		{"Length", number("256")},
		{"CF", dict{{"StdCF", dict{
			{"CFM", name("AESV3")},
			{"AuthEvent", name("DocOpen")},
			{"Length", number("32")},
		}}}},
		{"StmF", name("StdCF")},
		{"StrF", name("StdCF")},
		{"O", str(s.o)},
		{"U", str(s.u)},
		{"OE", str(s.oe)},
		{"UE", str(s.ue)},
		{"Perms", str(s.perms)},
		{"P", number(fmt.Sprint(permissions))},
		{"EncryptMetadata", boolean(true)},
	}
}
