package pipeline

import (
	"strings"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
)

// Accounting says where every resource (FHIR) or entry (Satchel TOML) of a
// source record ended: shown, withheld by a named rule, or not carried for
// a reason. Together they are the whole source, each counted once.
type Accounting struct {
	Shown      int
	Withheld   map[string]int // by rule
	NotCarried map[string]int // by reason, as the reader gave it
}

// Total is shown + withheld + not carried: the size of the source.
func (a Accounting) Total() int {
	n := a.Shown
	for _, v := range a.Withheld {
		n += v
	}
	for _, v := range a.NotCarried {
		n += v
	}
	return n
}

// Account makes the accounting of r under decision d. Entries made from
// one resource (an observation's components) count as that one resource:
// shown if any of them goes out, else withheld by the first one's rule.
func Account(r *record.Record, d policy.Decision) Accounting {
	a := Accounting{Withheld: map[string]int{}, NotCarried: map[string]int{}}
	for k, v := range r.NotCarried {
		a.NotCarried[k] = v
	}
	type fate struct {
		shown bool
		rule  string
	}
	var order []string
	fates := map[string]*fate{}
	for _, e := range d.Entries {
		// A FHIR Patient's contacts are part of the Patient resource,
		// which the reader accounts for as the record's heading.
		if strings.Contains(e.Key, ".contact[") {
			continue
		}
		k := resourceKey(e.Key)
		f := fates[k]
		if f == nil {
			f = &fate{rule: e.Rule}
			fates[k] = f
			order = append(order, k)
		}
		f.shown = f.shown || e.Exported
	}
	for _, k := range order {
		if f := fates[k]; f.shown {
			a.Shown++
		} else {
			a.Withheld[f.rule]++
		}
	}
	return a
}

// resourceKey is the key of the resource an entry was made from: an
// observation component's key is its observation's plus ".component[i]".
func resourceKey(key string) string {
	if i := strings.Index(key, ".component["); i >= 0 {
		return key[:i]
	}
	return key
}
