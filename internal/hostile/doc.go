// Package hostile holds the hostile-input corpus: its tests build a small
// practice with one good patient beside one hostile file at a time (a
// record, approval, letter, patient key, education page or site.toml that
// is malformed, enormous, deeply nested, a FIFO, a symlink out of its
// folder, ...) and run the real satchel binary on it. Each case must cost
// one patient at most, in bounded time and memory, with an error that
// names the file and never echoes what the file holds.
//
// The package has no code of its own; the corpus lives in its tests.
package hostile
