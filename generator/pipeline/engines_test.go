package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/testtool"
)

// samplePage is one sample patient's record.html, as the engines test
// opens it: its path under public/, the card key, the texts that show the
// record is on screen, and a copy with one byte of the message flipped.
type samplePage struct {
	id      string
	rel     string // path under public/, slash-separated
	key     string
	texts   string // JSON array of strings: never printed
	flipped string // path of the flipped copy, under public/
}

// Every sample patient's record.html opens in each of the three engines
// Debian packages (Chromium, Firefox ESR, WebKitGTK): from file:// with the
// key in the fragment, over http from 127.0.0.1, and with the key typed;
// the key leaves the address bar; a copy with one flipped byte is refused
// with no record text anywhere in the page; and the page opens over plain
// http from a non-secure origin (a name each browser maps to 127.0.0.1).
func TestEverySampleRecordOpensInThreeEngines(t *testing.T) {
	testtool.Slow(t, "opens every sample record in Chromium, Firefox and WebKit")
	for _, name := range browsers.Names {
		testtool.Need(t, browsers.Tools[name]...)
	}
	cfg := samplePractice(t)
	rep := runBuild(t, cfg)
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	public := filepath.Join(cfg.Root, "public")
	var pages []samplePage
	for _, p := range rep.Patients {
		if p.Status != Built || len(p.Cards) == 0 {
			continue
		}
		file, _ := load.Find(cfg.RecordsDir, p.ID)
		data, _ := os.ReadFile(file)
		rec, err := load.Record(file, data)
		if err != nil {
			t.Fatal(err)
		}
		appr, _ := policy.ReadApproval(policy.ApprovalPath(file))
		texts, _ := json.Marshal(firstOfEachSection(policy.DefaultRules().Apply(rec, appr, clock()).Out))
		abs := filepath.Join(cfg.Root, p.Viewer)
		rel, err := filepath.Rel(public, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("%s: record.html %s is not under public/", p.ID, p.Viewer)
		}
		html, err := os.ReadFile(abs)
		if err != nil {
			t.Fatal(err)
		}
		flipped := strings.TrimSuffix(rel, ".html") + "-flipped.html"
		if err := os.WriteFile(filepath.Join(public, flipped), testtool.FlipArmoredByte(t, html), 0o644); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, samplePage{
			id: p.ID, rel: filepath.ToSlash(rel), key: cardkey.Derive(master, p.ID, p.Cards[0].Serial).String(),
			texts: string(texts), flipped: filepath.ToSlash(flipped),
		})
	}
	if len(pages) < 6 {
		t.Fatalf("only %d sample records built", len(pages))
	}
	// Under /sandboxed/ the server sends the page as a host that sandboxes
	// what it serves would: the page gets an opaque origin of its own and
	// cannot reach into its frame.
	files := http.FileServer(http.Dir(public))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/sandboxed"); ok {
			w.Header().Set("Content-Security-Policy", "sandbox allow-scripts")
			r.URL.Path = rest
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	fileURL := func(rel string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(public, rel))}).String()
	}
	withKey := func(u, key string) string { return u + "#k=" + url.QueryEscape(key) }

	for _, name := range browsers.Names {
		t.Run(name, func(t *testing.T) {
			e, err := browsers.Start(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			b := &engineTab{t: t, e: e}
			for i, pg := range pages {
				t.Run(pg.id, func(t *testing.T) {
					b.t = t
					b.open(withKey(fileURL(pg.rel), pg.key), pg, "file:// with the key in the fragment")
					b.styled("file:// with the key in the fragment", true)
					b.open(withKey(srv.URL+"/"+pg.rel, pg.key), pg, "http from 127.0.0.1")
					b.typed(fileURL(pg.rel), pg, "file:// with the key typed")
					b.refused(withKey(fileURL(pg.flipped), pg.key), pg, "one flipped byte")
					if i == 0 {
						mapped := fmt.Sprintf("http://%s:%d/%s", browsers.TestHost, port, pg.rel)
						b.open(withKey(mapped, pg.key), pg, "http from a non-secure origin")
						var secure bool
						b.eval(`window.isSecureContext`, &secure)
						if secure {
							t.Errorf("%s counts as a secure context: the test proves nothing", browsers.TestHost)
						}
						b.sandboxed(withKey(srv.URL+"/sandboxed/"+pg.rel, pg.key), pg, "a host that serves the page sandboxed")
					}
				})
			}
		})
	}
}

// engineTab runs the checks in one engine's tab. It reports record text
// only as yes or no.
type engineTab struct {
	t *testing.T
	e browsers.Engine
}

func (b *engineTab) eval(expr string, out any) {
	b.t.Helper()
	if err := b.e.Eval(expr, out); err != nil {
		b.t.Fatal(err)
	}
}

func (b *engineTab) navigate(u string) {
	b.t.Helper()
	// about:blank first, so a URL that differs only in its fragment from
	// the one before still loads the page anew.
	if err := b.e.Navigate("about:blank"); err != nil {
		b.t.Fatal(err)
	}
	if err := b.e.Navigate(u); err != nil {
		b.t.Fatalf("loading the page: %v", err)
	}
}

// settle waits until the page has opened the record or shown an error.
func (b *engineTab) settle(what string) (state, code string) {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var s struct{ State, Code string }
		b.eval(`({state: document.documentElement.dataset.state || "", code: document.documentElement.dataset.error || ""})`, &s)
		if s.State == "open" || s.State == "error" {
			return s.State, s.Code
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: the page neither opened nor failed (state %q)", what, s.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shown reports whether the frame shows the patient's name and an entry of
// each non-empty section, on screen.
func (b *engineTab) shown(pg samplePage) bool {
	b.t.Helper()
	var ok bool
	b.eval(`(() => {
		const f = document.querySelector("#frame-box iframe");
		if (!f || !f.contentDocument || document.getElementById("record-screen").hidden) return false;
		const r = f.getBoundingClientRect();
		const text = f.contentDocument.body.textContent;
		return r.width > 100 && r.height > 100 && `+pg.texts+`.every((t) => text.includes(t));
	})()`, &ok)
	return ok
}

// keyGone checks that neither the address bar nor location holds the key.
func (b *engineTab) keyGone(pg samplePage, what string) {
	b.t.Helper()
	u, err := b.e.URL()
	if err != nil {
		b.t.Fatal(err)
	}
	var href string
	b.eval(`location.href`, &href)
	for _, s := range []string{u, href} {
		if strings.Contains(s, "#") || strings.Contains(s, "k=") || strings.Contains(s, url.QueryEscape(pg.key)) {
			b.t.Errorf("%s: the key is still in the address bar", what)
			return
		}
	}
}

func (b *engineTab) open(u string, pg samplePage, what string) {
	b.t.Helper()
	b.navigate(u)
	if state, code := b.settle(what); state != "open" {
		b.t.Fatalf("%s: record.html did not open (%s)", what, code)
	}
	if !b.shown(pg) {
		b.t.Errorf("%s: the frame does not show the name and an entry of each non-empty section", what)
	}
	b.keyGone(pg, what)
}

// styled checks, from outside the page, that every style sheet of the
// record document applies (a <style> the CSP blocks has no sheet), and that
// Print shows exactly when the page can reach its frame.
func (b *engineTab) styled(what string, printable bool) {
	b.t.Helper()
	var st struct {
		Styles, Applied int
	}
	if err := b.e.EvalFrame(`(() => {
		const all = [...document.querySelectorAll("style")];
		return {styles: all.length, applied: all.filter((s) => s.sheet && s.sheet.cssRules.length > 0).length};
	})()`, &st); err != nil {
		b.t.Fatalf("%s: reading the frame: %v", what, err)
	}
	if st.Styles == 0 || st.Applied != st.Styles {
		b.t.Errorf("%s: %d of the record's %d style sheets apply", what, st.Applied, st.Styles)
	}
	var print bool
	b.eval(`!document.getElementById("printing").hidden && document.getElementById("printing").getBoundingClientRect().width > 0`, &print)
	if print != printable {
		b.t.Errorf("%s: Print shown %v, want %v", what, print, printable)
	}
}

// sandboxed opens the page where it cannot reach its frame: the record
// still shows, styled, and Print is hidden.
func (b *engineTab) sandboxed(u string, pg samplePage, what string) {
	b.t.Helper()
	b.navigate(u)
	if state, code := b.settle(what); state != "open" {
		b.t.Fatalf("%s: record.html did not open (%s)", what, code)
	}
	var reach bool
	b.eval(`(() => { try { return !!document.querySelector("#frame-box iframe").contentDocument; } catch (e) { return false; } })()`, &reach)
	if reach {
		b.t.Errorf("%s: the page reaches its frame: the host did not sandbox it", what)
	}
	var shown bool
	if err := b.e.EvalFrame(pg.texts+`.every((t) => document.body.textContent.includes(t))`, &shown); err != nil {
		b.t.Fatalf("%s: reading the frame: %v", what, err)
	}
	if !shown {
		b.t.Errorf("%s: the frame does not show the name and an entry of each non-empty section", what)
	}
	b.styled(what, false)
}

func (b *engineTab) typed(u string, pg samplePage, what string) {
	b.t.Helper()
	b.navigate(u)
	deadline := time.Now().Add(30 * time.Second)
	for ready := false; !ready; {
		b.eval(`!document.getElementById("key").disabled`, &ready)
		if !ready && time.Now().After(deadline) {
			b.t.Fatalf("%s: the key box never became ready", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := b.e.Type("#key", pg.key); err != nil {
		b.t.Fatalf("%s: typing the key: %v", what, err)
	}
	if err := b.e.Click("#open"); err != nil {
		b.t.Fatalf("%s: choosing Open record: %v", what, err)
	}
	if state, code := b.settle(what); state != "open" {
		b.t.Fatalf("%s: record.html did not open (%s)", what, code)
	}
	if !b.shown(pg) {
		b.t.Errorf("%s: the frame does not show the name and an entry of each non-empty section", what)
	}
}

func (b *engineTab) refused(u string, pg samplePage, what string) {
	b.t.Helper()
	b.navigate(u)
	if state, _ := b.settle(what); state != "error" {
		b.t.Fatalf("%s: the page did not refuse the record (state %s)", what, state)
	}
	var any bool
	b.eval(browsers.AnyTextScript([]byte(pg.texts)), &any)
	if any {
		b.t.Errorf("%s: record text is in the page", what)
	}
}
