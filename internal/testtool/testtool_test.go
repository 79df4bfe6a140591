package testtool

import "testing"

// Slow must skip under -short and only then: a check skipped in a full run
// is a check CI never makes.
func TestSlowSkipsOnlyUnderShort(t *testing.T) {
	ran := false
	t.Run("slow", func(t *testing.T) {
		Slow(t, "a test of Slow")
		ran = true
	})
	if ran == testing.Short() {
		t.Errorf("with -short=%v the slow test ran=%v", testing.Short(), ran)
	}
}
