package render_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// sealedSample is one sample patient's record.html, sealed and signed as a
// build would seal it, with the card key that opens it.
type sealedSample struct {
	id, key string
	page    []byte
}

// sealSamples seals every sample patient's document into record.html with
// a signed bundle.json (practice, approver, dates), signed by one practice
// key. until is the signed current-until date: in the past, the page shows
// its out-of-date banner.
func sealSamples(t *testing.T, patients []samplePatient, docs []string, until time.Time) []sealedSample {
	t.Helper()
	langs, err := i18n.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	v, err := viewer.New(langs)
	if err != nil {
		t.Fatalf("%v (`make decryptor` builds the decryptor; `make test` runs it first)", err)
	}
	rng := rand.NewChaCha8([32]byte{9})
	practice, err := seal.NewKey("Riverside Medical Centre", "practice@example.invalid", sampleNow.Add(-time.Hour), rng)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	aw, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := practice.Serialize(aw); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	master := bytes.Repeat([]byte{0x42}, 32)
	var out []sealedSample
	for i, p := range patients {
		info := provenance.Info{
			Practice: "Riverside Medical Centre", ODSCode: "Y99999", BundleID: "sample-" + p.ID,
			Exported: sampleNow, CurrentUntil: until,
			ApprovedBy: p.Doc.Approval.By, ApproverRole: p.Doc.Approval.Role, Approved: p.Doc.Approval.Date.Time.Format(time.DateOnly),
		}
		infoJSON, err := info.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		zipped, err := bundle.Pack([]bundle.File{
			{Name: bundle.Document, Data: []byte(docs[i])},
			{Name: bundle.PracticeKey, Data: pub.Bytes()},
			{Name: provenance.FileName, Data: infoJSON},
		}, sampleNow)
		if err != nil {
			t.Fatal(err)
		}
		key := cardkey.Derive(master, p.ID, 1)
		var msg bytes.Buffer
		if err := seal.Encrypt(&msg, zipped, seal.Options{Passphrases: [][]byte{key.Passphrase()}, Signer: practice, FileName: "record.zip", Time: sampleNow, Rand: rng}); err != nil {
			t.Fatal(err)
		}
		var page bytes.Buffer
		if err := v.Render(&page, viewer.Page{
			PracticeName: "Riverside Medical Centre", PracticePhone: "01632 960123", Exported: sampleNow, CurrentUntil: until,
			Message: msg.Bytes(), DocumentStyles: viewer.Styles([]byte(docs[i])), PracticeKey: pub.Bytes(),
		}); err != nil {
			t.Fatal(err)
		}
		out = append(out, sealedSample{id: p.ID, key: key.String(), page: page.Bytes()})
	}
	return out
}

// viewerFirstScreen measures, in the viewer with the record open, where
// the allergies heading and the first active problem end, in CSS pixels
// from the top of the screen (-1 for a record without active problems),
// and whether the signature line and, when out of date, the banner are on
// screen. Positions only: never the record's text.
const viewerFirstScreen = `(() => {
	const f = document.querySelector("#frame-box iframe");
	const d = f.contentDocument;
	const base = f.getBoundingClientRect().top;
	const bottom = (sel) => { const e = d.querySelector(sel); return e ? Math.round(base + e.getBoundingClientRect().bottom) : -1; };
	const top = (sel) => { const e = d.querySelector(sel); return e ? Math.round(base + e.getBoundingClientRect().top) : -1; };
	const onScreen = (id) => { const e = document.getElementById(id); if (!e || e.hidden) return false; const r = e.getBoundingClientRect(); return r.height > 10 && r.top >= 0 && r.bottom <= innerHeight; };
	return {
		frameTop: Math.round(base),
		allergies: bottom(".summary-allergies h3"),
		problem: bottom(".summary-problems li strong"),
		highRisk: top(".summary-high-risk li"),
		alerts: top(".summary-alerts h3"),
		decisions: top(".summary-decisions h3"),
		signature: onScreen("signature"),
		stale: onScreen("stale"),
		scroll: f.contentWindow.scrollY + window.scrollY,
	};
})()`

type viewerTops struct {
	FrameTop, Allergies, Problem int
	HighRisk, Alerts, Decisions  int
	Signature, Stale             bool
	Scroll                       float64
}

// frameDateLines is dateLines, run from the viewer on its frame's document.
var frameDateLines = `(() => { const document = window.document.querySelector("#frame-box iframe").contentDocument; return ` + dateLines + `; })()`

// In the viewer, once unlocked, a phone's first screen (390x844) holds the
// signature line, the allergies heading and the first active problem of
// every sample patient, in Chromium and Firefox; out of date, the banner
// shows as well. At 1280 px no result date wraps, in the viewer or in the
// document on its own, in those two and WebKit.
func TestViewerFirstPhoneScreenAnswersTheClinician(t *testing.T) {
	testtool.Slow(t, "Chromium, Firefox and WebKit open every sample record at phone and desktop width")
	patients := samplePatients(t)
	r := sampleRenderer(t, "default")
	docs := make([]string, len(patients))
	for i, p := range patients {
		docs[i] = renderSample(t, r, p)
	}
	current := sealSamples(t, patients, docs, sampleNow.AddDate(5, 0, 0))
	stale := sealSamples(t, patients, docs, sampleNow.AddDate(0, -1, 0))
	srv := newPages(t)
	dir, keepShots := shotDir(t)
	for _, name := range browsers.Names {
		t.Run(name, func(t *testing.T) {
			testtool.Need(t, browsers.Tools[name]...)
			e, err := browsers.Start(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			must := func(t *testing.T, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			open := func(t *testing.T, pageURL string) {
				t.Helper()
				must(t, e.Navigate("about:blank"))
				must(t, e.Navigate(pageURL))
				deadline := time.Now().Add(60 * time.Second)
				for {
					var state string
					must(t, e.Eval(`document.documentElement.dataset.state || ""`, &state))
					if state == "open" {
						return
					}
					if state == "error" || time.Now().After(deadline) {
						t.Fatalf("the viewer did not open the record (state %q)", state)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			// WebKitGTK's MiniBrowser will not make its window narrower
			// than its own toolbar (447 px): its phone width cannot be
			// reached, so WebKit is checked at 1280 px only.
			phone := name != "webkit"
			for i, p := range patients {
				for _, s := range []struct {
					kind   string
					sealed sealedSample
				}{{"current", current[i]}, {"out-of-date", stale[i]}} {
					if !phone {
						break
					}
					t.Run(p.ID+"/"+s.kind+"/390", func(t *testing.T) {
						u := srv.add(name+"-"+s.kind+"-"+p.ID+".html", s.sealed.page)
						must(t, e.Resize(390, 844))
						open(t, u+"#k="+url.QueryEscape(s.sealed.key))
						var got viewerTops
						must(t, e.Eval(viewerFirstScreen, &got))
						t.Logf("frame top %d px, allergies heading ends %d px, first active problem %d px; high-risk medicines, alerts and advance decisions start %d, %d, %d px",
							got.FrameTop, got.Allergies, got.Problem, got.HighRisk, got.Alerts, got.Decisions)
						if got.Scroll != 0 {
							t.Fatalf("the page opened scrolled by %v px", got.Scroll)
						}
						if got.Allergies < 0 || got.Allergies > 844 {
							t.Errorf("allergies heading ends at %d px, want within the first 844", got.Allergies)
						}
						if got.Problem > 844 {
							t.Errorf("the first active problem ends at %d px, want within the first 844", got.Problem)
						}
						// High-risk medicines and advance decisions come
						// before the active problems: they start on the
						// first screen too. (Alerts, after the problems,
						// may not: see the log line.)
						if got.HighRisk > 844 || got.Decisions > 844 {
							t.Errorf("high-risk medicines start at %d px, advance decisions at %d px, want within the first 844", got.HighRisk, got.Decisions)
						}
						if got.Problem < 0 && hasActiveProblem(p) {
							t.Error("an active problem is missing from the summary")
						}
						if !got.Signature {
							t.Error("the signature line is not on the first screen")
						}
						if got.Stale != (s.kind == "out-of-date") {
							t.Errorf("out-of-date banner on screen: %v, want %v", got.Stale, s.kind == "out-of-date")
						}
					})
				}
				t.Run(p.ID+"/1280", func(t *testing.T) {
					must(t, e.Resize(1280, 900))
					open(t, srv.add(name+"-current-"+p.ID+".html", current[i].page)+"#k="+url.QueryEscape(current[i].key))
					for _, where := range []struct {
						what string
						expr string
					}{{"viewer", frameDateLines}} {
						var got dateWrap
						must(t, e.Eval(where.expr, &got))
						if len(p.Doc.Record.Results) > 0 && got.Cells == 0 {
							t.Errorf("%s: no result date cells found", where.what)
						}
						for _, w := range got.Wrapped {
							t.Errorf("%s: a result date wraps: %s", where.what, w)
						}
					}
					must(t, e.Navigate(srv.add(name+"-doc-"+p.ID+".html", []byte(docs[i]))))
					var got dateWrap
					must(t, e.Eval(dateLines, &got))
					if len(p.Doc.Record.Results) > 0 && got.Cells == 0 {
						t.Error("document: no result date cells found")
					}
					for _, w := range got.Wrapped {
						t.Errorf("document: a result date wraps: %s", w)
					}
				})
			}
		})
	}
	if !keepShots {
		return
	}
	// Screenshots of the first screen after unlocking, for a person to
	// look at: Chromium, which the other layout shots use.
	ctx := browser(t)
	for i, p := range patients {
		for _, s := range []struct {
			kind   string
			sealed sealedSample
		}{{"current", current[i]}, {"out-of-date", stale[i]}} {
			tc := tab(t, ctx, srv.add("shot-"+s.kind+"-"+p.ID+".html", s.sealed.page)+"#k="+url.QueryEscape(s.sealed.key), 390, 844)
			pctx, cancel := context.WithTimeout(tc, 60*time.Second)
			_, err := chromedp.Run(pctx, chromedp.Poll[bool](`document.documentElement.dataset.state === "open"`, chromedp.WithPollingInterval(20*time.Millisecond)))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			shot(t, tc, filepath.Join(dir, p.ID+"-viewer-"+s.kind+"-390.png"), false)
			if i == 0 {
				// The signature line opened, and the Print menu.
				run(t, tc, chromedp.Evaluate[chromedp.Void](`document.getElementById("signature").open = true`))
				shot(t, tc, filepath.Join(dir, p.ID+"-viewer-"+s.kind+"-signature-390.png"), false)
				run(t, tc, chromedp.Evaluate[chromedp.Void](`document.getElementById("signature").open = false; document.getElementById("printing").open = true`))
				shot(t, tc, filepath.Join(dir, p.ID+"-viewer-"+s.kind+"-print-390.png"), false)
			}
		}
	}
}

// hasActiveProblem reports whether the patient's record has a problem the
// summary lists as active.
func hasActiveProblem(p samplePatient) bool {
	for _, pr := range p.Doc.Record.Problems {
		if pr.Status == "" || pr.Status == "active" {
			return true
		}
	}
	return false
}
