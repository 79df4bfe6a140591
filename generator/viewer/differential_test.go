package viewer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/cardkey"
	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// diffCase is one input to both readers: a message, what was typed, and
// the practice key the page pins (nil: the key inside the bundle).
type diffCase struct {
	Name   string `json:"name"`
	Msg    []byte `json:"msg"`
	Key    string `json:"key"`
	Pinned []byte `json:"pinned,omitempty"`
}

// verdict is what a reader made of a case: an error code, or the files,
// signer and signing time. Codes are the page's: length, typo, chars,
// wrong-key, damaged, truncated, bad-signature, unsigned, not-record.
type verdict struct {
	Error       string     `json:"error,omitempty"`
	Files       []diffFile `json:"files,omitempty"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	SignedAt    string     `json:"signedAt,omitempty"`
	Pinned      bool       `json:"pinned,omitempty"`
}

type diffFile struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// goVerdict opens c the way `satchel open` does (provenance.Check), with
// the page's reading of the key and of a pinned practice key.
func goVerdict(c diffCase) verdict {
	secret, err := cardkey.Parse(c.Key)
	switch {
	case errors.Is(err, cardkey.ErrCheck):
		return verdict{Error: "typo"}
	case errors.Is(err, cardkey.ErrLength):
		return verdict{Error: "length"}
	case err != nil:
		return verdict{Error: "chars"}
	}
	var pinned openpgp.EntityList
	if c.Pinned != nil {
		if pinned, err = provenance.ReadKeys(c.Pinned); err != nil {
			return verdict{Error: "damaged"}
		}
	}
	res, err := provenance.Check(c.Msg, secret.Passphrase(), pinned)
	switch {
	case err == nil:
	case errors.Is(err, seal.ErrWrongKey):
		return verdict{Error: "wrong-key"}
	case errors.Is(err, seal.ErrTruncated):
		return verdict{Error: "truncated"}
	case errors.Is(err, seal.ErrDamaged):
		return verdict{Error: "damaged"}
	case errors.Is(err, seal.ErrBadSignature):
		return verdict{Error: "bad-signature"}
	case errors.Is(err, seal.ErrUnsigned):
		return verdict{Error: "unsigned"}
	case errors.Is(err, bundle.ErrNotBundle):
		return verdict{Error: "not-record"}
	default:
		return verdict{Error: "internal"}
	}
	v := verdict{Fingerprint: res.Fingerprint, Pinned: res.Pinned}
	if !res.SignedAt.IsZero() {
		v.SignedAt = res.SignedAt.UTC().Format(time.RFC3339)
	}
	for _, f := range res.Files {
		v.Files = append(v.Files, diffFile{f.Name, f.Data})
	}
	return v
}

// jsVerdicts runs every case through the bundled decryptor (the script
// record.html carries) in node, with no network.
func jsVerdicts(t *testing.T, cases []diffCase) []verdict {
	t.Helper()
	testtool.Need(t, "node")
	script, err := filepath.Abs(filepath.Join("decryptor", "decryptor.js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatal("no decryptor/decryptor.js: run make (it bundles the decryptor)")
	}
	in := filepath.Join(t.TempDir(), "cases.json")
	data, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join("js", "differential.mjs"), script, in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// The runner prints no record data, only its own failures.
		t.Fatalf("node runner: %v: %.500s", err, stderr.String())
	}
	var out []verdict
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out) != len(cases) {
		t.Fatalf("node runner gave %d verdicts for %d cases (%v)", len(out), len(cases), err)
	}
	return out
}

// describe says how two verdicts differ without printing file contents.
func describe(v verdict) string {
	if v.Error != "" {
		return v.Error
	}
	var names []string
	for _, f := range v.Files {
		names = append(names, fmt.Sprintf("%s(%d bytes)", f.Name, len(f.Data)))
	}
	return fmt.Sprintf("ok signer=%s at=%s pinned=%v files=%s", v.Fingerprint, v.SignedAt, v.Pinned, strings.Join(names, ","))
}

func sameVerdict(a, b verdict) bool {
	if a.Error != b.Error || a.Fingerprint != b.Fingerprint || a.SignedAt != b.SignedAt || a.Pinned != b.Pinned || len(a.Files) != len(b.Files) {
		return false
	}
	for i := range a.Files {
		if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
			return false
		}
	}
	return true
}

// The JS decryptor in record.html and `satchel open` must agree on every
// message: the same verdict, and byte-identical files when it opens.
func TestJSDecryptorAgreesWithSatchelOpen(t *testing.T) {
	t.Parallel()
	cases := differentialCorpus(t)
	js := jsVerdicts(t, cases)
	counts := map[string]int{}
	for i, c := range cases {
		want := goVerdict(c)
		if want.Error == "" {
			counts["ok"]++
		} else {
			counts[want.Error]++
		}
		if !sameVerdict(want, js[i]) {
			t.Errorf("%s: Go says %s, JS says %s", c.Name, describe(want), describe(js[i]))
		}
	}
	t.Logf("%d cases; Go verdicts %v", len(cases), counts)
	// The corpus must exercise every verdict, or a reader that always said
	// one thing could pass.
	for _, code := range []string{"ok", "wrong-key", "damaged", "truncated", "bad-signature", "unsigned", "not-record", "typo", "length", "chars"} {
		if counts[code] == 0 {
			t.Errorf("no case in the corpus gets %q", code)
		}
	}
}

var diffTime = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func diffKey(t *testing.T, seed byte, name string) (*openpgp.Entity, []byte) {
	t.Helper()
	e, err := seal.NewKey(name, "", diffTime, rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	return e, armoredPublic(t, e)
}

// diffBundle zips a small record with the given practice key inside (nil:
// none).
func diffBundle(t *testing.T, innerKey []byte) []byte {
	t.Helper()
	files := []bundle.File{{Name: bundle.Document, Data: []byte("<p>record</p>")}}
	if innerKey != nil {
		files = append(files, bundle.File{Name: bundle.PracticeKey, Data: innerKey})
	}
	info := provenance.Info{Practice: "Riverside Test Surgery", Exported: diffTime, CurrentUntil: diffTime.AddDate(0, 0, 90), ApprovedBy: "Dr Test", Approved: "2026-03-12"}
	data, err := info.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, bundle.File{Name: provenance.FileName, Data: data})
	zipped, err := bundle.Pack(files, diffTime)
	if err != nil {
		t.Fatal(err)
	}
	return zipped
}

func diffSeal(t *testing.T, plain []byte, opt seal.Options, seed byte) []byte {
	t.Helper()
	opt.Time, opt.Rand, opt.FileName = diffTime, rand.NewChaCha8([32]byte{seed}), "record.zip"
	var msg bytes.Buffer
	if err := seal.Encrypt(&msg, plain, opt); err != nil {
		t.Fatal(err)
	}
	return msg.Bytes()
}

// packetEnds lists the offsets where a top-level packet, or a chunk of a
// partial-length body, ends in a binary message.
func packetEnds(b []byte) []int {
	var ends []int
	for off := 0; off < len(b); {
		h := b[off]
		off++
		if h&0x40 == 0 {
			n := int(b[off])
			off += 1 + n // seal writes old-format packets with one-octet lengths
			ends = append(ends, off)
			continue
		}
		for {
			c := int(b[off])
			switch {
			case c < 192:
				off += 1 + c
			case c < 224:
				off += 2 + (c-192)<<8 + int(b[off+1]) + 192
			case c < 255:
				off += 1 + 1<<(c&0x1f)
				ends = append(ends, off)
				continue
			default:
				off += 5 + int(b[off+1])<<24 | int(b[off+2])<<16 | int(b[off+3])<<8 | int(b[off+4])
			}
			break
		}
		ends = append(ends, off)
	}
	return ends
}

func differentialCorpus(t *testing.T) []diffCase {
	master := bytes.Repeat([]byte{0x5a}, 32)
	card := func(i int) string { return cardkey.Derive(master, "diff-patient", i).String() }
	practice, practicePub := diffKey(t, 1, "Riverside Test Surgery")
	forger, forgerPub := diffKey(t, 2, "Not The Surgery")
	good := diffBundle(t, practicePub)
	var cases []diffCase
	add := func(name string, msg []byte, key string, pinned []byte) {
		cases = append(cases, diffCase{Name: name, Msg: msg, Key: key, Pinned: pinned})
	}

	// A small signed bundle, and every byte of it flipped in turn.
	small := diffSeal(t, good, seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: practice}, 1)
	add("small", small, card(1), nil)
	add("small, pinned", small, card(1), practicePub)
	add("small, forger pinned", small, card(1), forgerPub)
	add("small, another card", small, card(2), nil)
	add("small, unreadable pinned key", small, card(1), []byte("not a key"))
	add("small, lower case and spaces", small, strings.ToLower(strings.ReplaceAll(card(1), "-", " ")), nil)
	typed := card(1)
	add("typo", small, typed[:5]+string("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(strings.IndexByte("0123456789ABCDEFGHJKMNPQRSTVWXYZ", typed[5])+1)%32])+typed[6:], nil)
	add("too short", small, typed[:len(typed)-2], nil)
	add("bad character", small, strings.Replace(typed, typed[:1], "!", 1), nil)
	for i := range small {
		for _, x := range []byte{0x01, 0xff} {
			if x == 0xff && i%7 != 0 && i > 64 {
				continue
			}
			m := bytes.Clone(small)
			m[i] ^= x
			add(fmt.Sprintf("small, byte %d xor %#x", i, x), m, card(1), nil)
		}
	}
	// Cut short at every packet and chunk boundary, and in between.
	cuts := map[int]bool{0: true, 1: true, len(small) - 1: true, len(small) / 2: true}
	for _, e := range packetEnds(small) {
		for _, d := range []int{-1, 0, 1, 2} {
			if n := e + d; n >= 0 && n < len(small) {
				cuts[n] = true
			}
		}
	}
	for n := range cuts {
		add(fmt.Sprintf("small, cut at %d", n), small[:n], card(1), nil)
	}
	armored, err := seal.Armor(small)
	if err != nil {
		t.Fatal(err)
	}
	add("armored", armored, card(1), practicePub)
	add("armored, no end line", armored[:bytes.Index(armored, []byte("-----END"))], card(1), nil)
	body := bytes.Index(armored, []byte("\n\n")) + 2
	add("armored, body cut", append(bytes.Clone(armored[:body+64]), "\n-----END PGP MESSAGE-----\n"...), card(1), nil)
	if i := bytes.LastIndex(armored, []byte("\n=")); i > 0 {
		crc := bytes.Clone(armored)
		crc[i+3] ^= 1 // go-crypto does not check the CRC; the MDC decides
		add("armored, checksum changed", crc, card(1), nil)
	}
	add("armored, not base64", bytes.Replace(armored, []byte("\n\n"), []byte("\n\n*"), 1), card(1), nil)

	// Signatures: none, another key's, no key to check with.
	add("unsigned", diffSeal(t, good, seal.Options{Passphrases: [][]byte{[]byte(card(1))}}, 2), card(1), nil)
	add("unsigned, pinned", diffSeal(t, good, seal.Options{Passphrases: [][]byte{[]byte(card(1))}}, 2), card(1), practicePub)
	add("forger, practice key inside", diffSeal(t, good, seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: forger}, 3), card(1), nil)
	forged := diffSeal(t, diffBundle(t, forgerPub), seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: forger}, 4)
	add("forger, forger's key inside", forged, card(1), nil)
	add("forger, forger's key inside, practice pinned", forged, card(1), practicePub)
	// A forger's signature that names the practice key: only the
	// signature check itself can refuse it.
	impostor, _ := diffKey(t, 3, "Riverside Test Surgery")
	impostor.PrimaryKey.KeyId = practice.PrimaryKey.KeyId
	impostor.PrimaryKey.Fingerprint = practice.PrimaryKey.Fingerprint
	impostor.PrivateKey.PublicKey = *impostor.PrimaryKey
	impersonated := diffSeal(t, good, seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: impostor}, 11)
	add("forger naming the practice key", impersonated, card(1), nil)
	add("forger naming the practice key, pinned", impersonated, card(1), practicePub)
	add("signed, no key inside", diffSeal(t, diffBundle(t, nil), seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: practice}, 5), card(1), nil)
	add("signed, key inside is not a key", diffSeal(t, diffBundle(t, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n")), seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: practice}, 6), card(1), nil)
	add("signed, not a zip", diffSeal(t, []byte("hello"), seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: practice}, 7), card(1), nil)
	noDoc, _ := bundle.Pack([]bundle.File{{Name: bundle.PracticeKey, Data: practicePub}}, diffTime)
	add("signed, no record document", diffSeal(t, noDoc, seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: practice}, 8), card(1), nil)
	add("unsigned, not a zip", diffSeal(t, []byte("hello"), seal.Options{Passphrases: [][]byte{[]byte(card(1))}}, 9), card(1), nil)

	// Extra cards, and the patient's own key: each card opens its packet.
	patient := patientKey(t)
	multi := diffSeal(t, good, seal.Options{Passphrases: [][]byte{[]byte(card(1)), []byte(card(2)), []byte(card(3))}, Recipients: openpgp.EntityList{patient}, Signer: practice}, 10)
	for i := 1; i <= 4; i++ {
		add(fmt.Sprintf("three cards and own key, card %d", i), multi, card(i), nil)
	}
	add("three cards and own key, pinned", multi, card(3), practicePub)

	// Signed after the reader's clock (a phone whose clock is behind the
	// practice's): good as of the signature's own time, by a key made
	// before then or at that very moment.
	ahead := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	for i, keyTime := range []time.Time{diffTime, ahead} {
		k, err := seal.NewKey("Riverside Test Surgery", "", keyTime, rand.NewChaCha8([32]byte{20 + byte(i)}))
		if err != nil {
			t.Fatal(err)
		}
		var msg bytes.Buffer
		err = seal.Encrypt(&msg, diffBundle(t, armoredPublic(t, k)), seal.Options{Passphrases: [][]byte{[]byte(card(1))}, Signer: k, FileName: "record.zip", Time: ahead, Rand: rand.NewChaCha8([32]byte{30 + byte(i)})})
		if err != nil {
			t.Fatal(err)
		}
		add(fmt.Sprintf("signed two days ahead, key %d", i), msg.Bytes(), card(1), nil)
	}

	cases = append(cases, sampleCases(t)...)
	cases = append(cases, gpgCases(t, practice, forger, good, practicePub, card)...)
	cases = append(cases, sqCases(t, practice, good, practicePub, card)...)
	return cases
}

// sqCases are messages made by Sequoia's sq 0.27 with Satchel's profile (no
// compression), signed by the practice key and not. sq reads a password
// only from a terminal: script(1) gives it one.
func sqCases(t *testing.T, practice *openpgp.Entity, zipped, practicePub []byte, card func(int) string) []diffCase {
	t.Helper()
	testtool.Need(t, "sq", "script")
	dir := t.TempDir()
	in, keyFile := filepath.Join(dir, "record.zip"), filepath.Join(dir, "practice.key")
	var key bytes.Buffer
	w, err := armor.Encode(&key, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := practice.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.WriteFile(keyFile, key.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, zipped, 0o600); err != nil {
		t.Fatal(err)
	}
	var cases []diffCase
	for i, v := range []struct{ name, args string }{
		{"sq encrypt --symmetric", ""},
		{"sq encrypt --symmetric --signer-key", "--signer-key " + keyFile},
	} {
		out := filepath.Join(dir, fmt.Sprintf("out-%d.pgp", i))
		cmd := exec.Command("script", "-qec", fmt.Sprintf("sq encrypt --binary --symmetric --compression none %s -o %s %s", v.args, out, in), "/dev/null")
		cmd.Stdin = strings.NewReader(card(1) + "\n" + card(1) + "\n")
		cmd.Env = append(os.Environ(), "SEQUOIA_HOME="+t.TempDir())
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		msg, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s wrote nothing: %v", v.name, err)
		}
		cases = append(cases,
			diffCase{Name: v.name, Msg: msg, Key: card(1)},
			diffCase{Name: v.name + ", pinned", Msg: msg, Key: card(1), Pinned: practicePub},
			diffCase{Name: v.name + ", wrong card", Msg: msg, Key: card(2)})
	}
	return cases
}

// patientKey is a patient's own OpenPGP key, preferring AES-256 (the
// go-crypto mixed-recipient bug).
func patientKey(t *testing.T) *openpgp.Entity {
	t.Helper()
	cfg := &packet.Config{Rand: rand.NewChaCha8([32]byte{42}), DefaultCipher: packet.CipherAES256, Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return diffTime }}
	e, err := openpgp.NewEntity("Patient", "", "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sampleCases builds the sample practice and opens every bundle with each
// live card, as the page does (armored, the practice key pinned) and as
// `satchel open` does (binary, the key inside), and with another patient's
// card.
func sampleCases(t *testing.T) []diffCase {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join("..", "..")
	testtool.CopyTree(t, filepath.Join(root, "sample-data"), filepath.Join(dir, "sample-data"))
	siteTOML, err := os.ReadFile(filepath.Join(root, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.toml"), siteTOML, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }
	rep, err := pipeline.Run(context.Background(), cfg, pipeline.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(cfg.PublicKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	var cases []diffCase
	var prev string
	for _, p := range rep.Patients {
		if p.Status != pipeline.Built {
			continue
		}
		msg, err := os.ReadFile(filepath.Join(cfg.Root, p.Bundle))
		if err != nil {
			t.Fatal(err)
		}
		armored, err := seal.Armor(msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Cards {
			key := cardkey.Derive(master, p.ID, c.Serial).String()
			cases = append(cases,
				diffCase{Name: "sample " + p.ID + " card " + fmt.Sprint(c.Serial) + ", page", Msg: armored, Key: key, Pinned: pub},
				diffCase{Name: "sample " + p.ID + " card " + fmt.Sprint(c.Serial), Msg: msg, Key: key})
			if own, err := os.ReadFile(filepath.Join(cfg.Root, c.GPG)); err == nil && c.GPG != p.Bundle {
				cases = append(cases, diffCase{Name: "sample " + p.ID + " card file " + fmt.Sprint(c.Serial), Msg: own, Key: key})
			}
		}
		if prev != "" {
			cases = append(cases, diffCase{Name: "sample " + p.ID + ", another patient's card", Msg: msg, Key: prev})
		}
		if len(p.Cards) > 0 {
			prev = cardkey.Derive(master, p.ID, p.Cards[0].Serial).String()
		}
	}
	if len(cases) < 12 {
		t.Fatalf("only %d sample cases", len(cases))
	}
	return cases
}

// gpgCases are messages made by GnuPG with Satchel's profile (iterated and
// salted S2K with SHA-256, AES-256, MDC, no compression), signed by the
// practice key, by two keys, or not at all.
func gpgCases(t *testing.T, practice, forger *openpgp.Entity, zipped, practicePub []byte, card func(int) string) []diffCase {
	t.Helper()
	testtool.Need(t, "gpg")
	home := testtool.GNUPGHome(t)
	for _, e := range []*openpgp.Entity{practice, forger} {
		var buf bytes.Buffer
		w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.SerializePrivate(w, nil); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if _, err := testtool.GPG(t, home, buf.Bytes(), "--import"); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(t.TempDir(), "record.zip")
	if err := os.WriteFile(in, zipped, 0o600); err != nil {
		t.Fatal(err)
	}
	fpr := func(e *openpgp.Entity) string { return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint) }
	profile := []string{"--pinentry-mode", "loopback", "--passphrase", card(1), "--s2k-cipher-algo", "AES256", "--s2k-digest-algo", "SHA256", "--s2k-count", "65536", "--compress-algo", "none", "--digest-algo", "SHA256", "--output", "-"}
	var cases []diffCase
	for _, v := range []struct {
		name string
		args []string
	}{
		{"gpg --symmetric", []string{"--s2k-mode", "3", "--symmetric", in}},
		{"gpg --symmetric, salted S2K", []string{"--s2k-mode", "1", "--symmetric", in}},
		{"gpg --symmetric --sign", []string{"--s2k-mode", "3", "--local-user", fpr(practice), "--symmetric", "--sign", in}},
		{"gpg --symmetric --sign by another key", []string{"--s2k-mode", "3", "--local-user", fpr(forger), "--symmetric", "--sign", in}},
		{"gpg --symmetric --sign, two signatures", []string{"--s2k-mode", "3", "--local-user", fpr(practice), "--local-user", fpr(forger), "--symmetric", "--sign", in}},
		{"gpg --symmetric --sign, two signatures the other way", []string{"--s2k-mode", "3", "--local-user", fpr(forger), "--local-user", fpr(practice), "--symmetric", "--sign", in}},
		{"gpg --symmetric --sign --armor", []string{"--s2k-mode", "3", "--armor", "--local-user", fpr(practice), "--symmetric", "--sign", in}},
	} {
		msg, err := testtool.GPG(t, home, nil, append(profile, v.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			diffCase{Name: v.name, Msg: msg, Key: card(1)},
			diffCase{Name: v.name + ", pinned", Msg: msg, Key: card(1), Pinned: practicePub},
			diffCase{Name: v.name + ", wrong card", Msg: msg, Key: card(2)})
	}
	return cases
}
