package chart

import "github.com/satchel-records/satchel/generator/i18n"

// english is the language most tests read charts in.
func english() *i18n.Language {
	l, err := i18n.Load(i18n.English)
	if err != nil {
		panic(err)
	}
	return l
}
