package pipeline

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// host serves cfg's public_dir on 127.0.0.1 and logs every request's
// path and query; down makes it answer 503 to everything.
type host struct {
	*httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	log  []string
}

func newHost(t *testing.T, cfg *site.Config) *host {
	t.Helper()
	h := &host{}
	files := http.FileServer(http.Dir(cfg.PublicDir))
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.log = append(h.log, r.URL.RequestURI())
		h.mu.Unlock()
		if h.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *host) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.log...)
}

// hostedSample builds the sample practice with base_url at a fresh local
// host, and returns the host, a built patient's record.html URL (no key)
// and that patient's first card key.
func hostedSample(t *testing.T, hosted bool) (*host, *site.Config, string, string) {
	t.Helper()
	cfg := samplePractice(t)
	h := newHost(t, cfg)
	if hosted {
		cfg.BaseURL = h.URL + "/"
	}
	rep := runBuild(t, cfg)
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Patients {
		if p.Status != Built || len(p.Cards) == 0 {
			continue
		}
		rel, err := filepath.Rel(cfg.PublicDir, filepath.Join(cfg.Root, p.Viewer))
		if err != nil {
			t.Fatal(err)
		}
		return h, cfg, h.URL + "/" + filepath.ToSlash(rel), cardkey.Derive(master, p.ID, p.Cards[0].Serial).String()
	}
	t.Fatal("no sample patient was built")
	return nil, nil, "", ""
}

// unlocked waits for the page in ctx's tab to open its record or fail, and
// returns its state. It asks afresh each time: a page just navigated to
// may replace the context an earlier question ran in.
func unlocked(ctx context.Context) (string, error) {
	for {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.dataset.state || ""`))
		if err == nil && (state == "open" || state == "error") {
			return state, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return state, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// A hosted build writes sw.js beside every record.html; an unhosted one
// writes none, and removes one a hosted build left.
func TestOnlyHostedBundlesGetTheServiceWorker(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	cfg.BaseURL = "https://records.example.nhs.uk/"
	runBuild(t, cfg)
	workers := func() (n, bundles int) {
		dirs, err := os.ReadDir(cfg.BundlesDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			bundles++
			sw, err := os.ReadFile(filepath.Join(cfg.BundlesDir(), d.Name(), viewer.ServiceWorkerFile))
			if err == nil {
				n++
				if !bytes.Equal(sw, viewer.ServiceWorker()) {
					t.Errorf("%s: sw.js is not the viewer's", d.Name())
				}
			}
		}
		return n, bundles
	}
	if n, bundles := workers(); bundles < 6 || n != bundles {
		t.Fatalf("hosted: %d of %d bundles have sw.js", n, bundles)
	}
	cfg.BaseURL = ""
	runBuild(t, cfg)
	if n, bundles := workers(); bundles < 6 || n != 0 {
		t.Fatalf("not hosted: %d of %d bundles still have sw.js", n, bundles)
	}
}

// A hosted record opened once keeps working with no network: Chromium,
// over http on 127.0.0.1 (a secure context), opens record.html#k=KEY, its
// service worker takes control, and with the host answering 503 and then
// gone altogether the same link still unlocks the record. Every request
// the browser made was for the page's own folder, and none carried the
// key. No CSP rule is broken along the way.
func TestHostedRecordStillUnlocksWhenTheHostIsGone(t *testing.T) {
	testtool.Slow(t, "builds the sample practice and opens a hosted record in Chromium three times")
	testtool.Need(t, "chromium")
	t.Parallel()
	h, _, pageURL, key := hostedSample(t, true)
	stillUnlocks(t, h, pageURL, key)
}

// stillUnlocks opens the hosted page at pageURL with key, lets its service
// worker take control, then opens it again with the host answering 503
// and with the host gone. It checks every request stayed in the page's
// folder and carried no key, and returns them.
func stillUnlocks(t *testing.T, h *host, pageURL, key string) []string {
	t.Helper()
	folder := pageURL[len(h.URL) : strings.LastIndex(pageURL, "/")+1]

	browser, stop, err := browsers.Chromium(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.satchelViolations = []; document.addEventListener("securitypolicyviolation", (e) => window.satchelViolations.push(e.effectiveDirective), true);`,
	}); err != nil {
		t.Fatal(err)
	}
	link := pageURL + "#k=" + url.QueryEscape(key)
	open := func(when string) {
		t.Helper()
		// about:blank first: the page took the key out of its address, so
		// the link again would otherwise be a same-document fragment change.
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(link)); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if state, err := unlocked(ctx); err != nil || state != "open" {
			t.Fatalf("%s: the record did not unlock (state %q, %v)", when, state, err)
		}
		violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.satchelViolations || ["(no listener)"]`))
		if err != nil || len(violations) > 0 {
			t.Errorf("%s: CSP violations %q (%v)", when, violations, err)
		}
	}

	open("first visit")
	// The worker claims the page once it is active; a reload is the
	// fallback for a browser that has not handed it over yet.
	controlled := `navigator.serviceWorker.controller && navigator.serviceWorker.controller.state === "activated"`
	wait, cancelWait := context.WithTimeout(ctx, 20*time.Second)
	_, err = chromedp.Run(wait, chromedp.Poll[bool](controlled))
	cancelWait()
	if err != nil {
		open("reload for the worker")
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](controlled)); err != nil {
			t.Fatalf("the service worker never took control: %v", err)
		}
	}

	h.down.Store(true)
	open("host answering 503")
	h.Close()
	open("host gone")

	reqs := h.requests()
	if len(reqs) == 0 {
		t.Fatal("the host logged no request")
	}
	t.Logf("requests the host saw: %q", reqs)
	sawWorker := false
	for _, r := range reqs {
		if !strings.HasPrefix(r, folder) || strings.ContainsAny(r[len(folder):], "/?#") {
			t.Errorf("request outside the page's own folder: %s", r)
		}
		if strings.Contains(r, "k=") || strings.Contains(r, key) {
			t.Error("a request carried the key")
		}
		sawWorker = sawWorker || r == folder+viewer.ServiceWorkerFile
	}
	if !sawWorker {
		t.Errorf("the page never fetched %s: %q", viewer.ServiceWorkerFile, reqs)
	}
	return reqs
}

// Without base_url the page registers no worker, even when served over
// http: there is no sw.js to fetch, none is asked for, and the browser
// holds no registration.
func TestUnhostedRecordRegistersNoServiceWorker(t *testing.T) {
	testtool.Slow(t, "builds the sample practice and opens a record in Chromium")
	testtool.Need(t, "chromium")
	t.Parallel()
	h, _, pageURL, key := hostedSample(t, false)
	browser, stop, err := browsers.Chromium(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL+"#k="+url.QueryEscape(key))); err != nil {
		t.Fatal(err)
	}
	if state, err := unlocked(ctx); err != nil || state != "open" {
		t.Fatalf("the record did not unlock (state %q, %v)", state, err)
	}
	time.Sleep(500 * time.Millisecond) // a registration, were there one, would have begun
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`navigator.serviceWorker.getRegistrations().then((r) => r.length)`, chromedp.EvalAwaitPromise))
	if err != nil || n != 0 {
		t.Errorf("%d service worker registrations (%v), want none", n, err)
	}
	for _, r := range h.requests() {
		if strings.HasSuffix(r, "/"+viewer.ServiceWorkerFile) {
			t.Errorf("the page asked for %s", r)
		}
	}
}
