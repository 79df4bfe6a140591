package registry

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lock takes an exclusive LockFileEx lock on the first byte of f without
// waiting: ErrBusy if another handle (in this process or another) holds
// it. Windows drops the lock when the process ends.
func lock(f *os.File) error { return lockFile(f, windows.LOCKFILE_EXCLUSIVE_LOCK) }

// lockShared takes a shared LockFileEx lock on the first byte of f without
// waiting: any number of shared holders at once, and ErrBusy while an
// exclusive one holds it.
func lockShared(f *os.File) error { return lockFile(f, 0) }

func lockFile(f *os.File, flags uint32) error {
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return ErrBusy
	}
	return err
}

// unlock releases the lock taken by lock. Windows releases a lock left at
// close only when it gets round to it, so Close unlocks first.
func unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
