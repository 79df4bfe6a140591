package pipeline

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/internal/testtool"
	"github.com/satchel-records/satchel/internal/viewerbench"
)

// firstOfEachSection returns the patient's name and the words of the first
// entry of every non-empty section of what leaves the practice.
func firstOfEachSection(r *record.Record) []string {
	out := []string{r.Patient.Name}
	add := func(n int, s func() string) {
		if n > 0 {
			out = append(out, s())
		}
	}
	add(len(r.Problems), func() string { return r.Problems[0].Title })
	add(len(r.Medications), func() string { return r.Medications[0].Name })
	add(len(r.Allergies), func() string { return r.Allergies[0].Substance })
	add(len(r.Immunisations), func() string { return r.Immunisations[0].Vaccine })
	add(len(r.Results), func() string { return r.Results[0].Title })
	add(len(r.Procedures), func() string { return r.Procedures[0].Title })
	add(len(r.Letters), func() string { return r.Letters[0].Title })
	add(len(r.Devices), func() string { return r.Devices[0].Title })
	add(len(r.CarePlans), func() string { return r.CarePlans[0].Title })
	add(len(r.Referrals), func() string { return r.Referrals[0].Title })
	return out
}

// Every sample patient's record.html opens from file:// with the card's key
// in the fragment: the name and an entry of each non-empty section show in
// the frame, and the key is gone from the address bar.
func TestEverySampleRecordOpensInChromiumFromItsCard(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: opens every record in Chromium; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "chromium", "zbarimg")
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	browser, stop, err := viewerbench.Browser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	opened := 0
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			file, _ := load.Find(cfg.RecordsDir, p.ID)
			data, _ := os.ReadFile(file)
			rec, err := load.Record(file, data)
			if err != nil {
				t.Fatal(err)
			}
			appr, _ := policy.ReadApproval(policy.ApprovalPath(file))
			want := firstOfEachSection(policy.DefaultRules().Apply(rec, appr, clock()).Out)
			secret, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[0].PNG))
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(filepath.Join(cfg.Root, p.Viewer))
			page := (&url.URL{Scheme: "file", Path: abs}).String() + "#k=" + url.QueryEscape(secret)

			tab, closeTab := chromedp.NewContext(browser)
			defer closeTab()
			tctx, cancel := context.WithTimeout(tab, time.Minute)
			defer cancel()
			texts, _ := json.Marshal(want)
			if err := chromedp.Do(tctx, chromedp.Navigate(page)); err != nil {
				t.Fatal(err)
			}
			state, err := chromedp.Run(tctx, chromedp.Poll[string](
				`["open", "error"].includes(document.documentElement.dataset.state) && document.documentElement.dataset.state`))
			if err != nil {
				t.Fatal(err)
			}
			shown, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`(() => {
				const f = document.querySelector("iframe");
				if (!f || !f.contentDocument) return false;
				const text = f.contentDocument.body.textContent;
				return `+string(texts)+`.every((t) => text.includes(t));
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			keyGone, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`location.hash === "" && !location.href.includes("k=")`))
			if err != nil {
				t.Fatal(err)
			}
			if state != "open" {
				t.Fatalf("record.html did not open (state %s)", state)
			}
			if !shown {
				t.Errorf("the frame does not show the name and an entry of each of the %d non-empty sections", len(want)-1)
			}
			if !keyGone {
				t.Error("the key is still in the address bar")
			}
			opened++
		})
	}
	if opened < 6 {
		t.Errorf("only %d sample records opened", opened)
	}
}
