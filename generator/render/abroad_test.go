package render_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

// A patient abroad cannot dial 01632 960123, and 999 does not work outside
// the UK: every sample document gives the practice's numbers in +44 form as
// tel: links, its email and hours, and says 112 wherever it says 999.
func TestSampleDocumentsGiveHelpThatWorksAbroad(t *testing.T) {
	t.Parallel()
	r := sampleRenderer(t, "default")
	patients := samplePatients(t)
	if len(patients) == 0 {
		t.Fatal("no sample patients")
	}
	for _, p := range patients {
		out := html.UnescapeString(unmark(renderSample(t, r, p)))
		for _, want := range []string{
			`<a class="phone" href="tel:+441632960123">+44 1632 960123</a>`,
			`<a class="phone" href="tel:+441632960999">+44 1632 960999</a>`,
			`<a href="mailto:reception@example.org">reception@example.org</a>`,
			"Monday to Friday, 8am to 6:30pm",
			"999 in the UK, 112 in Europe and many other countries",
			"112 en Europe", "112 en Europa", "in Europa und vielen anderen Ländern 112",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the document lacks %q", p.ID, want)
			}
		}
		// The masthead (record-header.html) is left out here: it is being
		// reworked separately and will take the same "dial" template.
		body := out
		if i, j := strings.Index(out, `<header class="masthead">`), strings.Index(out, "</header>"); i >= 0 && j > i {
			body = out[:i] + out[j:]
		}
		if strings.Contains(body, `href="tel:0`) || strings.Contains(body, ">01632 960") {
			t.Errorf("%s: a phone number is printed as dialled in the UK only", p.ID)
		}
		// Every mention of 999 as the emergency number, in Satchel's text
		// or an education page, comes with 112 in the same paragraph or
		// list item. Clinical text (an entry's detail, such as an asthma
		// action plan, in its section or the summary) stays as recorded.
		for _, block := range regexp.MustCompile(`</(?:p|li|dd|dt|h[1-6])>`).Split(body, -1) {
			clinical := strings.Contains(block, `class="entry-detail"`) || strings.Contains(block, `class="detail plan-text"`)
			if emergency999(block) && !strings.Contains(block, "112") && !clinical {
				t.Errorf("%s: 999 without 112: %q", p.ID, block[max(0, len(block)-300):])
			}
		}
	}
}

// emergency999 reports whether s holds 999 standing alone: not part of a
// longer number such as 01632 960999 or an NHS number 999 821 9930.
func emergency999(s string) bool {
	digit := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	for i := strings.Index(s, "999"); i >= 0; {
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
		next := strings.Index(s[i+1:], "999")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

func TestEmergency999(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"Call 999.": true, "<strong>call 999</strong>": true, "999 in the UK": true, "999": true,
		"01632 960999": false, "NHS number 999 821 9930": false, "9999": false, "Tel 01632 999 123": false, "": false,
	} {
		if got := emergency999(s); got != want {
			t.Errorf("emergency999(%q) = %v, want %v", s, got, want)
		}
	}
}
