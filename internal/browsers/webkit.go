package browsers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// MiniBrowserPath is WebKitGTK's own small browser, in Debian's
// libwebkit2gtk-4.1-0 (which webkit2gtk-driver depends on).
const MiniBrowserPath = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"

// webkit is a W3C WebDriver (classic) session of WebKitWebDriver, which
// drives MiniBrowser on an Xvfb display of its own.
type webkit struct {
	base   string // http://127.0.0.1:port/session/id
	client *http.Client
	xvfb   *exec.Cmd
	driver *exec.Cmd
	proxy  *http.Server
}

func startWebKit(ctx context.Context) (_ Engine, err error) {
	for _, tool := range []string{"WebKitWebDriver", "Xvfb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is not installed: run `make test-deps`", tool)
		}
	}
	if _, err := os.Stat(MiniBrowserPath); err != nil {
		return nil, fmt.Errorf("MiniBrowser is not installed at %s: run `make test-deps`", MiniBrowserPath)
	}
	w := &webkit{client: &http.Client{Timeout: 90 * time.Second}}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()

	// Xvfb picks a free display and writes its number to the pipe.
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	w.xvfb = exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-nolisten", "unix")
	w.xvfb.ExtraFiles = []*os.File{wr}
	if err := w.xvfb.Start(); err != nil {
		r.Close()
		wr.Close()
		return nil, fmt.Errorf("starting Xvfb: %w", err)
	}
	wr.Close()
	display, err := readLine(r, 30*time.Second)
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("no display from Xvfb: %w", err)
	}

	// The proxy maps TestHost to 127.0.0.1 (see the package comment).
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w.proxy = &http.Server{Handler: loopbackProxy(), ReadHeaderTimeout: 30 * time.Second}
	go w.proxy.Serve(pl)

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w.driver = exec.CommandContext(ctx, "WebKitWebDriver", "--host=127.0.0.1", "--port="+strconv.Itoa(port))
	w.driver.Env = append(os.Environ(), "DISPLAY=:"+display, "WEBKIT_DISABLE_COMPOSITING_MODE=1")
	if err := w.driver.Start(); err != nil {
		return nil, fmt.Errorf("starting WebKitWebDriver: %w", err)
	}
	root := "http://127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := w.client.Get(root + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("WebKitWebDriver did not answer within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"webkitgtk:browserOptions": map[string]any{
			"binary": MiniBrowserPath,
			"args":   []string{"--automation"},
		},
		"proxy": map[string]any{
			"proxyType": "manual",
			"httpProxy": pl.Addr().String(),
			// HTTPS too, so the browser's own requests, if any, meet the
			// proxy's refusal rather than the network.
			"sslProxy": pl.Addr().String(),
		},
	}}}
	var session struct{ SessionID string }
	w.base = root
	if err := w.do("POST", "/session", caps, &session); err != nil {
		return nil, fmt.Errorf("starting MiniBrowser: %w", err)
	}
	w.base = root + "/session/" + session.SessionID
	return w, nil
}

// loopbackProxy serves as the browser's HTTP proxy: it forwards a request
// for TestHost, 127.0.0.1 or localhost to the same port on 127.0.0.1 and
// refuses every other host, so nothing leaves the machine.
func loopbackProxy() http.Handler {
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL.Scheme = "http"
		pr.Out.URL.Host = "127.0.0.1:" + pr.In.URL.Port()
		pr.Out.Host = pr.In.Host
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Hostname() {
		case TestHost, "127.0.0.1", "localhost":
			if r.Method != http.MethodConnect && r.URL.Port() != "" {
				rp.ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "the test proxy serves loopback only", http.StatusForbidden)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func readLine(f *os.File, timeout time.Duration) (string, error) {
	f.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// do sends one WebDriver command and decodes the reply's value into out.
func (w *webkit) do(method, path string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var reply struct{ Value json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return fmt.Errorf("webdriver %s %s: %d, unreadable reply", method, path, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error, Message string }
		json.Unmarshal(reply.Value, &e)
		return fmt.Errorf("webdriver %s: %s: %s", strings.SplitN(path, "/", 3)[1], e.Error, e.Message)
	}
	return decode(reply.Value, out)
}

func (w *webkit) Name() string { return "webkit" }

func (w *webkit) Navigate(url string) error {
	return w.do("POST", "/url", map[string]any{"url": url}, nil)
}

func (w *webkit) Eval(expr string, out any) error {
	var s string
	if err := w.do("POST", "/execute/sync", map[string]any{
		"script": "return JSON.stringify((" + expr + ") ?? null);", "args": []any{},
	}, &s); err != nil {
		return err
	}
	return decode(json.RawMessage(s), out)
}

func (w *webkit) EvalFrame(expr string, out any) error {
	id, err := w.element("iframe")
	if err != nil {
		return err
	}
	if err := w.do("POST", "/frame", map[string]any{"id": map[string]string{elementKey: id}}, nil); err != nil {
		return err
	}
	err = w.Eval(expr, out)
	if perr := w.do("POST", "/frame/parent", map[string]any{}, nil); err == nil {
		err = perr
	}
	return err
}

// elementKey names a web element reference in W3C WebDriver.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

func (w *webkit) element(selector string) (string, error) {
	var el map[string]string
	if err := w.do("POST", "/element", map[string]any{"using": "css selector", "value": selector}, &el); err != nil {
		return "", err
	}
	for _, id := range el {
		return id, nil
	}
	return "", fmt.Errorf("no element %s", selector)
}

func (w *webkit) Type(selector, text string) error {
	id, err := w.element(selector)
	if err != nil {
		return err
	}
	return w.do("POST", "/element/"+id+"/value", map[string]any{"text": text}, nil)
}

func (w *webkit) Click(selector string) error {
	id, err := w.element(selector)
	if err != nil {
		return err
	}
	return w.do("POST", "/element/"+id+"/click", map[string]any{}, nil)
}

// Resize sets the window's size, then corrects it by what the browser's
// own frame takes, so the viewport is width x height.
func (w *webkit) Resize(width, height int) error {
	ww, wh := width, height
	var inner struct{ W, H int }
	for range 4 {
		if err := w.do("POST", "/window/rect", map[string]any{"width": ww, "height": wh}, nil); err != nil {
			return err
		}
		// The window manager's answer can come after the driver's: wait
		// until the viewport settles.
		last := inner
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if err := w.Eval(`({w: window.innerWidth, h: window.innerHeight})`, &inner); err != nil {
				return err
			}
			if inner == last || inner.W == width && inner.H == height {
				break
			}
			last = inner
		}
		if inner.W == width && inner.H == height {
			return nil
		}
		ww += width - inner.W
		wh += height - inner.H
	}
	return fmt.Errorf("webkit: could not make the viewport %dx%d (it is %dx%d)", width, height, inner.W, inner.H)
}

func (w *webkit) URL() (string, error) {
	var u string
	err := w.do("GET", "/url", nil, &u)
	return u, err
}

func (w *webkit) Close() error {
	if w.base != "" && strings.Contains(w.base, "/session/") {
		w.do("DELETE", "", nil, nil)
	}
	for _, c := range []*exec.Cmd{w.driver, w.xvfb} {
		if c != nil && c.Process != nil {
			c.Process.Kill()
			c.Wait()
		}
	}
	if w.proxy != nil {
		w.proxy.Close()
	}
	return nil
}
