// Package termtext makes text safe to print on a terminal. Strings that
// come from a bundle, a record file name or the command line may carry
// control characters and escape sequences that move the cursor, repaint
// the screen or fake a line of output; Clean removes them.
package termtext

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s with every control character removed: C0 (tab, newline
// and carriage return become a space), DEL, C1, and whole ANSI escape
// sequences (CSI, OSC, DCS, SOS, PM, APC and two-character escapes, in
// their 7-bit and 8-bit forms), so what is left prints as one line of
// plain text. Bidirectional overrides and isolates, which can make text
// read in another order than it is, go too; invalid UTF-8 becomes U+FFFD.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
			i++
		case r == 0x1b: // ESC
			i = skipEscape(s, i+1)
		case r == 0x9b: // CSI
			i = skipCSI(s, i+n)
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // DCS, SOS, OSC, PM, APC
			i = skipString(s, i+n)
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
			i += n
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r):
			i += n
		default:
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// skipEscape returns the index after the escape sequence whose ESC ended
// just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// ESC, intermediates 0x20-0x2F, then one final byte 0x30-0x7E.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI returns the index after a control sequence's parameters (0x30-
// 0x3F), intermediates (0x20-0x2F) and final byte (0x40-0x7E), starting at
// i, just after "ESC [" or the 8-bit CSI.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString returns the index after a control string (OSC, DCS, ...)
// starting at i: up to BEL, ESC \ or the 8-bit ST, or the end of s, as a
// terminal would swallow it.
func skipString(s string, i int) int {
	for i < len(s) {
		if s[i] == 0x07 {
			return i + 1
		}
		if s[i] == 0x1b {
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		}
		if r, n := utf8.DecodeRuneInString(s[i:]); r == 0x9c {
			return i + n
		} else {
			i += n
		}
	}
	return i
}
