package cardkey

import (
	"bytes"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// masterLen is the size of a new master secret in bytes.
const masterLen = 32

// CreateMaster makes a new practice master secret of 32 bytes from rand (nil
// means crypto/rand), writes it hex-encoded to dir/master.key with mode 0600
// and returns it. The file appears whole or not at all (written to a
// temporary file, then hard-linked into place), and an existing master.key
// is never replaced: every card issued so far depends on it.
func CreateMaster(path string, rand io.Reader) ([]byte, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the secrets folder: %w", err)
	}
	key := make([]byte, masterLen)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, fmt.Errorf("reading randomness: %w", err)
	}
	text := make([]byte, hex.EncodedLen(masterLen), hex.EncodedLen(masterLen)+1)
	hex.Encode(text, key)
	text = append(text, '\n')
	defer clear(text)

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(text)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	// A hard link, unlike rename, fails when the target exists.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s already exists: refusing to replace it, as every card issued so far depends on it", path)
		}
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable; not all systems can
		d.Close()
	}
	return key, nil
}

// LoadMaster reads the practice master secret from path. It
// refuses a file that group or others may read, since the master secret
// opens every patient's record.
func LoadMaster(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no master secret at %s: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	// Windows has no Unix permission bits to check.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by other users (mode %04o): run `chmod 600 %s`", path, perm, path)
	}
	buf := make([]byte, 4*masterLen)
	defer clear(buf)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	text := bytes.TrimSpace(buf[:n])
	if len(text) != hex.EncodedLen(masterLen) {
		return nil, fmt.Errorf("%s is not a master secret: want %d hexadecimal digits", path, hex.EncodedLen(masterLen))
	}
	key := make([]byte, masterLen)
	if _, err := hex.Decode(key, text); err != nil {
		return nil, fmt.Errorf("%s is not a master secret: want %d hexadecimal digits", path, hex.EncodedLen(masterLen))
	}
	return key, nil
}
