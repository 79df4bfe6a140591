package seal

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"

	"github.com/satchel-records/satchel/internal/testtool"
)

// testTime is a fixed clock for messages and keys.
var testTime = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// fixedRand returns a deterministic random stream for seed.
func fixedRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

// cardSecrets are passphrases shaped like key card secrets (synthetic).
func cardSecrets(seed uint64) [][]byte {
	r := fixedRand(seed + 1000)
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var out [][]byte
	for range 3 {
		var b []byte
		for i := range 28 {
			if i > 0 && i%4 == 0 {
				b = append(b, '-')
			}
			b = append(b, alphabet[r.Uint64()%32])
		}
		out = append(out, b)
	}
	return out
}

// samplePlaintext is a synthetic, incompressible stand-in for a zipped
// record of n bytes.
func samplePlaintext(n int) []byte {
	b := make([]byte, n)
	_, _ = fixedRand(7).Read(b)
	return b
}

// practiceKey makes a deterministic practice key for seed.
func practiceKey(t testing.TB, seed uint64) *openpgp.Entity {
	t.Helper()
	k, err := NewKey("Riverside Surgery", "records@riverside.example", testTime, fixedRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// seal encrypts plaintext with opt, filling in time, randomness and a file
// name when unset.
func seal(t testing.TB, plaintext []byte, opt Options) []byte {
	t.Helper()
	if opt.Time.IsZero() {
		opt.Time = testTime
	}
	if opt.Rand == nil {
		opt.Rand = fixedRand(42)
	}
	if opt.FileName == "" {
		opt.FileName = "record.zip"
	}
	var buf bytes.Buffer
	if err := Encrypt(&buf, plaintext, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenRoundTripsWithEachPassphrase(t *testing.T) {
	t.Parallel()
	plain := samplePlaintext(10_000)
	pws := cardSecrets(1)
	msg := seal(t, plain, Options{Passphrases: pws})
	armored, err := Armor(msg)
	if err != nil {
		t.Fatal(err)
	}
	for i, pw := range pws {
		for form, m := range map[string][]byte{"binary": msg, "armored": armored} {
			got, err := Open(m, pw, nil)
			if err != nil {
				t.Fatalf("passphrase %d, %s: %v", i+1, form, err)
			}
			if !bytes.Equal(got.Plaintext, plain) {
				t.Fatalf("passphrase %d, %s: plaintext differs from what was sealed", i+1, form)
			}
			if got.FileName != "record.zip" || got.Signed || got.Verified {
				t.Fatalf("passphrase %d, %s: got name %q signed %v verified %v", i+1, form, got.FileName, got.Signed, got.Verified)
			}
		}
	}
}

func TestEncryptIsByteStableWithFixedClockAndRandomness(t *testing.T) {
	t.Parallel()
	plain := samplePlaintext(2000)
	key := practiceKey(t, 1)
	a := seal(t, plain, Options{Passphrases: cardSecrets(1), Signer: key, Rand: fixedRand(9)})
	b := seal(t, plain, Options{Passphrases: cardSecrets(1), Signer: key, Rand: fixedRand(9)})
	c := seal(t, plain, Options{Passphrases: cardSecrets(1), Signer: key, Rand: fixedRand(10)})
	if !bytes.Equal(a, b) {
		t.Fatal("same inputs gave different messages")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different randomness gave the same message")
	}
}

func TestMessageUsesTheAgreedProfile(t *testing.T) {
	t.Parallel()
	msg := seal(t, []byte("synthetic"), Options{Passphrases: cardSecrets(1), Signer: practiceKey(t, 1)})
	pkts, err := splitPackets(msg)
	if err != nil {
		t.Fatal(err)
	}
	var tags []int
	for _, p := range pkts {
		tags = append(tags, p.tag)
		if p.tag == tagSKESK {
			// version 4, AES-256, salted S2K with SHA-256
			if p.first[0] != 4 || p.first[1] != 9 || p.first[2] != 1 || p.first[3] != 8 {
				t.Fatalf("SKESK header % x, want 04 09 01 08", p.first[:4])
			}
		}
	}
	want := []int{tagSKESK, tagSKESK, tagSKESK, tagSEIPD}
	if len(tags) != len(want) {
		t.Fatalf("packet tags %v, want %v", tags, want)
	}
	for i := range want {
		if tags[i] != want[i] {
			t.Fatalf("packet tags %v, want %v", tags, want)
		}
	}
	if pkts[3].first[0] != 1 {
		t.Fatalf("SEIPD version %d, want 1", pkts[3].first[0])
	}
}

// Readers try passphrase packets in order and stop at the first that
// decrypts to something that looks like a session key, so without care one
// card in ~100 would fail to open a three-card message.
func TestEveryCardOpensEveryMessage(t *testing.T) {
	t.Parallel()
	plain := []byte("synthetic record")
	for seed := range uint64(300) {
		pws := cardSecrets(seed)
		msg := seal(t, plain, Options{Passphrases: pws, Rand: fixedRand(seed)})
		for i, pw := range pws {
			got, err := Open(msg, pw, nil)
			if err != nil || !bytes.Equal(got.Plaintext, plain) {
				t.Fatalf("seed %d: passphrase %d does not open the message: %v", seed, i+1, err)
			}
			// go-crypto's own reader stops at the first packet that looks
			// right: other Go readers must still find the right one.
			if !readMessageOpens(msg, pw, plain) {
				t.Fatalf("seed %d: openpgp.ReadMessage cannot open the message with passphrase %d", seed, i+1)
			}
		}
		// What gpg reads: no other card's passphrase may decrypt a packet
		// to a cipher id.
		pkts, _ := splitPackets(msg)
		for i, p := range pkts[:3] {
			for j, pw := range pws {
				if i != j && looksLikeCipherID(firstKeyByte(pw, p.first[4:12], p.first[12:])) {
					t.Fatalf("seed %d: card %d reads packet %d as a cipher id", seed, j+1, i+1)
				}
			}
		}
	}
}

// readMessageOpens reports whether go-crypto's openpgp.ReadMessage, given
// passphrase once, decrypts msg to plain.
func readMessageOpens(msg, passphrase, plain []byte) bool {
	asked := false
	md, err := openpgp.ReadMessage(bytes.NewReader(msg), nil, func([]openpgp.Key, bool) ([]byte, error) {
		if asked {
			return nil, errors.New("asked twice")
		}
		asked = true
		return passphrase, nil
	}, nil)
	if err != nil {
		return false
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(md.UnverifiedBody)
	return err == nil && bytes.Equal(out.Bytes(), plain)
}

func TestOpenFindsTheRightPacketBehindALookalike(t *testing.T) {
	t.Parallel()
	// Messages from other writers lack Encrypt's salt check; find one
	// where go-crypto's reader fails for some card, and open it.
	plain := []byte("synthetic record")
	for seed := range uint64(2000) {
		pws := cardSecrets(seed)
		cfg := &packet.Config{Rand: fixedRand(seed), DefaultCipher: packet.CipherAES256,
			S2KConfig: &s2k.Config{S2KMode: s2k.SaltedS2K, PassphraseIsHighEntropy: true}}
		sessionKey := make([]byte, 32)
		_, _ = fixedRand(seed + 1).Read(sessionKey)
		var msg bytes.Buffer
		for _, pw := range pws {
			if err := packet.SerializeSymmetricKeyEncryptedReuseKey(&msg, sessionKey, pw, cfg); err != nil {
				t.Fatal(err)
			}
		}
		w, err := packet.SerializeSymmetricallyEncrypted(&msg, packet.CipherAES256, false, packet.CipherSuite{}, sessionKey, cfg)
		if err != nil {
			t.Fatal(err)
		}
		lw, err := packet.SerializeLiteral(w, true, "record.zip", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = lw.Write(plain)
		if err := lw.Close(); err != nil {
			t.Fatal(err)
		}
		for i, pw := range pws {
			if readMessageOpens(msg.Bytes(), pw, plain) {
				continue
			}
			got, err := Open(msg.Bytes(), pw, nil)
			if err != nil || !bytes.Equal(got.Plaintext, plain) {
				t.Fatalf("seed %d: Open fails where go-crypto's reader fails, passphrase %d: %v", seed, i+1, err)
			}
			return
		}
	}
	t.Fatal("no lookalike packet found in 2000 messages: the test lost its subject")
}

func TestOpenRefusesWrongPassphrase(t *testing.T) {
	t.Parallel()
	msg := seal(t, samplePlaintext(1000), Options{Passphrases: cardSecrets(1)})
	for seed := range uint64(20) {
		wrong := cardSecrets(100 + seed)[0]
		got, err := Open(msg, wrong, nil)
		if !errors.Is(err, ErrWrongKey) || got != nil {
			t.Fatalf("wrong passphrase %d: got result %v, error %v; want ErrWrongKey", seed, got != nil, err)
		}
	}
	// A near miss: the right card typed in lower case is another passphrase.
	if _, err := Open(msg, bytes.ToLower(cardSecrets(1)[0]), nil); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("lower-cased passphrase: got %v, want ErrWrongKey", err)
	}
}

func TestOpenRefusesAnyFlippedByteInTheEncryptedData(t *testing.T) {
	t.Parallel()
	plain := samplePlaintext(5000)
	pws := cardSecrets(1)
	msg := seal(t, plain, Options{Passphrases: pws, Signer: practiceKey(t, 1)})
	pkts, err := splitPackets(msg)
	if err != nil {
		t.Fatal(err)
	}
	data := pkts[len(pkts)-1].start
	for _, pos := range []int{data + 40, data + 700, len(msg) / 2, len(msg) - 30, len(msg) - 1} {
		bad := bytes.Clone(msg)
		bad[pos] ^= 0x01
		got, err := Open(bad, pws[0], nil)
		if !errors.Is(err, ErrDamaged) || got != nil {
			t.Fatalf("flipped byte at %d of %d: got result %v, error %v; want ErrDamaged and nothing", pos, len(msg), got != nil, err)
		}
	}
}

func TestOpenRefusesFlippedByteInArmoredText(t *testing.T) {
	t.Parallel()
	pws := cardSecrets(1)
	armored, err := Armor(seal(t, samplePlaintext(5000), Options{Passphrases: pws}))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(armored), "\n")
	mid := []byte(lines[len(lines)/2])
	if mid[10] == 'A' {
		mid[10] = 'B'
	} else {
		mid[10] = 'A'
	}
	lines[len(lines)/2] = string(mid)
	got, err := Open([]byte(strings.Join(lines, "\n")), pws[0], nil)
	if !errors.Is(err, ErrDamaged) || got != nil {
		t.Fatalf("got result %v, error %v; want ErrDamaged and nothing", got != nil, err)
	}
}

func TestOpenRefusesTruncatedMessage(t *testing.T) {
	t.Parallel()
	pws := cardSecrets(1)
	msg := seal(t, samplePlaintext(5000), Options{Passphrases: pws})
	for _, n := range []int{1, 30, 60, 200, len(msg) / 2, len(msg) - 22, len(msg) - 1} {
		got, err := Open(msg[:n], pws[0], nil)
		if !errors.Is(err, ErrTruncated) || !errors.Is(err, ErrDamaged) || got != nil {
			t.Fatalf("cut to %d of %d bytes: got result %v, error %v; want ErrTruncated", n, len(msg), got != nil, err)
		}
	}
	armored, err := Armor(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(armored[:len(armored)/2], pws[0], nil); !errors.Is(err, ErrTruncated) {
		t.Fatalf("armored message cut in half: got %v, want ErrTruncated", err)
	}
}

func TestOpenRefusesWhatIsNotAMessage(t *testing.T) {
	t.Parallel()
	for name, in := range map[string][]byte{
		"empty":  {},
		"text":   []byte("hello, this is not OpenPGP"),
		"zeros":  make([]byte, 100),
		"armour": []byte("-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----\n"),
	} {
		if got, err := Open(in, []byte("x"), nil); !errors.Is(err, ErrDamaged) || got != nil {
			t.Errorf("%s: got result %v, error %v; want ErrDamaged", name, got != nil, err)
		}
	}
}

func TestSignedMessageVerifiesAgainstPracticeKey(t *testing.T) {
	t.Parallel()
	key := practiceKey(t, 1)
	plain := samplePlaintext(3000)
	pws := cardSecrets(1)
	msg := seal(t, plain, Options{Passphrases: pws, Signer: key})

	got, err := Open(msg, pws[1], openpgp.EntityList{key})
	if err != nil {
		t.Fatal(err)
	}
	wantFP := strings.ToUpper(hex.EncodeToString(key.PrimaryKey.Fingerprint))
	if !got.Signed || !got.Verified || got.Fingerprint != wantFP || got.SignerKeyID != key.PrimaryKey.KeyId || !got.SignedAt.Equal(testTime) {
		t.Fatalf("got signed %v verified %v fingerprint %q key id %X at %v; want verified by %s at %v",
			got.Signed, got.Verified, got.Fingerprint, got.SignerKeyID, got.SignedAt, wantFP, testTime)
	}
	if !bytes.Equal(got.Plaintext, plain) {
		t.Fatal("plaintext differs from what was sealed")
	}

	// Without keys the record still opens, marked signed but unverified,
	// so a reader can find the practice key inside and Verify after.
	got, err = Open(msg, pws[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Signed || got.Verified || got.Fingerprint != "" || got.SignerKeyID != key.PrimaryKey.KeyId {
		t.Fatalf("without keys: got signed %v verified %v fingerprint %q", got.Signed, got.Verified, got.Fingerprint)
	}
	ver, err := Verify(msg, pws[2], openpgp.EntityList{key})
	if err != nil || !ver.Verified {
		t.Fatalf("Verify: %v", err)
	}
}

func TestOpenRefusesMessageSignedByAnotherKey(t *testing.T) {
	t.Parallel()
	practice := practiceKey(t, 1)
	forger := practiceKey(t, 2) // same name and e-mail, different key
	pws := cardSecrets(1)
	msg := seal(t, samplePlaintext(3000), Options{Passphrases: pws, Signer: forger})
	if got, err := Open(msg, pws[0], openpgp.EntityList{practice}); !errors.Is(err, ErrBadSignature) || got != nil {
		t.Fatalf("Open: got result %v, error %v; want ErrBadSignature", got != nil, err)
	}
	if got, err := Verify(msg, pws[0], openpgp.EntityList{practice}); !errors.Is(err, ErrBadSignature) || got != nil {
		t.Fatalf("Verify: got result %v, error %v; want ErrBadSignature", got != nil, err)
	}
}

func TestVerifyRefusesUnsignedMessage(t *testing.T) {
	t.Parallel()
	pws := cardSecrets(1)
	msg := seal(t, samplePlaintext(300), Options{Passphrases: pws})
	if got, err := Verify(msg, pws[0], openpgp.EntityList{practiceKey(t, 1)}); !errors.Is(err, ErrUnsigned) || got != nil {
		t.Fatalf("got result %v, error %v; want ErrUnsigned", got != nil, err)
	}
}

func TestOpenRefusesSignatureThatDoesNotMatchTheContent(t *testing.T) {
	t.Parallel()
	// Build by hand what only a forger holding a card could: a message
	// with a good MDC whose signature, by the practice key id, is wrong.
	key := practiceKey(t, 1)
	pw := cardSecrets(1)[0]
	var inner bytes.Buffer
	sw, err := openpgp.Sign(&inner, key, &openpgp.FileHints{IsBinary: true, FileName: "record.zip"}, &packet.Config{Time: func() time.Time { return testTime }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(samplePlaintext(500)); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	signed := inner.Bytes()
	signed[len(signed)-1] ^= 0x01 // last octet of the EdDSA S value

	cfg := &packet.Config{Rand: fixedRand(3), DefaultCipher: packet.CipherAES256}
	var msg bytes.Buffer
	sessionKey := make([]byte, 32)
	_, _ = fixedRand(4).Read(sessionKey)
	if err := packet.SerializeSymmetricKeyEncryptedReuseKey(&msg, sessionKey, pw, cfg); err != nil {
		t.Fatal(err)
	}
	w, err := packet.SerializeSymmetricallyEncrypted(&msg, packet.CipherAES256, false, packet.CipherSuite{}, sessionKey, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(signed); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	if got, err := Open(msg.Bytes(), pw, openpgp.EntityList{key}); !errors.Is(err, ErrBadSignature) || got != nil {
		t.Fatalf("got result %v, error %v; want ErrBadSignature", got != nil, err)
	}
	// Without keys it still opens, unverified: the viewer then checks it
	// with the key from inside the bundle and refuses.
	got, err := Open(msg.Bytes(), pw, nil)
	if err != nil || !got.Signed || got.Verified {
		t.Fatalf("without keys: error %v", err)
	}
	if _, err := Verify(msg.Bytes(), pw, openpgp.EntityList{key}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify: got %v, want ErrBadSignature", err)
	}
}

// recipientKey makes a patient's own key that prefers AES-128, unlike the
// message: the go-crypto v1.5.2 mixed-recipient case.
func recipientKey(t *testing.T) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("Test Patient", "", "patient@example.invalid", &packet.Config{
		Rand:          fixedRand(77),
		Algorithm:     packet.PubKeyAlgoEdDSA,
		DefaultCipher: packet.CipherAES128,
		Time:          func() time.Time { return testTime },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sig, _ := e.PrimarySelfSignature(); sig.PreferredSymmetric[0] != uint8(packet.CipherAES128) {
		t.Fatal("recipient key does not prefer AES-128: the test would not cover the mixed case")
	}
	return e
}

func TestMixedPassphraseAndPublicKeyMessageOpensBothWays(t *testing.T) {
	t.Parallel()
	patient := recipientKey(t)
	plain := samplePlaintext(4000)
	pws := cardSecrets(1)
	practice := practiceKey(t, 1)
	msg := seal(t, plain, Options{Passphrases: pws, Recipients: openpgp.EntityList{patient}, Signer: practice})

	for i, pw := range pws {
		got, err := Open(msg, pw, nil)
		if err != nil || !bytes.Equal(got.Plaintext, plain) {
			t.Fatalf("passphrase %d: %v", i+1, err)
		}
	}
	// The patient's secret key alone, through go-crypto's own reader.
	openWithSecretKey(t, msg, patient, plain)
	// Open must not use a secret key it was given only to verify.
	if _, err := Open(msg, []byte("not a card"), openpgp.EntityList{patient}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with a wrong passphrase and the patient's secret key: got %v, want ErrWrongKey", err)
	}

	t.Run("gpg with only the secret key", func(t *testing.T) {
		g := newGnuPG(t)
		g.importKey(patient, true)
		g.importKey(practice, false)
		got, status, err := g.decrypt(msg, nil)
		if err != nil || !bytes.Equal(got, plain) || !statusHas(status, "DECRYPTION_OKAY") {
			t.Fatalf("gpg failed (%v):\n%s", err, status)
		}
	})
	t.Run("gpg with only a passphrase", func(t *testing.T) {
		g := newGnuPG(t)
		g.importKey(practice, false)
		for i, pw := range pws {
			if i > 0 && g.versionBefore(2, 4) {
				break // gpg 2.2 tries only the first passphrase packet
			}
			got, status, err := g.decrypt(msg, pw)
			if err != nil || !bytes.Equal(got, plain) || !statusHas(status, "DECRYPTION_OKAY") || !statusHas(status, "GOODSIG") {
				t.Fatalf("passphrase %d: gpg failed (%v):\n%s", i+1, err, status)
			}
		}
	})
}

// GnuPG 2.2 tries only the first passphrase packet of a message: when it
// does not decrypt, gpg 2.2.40 keeps the S2K output as the session key and
// fails with "Bad session key" instead of trying the next packet. GnuPG 2.4
// moves on to the next packet when the decrypted cipher id is invalid,
// which Encrypt guarantees for every other card. So with gpg 2.2 only the
// first card opens; this test pins that down and fails when the installed
// gpg behaves otherwise, so the card wording can follow.
func TestGpgDecryptsWithEachPassphraseItSupports(t *testing.T) {
	t.Parallel()
	g := newGnuPG(t)
	plain := samplePlaintext(20_000)
	pws := cardSecrets(3)
	msg := seal(t, plain, Options{Passphrases: pws})
	armored, err := Armor(msg)
	if err != nil {
		t.Fatal(err)
	}
	onlyFirst := g.versionBefore(2, 4)
	for i, pw := range pws {
		for form, m := range map[string][]byte{"binary": msg, "armored": armored} {
			got, status, err := g.decrypt(m, pw)
			opened := err == nil && bytes.Equal(got, plain) && statusHas(status, "DECRYPTION_OKAY") && statusHas(status, "GOODMDC")
			switch {
			case i == 0 || !onlyFirst:
				if !opened {
					t.Fatalf("passphrase %d, %s: gpg failed (%v):\n%s", i+1, form, err, status)
				}
			case opened:
				t.Errorf("passphrase %d, %s: gpg 2.2 opened a card other than the first: update the docs of Options.Passphrases", i+1, form)
			case got != nil:
				t.Fatalf("passphrase %d, %s: gpg failed but wrote output", i+1, form)
			}
		}
	}
	if _, _, err := g.decrypt(msg, cardSecrets(99)[0]); err == nil {
		t.Fatal("gpg decrypted with a wrong passphrase")
	}
}

func TestSqDecryptsWithEachPassphrase(t *testing.T) {
	testtool.Slow(t, "six sq decryptions, each through a pseudo-terminal")
	t.Parallel()
	plain := samplePlaintext(20_000)
	pws := cardSecrets(4)
	key := practiceKey(t, 1)
	msg := seal(t, plain, Options{Passphrases: pws, Signer: key})
	armored, err := Armor(msg)
	if err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(t.TempDir(), "practice.pgp")
	var buf bytes.Buffer
	if err := key.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, pw := range pws {
		m := msg
		if i == 1 {
			m = armored
		}
		// The last card also checks the practice signature.
		signer := ""
		if i == 2 {
			signer = cert
		}
		got, err := sqDecrypt(t, m, pw, signer)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("passphrase %d: sq failed: %v", i+1, err)
		}
	}
	if _, err := sqDecrypt(t, msg, cardSecrets(99)[0], ""); err == nil {
		t.Fatal("sq decrypted with a wrong passphrase")
	}
	other := practiceKey(t, 2)
	buf.Reset()
	if err := other.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sqDecrypt(t, msg, pws[0], cert); err == nil {
		t.Fatal("sq accepted the signature against another key")
	}
}

func TestGpgReportsGoodSignatureByPracticeKey(t *testing.T) {
	t.Parallel()
	g := newGnuPG(t)
	key := practiceKey(t, 1)
	g.importKey(key, false)
	plain := samplePlaintext(5000)
	pws := cardSecrets(1)
	msg := seal(t, plain, Options{Passphrases: pws, Signer: key})
	got, status, err := g.decrypt(msg, pws[0])
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("gpg failed (%v):\n%s", err, status)
	}
	fp := strings.ToUpper(hex.EncodeToString(key.PrimaryKey.Fingerprint))
	if !statusHas(status, "GOODSIG") || !statusHas(status, "VALIDSIG "+fp) {
		t.Fatalf("no GOODSIG/VALIDSIG %s:\n%s", fp, status)
	}
}

func TestGpgRejectsSignatureByAnotherKey(t *testing.T) {
	t.Parallel()
	g := newGnuPG(t)
	practice := practiceKey(t, 1)
	g.importKey(practice, false)
	pws := cardSecrets(1)
	msg := seal(t, samplePlaintext(500), Options{Passphrases: pws, Signer: practiceKey(t, 2)})
	_, status, _ := g.decrypt(msg, pws[0])
	if statusHas(status, "GOODSIG") || statusHas(status, "VALIDSIG") {
		t.Fatalf("gpg accepted a signature by another key:\n%s", status)
	}
}

func TestPracticeKeyImportsIntoGpgAndSq(t *testing.T) {
	t.Parallel()
	key := practiceKey(t, 1)
	if len(key.Subkeys) != 0 {
		t.Fatal("practice key has subkeys; it should only sign")
	}
	sig, _ := key.PrimarySelfSignature()
	if key.PrimaryKey.Version != 4 || key.PrimaryKey.PubKeyAlgo != packet.PubKeyAlgoEdDSA ||
		sig.PreferredSymmetric[0] != uint8(packet.CipherAES256) || sig.PreferredHash[0] != 8 || !sig.FlagSign {
		t.Fatalf("practice key: version %d algo %d prefs %v/%v sign %v", key.PrimaryKey.Version, key.PrimaryKey.PubKeyAlgo, sig.PreferredSymmetric, sig.PreferredHash, sig.FlagSign)
	}

	g := newGnuPG(t)
	g.importKey(key, true)
	out, stderr, err := g.run(nil, "--with-colons", "--list-secret-keys")
	if err != nil {
		t.Fatalf("gpg --list-secret-keys: %v\n%s", err, stderr)
	}
	fp := strings.ToUpper(hex.EncodeToString(key.PrimaryKey.Fingerprint))
	if !strings.Contains(string(out), ":255:22:") || !strings.Contains(string(out), "fpr:::::::::"+fp+":") {
		t.Fatalf("gpg does not list an Ed25519 secret key %s:\n%s", fp, out)
	}

	needTool(t, "sq")
	var buf bytes.Buffer
	if err := key.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(t.TempDir(), "practice.pgp")
	if err := os.WriteFile(cert, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	insp, err := execOutput("sq", "inspect", cert)
	if err != nil || !strings.Contains(insp, "EdDSA") || !strings.Contains(insp, fp) {
		t.Fatalf("sq inspect (%v):\n%s", err, insp)
	}
}

func TestOpenReadsMessageMadeByGpg(t *testing.T) {
	t.Parallel()
	g := newGnuPG(t)
	plain := samplePlaintext(3000)
	pw := cardSecrets(5)[0]
	dir := t.TempDir()
	in := filepath.Join(dir, "plain")
	if err := os.WriteFile(in, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "plain.gpg")
	_, stderr, err := g.run(append(bytes.Clone(pw), '\n'), "--pinentry-mode", "loopback", "--passphrase-fd", "0",
		"--s2k-cipher-algo", "AES256", "--s2k-count", "65536", "--output", out, "--symmetric", in)
	if err != nil {
		t.Fatalf("gpg --symmetric: %v\n%s", err, stderr)
	}
	msg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(msg, pw, nil)
	if err != nil || !bytes.Equal(got.Plaintext, plain) {
		t.Fatalf("Open of gpg's message: %v", err)
	}
}

func TestEncryptRefusesMessageNobodyCanOpen(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Encrypt(&buf, []byte("x"), Options{}); err == nil {
		t.Fatal("no error for a message without passphrase or recipient")
	}
	if err := Encrypt(&buf, []byte("x"), Options{Passphrases: [][]byte{{}}}); err == nil {
		t.Fatal("no error for an empty passphrase")
	}
}

func TestNewKeyRefusesNamesThatBreakTheUserID(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "Riverside (Annexe)", "A <b>"} {
		if _, err := NewKey(name, "records@riverside.example", testTime, fixedRand(1)); err == nil {
			t.Errorf("name %q: no error", name)
		}
	}
	if _, err := NewKey("Riverside", "a b@example", testTime, fixedRand(1)); err == nil {
		t.Error("e-mail with a space: no error")
	}
}

func TestEncryptSharesSignerAcrossGoroutines(t *testing.T) {
	t.Parallel()
	key := practiceKey(t, 1)
	plain := samplePlaintext(2000)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pws := cardSecrets(uint64(i))
			var buf bytes.Buffer
			if err := Encrypt(&buf, plain, Options{Passphrases: pws, Signer: key, Time: testTime}); err != nil {
				errs <- err
				return
			}
			if _, err := Open(buf.Bytes(), pws[i%3], openpgp.EntityList{key}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	key := practiceKey(b, 1)
	plain := samplePlaintext(100 << 10)
	pws := cardSecrets(1)
	b.SetBytes(int64(len(plain)))
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Encrypt(&buf, plain, Options{Passphrases: pws, Signer: key, FileName: "record.zip", Time: testTime}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	key := practiceKey(b, 1)
	plain := samplePlaintext(100 << 10)
	pws := cardSecrets(1)
	msg := seal(b, plain, Options{Passphrases: pws, Signer: key})
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := Open(msg, pws[2], openpgp.EntityList{key}); err != nil {
			b.Fatal(err)
		}
	}
}

// A record signed "in the future" by the reader's clock (a phone whose
// clock is behind the practice's) is still genuine: it verifies as of the
// moment it was signed.
func TestSignatureFromAheadOfTheReadersClockVerifies(t *testing.T) {
	t.Parallel()
	ahead := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	key, err := NewKey("Riverside Surgery", "records@riverside.example", ahead, fixedRand(7))
	if err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	if err := Encrypt(&msg, []byte("record"), Options{Passphrases: [][]byte{[]byte("pass")}, Signer: key, Time: ahead, Rand: fixedRand(8)}); err != nil {
		t.Fatal(err)
	}
	o, err := Open(msg.Bytes(), []byte("pass"), openpgp.EntityList{key})
	if err != nil {
		t.Fatalf("a genuine record signed ahead of this clock was refused: %v", err)
	}
	if !o.Verified || !o.SignedAt.Equal(ahead) {
		t.Errorf("verified %v, signed at %v", o.Verified, o.SignedAt)
	}
	// Another key's signature is still refused.
	other, _ := NewKey("Forger", "f@example.org", ahead, fixedRand(9))
	if _, err := Open(msg.Bytes(), []byte("pass"), openpgp.EntityList{other}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another key: got %v, want ErrBadSignature", err)
	}
}

// The patient's own key gets a hidden public-key packet: the wildcard key
// id, so record.pgp does not name the patient's key to whoever copies it.
// gpg, holding only that secret key, still opens it, as do the cards.
func TestPatientKeyPacketIsHidden(t *testing.T) {
	t.Parallel()
	patient := recipientKey(t)
	plain := samplePlaintext(3000)
	pws := cardSecrets(5)
	practice := practiceKey(t, 5)
	msg := seal(t, plain, Options{Passphrases: pws, Recipients: openpgp.EntityList{patient}, Signer: practice})

	pkts, err := splitPackets(msg)
	if err != nil {
		t.Fatal(err)
	}
	pkesks := 0
	for _, p := range pkts {
		if p.tag != tagPKESK {
			continue
		}
		pkesks++
		// v3 PKESK: version, then the 8-octet key id.
		if len(p.first) < 9 || p.first[0] != 3 {
			t.Fatalf("unexpected public-key packet layout")
		}
		if !bytes.Equal(p.first[1:9], make([]byte, 8)) {
			t.Errorf("the public-key packet names key id %x, want the wildcard", p.first[1:9])
		}
	}
	if pkesks != 1 {
		t.Fatalf("%d public-key packets, want 1", pkesks)
	}
	ids := []uint64{patient.PrimaryKey.KeyId}
	for _, sk := range patient.Subkeys {
		ids = append(ids, sk.PublicKey.KeyId)
	}
	for _, id := range ids {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], id)
		if bytes.Contains(msg, b[:]) {
			t.Errorf("the message carries the patient's key id %X in the clear", id)
		}
	}
	for i, pw := range pws {
		if got, err := Open(msg, pw, openpgp.EntityList{practice}); err != nil || !bytes.Equal(got.Plaintext, plain) {
			t.Fatalf("card %d: %v", i+1, err)
		}
	}
	openWithSecretKey(t, msg, patient, plain)
	g := newGnuPG(t)
	g.importKey(patient, true)
	g.importKey(practice, false)
	got, status, err := g.decrypt(msg, nil)
	if err != nil || !bytes.Equal(got, plain) || !statusHas(status, "DECRYPTION_OKAY") || !statusHas(status, "GOODSIG") {
		t.Fatalf("gpg with only the patient's secret key failed (%v):\n%s", err, status)
	}
}

// openWithSecretKey decrypts msg with key's secret part alone, through
// go-crypto's own reader, and fails unless it gives plain.
func openWithSecretKey(t *testing.T, msg []byte, key *openpgp.Entity, plain []byte) {
	t.Helper()
	md, err := openpgp.ReadMessage(bytes.NewReader(msg), openpgp.EntityList{key}, nil, nil)
	if err != nil {
		t.Fatalf("go-crypto with the secret key: %v", err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(md.UnverifiedBody); err != nil || !bytes.Equal(out.Bytes(), plain) {
		t.Fatalf("go-crypto with the secret key: plaintext differs or error %v", err)
	}
}
