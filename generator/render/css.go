package render

import (
	"bytes"
	"fmt"
)

// checkCSS rejects theme CSS that would reach outside the document or break
// out of its <style> element. The record opens offline and in a frame whose
// policy blocks remote loads anyway; a theme that depends on one would look
// right on the practice's network and wrong everywhere else, so it is an
// error at build time rather than a silent gap on the patient's phone.
func checkCSS(file string, css []byte) error {
	lower := bytes.ToLower(css)
	fail := func(at int, msg string) error {
		return fmt.Errorf("%s:%d: %s", file, 1+bytes.Count(css[:at], []byte("\n")), msg)
	}
	if i := bytes.Index(lower, []byte("</style")); i >= 0 {
		return fail(i, "must not contain </style")
	}
	if i := bytes.Index(lower, []byte("@import")); i >= 0 {
		return fail(i, "@import is not allowed: put the rules in the theme file itself")
	}
	for off := 0; ; {
		i := bytes.Index(lower[off:], []byte("url("))
		if i < 0 {
			break
		}
		at := off + i
		arg := bytes.TrimLeft(lower[at+len("url("):], " \t\r\n\"'")
		if !bytes.HasPrefix(arg, []byte("data:")) {
			return fail(at, "url() must be a data: URI: the record opens offline")
		}
		off = at + len("url(")
	}
	return nil
}
