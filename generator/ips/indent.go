package ips

import "bytes"

// indent appends src, one JSON value as encoding/json writes it (compact:
// no space outside strings), to dst indented two spaces a level: the bytes
// json.Indent(dst, src, "", "  ") appends. json.Indent checks every byte
// with its scanner, and took six times as long as marshalling the Bundle;
// this copies each string whole, and costs about what the marshalling
// does. TestIndentIsJSONIndent holds it to json.Indent.
func indent(dst, src []byte) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, ' ', ' ')
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1]) // empty: {} or []
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the string that starts with the
// quote at src[start] (or len(src) if it never ends).
func stringEnd(src []byte, start int) int {
	i := start + 1
	for i < len(src) {
		k := bytes.IndexAny(src[i:], `"\`)
		if k < 0 {
			return len(src)
		}
		i += k
		if src[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte it escapes
	}
	return len(src)
}
