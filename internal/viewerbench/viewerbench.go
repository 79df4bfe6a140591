// Package viewerbench measures record.html for `make bench`: its size, how
// long headless Chromium takes from navigation to the record on screen with
// the key in the URL fragment, and how long gpg takes to decrypt the same
// record.pgp, as a reference. It also starts Chromium the way the viewer's
// tests drive it, so both measure the same browser.
package viewerbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/internal/browsers"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium, which `make test-deps` installs.
const ChromiumPath = browsers.ChromiumPath

// Browser starts one headless Chromium with a fresh profile, as
// browsers.Chromium does: each chromedp.NewContext made from the context it
// returns is a new tab; stop ends the browser and removes the profile.
func Browser(ctx context.Context) (browser context.Context, stop func(), err error) {
	return browsers.Chromium(ctx)
}

// Figures are the numbers `make bench` prints for the viewer.
type Figures struct {
	// ViewerBytes is the size of record.html without its message: the
	// shell, the decryptor and the licence notices every page carries.
	ViewerBytes int64
	// RecordHTMLBytes is the size of the whole record.html.
	RecordHTMLBytes int64
	// UnlockMedian is the median time from navigation to the record shown
	// in its frame, key in the URL fragment, in headless Chromium.
	UnlockMedian time.Duration
	// GPGMedian is the median wall time of `gpg --decrypt` of record.pgp.
	GPGMedian time.Duration
	// Phases are the median times, from navigation start, at which the
	// page reached each of its performance marks (satchel-parsed,
	// satchel-decrypted), to show where the unlock time goes.
	Phases map[string]time.Duration
}

// WriteTo prints the figures as `name: value` lines.
func (f Figures) WriteTo(w io.Writer) (int64, error) {
	n, err := fmt.Fprintf(w, "viewer_bytes: %d\nrecord_html_bytes: %d\nunlock_ms_median: %d\nunlock_ms_gpg_cli: %d\n",
		f.ViewerBytes, f.RecordHTMLBytes, f.UnlockMedian.Round(time.Millisecond).Milliseconds(),
		f.GPGMedian.Round(time.Millisecond).Milliseconds())
	return int64(n), err
}

// Measure measures recordHTML and recordPGP (the same patient's files)
// opened with secret, each timing the median of runs.
func Measure(ctx context.Context, recordHTML, recordPGP string, secret cardkey.Secret, runs int) (Figures, error) {
	if runs < 1 {
		runs = 1
	}
	var f Figures
	html, err := os.ReadFile(recordHTML)
	if err != nil {
		return f, err
	}
	f.RecordHTMLBytes = int64(len(html))
	f.ViewerBytes = int64(len(html) - len(provenance.Message(html)))

	browser, stop, err := Browser(ctx)
	if err != nil {
		return f, err
	}
	defer stop()
	abs, err := filepath.Abs(recordHTML)
	if err != nil {
		return f, err
	}
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String() + "#k=" + url.QueryEscape(secret.String())
	var unlocks []time.Duration
	phases := map[string][]time.Duration{}
	for range runs {
		u, err := Unlock(browser, page)
		if err != nil {
			return f, err
		}
		unlocks = append(unlocks, u.Shown)
		for name, d := range u.Marks {
			phases[name] = append(phases[name], d)
		}
	}
	f.UnlockMedian = median(unlocks)
	f.Phases = map[string]time.Duration{}
	for name, ds := range phases {
		f.Phases[name] = median(ds)
	}

	pass := secret.Passphrase()
	defer clear(pass)
	gpgRuns, err := gpgDecrypt(ctx, recordPGP, pass, runs)
	if err != nil {
		return f, err
	}
	f.GPGMedian = median(gpgRuns)
	return f, nil
}

// Unlocked is one timed unlock: when the record was shown and when the
// page passed each performance mark, from navigation start.
type Unlocked struct {
	Shown time.Duration
	Marks map[string]time.Duration
}

// Unlock opens pageURL (which should carry the key in its #k= fragment) in
// a new tab of browser and returns the page's own measure of the time from
// navigation start to the record shown (performance.now() when the frame
// has loaded and been styled).
func Unlock(browser context.Context, pageURL string) (Unlocked, error) {
	var u Unlocked
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(tab); err != nil {
		return u, err
	}
	ctx, cancelTimeout := context.WithTimeout(tab, 60*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return u, err
	}
	state, err := chromedp.Run(ctx, chromedp.Poll[string](
		`["open", "error"].includes(document.documentElement.dataset.state) && document.documentElement.dataset.state`,
		chromedp.WithPollingInterval(5*time.Millisecond)))
	if err != nil {
		return u, err
	}
	if state != "open" {
		code, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.dataset.error || ""`))
		return u, fmt.Errorf("record.html did not open: %s", code)
	}
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Number(document.documentElement.dataset.openedMs)`))
	if err != nil {
		return u, err
	}
	u.Shown = millis(ms)
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](
		`Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]))`))
	if err != nil {
		return u, err
	}
	u.Marks = map[string]time.Duration{}
	for name, ms := range marks {
		u.Marks[name] = millis(ms)
	}
	return u, nil
}

func millis(ms float64) time.Duration {
	return time.Duration(ms * float64(time.Millisecond))
}

// gpgDecrypt times runs decryptions of msg by gpg in a throwaway home. The
// symmetric-key cache is off so every run derives the key again, as the
// browser does. gpg may not know the signer's key; the run counts when gpg
// reports the decryption good.
func gpgDecrypt(ctx context.Context, msg string, pass []byte, runs int) ([]time.Duration, error) {
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(home, 0o700); err != nil {
		return nil, err
	}
	defer func() {
		kill := exec.Command("gpgconf", "--kill", "all")
		kill.Env = append(os.Environ(), "GNUPGHOME="+home)
		kill.Run()
		os.RemoveAll(home)
	}()
	var out []time.Duration
	for range runs {
		cmd := exec.CommandContext(ctx, "gpg", "--batch", "--no-tty", "--quiet", "--no-symkey-cache",
			"--pinentry-mode", "loopback", "--passphrase-fd", "0", "--status-fd", "2",
			"--decrypt", "--output", os.DevNull, msg)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		cmd.Stdin = bytes.NewReader(append(slices.Clone(pass), '\n'))
		var status bytes.Buffer
		cmd.Stderr = &status
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if !strings.Contains(status.String(), "[GNUPG:] DECRYPTION_OKAY") {
			if err == nil {
				err = errors.New("no DECRYPTION_OKAY")
			}
			return nil, fmt.Errorf("gpg --decrypt %s: %v", filepath.Base(msg), err)
		}
		out = append(out, d)
	}
	return out, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
