//go:build !unix

package input

import "os"

// open opens path for reading. Where there are no FIFOs to block on, the
// Stat check before it is enough.
func open(path string) (*os.File, error) {
	return os.Open(path)
}
