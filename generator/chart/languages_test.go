package chart

import (
	"regexp"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/i18n"
)

// A chart's words are in the reader's language, and say the same facts:
// the newest reading, its date, where it lies against the range and the
// trend.
func TestAltIsWrittenInTheDocumentsLanguage(t *testing.T) {
	t.Parallel()
	s := series("HbA1c", "mmol/mol", 62, 58, 55, 57, 53, 54)
	s.High, s.RangeType = f(58), "target"
	c := Chart{Title: "HbA1c", Series: []Series{s}}
	want := map[string]string{
		"en": "HbA1c: 6 readings from 5 Jan 2026 to 9 Feb 2026. Latest 54 mmol/mol on 9 Feb 2026, within the target range (up to 58 mmol/mol). Trend: falling.",
		"fr": "HbA1c : 6 mesures du 5 janv. 2026 au 9 févr. 2026. Dernière valeur 54 mmol/mol le 9 févr. 2026, dans l'objectif (jusqu'à 58 mmol/mol). Tendance : en baisse.",
		"de": "HbA1c: 6 Messwerte vom 5. Jan. 2026 bis 9. Feb. 2026. Letzter Wert 54 mmol/mol am 9. Feb. 2026, im Zielbereich (bis 58 mmol/mol). Trend: fallend.",
		"es": "HbA1c: 6 mediciones del 5 ene 2026 al 9 feb 2026. Último valor 54 mmol/mol el 9 feb 2026, dentro del rango objetivo (hasta 58 mmol/mol). Tendencia: en descenso.",
		"it": "HbA1c: 6 misurazioni dal 5 gen 2026 al 9 feb 2026. Ultimo valore 54 mmol/mol il 9 feb 2026, nell'intervallo obiettivo (fino a 58 mmol/mol). Andamento: in calo.",
	}
	for _, code := range i18n.Available() {
		l, err := i18n.Load(code)
		if err != nil {
			t.Fatal(err)
		}
		if got := Alt(c, l); got != want[code] {
			t.Errorf("%s: Alt =\n %s\nwant\n %s", code, got, want[code])
		}
	}
}

// Every word a chart draws comes from the language: no key is missing, no
// placeholder left unfilled, and no English legend in another language.
func TestSVGLegendIsInTheDocumentsLanguage(t *testing.T) {
	t.Parallel()
	c := bpChart()
	c.Series[0].Points[6].Value = 170 // ringed: above the range
	leftover := regexp.MustCompile(`\[chart_|\{\d\}`)
	for _, code := range i18n.Available() {
		l, err := i18n.Load(code)
		if err != nil {
			t.Fatal(err)
		}
		out := string(SVG(c, "c", l))
		if m := leftover.FindString(out); m != "" {
			t.Errorf("%s: the chart holds %q", code, m)
		}
		ringed, shaded := l.Text("chart_ringed"), l.Text("chart_normal_range")
		if !strings.Contains(out, esc(ringed)) || !strings.Contains(out, esc(shaded)) {
			t.Errorf("%s: the legend does not say %q and %q", code, ringed, shaded)
		}
		if code != i18n.English {
			for _, english := range []string{"Ringed", "normal range", " readings", "Latest", " and "} {
				if strings.Contains(out, english) {
					t.Errorf("%s: the chart says %q in English", code, english)
				}
			}
		}
	}
}

// A band's legend names its series only when the series' ranges differ,
// and however long the names, the range is stated in full.
func TestBandLegendStatesTheRangeInFull(t *testing.T) {
	t.Parallel()
	home := series("Systolic blood pressure measured at home by the patient (home)", "mmHg", 150, 152, 149)
	home.High = f(135)
	clinic := series("Systolic blood pressure measured in the surgery by a nurse (clinic)", "mmHg", 150, 152, 149)
	clinic.High = f(140)
	c := Chart{Title: "Systolic blood pressure", Series: []Series{home, clinic}}
	for _, code := range i18n.Available() {
		l, err := i18n.Load(code)
		if err != nil {
			t.Fatal(err)
		}
		out := string(SVG(c, "c", l))
		for _, r := range []string{l.Text("chart_range_up_to", "135 mmHg"), l.Text("chart_range_up_to", "140 mmHg")} {
			if !strings.Contains(out, esc(r)+"</text>") {
				t.Errorf("%s: the legend does not end with the range %q", code, r)
			}
		}
	}
	same := bpChart()
	same.Series[1].High = f(135)
	if out := string(SVG(same, "c", english())); !strings.Contains(out, ">Shaded: normal range, up to 135 mmHg</text>") {
		t.Errorf("two series sharing one range: the legend does not say it once, unnamed:\n%s", out)
	}
}
