//go:build !linux

package atomicfile

// flushesAll reports that the system has no call that flushes every
// written file and waits for it: Windows has no sync(2), and the BSDs'
// and macOS's may return before the data is on disk (and macOS's fsync
// reaches the disk only with F_FULLFSYNC, which os.File.Sync uses). Each
// file is flushed on its own instead.
const flushesAll = false

// flushAll is never called where flushesAll is false.
func flushAll() {}
