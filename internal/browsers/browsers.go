// Package browsers drives the three browser engines record.html is tested
// and measured in, each the build Debian packages: Chromium (over the
// DevTools protocol, with chromedp), Firefox ESR (over WebDriver BiDi, by
// puppeteer-core in node, firefox.mjs beside this file) and WebKitGTK
// (WebKitWebDriver, W3C WebDriver over HTTP on 127.0.0.1, driving
// MiniBrowser under Xvfb).
//
// Every engine maps TestHost to 127.0.0.1, inside the browser only, so a
// test can load a page from a non-secure origin without any DNS lookup:
// Chromium by --host-resolver-rules, Firefox by network.dns.localDomains,
// WebKit through a proxy on 127.0.0.1 (the W3C proxy capability) that
// forwards requests for TestHost to 127.0.0.1 and refuses every other host.
// No engine sends traffic anywhere but loopback on a test's behalf.
package browsers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// TestHost is a name every engine resolves to 127.0.0.1 by itself. It is
// under .test, which never resolves on the internet.
const TestHost = "satchel.test"

// Names are the engines, in the order tests and benchmarks run them.
var Names = []string{"chromium", "firefox", "webkit"}

// Engine is one running browser with one tab.
type Engine interface {
	// Name is "chromium", "firefox" or "webkit".
	Name() string
	// Navigate loads url in the tab and waits for the load to start.
	Navigate(url string) error
	// Eval evaluates a JavaScript expression in the top document and
	// decodes its JSON value into out (which may be nil).
	Eval(expr string, out any) error
	// EvalFrame evaluates a JavaScript expression in the document of the
	// page's first iframe, from outside the page, so it works where the
	// page itself cannot reach its frame (a sandboxed host), and decodes
	// its JSON value into out.
	EvalFrame(expr string, out any) error
	// Type sends text to the element matching the CSS selector as key
	// presses.
	Type(selector, text string) error
	// Click clicks the element matching the CSS selector.
	Click(selector string) error
	// URL is the address bar's address, as the driver reports it.
	URL() (string, error)
	// Resize makes the page's viewport width x height CSS pixels (a phone's
	// 390x844, a laptop's 1280x900), for layout checks.
	Resize(width, height int) error
	// Close ends the browser and removes its profile.
	Close() error
}

// Tools are the commands each engine needs, for testtool.Need.
var Tools = map[string][]string{
	"chromium": {"chromium"},
	"firefox":  {"firefox-esr", "node"},
	"webkit":   {"WebKitWebDriver", "Xvfb"},
}

// Start starts the named engine.
func Start(ctx context.Context, name string) (Engine, error) {
	switch name {
	case "chromium":
		return startChromium(ctx)
	case "firefox":
		return startFirefox(ctx)
	case "webkit":
		return startWebKit(ctx)
	}
	return nil, fmt.Errorf("no engine %q", name)
}

// repoRoot finds the module's root (where go.mod and node_modules are)
// from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = up
	}
}

func decode(raw json.RawMessage, out any) error {
	if out == nil {
		return nil
	}
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	return json.Unmarshal(raw, out)
}
