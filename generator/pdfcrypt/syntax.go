package pdfcrypt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// The PDF object model, as much of it as a file written by fpdf uses: the
// eight basic object types and indirect references (ISO 32000-2, 7.3).
type (
	value   any      // one of the types below
	null    struct{} // null
	boolean bool     // true, false
	number  string   // an integer or real, kept as written
	name    string   // a name, with #xx escapes decoded
	str     []byte   // a string's bytes, escapes decoded
	array   []value
	dict    []entry // in the order written; a key may repeat, as written
	ref     struct{ num, gen int }
)

type entry struct {
	key name
	val value
}

// get returns the value of key in d, or nil.
func (d dict) get(key name) value {
	for _, e := range d {
		if e.key == key {
			return e.val
		}
	}
	return nil
}

// set replaces every value of key in d with v, or adds key at the end.
func (d dict) set(key name, v value) dict {
	found := false
	out := d[:0:0]
	for _, e := range d {
		if e.key == key {
			if found {
				continue
			}
			e.val, found = v, true
		}
		out = append(out, e)
	}
	if !found {
		out = append(out, entry{key, v})
	}
	return out
}

// maxDepth bounds the nesting of arrays and dictionaries, so that hostile
// input cannot exhaust the stack; fpdf nests at most a few deep.
const maxDepth = 64

// errSyntax is wrapped by every error about the input's syntax. Its
// messages give byte offsets and never quote the input.
var errSyntax = errors.New("not a PDF this package can read")

// lexer reads PDF tokens from buf, starting at pos.
type lexer struct {
	buf []byte
	pos int
}

func (l *lexer) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", errSyntax, l.pos, fmt.Sprintf(format, args...))
}

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.buf) {
		c := l.buf[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.buf) && l.buf[l.pos] != '\n' && l.buf[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// word reads a run of regular characters: a number or a keyword.
func (l *lexer) word() string {
	start := l.pos
	for l.pos < len(l.buf) && isRegular(l.buf[l.pos]) {
		l.pos++
	}
	return string(l.buf[start:l.pos])
}

// keyword reads the keyword want, after white space.
func (l *lexer) keyword(want string) error {
	l.skipSpace()
	if w := l.word(); w != want {
		return l.fail("expected %s", want)
	}
	return nil
}

// integer reads a non-negative integer, after white space.
func (l *lexer) integer() (int, error) {
	l.skipSpace()
	w := l.word()
	n, ok := parseInt(w)
	if !ok {
		return 0, l.fail("expected an integer")
	}
	return n, nil
}

// parseInt parses a non-negative decimal integer of at most ten digits.
func parseInt(w string) (int, bool) {
	if w == "" || len(w) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return 0, false
		}
		n = n*10 + int(w[i]-'0')
	}
	return n, true
}

// isNumber reports whether w is a PDF number: an optional sign, digits and
// at most one period, with at least one digit.
func isNumber(w string) bool {
	if w != "" && (w[0] == '+' || w[0] == '-') {
		w = w[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(w); i++ {
		switch {
		case w[i] >= '0' && w[i] <= '9':
			digits++
		case w[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// value reads one direct object, or an indirect reference.
func (l *lexer) value(depth int) (value, error) {
	if depth > maxDepth {
		return nil, l.fail("nested too deeply")
	}
	l.skipSpace()
	if l.pos >= len(l.buf) {
		return nil, l.fail("unexpected end of file")
	}
	switch c := l.buf[l.pos]; {
	case c == '/':
		return l.name()
	case c == '(':
		return l.literal()
	case c == '<' && l.pos+1 < len(l.buf) && l.buf[l.pos+1] == '<':
		return l.dict(depth)
	case c == '<':
		return l.hex()
	case c == '[':
		l.pos++
		var a array
		for {
			l.skipSpace()
			if l.pos < len(l.buf) && l.buf[l.pos] == ']' {
				l.pos++
				return a, nil
			}
			v, err := l.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case isRegular(c):
		start := l.pos
		w := l.word()
		switch w {
		case "true":
			return boolean(true), nil
		case "false":
			return boolean(false), nil
		case "null":
			return null{}, nil
		}
		if !isNumber(w) {
			l.pos = start
			return nil, l.fail("unexpected keyword")
		}
		// An integer may begin a reference: num gen R.
		if num, ok := parseInt(w); ok {
			save := l.pos
			l.skipSpace()
			if gen, ok := parseInt(l.word()); ok {
				l.skipSpace()
				if l.word() == "R" {
					return ref{num, gen}, nil
				}
			}
			l.pos = save
		}
		return number(w), nil
	default:
		return nil, l.fail("unexpected delimiter")
	}
}

func (l *lexer) dict(depth int) (value, error) {
	l.pos += 2 // <<
	var d dict
	for {
		l.skipSpace()
		if l.pos+1 < len(l.buf) && l.buf[l.pos] == '>' && l.buf[l.pos+1] == '>' {
			l.pos += 2
			return d, nil
		}
		if l.pos >= len(l.buf) || l.buf[l.pos] != '/' {
			return nil, l.fail("expected a name as dictionary key")
		}
		k, err := l.name()
		if err != nil {
			return nil, err
		}
		v, err := l.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d = append(d, entry{k.(name), v})
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *lexer) name() (value, error) {
	l.pos++ // /
	var b []byte
	for l.pos < len(l.buf) && isRegular(l.buf[l.pos]) {
		c := l.buf[l.pos]
		l.pos++
		if c == '#' {
			if l.pos+1 >= len(l.buf) {
				return nil, l.fail("bad # escape in name")
			}
			hi, ok1 := unhex(l.buf[l.pos])
			lo, ok2 := unhex(l.buf[l.pos+1])
			if !ok1 || !ok2 || hi<<4|lo == 0 {
				return nil, l.fail("bad # escape in name")
			}
			c = hi<<4 | lo
			l.pos += 2
		}
		b = append(b, c)
	}
	return name(b), nil
}

func (l *lexer) hex() (value, error) {
	l.pos++ // <
	var b []byte
	half, odd := byte(0), false
	for ; l.pos < len(l.buf); l.pos++ {
		c := l.buf[l.pos]
		if c == '>' {
			l.pos++
			if odd {
				b = append(b, half<<4)
			}
			return str(b), nil
		}
		if isSpace(c) {
			continue
		}
		h, ok := unhex(c)
		if !ok {
			return nil, l.fail("bad character in hex string")
		}
		if odd {
			b = append(b, half<<4|h)
		} else {
			half = h
		}
		odd = !odd
	}
	return nil, l.fail("unterminated hex string")
}

// literal reads a literal string (7.3.4.2): balanced parentheses, escapes,
// and any end of line read as a single line feed.
func (l *lexer) literal() (value, error) {
	l.pos++ // (
	b := []byte{}
	open := 1
	for l.pos < len(l.buf) {
		c := l.buf[l.pos]
		l.pos++
		switch c {
		case '(':
			open++
		case ')':
			open--
			if open == 0 {
				return str(b), nil
			}
		case '\r':
			if l.pos < len(l.buf) && l.buf[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.buf) {
				return nil, l.fail("unterminated string")
			}
			e := l.buf[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n': // a line continuation: no byte
				if e == '\r' && l.pos < len(l.buf) && l.buf[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				o := int(e - '0')
				for i := 0; i < 2 && l.pos < len(l.buf) && l.buf[l.pos] >= '0' && l.buf[l.pos] <= '7'; i++ {
					o = o<<3 | int(l.buf[l.pos]-'0')
					l.pos++
				}
				c = byte(o) // high-order overflow is ignored (7.3.4.2)
			default: // \( \) \\ and, ignoring the backslash, anything else
				c = e
			}
		}
		b = append(b, c)
	}
	return nil, l.fail("unterminated string")
}

// object is one indirect object: its value and, for a stream, its data.
type object struct {
	num, gen int
	val      value
	stream   []byte // nil unless the object is a stream
}

// document is a parsed PDF: its objects and its trailer.
type document struct {
	objects []object // in the order of their numbers
	trailer dict
}

// maxObjects bounds the object numbers a document may use (the limit of
// Annex C of PDF 1.7); the cross-reference table written is that long.
const maxObjects = 8388607

// parse reads a PDF with one classic cross-reference table, as fpdf writes:
// every object in use is read from the offset the table gives.
func parse(pdf []byte) (*document, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no %%PDF- header", errSyntax)
	}
	i := bytes.LastIndex(pdf, []byte("startxref"))
	if i < 0 {
		return nil, fmt.Errorf("%w: no startxref", errSyntax)
	}
	l := &lexer{buf: pdf, pos: i + len("startxref")}
	off, err := l.integer()
	if err != nil {
		return nil, err
	}
	if off >= len(pdf) {
		return nil, fmt.Errorf("%w: startxref past the end of the file", errSyntax)
	}
	l.pos = off
	if err := l.keyword("xref"); err != nil {
		return nil, fmt.Errorf("%w (cross-reference streams are not supported)", err)
	}
	offsets := map[int]int{}
	gens := map[int]int{}
	for {
		l.skipSpace()
		save := l.pos
		if l.word() == "trailer" {
			break
		}
		l.pos = save
		start, err := l.integer()
		if err != nil {
			return nil, err
		}
		count, err := l.integer()
		if err != nil {
			return nil, err
		}
		if start > maxObjects || count > maxObjects-start+1 || count > len(pdf)/5 {
			return nil, l.fail("cross-reference section too large")
		}
		for n := start; n < start+count; n++ {
			o, err := l.integer()
			if err != nil {
				return nil, err
			}
			g, err := l.integer()
			if err != nil {
				return nil, err
			}
			l.skipSpace()
			switch l.word() {
			case "n":
				if n == 0 {
					return nil, l.fail("object 0 in use")
				}
				if n > len(pdf)/8 {
					// Object numbers far beyond the objects there can be
					// would make the table written for them enormous.
					return nil, l.fail("object number %d too large for the file", n)
				}
				if _, dup := offsets[n]; dup {
					return nil, l.fail("object %d listed twice", n)
				}
				offsets[n], gens[n] = o, g
			case "f":
			default:
				return nil, l.fail("bad cross-reference entry")
			}
		}
	}
	t, err := l.value(0)
	if err != nil {
		return nil, err
	}
	trailer, ok := t.(dict)
	if !ok {
		return nil, l.fail("trailer is not a dictionary")
	}
	if trailer.get("Prev") != nil {
		return nil, fmt.Errorf("%w: an updated PDF (trailer /Prev) is not supported", errSyntax)
	}

	doc := &document{trailer: trailer}
	nums := make([]int, 0, len(offsets))
	for n := range offsets {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		obj, err := readObject(pdf, n, gens[n], offsets)
		if err != nil {
			return nil, err
		}
		doc.objects = append(doc.objects, obj)
	}
	return doc, nil
}

// readObject reads object num, gen at its offset: "num gen obj", a value,
// for a stream its data, and "endobj".
func readObject(pdf []byte, num, gen int, offsets map[int]int) (object, error) {
	off := offsets[num]
	if off < 0 || off >= len(pdf) {
		return object{}, fmt.Errorf("%w: object %d is past the end of the file", errSyntax, num)
	}
	l := &lexer{buf: pdf, pos: off}
	n, err := l.integer()
	if err != nil {
		return object{}, err
	}
	g, err := l.integer()
	if err != nil {
		return object{}, err
	}
	if n != num || g != gen {
		return object{}, l.fail("object %d is not where the cross-reference table says", num)
	}
	if err := l.keyword("obj"); err != nil {
		return object{}, err
	}
	v, err := l.value(0)
	if err != nil {
		return object{}, err
	}
	obj := object{num: num, gen: gen, val: v}
	l.skipSpace()
	save := l.pos
	if l.word() == "stream" {
		d, ok := v.(dict)
		if !ok {
			return object{}, l.fail("stream without a dictionary")
		}
		length, err := streamLength(pdf, d.get("Length"), offsets)
		if err != nil {
			return object{}, fmt.Errorf("object %d: %w", num, err)
		}
		// The keyword is followed by CRLF or LF (a lone CR is accepted).
		if l.pos < len(l.buf) && l.buf[l.pos] == '\r' {
			l.pos++
		}
		if l.pos < len(l.buf) && l.buf[l.pos] == '\n' {
			l.pos++
		}
		if length > len(pdf)-l.pos {
			return object{}, l.fail("stream longer than the file")
		}
		obj.stream = pdf[l.pos : l.pos+length : l.pos+length]
		l.pos += length
		if err := l.keyword("endstream"); err != nil {
			return object{}, err
		}
	} else {
		l.pos = save
	}
	if err := l.keyword("endobj"); err != nil {
		return object{}, err
	}
	return obj, nil
}

// streamLength returns a stream's /Length: a direct integer, or a reference
// to an object that is one.
func streamLength(pdf []byte, v value, offsets map[int]int) (int, error) {
	if r, ok := v.(ref); ok {
		off, ok := offsets[r.num]
		if !ok || off < 0 || off >= len(pdf) {
			return 0, fmt.Errorf("%w: stream /Length refers to a missing object", errSyntax)
		}
		l := &lexer{buf: pdf, pos: off}
		if _, err := l.integer(); err != nil {
			return 0, err
		}
		if _, err := l.integer(); err != nil {
			return 0, err
		}
		if err := l.keyword("obj"); err != nil {
			return 0, err
		}
		l.skipSpace()
		v = number(l.word())
	}
	if n, ok := v.(number); ok {
		if i, ok := parseInt(string(n)); ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: stream without an integer /Length", errSyntax)
}

// write appends v to b in PDF syntax. Strings are written in hex, which
// needs no escapes.
func write(b *bytes.Buffer, v value) {
	switch v := v.(type) {
	case null:
		b.WriteString("null")
	case boolean:
		b.WriteString(strconv.FormatBool(bool(v)))
	case number:
		b.WriteString(string(v))
	case name:
		writeName(b, v)
	case str:
		b.WriteByte('<')
		const digits = "0123456789abcdef"
		for _, c := range v {
			b.WriteByte(digits[c>>4])
			b.WriteByte(digits[c&15])
		}
		b.WriteByte('>')
	case array:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			write(b, e)
		}
		b.WriteByte(']')
	case dict:
		b.WriteString("<<")
		for _, e := range v {
			writeName(b, e.key)
			b.WriteByte(' ')
			write(b, e.val)
		}
		b.WriteString(">>")
	case ref:
		fmt.Fprintf(b, "%d %d R", v.num, v.gen)
	default:
		panic(fmt.Sprintf("pdfcrypt: cannot write %T", v))
	}
}

func writeName(b *bytes.Buffer, n name) {
	b.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < '!' || c > '~' || c == '#' || isDelim(c) {
			fmt.Fprintf(b, "#%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
}
