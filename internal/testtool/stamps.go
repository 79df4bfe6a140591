package testtool

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Stamp is a file as tests compare it before and after a command: its
// size, modification time and SHA-256 (hex). Two stamps are equal when
// the file was neither rewritten nor changed.
type Stamp struct {
	Size    int64
	ModTime time.Time
	SHA256  string
}

// Stamps stamps every regular file under each root (a folder or a file),
// keyed by its path. A root that does not exist has no files.
func Stamps(roots ...string) (map[string]Stamp, error) {
	out := map[string]Stamp{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[p] = Stamp{info.Size(), info.ModTime(), hex.EncodeToString(sum[:])}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
