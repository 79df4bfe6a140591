package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
)

// samebuild A B: the practices in folders A and B were built to the same
// result, though with different master secrets and practice keys (so bundle
// ids, card tags and digests differ): the same patients with the same
// statuses, reasons, withheld and not-carried counts and cards (serial,
// label, scope) in the manifest; the same cards in the registry, none
// pending, each put on a sheet; the same files in public/ and
// private/cards/ once bundle ids and card tags are named by patient and
// serial; audit events of the same kinds per patient; and every built
// patient's record.pgp in A opening with its first card's key, signed by
// A's practice key, and A's print sheets holding the key of every live card
// of every built patient.
func cmdSameBuild(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: samebuild A B")
	}
	a, b := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	ma, mb := readManifest(ts, a), readManifest(ts, b)
	if got, want := manifestSummary(ma), manifestSummary(mb); got != want {
		ts.Fatalf("manifests differ:\n%s\n---\n%s", got, want)
	}
	ra, rb := registrySummary(ts, a), registrySummary(ts, b)
	if ra != rb {
		ts.Fatalf("registries differ:\n%s\n---\n%s", ra, rb)
	}
	fa, fb := fileSummary(ts, a, ma), fileSummary(ts, b, mb)
	if fa != fb {
		ts.Fatalf("files differ:\n%s\n---\n%s", fa, fb)
	}
	ea, eb := auditSummary(ts, a), auditSummary(ts, b)
	if ea != eb {
		ts.Fatalf("audit logs differ:\n%s\n---\n%s", ea, eb)
	}
	openBundles(ts, a, ma)
	sheetHoldsCards(ts, a, ma)
}

type builtManifest struct {
	Patients []struct {
		ID, Status, Reason, Bundle string
		BundleID                   string `json:"bundle_id"`
		Withheld                   map[string]int
		NotCarried                 map[string]int `json:"not_carried"`
		Cards                      []struct {
			Serial       int
			Label, Scope string
		}
	}
}

func readManifest(ts *testscript.TestScript, dir string) builtManifest {
	var m builtManifest
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(filepath.Join(dir, "private", "manifest.json"))), &m))
	return m
}

func manifestSummary(m builtManifest) string {
	var out strings.Builder
	for _, p := range m.Patients {
		fmt.Fprintf(&out, "%s %s %q withheld=%v not-carried=%v bundle=%t", p.ID, p.Status, p.Reason, p.Withheld, p.NotCarried, p.Bundle != "")
		for _, c := range p.Cards {
			fmt.Fprintf(&out, " card%d(%s,%s)", c.Serial, c.Label, c.Scope)
		}
		out.WriteByte('\n')
	}
	return out.String()
}

func registrySummary(ts *testscript.TestScript, dir string) string {
	reg, err := registry.Load(filepath.Join(dir, "private"))
	ts.Check(err)
	var out strings.Builder
	for _, id := range reg.IDs() {
		ident, ok := reg.Identities[id]
		fmt.Fprintf(&out, "%s identity=%t generation=%d:", id, ok && ident.Digest != "", ident.Generation)
		for _, c := range reg.Cards(id) {
			fmt.Fprintf(&out, " %d(%s,%s,live=%t,pending=%t,printed=%t,gen=%d)", c.Serial, c.Label, c.Scope, c.Live(), c.Pending, c.Printed != "", c.Generation)
		}
		out.WriteByte('\n')
	}
	return out.String()
}

// cardTag matches the per-card files in a bundle folder, named by a tag
// derived from the master secret.
var cardTag = regexp.MustCompile(`^record-[0-9a-z]+\.(pgp|pdf)$`)

// fileSummary lists the files under public/ and private/cards/, with
// bundle folders named by their patient and per-card files by kind only,
// and each file's mode.
func fileSummary(ts *testscript.TestScript, dir string, m builtManifest) string {
	byBundle := map[string]string{}
	for _, p := range m.Patients {
		if p.BundleID != "" {
			byBundle[p.BundleID] = p.ID
		}
	}
	count := map[string]int{}
	for _, root := range []string{"public", filepath.Join("private", "cards")} {
		ts.Check(filepath.WalkDir(filepath.Join(dir, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			parts := strings.Split(filepath.ToSlash(rel), "/")
			if len(parts) > 2 && parts[1] == "bundles" {
				id, ok := byBundle[parts[2]]
				if !ok {
					ts.Fatalf("%s: a bundle folder of no patient in the manifest", rel)
				}
				parts[2] = "<" + id + ">"
			}
			if last := parts[len(parts)-1]; cardTag.MatchString(last) {
				parts[len(parts)-1] = "record-<tag>" + filepath.Ext(last)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			count[fmt.Sprintf("%s %04o", strings.Join(parts, "/"), info.Mode().Perm())]++
			return nil
		}))
	}
	var out strings.Builder
	for _, k := range slices.Sorted(maps.Keys(count)) {
		fmt.Fprintf(&out, "%s x%d\n", k, count[k])
	}
	return out.String()
}

// auditSummary lists, per patient, the kinds of its audit events (and the
// serial each is about), in order.
func auditSummary(ts *testscript.TestScript, dir string) string {
	events, err := registry.ReadAudit(filepath.Join(dir, "private"))
	ts.Check(err)
	per := map[string][]string{}
	for _, e := range events {
		per[e.Patient] = append(per[e.Patient], fmt.Sprintf("%s:%d%v", e.What, e.Serial, e.Cards))
	}
	var out strings.Builder
	for _, id := range slices.Sorted(maps.Keys(per)) {
		fmt.Fprintf(&out, "%q %s\n", id, strings.Join(per[id], " "))
	}
	return out.String()
}

// openBundles opens every built patient's record.pgp with the key of its
// first card, derived from the practice's master secret, and checks it is
// signed by the practice key and holds the record document.
func openBundles(ts *testscript.TestScript, dir string, m builtManifest) {
	master, err := cardkey.LoadMaster(filepath.Join(dir, "private", "master.key"))
	ts.Check(err)
	reg, err := registry.Load(filepath.Join(dir, "private"))
	ts.Check(err)
	keys, err := provenance.ReadKeys([]byte(ts.ReadFile(filepath.Join(dir, "public", "practice-key.asc"))))
	ts.Check(err)
	opened := 0
	for _, p := range m.Patients {
		if p.Bundle == "" {
			continue
		}
		first := reg.FirstSerial(p.ID)
		secret := reg.Holder(p.ID).Secret(master, first)
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p.Bundle)))
		ts.Check(err)
		o, err := seal.Open(provenance.Message(data), secret.Passphrase(), keys)
		if err != nil {
			ts.Fatalf("%s: %s does not open with card %d: %v", p.ID, p.Bundle, first, err)
		}
		if !o.Verified {
			ts.Fatalf("%s: %s is not signed by the practice key", p.ID, p.Bundle)
		}
		files, err := bundle.Unpack(o.Plaintext)
		ts.Check(err)
		if bundle.Find(files, bundle.Document) == nil {
			ts.Fatalf("%s: the bundle holds no record document", p.ID)
		}
		opened++
	}
	if opened == 0 {
		ts.Fatalf("no bundle to open")
	}
}

// sheetHoldsCards checks that the print sheets in private/cards hold the
// key of every live card of every built patient, group by group.
func sheetHoldsCards(ts *testscript.TestScript, dir string, m builtManifest) {
	sheets, err := filepath.Glob(filepath.Join(dir, "private", "cards", "sheet-*.html"))
	ts.Check(err)
	var all strings.Builder
	for _, s := range sheets {
		all.WriteString(ts.ReadFile(s))
	}
	master, err := cardkey.LoadMaster(filepath.Join(dir, "private", "master.key"))
	ts.Check(err)
	reg, err := registry.Load(filepath.Join(dir, "private"))
	ts.Check(err)
	for _, p := range m.Patients {
		if p.Status != "built" {
			continue
		}
		for _, c := range reg.Live(p.ID) {
			for _, g := range reg.Holder(p.ID).Secret(master, c.Serial).Groups() {
				if !strings.Contains(all.String(), g) {
					ts.Fatalf("%s: card %d is not on the print sheet", p.ID, c.Serial)
				}
			}
		}
	}
}
