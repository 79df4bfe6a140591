//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package registry

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive flock(2) on f without waiting: ErrBusy if another
// open file (in this process or another) holds it. The lock goes with the
// process, so a satchel that dies leaves no stale lock behind.
func lock(f *os.File) error { return flock(f, syscall.LOCK_EX) }

// lockShared takes a shared flock(2) on f without waiting: any number of
// shared holders at once, and ErrBusy while an exclusive one holds it.
func lockShared(f *os.File) error { return flock(f, syscall.LOCK_SH) }

func flock(f *os.File, how int) error {
	err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrBusy
	}
	return err
}

// unlock releases the lock taken by lock.
func unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
