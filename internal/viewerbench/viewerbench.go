// Package viewerbench measures record.html for `make bench`: its size, how
// long each browser engine (Chromium, Firefox ESR, WebKitGTK, driven by
// internal/browsers) takes from navigation to the record on screen with the
// key in the URL fragment, and how long gpg takes to decrypt the same
// record.pgp, as a reference in the same run. It also starts Chromium the
// way the viewer's tests drive it, so both measure the same browser.
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
	// Unlock is, per engine (browsers.Names), the median time from
	// navigation start to the record shown in its frame, record.html
	// opened from file:// with the key in the URL fragment.
	Unlock map[string]time.Duration
	// GPGMedian is the median wall time of `gpg --decrypt` of record.pgp,
	// the same record, in the same run.
	GPGMedian time.Duration
	// Phases are, per engine, the median times from navigation start at
	// which the page reached each of its performance marks
	// (satchel-parsed, satchel-decrypted), to show where the time goes.
	Phases map[string]map[string]time.Duration
}

// WriteTo prints the figures as `name: value` lines: per engine the unlock
// median and its ratio to gpg --decrypt of the same record.pgp
// (unlock_vs_gpg_<engine>); unlock_ms_median is Chromium's, as before.
func (f Figures) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "viewer_bytes: %d\nrecord_html_bytes: %d\n", f.ViewerBytes, f.RecordHTMLBytes)
	if d, ok := f.Unlock["chromium"]; ok {
		fmt.Fprintf(&b, "unlock_ms_median: %d\n", ms(d))
	}
	for _, e := range browsers.Names {
		d, ok := f.Unlock[e]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "unlock_ms_median_%s: %d\n", e, ms(d))
		if f.GPGMedian > 0 {
			fmt.Fprintf(&b, "unlock_vs_gpg_%s: %.2f\n", e, d.Seconds()/f.GPGMedian.Seconds())
		}
		if m := f.Phases[e]; m != nil {
			for _, mark := range []string{"satchel-parsed", "satchel-decrypted"} {
				if d, ok := m[mark]; ok {
					fmt.Fprintf(&b, "unlock_ms_%s_%s: %d\n", strings.TrimPrefix(mark, "satchel-"), e, ms(d))
				}
			}
		}
	}
	fmt.Fprintf(&b, "unlock_ms_gpg_cli: %d\n", ms(f.GPGMedian))
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func ms(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }

// Measure measures recordHTML and recordPGP (the same patient's files)
// opened with secret, each timing the median of runs: record.html in each
// of engines (one browser each, started once), record.pgp by gpg.
func Measure(ctx context.Context, recordHTML, recordPGP string, secret cardkey.Secret, runs int, engines []string) (Figures, error) {
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

	abs, err := filepath.Abs(recordHTML)
	if err != nil {
		return f, err
	}
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String() + "#k=" + url.QueryEscape(secret.String())
	f.Unlock = map[string]time.Duration{}
	f.Phases = map[string]map[string]time.Duration{}
	for _, name := range engines {
		e, err := browsers.Start(ctx, name)
		if err != nil {
			return f, err
		}
		var unlocks []time.Duration
		phases := map[string][]time.Duration{}
		for range runs {
			u, err := Unlock(e, page)
			if err != nil {
				e.Close()
				return f, fmt.Errorf("%s: %w", name, err)
			}
			unlocks = append(unlocks, u.Shown)
			for mark, d := range u.Marks {
				phases[mark] = append(phases[mark], d)
			}
		}
		e.Close()
		f.Unlock[name] = median(unlocks)
		f.Phases[name] = map[string]time.Duration{}
		for mark, ds := range phases {
			f.Phases[name][mark] = median(ds)
		}
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
// engine's tab, after about:blank so it loads anew, and returns the page's
// own measure of the time from navigation start to the record shown
// (performance.now() when the frame has loaded), the same clock in every
// engine.
func Unlock(e browsers.Engine, pageURL string) (Unlocked, error) {
	var u Unlocked
	if err := e.Navigate("about:blank"); err != nil {
		return u, err
	}
	if err := e.Navigate(pageURL); err != nil {
		return u, err
	}
	var st struct {
		State, Code string
		Opened      float64
		Marks       map[string]float64
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if err := e.Eval(`(() => {
			const d = document.documentElement.dataset;
			return {state: d.state || "", code: d.error || "", opened: Number(d.openedMs || 0),
				marks: Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]))};
		})()`, &st); err != nil {
			return u, err
		}
		if st.State == "open" || st.State == "error" {
			break
		}
		if time.Now().After(deadline) {
			return u, errors.New("record.html neither opened nor failed within 60 s")
		}
	}
	if st.State != "open" {
		return u, fmt.Errorf("record.html did not open: %s", st.Code)
	}
	u.Shown = millis(st.Opened)
	u.Marks = map[string]time.Duration{}
	for name, ms := range st.Marks {
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
