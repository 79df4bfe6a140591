package pipeline

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
)

// A card issued before check characters were letters and digits only may
// end in * ~ $ = U; its patient typed that key from it, so a build must go
// on sealing the record to exactly that key, while a card issued now never
// ends in a symbol.
func TestCardsIssuedWithASymbolCheckKeepOpeningTheirRecord(t *testing.T) {
	t.Parallel()
	cfg := tinyPractice(t, "", map[string]string{"p1": firstPerson.record()})
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	buildAt(t, cfg, at)
	master := masterOf(t, cfg)

	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	h := reg.Holder("p1")
	for _, c := range reg.Live("p1") {
		if !c.Letters {
			t.Fatalf("card %d issued by this build is not marked as one with a letters-and-digits key", c.Serial)
		}
		if k := h.Secret(master, c.Serial).String(); strings.ContainsAny(k, "*~$=U") {
			t.Fatalf("card %d issued by this build has a symbol in its key", c.Serial)
		}
	}
	// Issue cards as a Satchel from before did (no Letters mark) until one
	// has a key ending in a symbol: about one card in seven does.
	symbol := 0
	for serial := 2; serial < 60 && symbol == 0; serial++ {
		reg.Add("p1", "Family", at)
		if k := h.LegacySecret(master, serial).String(); strings.ContainsAny(k[len(k)-1:], "*~$=U") {
			symbol = serial
		}
	}
	if symbol == 0 {
		t.Fatal("no legacy key ending in a symbol among 58 cards")
	}
	for i := range reg.Patients["p1"] {
		reg.Patients["p1"][i].Letters = false
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}

	p := patientOf(t, buildAt(t, cfg, at.Add(time.Minute)), "p1")
	var gpg string
	for _, c := range p.Cards {
		if c.Serial == symbol {
			gpg = c.GPG
		}
	}
	if gpg == "" {
		t.Fatalf("the build wrote no file for card %d", symbol)
	}
	old := h.LegacySecret(master, symbol)
	doc, ok := opensWith(t, filepath.Join(cfg.Root, gpg), old)
	if !ok || !strings.Contains(doc, firstPerson.name) {
		t.Fatalf("card %d, issued with a key ending in a symbol, no longer opens its record", symbol)
	}
	if _, ok := opensWith(t, filepath.Join(cfg.Root, gpg), h.Secret(master, symbol)); ok {
		t.Fatalf("card %d's record opens with a key the card does not carry", symbol)
	}
	doc, ok = opensWith(t, filepath.Join(cfg.Root, p.Bundle), h.LegacySecret(master, 1))
	if !ok || !strings.Contains(doc, firstPerson.name) {
		t.Fatal("card 1, issued before, no longer opens record.pgp")
	}
}
