package cardkey

import "testing"

// Generation 0 derives byte for byte what cards issued before generations
// existed carry: the values below were made by the code of that time.
func TestGenerationZeroKeepsIssuedCardsAndBundleIDs(t *testing.T) {
	t.Parallel()
	m := testMaster(7)
	h := Holder{ID: "p0001"}
	for _, c := range []struct{ got, want string }{
		{h.Secret(m, 1).String(), "73R2-3MVR-0MCQ-B0RA-VSPZ-QBCF-53WB"},
		{h.Secret(m, 2).String(), "129C-954K-TKNV-A6JT-JBQ0-A3XY-E7ZE"},
		{h.BundleID(m), "eck9y3ywpbs4p74k7x2d3j2hgm"},
		{h.CardFile(m, 2), "record-rqqfmnrxkp.pgp"},
		{Derive(m, "p0001", 1).String(), "73R2-3MVR-0MCQ-B0RA-VSPZ-QBCF-53WB"},
		{BundleID(m, "p0001"), "eck9y3ywpbs4p74k7x2d3j2hgm"},
		{CardFile(m, "p0001", 2), "record-rqqfmnrxkp.pgp"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

// A new generation of an id shares no secret, bundle id or card file with
// any earlier one, for any serial.
func TestEachGenerationGetsItsOwnSecretsBundleAndFiles(t *testing.T) {
	t.Parallel()
	m := testMaster(7)
	seen := map[string]string{}
	for gen := range 4 {
		h := Holder{ID: "p0001", Generation: gen}
		add := func(kind, v string) {
			if prev, ok := seen[v]; ok {
				t.Errorf("generation %d %s repeats %s", gen, kind, prev)
			}
			seen[v] = kind
		}
		add("bundle id", h.BundleID(m))
		for serial := 1; serial <= 3; serial++ {
			add("secret", h.Secret(m, serial).String())
			add("card file", h.CardFile(m, serial))
		}
	}
}

func TestIdentityIsKeyedAndTellsPatientsApart(t *testing.T) {
	t.Parallel()
	m := testMaster(7)
	a := Identity(m, "999 000 0018", "1971-03-14")
	if a != Identity(m, "9990000018", "1971-03-14") || a != Identity(m, "999-000-0018", "1971-03-14") {
		t.Error("the same NHS number, spaced differently, gives another identity")
	}
	if a == Identity(testMaster(8), "999 000 0018", "1971-03-14") {
		t.Error("the identity does not depend on the master secret")
	}
	distinct := map[string]bool{a: true}
	for _, other := range [][2]string{
		{"999 000 0026", "1971-03-14"},
		{"999 000 0018", "1971-03-15"},
		{"999 000 0018", "1971"},
		{"999 000 0018", ""},
		{"", "1971-03-14"},
		{"", ""},
		{"9990000018197", "1-03-14"}, // the fields are not simply joined
	} {
		d := Identity(m, other[0], other[1])
		if distinct[d] {
			t.Errorf("Identity(%q, %q) repeats another's", other[0], other[1])
		}
		distinct[d] = true
	}
}
