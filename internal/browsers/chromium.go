package browsers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium, which `make test-deps` installs.
const ChromiumPath = "/usr/bin/chromium"

// Chromium starts one headless Chromium with a fresh profile in a temporary
// folder, and returns a chromedp context for it: each chromedp.NewContext
// made from that context is a new tab. stop ends the browser and removes the
// profile.
//
// The flags keep the browser from making requests of its own (component
// updates, sync, background networking), so a test that counts network
// requests sees only the page's, and map TestHost to 127.0.0.1. The sandbox
// is off only when running as root, where Chromium refuses to start with
// it.
func Chromium(ctx context.Context) (browser context.Context, stop func(), err error) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		return nil, nil, fmt.Errorf("chromium is not installed at %s: run `make test-deps`", ChromiumPath)
	}
	profile, err := os.MkdirTemp("", "satchel-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := slices.Clone(chromedp.DefaultExecAllocatorOptions[:])
	opts = append(opts,
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-dev-shm-usage", false),
		chromedp.Flag("host-resolver-rules", "MAP "+TestHost+" 127.0.0.1"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	stop = func() {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	// Start the browser now, so a missing or broken Chromium fails here.
	if err := chromedp.Do(bctx); err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting chromium: %w", err)
	}
	return bctx, stop, nil
}

type chromium struct {
	tab  context.Context
	stop func()
}

func startChromium(ctx context.Context) (Engine, error) {
	browser, stop, err := Chromium(ctx)
	if err != nil {
		return nil, err
	}
	tab, closeTab := chromedp.NewContext(browser)
	if err := chromedp.Do(tab); err != nil {
		closeTab()
		stop()
		return nil, err
	}
	return &chromium{tab: tab, stop: func() { closeTab(); stop() }}, nil
}

func (c *chromium) Name() string { return "chromium" }

func (c *chromium) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.tab, 60*time.Second)
}

func (c *chromium) Navigate(url string) error {
	ctx, cancel := c.ctx()
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

func (c *chromium) Eval(expr string, out any) error {
	ctx, cancel := c.ctx()
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr))
	if err != nil {
		return err
	}
	return decode(raw, out)
}

func (c *chromium) EvalFrame(expr string, out any) error {
	ctx, cancel := c.ctx()
	defer cancel()
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return err
	}
	if tree.FrameTree == nil || len(tree.FrameTree.ChildFrames) == 0 {
		return errors.New("the page has no frame")
	}
	// An isolated world of the frame's own: it sees the frame's document
	// even where the frame may run no script of its own.
	world, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: tree.FrameTree.ChildFrames[0].Frame.ID, WorldName: "satchel-test",
	})
	if err != nil {
		return err
	}
	byValue := true
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: "JSON.stringify((" + expr + ") ?? null)", ContextID: world.ExecutionContextID, ReturnByValue: &byValue,
	})
	if err != nil {
		return err
	}
	if res.ExceptionDetails != nil || res.Result == nil {
		return errors.New("the expression threw in the frame")
	}
	var s string
	if err := json.Unmarshal(res.Result.Value, &s); err != nil {
		return err
	}
	return decode(json.RawMessage(s), out)
}

func (c *chromium) Type(selector, text string) error {
	ctx, cancel := c.ctx()
	defer cancel()
	return chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(selector), text))
}

func (c *chromium) Click(selector string) error {
	ctx, cancel := c.ctx()
	defer cancel()
	return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector)))
}

func (c *chromium) Resize(width, height int) error {
	ctx, cancel := c.ctx()
	defer cancel()
	return chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height)))
}

func (c *chromium) URL() (string, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	return chromedp.Run(ctx, chromedp.Location())
}

func (c *chromium) Close() error {
	c.stop()
	return nil
}
