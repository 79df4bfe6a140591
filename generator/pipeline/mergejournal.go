package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/atomicfile"
)

// mergeJournalName is the file in the results folder of a sharded build
// (private/shards/N) where a merge writes down, just before it saves the
// card registry, what it needs to finish should it be stopped after: the
// registry the shards were built against and the one it saves, its clock,
// where the audit log ended and the print sheet it wrote. Run again, the
// merge finds the registry it saved, takes the shards as built against
// the one before, keeps that print sheet, writes again the manifest and
// build state, and only the audit events the log does not hold yet. The journal goes
// with the shards' results once the merge has finished.
const mergeJournalName = "merge.json"

// mergeJournalFormat is the journal's format; a journal of another is
// ignored (the merge is then refused as usual if the registry moved).
const mergeJournalFormat = 1

type mergeJournal struct {
	Format int `json:"format"`
	// Before is the digest of the registry the shards were built
	// against; After, of the registry the merge saved.
	Before string `json:"registry_before"`
	After  string `json:"registry_after"`
	// Time is the merge's clock, which dates the print sheet and its
	// audit events.
	Time time.Time `json:"time"`
	// AuditSize is the audit log's size in bytes before the merge wrote
	// to it.
	AuditSize int64 `json:"audit_size"`
	// Sheet is the file name of the print sheet the merge wrote (in
	// private/cards), if any.
	Sheet string `json:"sheet,omitempty"`
}

func mergeJournalFile(dir string, n int) string {
	return filepath.Join(dir, strconv.Itoa(n), mergeJournalName)
}

// readMergeJournal returns the journal of a merge of these shards that
// was stopped after saving the registry whose digest is now: nil if
// there is none, or it is of another registry (the merge stopped before
// saving, or the registry changed since).
func readMergeJournal(path, now string) (*mergeJournal, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read it: %w", path, err)
	}
	var j mergeJournal
	if err := json.Unmarshal(data, &j); err != nil || j.Format != mergeJournalFormat || j.Before == "" || j.After == "" || j.AuditSize < 0 || j.Sheet != filepath.Base(j.Sheet) {
		return nil, nil
	}
	if j.After != now {
		return nil, nil
	}
	return &j, nil
}

func (j *mergeJournal) write(path string) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}

// auditSize returns the size of the audit log in the private folder dir,
// 0 if there is none yet.
func auditSize(dir string) (int64, error) {
	info, err := os.Stat(filepath.Join(dir, registry.AuditName))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// auditSince returns the lines of the audit log in the private folder
// dir from byte offset on, each with its newline: what a stopped merge
// (and anyone else since) wrote there.
func auditSince(dir string, offset int64) ([][]byte, error) {
	f, err := os.Open(filepath.Join(dir, registry.AuditName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	var lines [][]byte
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			lines = append(lines, line)
		}
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// auditResume tells which of a merge's audit events, offered in the order
// the merge writes them, the log already holds: those a stopped merge
// wrote, found in order among the lines since it started (others may have
// written between them). Once one is missing, so is every later one.
type auditResume struct {
	lines [][]byte
	next  int
	done  bool
}

// written reports whether e is the next of the merge's events the log
// holds.
func (a *auditResume) written(e registry.Event) (bool, error) {
	if a == nil || a.done {
		return false, nil
	}
	line, err := e.Line()
	if err != nil {
		return false, err
	}
	for i := a.next; i < len(a.lines); i++ {
		if bytes.Equal(a.lines[i], line) {
			a.next = i + 1
			return true, nil
		}
	}
	a.done = true
	return false, nil
}
