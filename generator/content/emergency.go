package content

import (
	"bytes"
	"regexp"
)

// Mention is a place in a page's file: the page and a line in it.
type Mention struct {
	File string
	Line int
}

// Only999 returns each paragraph or list item of every page that gives 999
// as the emergency number without 112: 999 works only in the UK, and the
// pages are read abroad too. Each names the page's file and the line.
func (l *Library) Only999() []Mention {
	if l == nil {
		return nil
	}
	var out []Mention
	for _, p := range l.pages {
		for _, line := range p.only999 {
			out = append(out, Mention{File: p.File, Line: line})
		}
	}
	return out
}

// blockStart matches a line that starts a block of its own: a list item or
// a heading.
var blockStart = regexp.MustCompile(`^\s*(?:[-*+]|[0-9]+[.)]|#+)\s`)

// only999 returns the first line of each block of body that gives 999
// without 112; first is the line number of body's first line.
func only999(body []byte, first int) []int {
	var out []int
	var block []byte
	at := 0 // the line of block's first 999
	flush := func() {
		if at > 0 && !bytes.Contains(block, []byte("112")) {
			out = append(out, at)
		}
		block, at = block[:0], 0
	}
	for i, line := range bytes.Split(body, []byte("\n")) {
		n := first + i
		if len(bytes.TrimSpace(line)) == 0 || blockStart.Match(line) {
			flush()
		}
		block = append(append(block, line...), '\n')
		if at == 0 && standalone999(line) {
			at = n
		}
	}
	flush()
	return out
}

// standalone999 reports whether s holds 999 on its own: not part of a
// longer number such as 01632 960999 or an NHS number 999 821 9930.
func standalone999(s []byte) bool {
	digit := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	for from := 0; ; {
		j := bytes.Index(s[from:], []byte("999"))
		if j < 0 {
			return false
		}
		i := from + j
		before, after := i-1, i+3
		if before >= 0 && s[before] == ' ' {
			before--
		}
		if after < len(s) && s[after] == ' ' {
			after++
		}
		if !digit(i-1) && !digit(i+3) && !digit(before) && !digit(after) {
			return true
		}
		from = i + 1
	}
}
