package policy

import (
	"strings"
	"testing"
)

// Messages name an entry only by a key that holds no words of the record.
func TestDescribeKeysPrintsOnlyKeysWithoutWords(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"problems[2]":     true,
		"care_plans[10]":  true,
		"Condition/12345": true,
		"Observation/3f2a9c1e-0b4d-4c1a-9e2f-7d6b5a4c3b2a": true,
		"Observation/3f2a9c1e-0b4d-4c1a-9e2f-7d6bdeaf3b2a": false, // a UUID that spells a word is counted
		"Condition/deaf":                 false,
		"Condition/bad1":                 false,
		"Condition/hiv-diagnosis":        false,
		"Condition/c12-1":                true, // hex digits and a dash: "c12-1"
		"Observation/bp.component[0]":    false,
		"problems[2] ; rm -rf":           false,
		"Condition/deadbeef-termination": false,
	} {
		if got := PrintableKey(key); got != want {
			t.Errorf("PrintableKey(%q) = %v, want %v", key, got, want)
		}
	}
	got := DescribeKeys([]string{"problems[2]", "Condition/hiv-diagnosis", "Condition/pregnancy"})
	if got != "problems[2] and 2 more (see the review sheet)" {
		t.Errorf("DescribeKeys: %q", got)
	}
	if got := DescribeKeys([]string{"Condition/hiv-diagnosis"}); strings.Contains(got, "hiv") || !strings.Contains(got, "1 entry") {
		t.Errorf("DescribeKeys of one wordy key: %q", got)
	}
}
