package render

import (
	"testing"

	"github.com/satchel-records/satchel/generator/i18n"
)

// english is the language most tests read the document's text in.
func english(t testing.TB) *i18n.Language {
	t.Helper()
	l, err := i18n.Load(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
