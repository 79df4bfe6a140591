package viewer_test

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/chromedp/chromedp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/viewer"
	"github.com/satchel-records/satchel/internal/testtool"
)

// sealed describes one test bundle: who signs it, which key is inside,
// and its signed dates.
type sealed struct {
	signer       *openpgp.Entity // nil: unsigned
	inner        []byte          // armored key inside; nil: none
	exported     time.Time
	currentUntil time.Time
	approvedBy   string // "" means Dr Amara Okafor
}

// sealPage seals the test document as described, to f's card, and writes
// record.html for it in f's folder, returning its file URL. pageUntil and
// pageKey fill the page's own (unsigned) fields.
func sealPage(t *testing.T, v *viewer.Viewer, f *fixture, name string, s sealed, pageUntil time.Time, pageKey []byte) string {
	t.Helper()
	files := []bundle.File{{Name: bundle.Document, Data: []byte(testDocument)}}
	if s.inner != nil {
		files = append(files, bundle.File{Name: bundle.PracticeKey, Data: s.inner})
	}
	approvedBy := s.approvedBy
	if approvedBy == "" {
		approvedBy = "Dr Amara Okafor"
	}
	info := provenance.Info{
		Practice: "Riverside Test Surgery", ODSCode: "Y99999", BundleID: "testbundle",
		Exported: s.exported, CurrentUntil: s.currentUntil,
		ApprovedBy: approvedBy, ApproverRole: "GP partner", Approved: s.exported.AddDate(0, 0, -2).Format(time.DateOnly),
	}
	data, err := info.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, bundle.File{Name: provenance.FileName, Data: data})
	zipped, err := bundle.Pack(files, s.exported)
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	err = seal.Encrypt(&msg, zipped, seal.Options{Passphrases: [][]byte{f.key.Passphrase()}, Signer: s.signer, Time: s.exported, Rand: rand.NewChaCha8([32]byte{7})})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(f.dir, name)
	writePage(t, v, path, viewer.Page{PracticeName: "Riverside Test Surgery", Exported: s.exported, CurrentUntil: pageUntil, Message: msg.Bytes(), PracticeKey: pageKey})
	return fileURL(path)
}

func fingerprintOf(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

// A hospital clinician must tell a genuine record from a forged one and a
// current one from a stale one: the page shows the signer's fingerprint,
// the practice, the approver and the dates; refuses unsigned and forged
// records; and warns, without locking, once a record is past its date.
func TestSignatureApprovalAndAgeInChromium(t *testing.T) {
	testtool.Slow(t, "Chromium opens signed, forged and out-of-date records")
	t.Parallel()
	v := newViewer(t)
	f := newFixture(t, v, 1)
	practice, err := seal.NewKey("Riverside Test Surgery", "", exportedAt(), rand.NewChaCha8([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	forger, err := seal.NewKey("Riverside Test Surgery", "", exportedAt(), rand.NewChaCha8([32]byte{66}))
	if err != nil {
		t.Fatal(err)
	}
	practicePub, forgerPub := armoredPublic(t, practice), armoredPublic(t, forger)
	// Real dates: the browser judges age by its own clock.
	now := time.Now().UTC().Truncate(time.Second)
	fresh := sealed{signer: practice, inner: practicePub, exported: now.Add(-time.Hour), currentUntil: now.AddDate(0, 0, 89)}
	stale := sealed{signer: practice, inner: practicePub, exported: now.AddDate(0, 0, -120), currentUntil: now.AddDate(0, 0, -30)}

	browserCtx := chromium(t)
	open := func(t *testing.T, pageURL string) (*tab, string, string) {
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(withKey(pageURL, f.key)))
		state, code := tb.settle()
		return tb, state, code
	}
	text := func(tb *tab, id string) string {
		return evalIn[string](tb, `document.getElementById("`+id+`").textContent`)
	}
	bannerShown := func(tb *tab) bool {
		return evalIn[bool](tb, `!document.getElementById("stale").hidden && document.documentElement.dataset.stale === "true"`)
	}

	t.Run("a current record shows signer, practice, approver and dates and no banner", func(t *testing.T) {
		tb, state, code := open(t, sealPage(t, v, f, "fresh.html", fresh, fresh.currentUntil, practicePub))
		if state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		sig := text(tb, "signature")
		for _, want := range []string{
			"Signed by Riverside Test Surgery (Y99999) on " + fresh.exported.Format("2 January 2006"),
			"with practice key " + spaced(fingerprintOf(practice)),
			"Approved by Dr Amara Okafor (GP partner) on " + fresh.exported.AddDate(0, 0, -2).Format("2 January 2006"),
			"Exported " + fresh.exported.Format("2 January 2006") + ", current until " + fresh.currentUntil.Format("2 January 2006"),
		} {
			if !strings.Contains(sig, want) {
				t.Errorf("the signature panel lacks %q", want)
			}
		}
		if bannerShown(tb) {
			t.Error("a current record shows the out-of-date banner")
		}
	})

	t.Run("bundle.json text is shown without control characters or bidi overrides", func(t *testing.T) {
		tricky := fresh
		tricky.approvedBy = "Dr \u202eakafO\u202c Amara\u0007\u001b[2J\u2066"
		tb, state, code := open(t, sealPage(t, v, f, "tricky.html", tricky, tricky.currentUntil, practicePub))
		if state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		sig := text(tb, "signature")
		if !strings.Contains(sig, "Approved by Dr akafO Amara[2J (GP partner)") {
			t.Errorf("the approver is not shown as plain text: %q", sig)
		}
		if strings.ContainsAny(sig, "\u202e\u202c\u2066\u0007\u001b") {
			t.Errorf("the signature panel carries control or bidi characters: %q", sig)
		}
	})

	t.Run("a record past its date shows the banner before and after opening and still opens", func(t *testing.T) {
		pageURL := sealPage(t, v, f, "stale.html", stale, stale.currentUntil, practicePub)
		tb := newTab(t, browserCtx)
		tb.do(chromedp.Navigate(pageURL))
		tb.waitReady()
		if !bannerShown(tb) {
			t.Error("the locked page shows no out-of-date banner")
		}
		if !evalIn[bool](tb, `document.getElementById("current-until") !== null`) {
			t.Error("the locked page does not say until when the record is current")
		}
		tb.do(chromedp.SendKeys(chromedp.ID("key"), f.key.String()+"\r"))
		if state, code := tb.settle(); state != "open" {
			t.Fatalf("state %q (%s): an out-of-date record must still open", state, code)
		}
		if !tb.recordShown() {
			t.Error("the out-of-date record is not shown")
		}
		want := "This record may be out of date since " + stale.currentUntil.Format("2 January 2006")
		if !bannerShown(tb) || !strings.HasPrefix(text(tb, "stale"), want) {
			t.Errorf("banner %q, want it to start %q", text(tb, "stale"), want)
		}
		visible := evalIn[bool](tb, `(() => { const r = document.getElementById("stale").getBoundingClientRect(); return r.height > 20 && r.top < innerHeight; })()`)
		if !visible {
			t.Error("the banner is not on screen")
		}
	})

	t.Run("the signed date wins over an edited page date", func(t *testing.T) {
		// Someone moved the page's date into the future to hide the banner.
		tb, state, code := open(t, sealPage(t, v, f, "edited.html", stale, now.AddDate(1, 0, 0), practicePub))
		if state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		if !bannerShown(tb) {
			t.Error("an out-of-date record hid its banner behind the page's own date")
		}
	})

	refused := []struct {
		name, code string
		s          sealed
		pageKey    []byte
	}{
		{"an unsigned record is refused", "unsigned", sealed{inner: practicePub, exported: fresh.exported, currentUntil: fresh.currentUntil}, nil},
		{"an unsigned record is refused by a page with the practice key", "unsigned", sealed{inner: practicePub, exported: fresh.exported, currentUntil: fresh.currentUntil}, practicePub},
		{"a record signed by another key than the one inside is refused", "bad-signature", sealed{signer: forger, inner: practicePub, exported: fresh.exported, currentUntil: fresh.currentUntil}, nil},
		{"a record re-signed with the forger's key inside is refused by the page's key", "bad-signature", sealed{signer: forger, inner: forgerPub, exported: fresh.exported, currentUntil: fresh.currentUntil}, practicePub},
		{"a signed record with no key to check it is refused", "bad-signature", sealed{signer: practice, exported: fresh.exported, currentUntil: fresh.currentUntil}, nil},
	}
	for i, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			tb, state, code := open(t, sealPage(t, v, f, "refused"+string(rune('a'+i))+".html", r.s, r.s.currentUntil, r.pageKey))
			if state != "error" || code != r.code {
				t.Errorf("state %q code %q, want error %s", state, code, r.code)
			}
			if tb.recordTextAnywhere() {
				t.Error("record text is in the page")
			}
			if !evalIn[bool](tb, `document.getElementById("signature").hidden`) {
				t.Error("a signature panel shows for a refused record")
			}
		})
	}

	t.Run("a forger's key inside shows the forger's fingerprint, not the card's", func(t *testing.T) {
		s := fresh
		s.signer, s.inner = forger, forgerPub
		tb, state, code := open(t, sealPage(t, v, f, "swapped.html", s, s.currentUntil, nil))
		if state != "open" {
			t.Fatalf("state %q (%s), want open", state, code)
		}
		sig := text(tb, "signature")
		if strings.Contains(sig, spaced(fingerprintOf(practice))[30:]) || !strings.Contains(sig, spaced(fingerprintOf(forger))) {
			t.Error("the page does not show the forger's fingerprint for the reader to compare with the card")
		}
	})
}
