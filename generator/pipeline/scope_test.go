package pipeline

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// scopeRecord has entries the emergency summary shows (an allergy, an
// active problem, a current medicine) and entries only the full record
// shows (a past problem, a stopped medicine, an immunisation).
const scopeRecord = `[patient]
name = "Wynfreda Quillfeather"
born = 1958-07-02
nhs_number = "999 000 0018"

[[allergies]]
substance = "Penicillin"
reaction = "Hives"
severity = "moderate"

[[problems]]
code = "SNOMED:38341003"
title = "Hypertension"
onset = 2019-03-03
status = "active"

[[problems]]
title = "Fractured left wrist"
onset = 2001-05-05
status = "resolved"

[[medications]]
name = "Amlodipine 5mg tablets"
dose = "One tablet once a day"
status = "current"
kind = "repeat"

[[medications]]
name = "Trimethoprim 200mg tablets"
status = "stopped"
kind = "acute"

[[immunisations]]
vaccine = "Tetanus booster"
date = 2020-01-10
`

var (
	// inSummary are in the emergency summary, and so in both documents.
	inSummary = []string{"Wynfreda Quillfeather", "Penicillin", "Hypertension", "Amlodipine"}
	// onlyInFull are in the full record alone.
	onlyInFull = []string{"Fractured left wrist", "Trimethoprim", "Tetanus booster"}
)

// summaryOnlyNote is what a summary-only document says of itself.
const summaryOnlyNote = "This is the emergency summary only"

// checkSummaryOnly fails unless doc is the emergency summary alone.
func checkSummaryOnly(t *testing.T, what, doc string) {
	t.Helper()
	for _, s := range append(inSummary, summaryOnlyNote) {
		if !strings.Contains(doc, s) {
			t.Errorf("%s: the summary lacks %q", what, s)
		}
	}
	for _, s := range onlyInFull {
		if strings.Contains(doc, s) {
			t.Errorf("%s: holds %q, which only the full record may", what, s)
		}
	}
}

// checkFull fails unless doc is the whole record.
func checkFull(t *testing.T, what, doc string) {
	t.Helper()
	for _, s := range append(inSummary, onlyInFull...) {
		if !strings.Contains(doc, s) {
			t.Errorf("%s: the full record lacks %q", what, s)
		}
	}
	if strings.Contains(doc, summaryOnlyNote) {
		t.Errorf("%s: the full record says it is the summary only", what)
	}
}

// scopedPractice builds p1 with card 1 (full, the build's), card 2
// (summary only) and card 3 (full), and returns the build's patient and
// each card's key.
func scopedPractice(t *testing.T) (cfg *site.Config, p Patient, keys map[int]cardkey.Secret, reg *registry.Registry, at time.Time) {
	t.Helper()
	cfg = tinyPractice(t, "", map[string]string{"p1": scopeRecord})
	at = time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	buildAt(t, cfg, at)
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	if c := reg.AddScope("p1", "Wallet", registry.ScopeSummary, at); c.Serial != 2 {
		t.Fatalf("summary card got serial %d", c.Serial)
	}
	reg.Add("p1", "Carer", at)
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	p = patientOf(t, buildAt(t, cfg, at.Add(time.Minute)), "p1")
	if len(p.Cards) != 3 {
		t.Fatalf("%d cards, want 3", len(p.Cards))
	}
	master := masterOf(t, cfg)
	h := reg.Holder("p1")
	keys = map[int]cardkey.Secret{}
	for serial := 1; serial <= 3; serial++ {
		keys[serial] = h.Secret(master, serial)
	}
	return cfg, p, keys, reg, at
}

// A summary-only card opens its own document, the emergency summary and
// nothing else, the way `satchel open` and the viewer open it; it does not
// open record.pgp or record.html, nor another card's file. Full cards open
// the whole record and not the summary card's files. Revoking the summary
// card removes its files at the next build.
func TestSummaryOnlyCardOpensTheSummaryAlone(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "pdftotext")
	cfg, p, keys, reg, at := scopedPractice(t)
	root := cfg.Root
	var sumCard CardFiles
	for _, c := range p.Cards {
		if c.Serial == 2 {
			sumCard = c
		} else if c.Scope != "" || c.Viewer != "" {
			t.Errorf("full card %d has scope %q and viewer %q", c.Serial, c.Scope, c.Viewer)
		}
	}
	if sumCard.Scope != "summary" || filepath.Base(sumCard.Viewer) != "summary.html" || !strings.HasPrefix(filepath.Base(sumCard.GPG), "record-") {
		t.Fatalf("summary card's files: scope %q, viewer %q, gpg %q", sumCard.Scope, sumCard.Viewer, sumCard.GPG)
	}
	doc, ok := opensWith(t, filepath.Join(root, sumCard.GPG), keys[2])
	if !ok {
		t.Fatal("the summary card does not open the file it names")
	}
	checkSummaryOnly(t, "the summary card's file", doc)
	msg, _ := os.ReadFile(filepath.Join(root, sumCard.GPG))
	o, err := seal.Open(msg, keys[2].Passphrase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := bundle.Unpack(o.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if bundle.Find(files, bundle.FHIR) != nil {
		t.Error("the summary card's bundle holds the FHIR record, which holds everything")
	}
	if bundle.Find(files, bundle.Info) == nil || bundle.Find(files, bundle.PracticeKey) == nil {
		t.Error("the summary card's bundle lacks bundle.json or the practice key")
	}
	// summary.html holds the message the viewer opens.
	page, err := os.ReadFile(filepath.Join(root, sumCard.Viewer))
	if err != nil {
		t.Fatal(err)
	}
	if len(page) == 0 {
		t.Fatal("summary.html is empty")
	}

	if _, ok := opensWith(t, filepath.Join(root, p.Bundle), keys[2]); ok {
		t.Error("the summary card opens record.pgp, the full record")
	}
	for _, c := range p.Cards {
		if c.Serial == 2 {
			continue
		}
		if _, ok := opensWith(t, filepath.Join(root, c.GPG), keys[2]); ok {
			t.Errorf("the summary card opens card %d's file", c.Serial)
		}
		doc, ok := opensWith(t, filepath.Join(root, c.GPG), keys[c.Serial])
		if !ok {
			t.Fatalf("full card %d does not open its file", c.Serial)
		}
		checkFull(t, "a full card's file", doc)
		if _, ok := opensWith(t, filepath.Join(root, sumCard.GPG), keys[c.Serial]); ok {
			t.Errorf("full card %d opens the summary card's file", c.Serial)
		}
	}
	doc, ok = opensWith(t, filepath.Join(root, p.Bundle), keys[3])
	if !ok {
		t.Fatal("full card 3 does not open record.pgp")
	}
	checkFull(t, "record.pgp", doc)

	// Its PDF copy holds the summary alone, and its card says so.
	if sumCard.PDF == "" {
		t.Fatal("the summary card has no PDF copy")
	}
	{
		text, err := exec.Command("pdftotext", "-upw", strings.Join(keys[2].Groups(), ""), filepath.Join(root, sumCard.PDF), "-").Output()
		if err != nil {
			t.Fatalf("pdftotext does not open the summary card's PDF with its key: %v", err)
		}
		for _, s := range inSummary {
			if !strings.Contains(string(text), s) {
				t.Errorf("the summary card's PDF lacks %q", s)
			}
		}
		for _, s := range onlyInFull {
			if strings.Contains(string(text), s) {
				t.Errorf("the summary card's PDF holds %q", s)
			}
		}
	}
	card, err := os.ReadFile(filepath.Join(root, sumCard.HTML))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(card), "Opens your emergency summary only") || !strings.Contains(string(card), "<b>summary.html</b>") {
		t.Error("the summary card does not say it opens the emergency summary only, in summary.html")
	}

	// Revoked: its files go at the next build.
	if err := reg.Revoke("p1", 2, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	p = patientOf(t, buildAt(t, cfg, at.Add(3*time.Minute)), "p1")
	if len(p.Cards) != 2 {
		t.Fatalf("%d cards after revoking the summary card, want 2", len(p.Cards))
	}
	for _, f := range []string{sumCard.GPG, sumCard.PDF, sumCard.Viewer, sumCard.HTML, sumCard.PNG} {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			t.Errorf("%s is still there after the summary card was revoked", filepath.Base(f))
		}
	}
	if _, ok := opensWith(t, filepath.Join(root, p.Bundle), keys[2]); ok {
		t.Error("the revoked summary card opens record.pgp")
	}
}

// With the real tools: gpg and sq open the summary card's own file, and
// the viewer opens summary.html with its key, showing the summary and
// nothing else; neither gpg, sq nor the viewer opens the full record with
// it. A full card opens everything in each.
func TestSummaryOnlyCardInGPGSQAndTheViewer(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: opens bundles in Chromium, gpg and sq; make test runs it")
	}
	t.Parallel()
	testtool.Need(t, "gpg", "sq", "chromium")
	cfg, p, keys, _, _ := scopedPractice(t)
	root := cfg.Root
	var sumCard, fullCard CardFiles
	for _, c := range p.Cards {
		switch c.Serial {
		case 2:
			sumCard = c
		case 3:
			fullCard = c
		}
	}
	unpack := func(what string, plain []byte) string {
		t.Helper()
		files, err := bundle.Unpack(plain)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if d := bundle.Find(files, bundle.Document); d != nil {
			return string(d.Data)
		}
		t.Fatalf("%s: no document", what)
		return ""
	}
	sumKey, fullKey := []byte(keys[2].String()), []byte(keys[3].String())
	pgp := filepath.Join(root, p.Bundle)

	plain, err := gpgDecrypt(t, cfg, filepath.Join(root, sumCard.GPG), sumKey)
	if err != nil {
		t.Fatalf("gpg does not open the summary card's file: %v", err)
	}
	checkSummaryOnly(t, "gpg, summary card", unpack("gpg", plain))
	if plain, err = testtool.SQDecrypt(t, filepath.Join(root, sumCard.GPG), sumKey); err != nil {
		t.Fatalf("sq does not open the summary card's file: %v", err)
	}
	checkSummaryOnly(t, "sq, summary card", unpack("sq", plain))
	if _, err := gpgDecrypt(t, cfg, pgp, sumKey); err == nil {
		t.Error("gpg opens record.pgp with the summary card")
	}
	if _, err := testtool.SQDecrypt(t, pgp, sumKey); err == nil {
		t.Error("sq opens record.pgp with the summary card")
	}
	if _, err := testtool.SQDecrypt(t, filepath.Join(root, fullCard.GPG), sumKey); err == nil {
		t.Error("sq opens a full card's file with the summary card")
	}
	if plain, err = gpgDecrypt(t, cfg, filepath.Join(root, fullCard.GPG), fullKey); err != nil {
		t.Fatalf("gpg does not open the full card's file: %v", err)
	}
	checkFull(t, "gpg, full card", unpack("gpg", plain))
	if plain, err = testtool.SQDecrypt(t, pgp, fullKey); err != nil {
		t.Fatalf("sq does not open record.pgp with a full card: %v", err)
	}
	checkFull(t, "sq, full card", unpack("sq", plain))

	bc := browser(t)
	summaryPage, fullPage := fileURL(filepath.Join(root, sumCard.Viewer)), fileURL(filepath.Join(root, p.Viewer))
	for _, s := range append(inSummary, summaryOnlyNote) {
		if v := openPage(t, bc, summaryPage, keys[2].String(), s); v.state != "open" || !v.shown {
			t.Errorf("the viewer does not show %q from summary.html with the summary card (state %s %s)", s, v.state, v.code)
		}
	}
	for _, s := range onlyInFull {
		if v := openPage(t, bc, summaryPage, keys[2].String(), s); v.state != "open" || v.shown {
			t.Errorf("summary.html with the summary card: state %s, shows %q: %v", v.state, s, v.shown)
		}
	}
	if v := openPage(t, bc, fullPage, keys[2].String(), inSummary[0]); v.state != "error" || v.code != "wrong-key" || v.shown {
		t.Errorf("record.html with the summary card: state %s code %s, want error wrong-key", v.state, v.code)
	}
	if v := openPage(t, bc, summaryPage, keys[3].String(), inSummary[0]); v.state != "error" || v.code != "wrong-key" {
		t.Errorf("summary.html with a full card: state %s code %s, want error wrong-key", v.state, v.code)
	}
	for _, s := range onlyInFull {
		if v := openPage(t, bc, fullPage, keys[3].String(), s); v.state != "open" || !v.shown {
			t.Errorf("record.html with a full card does not show %q (state %s %s)", s, v.state, v.code)
		}
	}
}

// When every live card is summary-only (and the record names no key of
// the patient's own), nobody may open the full record: record.pgp and
// record.html are withdrawn, the build says so, and summary.html stays.
func TestOnlySummaryCardsWithdrawTheFullRecord(t *testing.T) {
	t.Parallel()
	cfg, p, keys, reg, at := scopedPractice(t)
	pgp, page := filepath.Join(cfg.Root, p.Bundle), filepath.Join(cfg.Root, p.Viewer)
	for _, serial := range []int{1, 3} {
		if err := reg.Revoke("p1", serial, at.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	p = patientOf(t, buildAt(t, cfg, at.Add(3*time.Minute)), "p1")
	for _, f := range []string{pgp, page} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s is still published with only a summary-only card live", filepath.Base(f))
		}
	}
	if p.Bundle != "" || filepath.Base(p.Viewer) != summaryPage {
		t.Errorf("bundle %q, viewer %q: want no bundle and summary.html", p.Bundle, p.Viewer)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "the full record is not published") || strings.Contains(p.Warnings[0], "Wynfreda") {
		t.Errorf("warnings %q: want one saying the full record is not published, naming nobody", p.Warnings)
	}
	doc, ok := opensWith(t, filepath.Join(cfg.Root, p.Cards[0].GPG), keys[2])
	if !ok {
		t.Fatal("the summary card no longer opens its file")
	}
	checkSummaryOnly(t, "the summary card's file", doc)
}

// summary.html opens with the summary-only card in each of the three
// engines, from file:// with the key in the fragment, showing the summary
// and nothing only the full record holds; record.html refuses that key.
func TestSummaryPageOpensInThreeEngines(t *testing.T) {
	testtool.Slow(t, "opens summary.html in Chromium, Firefox and WebKit")
	for _, name := range browsers.Names {
		testtool.Need(t, browsers.Tools[name]...)
	}
	cfg, p, keys, _, _ := scopedPractice(t)
	var sumPage string
	for _, c := range p.Cards {
		if c.Viewer != "" {
			sumPage = filepath.Join(cfg.Root, c.Viewer)
		}
	}
	want, _ := json.Marshal(append(inSummary, summaryOnlyNote))
	unwanted, _ := json.Marshal(onlyInFull)
	pg := samplePage{id: "p1", key: keys[2].String(), texts: string(want)}
	withKey := func(path string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String() + "#k=" + url.QueryEscape(pg.key)
	}
	for _, name := range browsers.Names {
		t.Run(name, func(t *testing.T) {
			e, err := browsers.Start(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			b := &engineTab{t: t, e: e}
			b.open(withKey(sumPage), pg, "summary.html with the summary card")
			var leaked bool
			b.eval(`(() => {
				const f = document.querySelector("#frame-box iframe");
				const text = f && f.contentDocument ? f.contentDocument.body.textContent : "";
				return `+string(unwanted)+`.some((t) => text.includes(t));
			})()`, &leaked)
			if leaked {
				t.Error("summary.html shows what only the full record holds")
			}
			b.navigate(withKey(filepath.Join(cfg.Root, p.Viewer)))
			if state, code := b.settle("record.html with the summary card"); state != "error" || code != "wrong-key" {
				t.Errorf("record.html with the summary card: state %s code %s, want error wrong-key", state, code)
			}
		})
	}
}

// A hosted summary-only card's QR link opens summary.html, which its
// service worker keeps for offline use like record.html; the phone never
// fetches record.html.
func TestHostedSummaryStillUnlocksWhenTheHostIsGone(t *testing.T) {
	testtool.Slow(t, "opens a hosted summary.html in Chromium three times")
	testtool.Need(t, "chromium", "zbarimg")
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": scopeRecord})
	h := newHost(t, cfg)
	cfg.BaseURL = h.URL + "/"
	at := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	buildAt(t, cfg, at)
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	reg.AddScope("p1", "Wallet", registry.ScopeSummary, at)
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	p := patientOf(t, buildAt(t, cfg, at.Add(time.Minute)), "p1")
	link, err := testtool.Zbar(t, filepath.Join(cfg.Root, p.Cards[1].PNG))
	if err != nil {
		t.Fatal(err)
	}
	pageURL, frag, _ := strings.Cut(link, "#k=")
	if !strings.HasPrefix(pageURL, h.URL+"/bundles/") || !strings.HasSuffix(pageURL, "/"+summaryPage) {
		t.Fatalf("the summary card's QR link is not to its hosted summary.html")
	}
	key, err := url.QueryUnescape(frag)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range stillUnlocks(t, h, pageURL, key) {
		if strings.HasSuffix(r, "/record.html") || strings.HasSuffix(r, "/record.pgp") {
			t.Errorf("the summary card's phone fetched %s", r)
		}
	}
}
