package record

import (
	"strings"
	"testing"
)

func TestResultRangeTypeIsReadAndChecked(t *testing.T) {
	dir := t.TempDir()
	base := "[patient]\nname = \"X\"\n\n[[results]]\ntitle = \"INR\"\nvalue = 2.4\nlow = 2.0\nhigh = 3.0\n"
	r, err := ReadTOML(write(t, dir, "a.toml", base+"range_type = \"target\"\n"))
	if err != nil || r.Results[0].RangeType != RangeTarget {
		t.Fatalf("target: got %v, %q", err, r.Results[0].RangeType)
	}
	r, err = ReadTOML(write(t, dir, "b.toml", base+"range_type = \"normal\"\n"))
	if err != nil || r.Results[0].RangeType != RangeNormal {
		t.Fatalf("normal: got %v, %q", err, r.Results[0].RangeType)
	}
	r, err = ReadTOML(write(t, dir, "c.toml", base))
	if err != nil || r.Results[0].RangeType != RangeNormal {
		t.Fatalf("unset: got %v, %q", err, r.Results[0].RangeType)
	}
	_, err = ReadTOML(write(t, dir, "d.toml", base+"range_type = \"goal\"\n"))
	if err == nil || !strings.Contains(err.Error(), `d.toml:9: field "results[0].range_type"`) {
		t.Fatalf("unknown range type: got %v", err)
	}
}
