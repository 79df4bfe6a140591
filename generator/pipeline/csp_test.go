package pipeline

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Unlocking a sample record breaks no rule of the page's CSP: the record
// document's style sheets are allowed by hash, not blocked and rebuilt.
// Chromium reports every violation to DevTools (as a console message and
// as an issue) and to a securitypolicyviolation listener in the page.
func TestSampleRecordsUnlockWithoutCSPViolation(t *testing.T) {
	testtool.Slow(t, "opens every sample record in Chromium")
	testtool.Need(t, "chromium")
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	browser, stop, err := browsers.Chromium(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	opened := 0
	for _, p := range rep.Patients {
		if p.Status != Built || len(p.Cards) == 0 {
			continue
		}
		abs, _ := filepath.Abs(filepath.Join(cfg.Root, p.Viewer))
		key := cardkey.Derive(master, p.ID, p.Cards[0].Serial).String()
		u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String() + "#k=" + url.QueryEscape(key)
		t.Run(p.ID, func(t *testing.T) {
			tab, closeTab := chromedp.NewContext(browser)
			defer closeTab()
			ctx, cancel := context.WithTimeout(tab, time.Minute)
			defer cancel()
			var mu sync.Mutex
			var reports []string // what was violated, never record text
			chromedp.Listen(ctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch ev := ev.(type) {
				case *cdplog.EventEntryAdded:
					if strings.Contains(ev.Entry.Text, "Content Security Policy") {
						reports = append(reports, "console: "+string(ev.Entry.Source))
					}
				case *audits.EventIssueAdded:
					if ev.Issue != nil && ev.Issue.Code == audits.InspectorIssueCodeContentSecurityPolicyIssue {
						reports = append(reports, "issue: "+string(ev.Issue.Details.ContentSecurityPolicyIssueDetails.ViolatedDirective))
					}
				}
			})
			if _, err := chromedp.Call(ctx, cdplog.Enable, struct{}{}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, audits.Enable, struct{}{}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `window.satchelViolations = []; document.addEventListener("securitypolicyviolation", (e) => window.satchelViolations.push(e.effectiveDirective), true);`,
			}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
				t.Fatal(err)
			}
			state, err := chromedp.Run(ctx, chromedp.Poll[string](
				`["open", "error"].includes(document.documentElement.dataset.state) && document.documentElement.dataset.state`))
			if err != nil || state != "open" {
				t.Fatalf("record.html did not open (%s, %v)", state, err)
			}
			inPage, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.satchelViolations || ["(no listener)"]`))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // DevTools events may trail the page
			mu.Lock()
			defer mu.Unlock()
			if len(reports)+len(inPage) > 0 {
				t.Errorf("CSP violations on unlock: DevTools %q, page %q", reports, inPage)
			}
			opened++
		})
	}
	if opened < 6 {
		t.Errorf("only %d sample records opened", opened)
	}
}
