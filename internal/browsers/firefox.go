package browsers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// FirefoxPath is Debian's Firefox ESR, which `make test-deps` installs.
const FirefoxPath = "/usr/bin/firefox-esr"

// firefox talks to firefox.mjs, which drives Firefox with puppeteer-core
// over WebDriver BiDi, one JSON line each way per command.
type firefox struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	mu   sync.Mutex
	next int
}

func startFirefox(ctx context.Context) (Engine, error) {
	if _, err := os.Stat(FirefoxPath); err != nil {
		return nil, fmt.Errorf("firefox-esr is not installed at %s: run `make test-deps`", FirefoxPath)
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "puppeteer-core")); err != nil {
		return nil, errors.New("puppeteer-core is not installed: run `make node_modules/.package-lock.json` (npm ci)")
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "internal", "browsers", "firefox.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PUPPETEER_SKIP_DOWNLOAD=1", "MOZ_CRASHREPORTER_DISABLE=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node for firefox: %w", err)
	}
	f := &firefox{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	f.out.Buffer(make([]byte, 1<<20), 64<<20)
	done := make(chan error, 1)
	go func() {
		var ready struct{ Value string }
		if !f.out.Scan() {
			done <- fmt.Errorf("firefox did not start: %v", f.out.Err())
			return
		}
		done <- json.Unmarshal(f.out.Bytes(), &ready)
	}()
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		err = errors.New("firefox did not start within 90 s")
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	return f, nil
}

func (f *firefox) call(cmd map[string]any, out any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	cmd["id"] = f.next
	line, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	if _, err := f.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("firefox: %w", err)
	}
	for f.out.Scan() {
		var reply struct {
			ID    int
			Value json.RawMessage
			Error string
		}
		if err := json.Unmarshal(f.out.Bytes(), &reply); err != nil {
			return fmt.Errorf("firefox: unreadable reply: %w", err)
		}
		if reply.ID != f.next {
			continue
		}
		if reply.Error != "" {
			return fmt.Errorf("firefox %s: %s", cmd["op"], reply.Error)
		}
		return decode(reply.Value, out)
	}
	return fmt.Errorf("firefox ended: %v", f.out.Err())
}

func (f *firefox) Name() string { return "firefox" }

func (f *firefox) Navigate(url string) error {
	return f.call(map[string]any{"op": "navigate", "url": url}, nil)
}

func (f *firefox) Eval(expr string, out any) error {
	return f.call(map[string]any{"op": "eval", "expr": expr}, out)
}

func (f *firefox) EvalFrame(expr string, out any) error {
	return f.call(map[string]any{"op": "evalFrame", "expr": expr}, out)
}

func (f *firefox) Type(selector, text string) error {
	return f.call(map[string]any{"op": "type", "selector": selector, "text": text}, nil)
}

func (f *firefox) Click(selector string) error {
	return f.call(map[string]any{"op": "click", "selector": selector}, nil)
}

func (f *firefox) Resize(width, height int) error {
	return f.call(map[string]any{"op": "viewport", "width": width, "height": height}, nil)
}

func (f *firefox) URL() (string, error) {
	var u string
	err := f.call(map[string]any{"op": "url"}, &u)
	return u, err
}

func (f *firefox) Close() error {
	f.call(map[string]any{"op": "close"}, nil)
	f.in.Close()
	done := make(chan struct{})
	go func() { f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		f.cmd.Process.Kill()
		<-done
	}
	return nil
}
