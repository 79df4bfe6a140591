package termtext

import (
	"testing"
	"unicode"
)

func TestCleanRemovesControlsAndEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"Dr Test Person":                         "Dr Test Person",
		"Dr \x1b[2J\x1b[HTest":                   "Dr Test",
		"red\x1b[1;31mtext\x1b[0m":               "redtext",
		"title\x1b]0;fake title\x07 after":       "title after",
		"link\x1b]8;;http://x.invalid\x1b\\here": "linkhere",
		"dcs\x1bPq#0;2;0;0;0\x1b\\ end":          "dcs end",
		"reset\x1bc now":                         "reset now",
		"save\x1b7x\x1b8":                        "savex",
		"c1 \u009b31mcsi \u009d0;t\u009c osc":    "c1 csi  osc",
		"line one\nsatchel: pinned":              "line one satchel: pinned",
		"tab\there\rcr":                          "tab here cr",
		"nul\x00bel\x07del\x7f":                  "nulbeldel",
		"bidi \u202egnp.exe\u202c":               "bidi gnp.exe",
		"raw \x9b31m":                            "raw \ufffd31m",
		"Zoë Ångström 山田":                        "Zoë Ångström 山田",
		"unterminated \x1b]0;swallow everything": "unterminated ",
		"trailing esc\x1b":                       "trailing esc",
		"trailing csi\x1b[12":                    "trailing csi",
	} {
		got := Clean(in)
		if got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
		for _, r := range got {
			if unicode.IsControl(r) || isBidiControl(r) {
				t.Errorf("Clean(%q) keeps control %U", in, r)
			}
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("Dr \x1b[31mX\x1b]0;t\x07\u009b1m\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		for _, r := range got {
			if unicode.IsControl(r) || isBidiControl(r) {
				t.Fatalf("Clean(%q) keeps control %U", s, r)
			}
		}
		if Clean(got) != got {
			t.Fatalf("Clean is not idempotent on %q", s)
		}
	})
}
