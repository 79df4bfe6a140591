package risk

import (
	"slices"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record"
)

func ids(gs []Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func TestBuiltInListFlagsEveryKindOfHighRiskMedicine(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want []string
	}{
		{"Warfarin 3mg tablets", []string{"anticoagulant"}},
		{"APIXABAN 5MG TABLETS", []string{"anticoagulant"}},
		{"Enoxaparin 40mg/0.4ml solution for injection pre-filled syringes", []string{"anticoagulant"}},
		{"Clopidogrel 75mg tablets", []string{"antiplatelet"}},
		{"Aspirin 75mg dispersible tablets", []string{"antiplatelet"}},
		{"Insulin glargine 100units/ml solution for injection 3ml pre-filled pens", []string{"insulin"}},
		{"NovoRapid FlexPen", []string{"insulin"}},
		{"Gliclazide 80mg tablets", []string{"hypoglycaemia"}},
		{"Adalimumab 40mg/0.4ml solution for injection pre-filled pens", []string{"immunosuppressant"}},
		{"Azathioprine 50mg tablets", []string{"immunosuppressant"}},
		{"Tacrolimus 1mg capsules", []string{"immunosuppressant"}},
		{"Ciclosporin 25mg capsules", []string{"immunosuppressant"}},
		{"Mycophenolate mofetil 500mg tablets", []string{"immunosuppressant"}},
		{"Methotrexate 2.5mg tablets", []string{"immunosuppressant", "methotrexate"}},
		{"Prednisolone 5mg tablets", []string{"oral-steroid"}},
		{"Dexamethasone 2mg tablets", []string{"oral-steroid"}},
		{"Hydrocortisone 10mg tablets", []string{"oral-steroid"}},
		{"Co-codamol 30mg/500mg tablets", []string{"opioid"}},
		{"Morphine sulfate 10mg/5ml oral solution", []string{"opioid"}},
		{"Lithium carbonate 400mg modified-release tablets", []string{"lithium"}},
		{"Sodium valproate 200mg gastro-resistant tablets", []string{"antiepileptic"}},
		{"Levetiracetam 500mg tablets", []string{"antiepileptic"}},
		// Not high-risk, or not in this form.
		{"Prednisolone acetate 1% eye drops", nil},
		{"Hydrocortisone 1% cream", nil},
		{"Amlodipine 5mg tablets", nil},
		{"Paracetamol 500mg tablets", nil},
		// Whole words only: no match inside a longer word.
		{"Warfarinol 5mg tablets", nil},
		{"Codeinefree linctus", nil},
	}
	for _, tt := range tests {
		if got := ids(l.Match(tt.name, record.Code{})); !slices.Equal(got, tt.want) {
			t.Errorf("%s: groups %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEveryBuiltInGroupExplainsItself(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"anticoagulant", "antiplatelet", "insulin", "hypoglycaemia", "immunosuppressant", "oral-steroid", "opioid", "methotrexate", "lithium", "antiepileptic"}
	if got := ids(l.Groups()); !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	for _, g := range l.Groups() {
		if g.Label == "" || g.Note == "" {
			t.Errorf("group %s has no label or note", g.ID)
		}
	}
}

func TestPracticeAdditionsJoinGroupsOrMakeTheirOwn(t *testing.T) {
	base, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	l, err := base.With([]Medicine{
		{Code: "DMD:123456789", Group: "anticoagulant"},
		{Name: "Examplamab", Group: "Immunosuppressant"},
		{Name: "Clozapine", Group: "clozapine (blood monitoring)"},
		{Code: "SNOMED:987654321"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		code record.Code
		want []string
	}{
		{"Something 5mg tablets", record.Code{System: "DMD", Value: "123456789"}, []string{"anticoagulant"}},
		// A dm+d id is a SNOMED CT id: the systems are one.
		{"Something 5mg tablets", record.Code{System: "http://snomed.info/sct", Value: "123456789"}, []string{"anticoagulant"}},
		{"Examplamab 100mg injection", record.Code{}, []string{"immunosuppressant"}},
		{"Clozapine 25mg tablets", record.Code{}, []string{"site:clozapine (blood monitoring)"}},
		{"Anything", record.Code{System: "DMD", Value: "987654321"}, []string{"site:high-risk medicine"}},
		{"Something 5mg tablets", record.Code{System: "DMD", Value: "1"}, nil},
	}
	for _, tt := range tests {
		if got := ids(l.Match(tt.name, tt.code)); !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: groups %v, want %v", tt.name, tt.code, got, tt.want)
		}
	}
	// The built-in list is left as it was.
	if base.Match("Examplamab", record.Code{}) != nil || len(base.Groups()) != 10 {
		t.Error("With changed the list it was called on")
	}
	if _, err := base.With([]Medicine{{Code: "not a code", Group: "x"}}); err == nil || !strings.Contains(err.Error(), "high_risk[0].code") || strings.Contains(err.Error(), "not a code") {
		t.Errorf("bad code: err = %v", err)
	}
}

func TestListFileIsDecodedStrictly(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"unknown key", "[[group]]\nid = \"a\"\nlabel = \"a\"\nnames = [\"x\"]\ncolour = \"red\"\n", "f.toml:5: field \"group\": unknown field"},
		{"missing id", "[[group]]\nlabel = \"a\"\nnames = [\"x\"]\n", "f.toml:1: field \"group[0].id\": required field is missing"},
		{"duplicate id", "[[group]]\nid = \"a\"\nlabel = \"a\"\nnames = [\"x\"]\n[[group]]\nid = \"a\"\nlabel = \"b\"\nnames = [\"y\"]\n", "f.toml:5: field \"group[1].id\": another group has this id"},
		{"bad code", "[[group]]\nid = \"a\"\nlabel = \"a\"\ncodes = [\"nocolon\"]\n", "group[0].codes[0]\": invalid code"},
		{"nothing to match", "[[group]]\nid = \"a\"\nlabel = \"a\"\n", "needs names or codes"},
		{"two-word unless", "[[group]]\nid = \"a\"\nlabel = \"a\"\nnames = [\"x\"]\nunless = [\"eye drops\"]\n", "must be one word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.data), "f.toml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	l, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Match("Amlodipine 5mg tablets", record.Code{System: "DMD", Value: "319283006"})
	}
}
