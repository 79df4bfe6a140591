//go:build !unix

package pipeline

import "errors"

// mkfifo makes a FIFO at path, where there are such things.
func mkfifo(path string) error { return errors.ErrUnsupported }
