//go:build unix

package input

import (
	"os"
	"syscall"
)

// open opens path for reading without blocking: a FIFO swapped in after
// the Stat check opens at once (and is then refused by its mode) instead of
// waiting for a writer that never comes.
func open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
