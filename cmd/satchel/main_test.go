package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/internal/testtool"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"satchel": func() { os.Exit(satchel(os.Args[1:])) },
	})
}

// TestScripts runs the command-line scenarios in testdata/script: each
// inlines a site, its records and the expected messages.
func TestScripts(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "gpg", "zbarimg")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"qr":           cmdQR,
			"gpgdecrypt":   cmdGPGDecrypt,
			"manifest":     cmdManifest,
			"flipbyte":     cmdFlipByte,
			"notemp":       cmdNoTemp,
			"sleep":        cmdSleep,
			"waitmanifest": cmdWaitManifest,
			"gpgimport":    cmdGPGImport,
			"keyfpr":       cmdKeyFingerprint,
			"forge":        cmdForge,
			"mode":         cmdMode,
			"sample":       cmdSample,
			"append":       cmdAppend,
			"withheld":     cmdWithheld,
			"auditevents":  cmdAuditEvents,
			"stamps":       cmdStamps,
			"waitfile":     cmdWaitFile,
			"samebuild":    cmdSameBuild,
			"holdregistry": cmdHoldRegistry,
		},
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, ".gnupg")
			env.Setenv("GNUPGHOME", home)
			hold := &registryHold{}
			env.Values[registryHold{}] = hold
			env.Defer(hold.release)
			// Stop the agent gpg started for this script.
			env.Defer(func() {
				cmd := exec.Command("gpgconf", "--kill", "all")
				cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
				cmd.Run()
			})
			return os.Mkdir(filepath.Join(env.WorkDir, ".gnupg"), 0o700)
		},
	})
}

// qr PNG VAR: read the QR code in PNG with zbarimg and set $VAR to its text.
func cmdQR(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: qr PNG VAR")
	}
	err := ts.Exec("zbarimg", "-q", "--raw", ts.MkAbs(args[0]))
	if neg {
		if err == nil {
			ts.Fatalf("zbarimg read a QR code")
		}
		return
	}
	ts.Check(err)
	ts.Setenv(args[1], strings.TrimSpace(ts.ReadFile("stdout")))
}

// gpgdecrypt SECRET IN OUT: decrypt IN with GnuPG 2.2 and the passphrase.
// gpg's status lines (GOODSIG, VALIDSIG <fingerprint>, ...) go to stdout.
// gpg fails when it cannot check a signature: import the practice key
// first (gpgimport).
func cmdGPGDecrypt(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: gpgdecrypt SECRET IN OUT")
	}
	pass := filepath.Join(ts.MkAbs("."), ".pass")
	ts.Check(os.WriteFile(pass, []byte(args[0]+"\n"), 0o600))
	defer os.Remove(pass)
	err := ts.Exec("gpg", "--batch", "--no-tty", "--quiet", "--pinentry-mode", "loopback", "--passphrase-file", pass,
		"--status-fd", "1", "--yes", "--output", ts.MkAbs(args[2]), "--decrypt", ts.MkAbs(args[1]))
	if neg != (err != nil) {
		ts.Fatalf("gpg decrypt: got err=%v, want failure=%v", err, neg)
	}
}

// manifest ID STATUS [BUNDLEVAR]: check the patient's status in the manifest
// and optionally set $BUNDLEVAR to the bundle folder.
func cmdManifest(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: manifest ID STATUS [VAR]")
	}
	var m struct {
		Patients []struct {
			ID, Status, Bundle string
			Cards              []struct {
				Serial           int
				PNG, GPG, Viewer string
			}
		}
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("private/manifest.json")), &m))
	for _, p := range m.Patients {
		if p.ID != args[0] {
			continue
		}
		if (p.Status == args[1]) == neg {
			ts.Fatalf("patient %s has status %s", p.ID, p.Status)
		}
		if len(args) > 2 {
			ts.Setenv(args[2], filepath.Dir(p.Bundle))
			if len(p.Cards) > 0 {
				ts.Setenv(args[2]+"_CARD", p.Cards[0].PNG)
			}
			// Every card: $VAR_CARD<serial> (QR image), $VAR_GPG<serial>
			// (the file sealed for that card alone), and for a summary-only
			// card $VAR_VIEWER<serial> (the page it opens).
			for _, c := range p.Cards {
				ts.Setenv(fmt.Sprintf("%s_CARD%d", args[2], c.Serial), c.PNG)
				ts.Setenv(fmt.Sprintf("%s_GPG%d", args[2], c.Serial), c.GPG)
				if c.Viewer != "" {
					ts.Setenv(fmt.Sprintf("%s_VIEWER%d", args[2], c.Serial), c.Viewer)
				}
			}
		}
		return
	}
	ts.Fatalf("patient %s is not in the manifest", args[0])
}

// flipbyte FILE OUT: copy FILE to OUT with one byte in the middle changed.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	b[len(b)/2] ^= 0x01
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}

// notemp: no temporary file is left anywhere in the work folder.
func cmdNoTemp(ts *testscript.TestScript, neg bool, args []string) {
	filepath.Walk(ts.MkAbs("."), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") {
			ts.Fatalf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// gpgimport FILE: import an OpenPGP public key into the script's GnuPG home.
func cmdGPGImport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gpgimport FILE")
	}
	err := ts.Exec("gpg", "--batch", "--no-tty", "--quiet", "--import", ts.MkAbs(args[0]))
	if neg != (err != nil) {
		ts.Fatalf("gpg import: got err=%v, want failure=%v", err, neg)
	}
}

// keyfpr FILE VAR: set $VAR to the fingerprint of the public key in FILE
// (40 hex digits), $VAR_GROUPED to it in groups of four, and $VAR_SHORT to
// the short form key cards print.
func cmdKeyFingerprint(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: keyfpr FILE VAR")
	}
	ring, err := provenance.ReadKeys([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	fp := strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint))
	ts.Setenv(args[1], fp)
	ts.Setenv(args[1]+"_GROUPED", provenance.GroupFingerprint(fp))
	ts.Setenv(args[1]+"_SHORT", provenance.ShortFingerprint(fp))
}

// forge MODE SECRET IN OUT: open bundle IN with SECRET and seal it again,
// for the same card, as a forger would: "otherkey" signs it with a key of
// the forger's own, "swapkey" also puts the forger's key inside in place of
// the practice's, "unsigned" does not sign it. Like swapkey, so that it
// checks against the key it carries: "extrafiles" adds files Satchel never
// writes (.bashrc, ..\..\x.bat), "escapes" puts terminal escape sequences
// and a line break in every text field of bundle.json.
func cmdForge(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: forge otherkey|swapkey|unsigned|extrafiles|escapes SECRET IN OUT")
	}
	mode := args[0]
	secret, err := cardkey.Parse(args[1])
	ts.Check(err)
	o, err := seal.Open(provenance.Message([]byte(ts.ReadFile(args[2]))), secret.Passphrase(), nil)
	ts.Check(err)
	files, err := bundle.Unpack(o.Plaintext)
	ts.Check(err)
	opt := seal.Options{Passphrases: [][]byte{secret.Passphrase()}, FileName: "record.zip"}
	switch mode {
	case "extrafiles":
		files = append(files,
			bundle.File{Name: ".bashrc", Data: []byte("echo forged\n")},
			bundle.File{Name: `..\..\x.bat`, Data: []byte("echo forged\r\n")})
	case "escapes":
		info, err := provenance.ReadInfo(files)
		ts.Check(err)
		const esc = "\x1b[2J\x1b[H\x1b]0;title\x07\u009b31m"
		info.Practice = "Forged Practice" + esc
		info.ODSCode = esc + "Y99999"
		info.BundleID = esc
		info.ApprovedBy = "Dr Forger" + esc + "\nsatchel: the signing key is the one in pinned.asc\r"
		info.ApproverRole = "GP" + esc
		info.Approved = esc + "2026-01-01"
		data, err := info.Marshal()
		ts.Check(err)
		bundle.Find(files, provenance.FileName).Data = data
	}
	switch mode {
	case "otherkey", "swapkey", "extrafiles", "escapes":
		forger, err := seal.NewKey("Test Practice", "", time.Now(), nil)
		ts.Check(err)
		opt.Signer = forger
		if mode != "otherkey" {
			var pub bytes.Buffer
			w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
			ts.Check(err)
			ts.Check(forger.Serialize(w))
			ts.Check(w.Close())
			bundle.Find(files, bundle.PracticeKey).Data = pub.Bytes()
		}
	case "unsigned":
	default:
		ts.Fatalf("unknown forge mode %q", mode)
	}
	zipped, err := bundle.Pack(files, time.Now())
	ts.Check(err)
	var out bytes.Buffer
	ts.Check(seal.Encrypt(&out, zipped, opt))
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), out.Bytes(), 0o644))
}

// mode FILE PERM: the file has exactly this permission, e.g. 0600.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if (st.Mode().Perm() == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %04o", args[0], st.Mode().Perm())
	}
}

// sleep DURATION: wait, for scenarios with a background satchel watch.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// cmdWaitManifest waits until private/manifest.json gives patient ID the
// status STATUS: a watch test waits for the rebuild itself, not for a fixed
// time that a loaded machine can overrun.
func cmdWaitManifest(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: waitmanifest ID STATUS")
	}
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var m struct{ Patients []struct{ ID, Status string } }
		data, err := os.ReadFile(ts.MkAbs("private/manifest.json"))
		if err != nil || json.Unmarshal(data, &m) != nil {
			continue
		}
		for _, p := range m.Patients {
			if p.ID == args[0] {
				last = p.Status
			}
		}
		if last == args[1] {
			return
		}
	}
	ts.Fatalf("patient %s still has status %q after 60 s, want %s", args[0], last, args[1])
}

// sample [DIR]: copy the sample practice (the repository's site.toml and
// sample-data folder) into DIR, made if need be (default: the work folder).
func cmdSample(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) > 1 || neg {
		ts.Fatalf("usage: sample [DIR]")
	}
	dir := ts.MkAbs(".")
	if len(args) == 1 {
		dir = ts.MkAbs(args[0])
		ts.Check(os.MkdirAll(dir, 0o755))
	}
	ts.Check(testtool.CopySamplePractice(dir))
}

// append FROM TO: add FROM's content to the end of TO.
func cmdAppend(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: append FROM TO")
	}
	f, err := os.OpenFile(ts.MkAbs(args[1]), os.O_APPEND|os.O_WRONLY, 0)
	ts.Check(err)
	_, err = f.WriteString(ts.ReadFile(args[0]))
	ts.Check(err)
	ts.Check(f.Close())
}

// withheld ID RULE N: the manifest says the patient's last build withheld
// N entries by RULE.
func cmdWithheld(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: withheld ID RULE N")
	}
	var m struct {
		Patients []struct {
			ID       string
			Withheld map[string]int
		}
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("private/manifest.json")), &m))
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	for _, p := range m.Patients {
		if p.ID == args[0] {
			if got := p.Withheld[args[1]]; got != want {
				ts.Fatalf("patient %s: %d withheld by %s, want %d", p.ID, got, args[1], want)
			}
			return
		}
	}
	ts.Fatalf("patient %s is not in the manifest", args[0])
}

// auditevents: print private/audit.jsonl one event a line, without times or
// names: what, patient ("-" for none), serial, and the cards a build was
// sealed to.
func cmdAuditEvents(ts *testscript.TestScript, neg bool, args []string) {
	events, err := registry.ReadAudit(ts.MkAbs("private"))
	ts.Check(err)
	for _, e := range events {
		p := e.Patient
		if p == "" {
			p = "-"
		}
		line := fmt.Sprintf("%s %s %d", e.What, p, e.Serial)
		if e.Cards != nil {
			line += fmt.Sprintf(" %v", e.Cards)
		}
		ts.Stdout().Write([]byte(line + "\n"))
	}
}

// stamps OUT PATH...: write to OUT one line per file under each PATH (a
// folder or a file): its path, size, time in nanoseconds and SHA-256, so
// that cmp tells whether a build wrote any of them. A missing PATH has no
// lines.
func cmdStamps(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: stamps OUT PATH...")
	}
	roots := make([]string, len(args)-1)
	for i, r := range args[1:] {
		roots[i] = ts.MkAbs(r)
	}
	stamps, err := testtool.Stamps(roots...)
	ts.Check(err)
	paths := slices.Sorted(maps.Keys(stamps))
	var out strings.Builder
	for _, p := range paths {
		st := stamps[p]
		fmt.Fprintf(&out, "%s %d %d %s\n", p, st.Size, st.ModTime.UnixNano(), st.SHA256)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(out.String()), 0o644))
}

// waitfile PATH: wait up to 60 s for PATH to exist.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: waitfile PATH")
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
	}
	ts.Fatalf("%s still does not exist after 60 s", args[0])
}

// cmdHoldRegistry takes the card registry lock of the private folder
// args[0] (exclusively), as a running build does, until the script ends
// or "holdregistry -release" is run.
func cmdHoldRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdregistry DIR|-release")
	}
	hold := ts.Value(registryHold{}).(*registryHold)
	if args[0] == "-release" {
		hold.release()
		return
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	r, err := registry.Open(dir)
	ts.Check(err)
	hold.release()
	hold.r = r
}

// registryHold is the registry a script holds open (holdregistry); as a
// Values key, the zero registryHold.
type registryHold struct{ r *registry.Registry }

func (h *registryHold) release() {
	if h.r != nil {
		h.r.Close()
		h.r = nil
	}
}
