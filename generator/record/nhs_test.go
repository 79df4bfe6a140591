package record

import "testing"

func TestValidNHSNumber(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"999 000 0018": true,
		"9990000018":   true,
		"9990000026":   true,
		"999 000 0019": false, // wrong check digit
		"9990000017":   false,
		"999000001":    false, // nine digits
		"99900000188":  false,
		"999000001X":   false,
		"":             false,
	} {
		if got := ValidNHSNumber(s); got != want {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", s, got, want)
		}
	}
}
