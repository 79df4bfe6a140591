package strict

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

type testPatient struct {
	Name string `toml:"name"`
}

type testCode struct {
	System string `toml:"system"`
	Code   string `toml:"code"`
}

type testProblem struct {
	Title string     `toml:"title"`
	Codes []testCode `toml:"codes"`
}

type testExtra struct {
	A struct {
		B struct {
			C [][]float64 `toml:"c"`
			D string      `toml:"d"`
		} `toml:"b"`
	} `toml:"a"`
}

type testRecord struct {
	Patient  testPatient   `toml:"patient"`
	Problems []testProblem `toml:"problems"`
	Extra    testExtra     `toml:"extra"`
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDeepNestingIsRefusedBeforeDecoding(t *testing.T) {
	const n = 200 << 10
	hostile := map[string]string{
		"inline tables": "[patient]\nname = \"x\"\n\nextra = " + strings.Repeat("{b=", n/3),
		"arrays":        "[patient]\nname = \"x\"\n\nextra = " + strings.Repeat("[", n),
		"dotted keys":   "[patient]\nname = \"x\"\n\n" + strings.Repeat("a.", n/2) + "b = 1\n",
		"table header":  "[patient]\nname = \"x\"\n\n[" + strings.Repeat("a.", n/2) + "b]\nc = 1\n",
		"mixed":         "[patient]\nname = \"x\"\n\nextra = " + strings.Repeat("{a.b.c = [", n/10),
	}
	for name, data := range hostile {
		t.Run(name, func(t *testing.T) {
			var err error
			grew := allocated(func() {
				var v testRecord
				_, err = Decode("records/x.toml", []byte(data), &v)
			})
			if err == nil || !strings.HasPrefix(err.Error(), "records/x.toml:4: ") || !strings.Contains(err.Error(), "nested too deeply") {
				t.Errorf("err = %.200v, want line 4 nested too deeply", err)
			}
			if grew > 200<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
}

func TestNestingUnderTheLimitDecodes(t *testing.T) {
	data := `# a comment with { and [ and a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t
[patient]
name = "x. y { [ \" '''"

[[problems]]
title = 'a.b.c [ {'
codes = [{system = "http://snomed.info/sct", code = "38341003"}]

[extra]
a = {b = {c = [[1, 2], [3.5]], d = """
{ [ . . . . . . . . . . . . . . . . . .
"""}}
`
	var v testRecord
	if _, err := Decode("x.toml", []byte(data), &v); err != nil {
		t.Fatal(err)
	}
	if v.Problems[0].Codes[0].Code != "38341003" {
		t.Errorf("decoded %+v", v)
	}
}

func TestUnknownFieldNeverEchoesItsKey(t *testing.T) {
	const canary = "Jane Example, NHS 943 476 5919, HIV positive"
	cases := []struct{ data, want string }{
		{"[patient]\nname = \"x\"\n\"" + canary + "\" = true\n", `x.toml:3: field "patient": unknown field`},
		{"\"" + canary + "\" = true\n", `x.toml:1: unknown field`},
		{"[patient]\nname = \"x\"\n[\"" + canary + "\"]\nname = 1\n", `x.toml:3: unknown field`},
		{"[[problems]]\ntitle = \"x\"\ncodes = [{system = \"s\", \"" + canary + "\" = 1}]\n", `field "problems.codes": unknown field`},
		// A schema name in the wrong place is safe to name.
		{"[patient]\ntitle = \"x\"\n", `x.toml:2: field "patient.title": unknown field`},
		// A slip for a schema name is named by that name.
		{"[patient]\nnmae = \"x\"\n", `x.toml:2: field "patient": unknown field (did you mean "name"?)`},
		{"[[problems]]\ntitel = \"x\"\n", `x.toml:2: field "problems": unknown field (did you mean "title"?)`},
		// Syntax and type errors name no key but schema names either.
		{"[patient]\n\"" + canary + "\" = \n", `x.toml:2: field "patient": invalid TOML syntax`},
		{"[patient]\nname = 1\n", `field "patient.name": wrong type`},
	}
	for _, c := range cases {
		var v testRecord
		_, err := Decode("x.toml", []byte(c.data), &v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.data, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "Jane") || strings.Contains(err.Error(), "HIV")) {
			t.Errorf("%q: error echoes the key: %v", c.data, err)
		}
	}
}

func TestErrorsStopAtALimitWithTheExactCountLeft(t *testing.T) {
	var b strings.Builder
	b.WriteString("[patient]\nname = \"x\"\n")
	const n = 100_000
	for i := range n {
		fmt.Fprintf(&b, "bad%d = 1\n", i)
	}
	var v testRecord
	_, err := Decode("x.toml", []byte(b.String()), &v)
	errs := Split(err)
	if len(errs) != MaxErrors+1 {
		t.Fatalf("%d errors, want %d and a count", len(errs), MaxErrors+1)
	}
	if got, want := errs[len(errs)-1].Error(), "x.toml: and 99,980 more errors"; got != want {
		t.Errorf("last error %q, want %q", got, want)
	}
	if got := errs[0].Error(); got != `x.toml:3: field "patient": unknown field` {
		t.Errorf("first error %q", got)
	}
}

func TestJoinCountsWhatItLeavesOut(t *testing.T) {
	for _, c := range []struct {
		n    int
		last string
	}{{0, ""}, {1, "e0"}, {MaxErrors, fmt.Sprintf("e%d", MaxErrors-1)}, {MaxErrors + 1, "f: and 1 more error"}, {MaxErrors + 3214, "f: and 3,214 more errors"}} {
		var errs []error
		for i := range c.n {
			errs = append(errs, fmt.Errorf("e%d", i))
		}
		err := Join("f", errs)
		if c.n == 0 {
			if err != nil {
				t.Errorf("Join of none = %v", err)
			}
			continue
		}
		got := Split(err)
		if last := got[len(got)-1].Error(); last != c.last {
			t.Errorf("%d errors: last %q, want %q", c.n, last, c.last)
		}
	}
}
