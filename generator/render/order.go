package render

import (
	"slices"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
)

// newestFirst orders entries the way a reader looks for them: grouped by
// test (entries with the same key together), the group with the newest
// entry first, and newest first within a group. Undated entries come last
// in their group, and groups with no date at all last; ties keep the
// record's order. Within a group, taken (when not nil) orders two dated
// entries of one day, as record.CompareTaken does. It returns a new slice.
func newestFirst[T any](items []T, key func(*T) string, date func(*T) record.Date, taken func(a, b *T) int) []T {
	type info struct {
		group  int // the group's first appearance
		newest record.Date
	}
	groups := map[string]*info{}
	of := make([]*info, len(items))
	for i := range items {
		k := key(&items[i])
		g := groups[k]
		if g == nil {
			g = &info{group: len(groups)}
			groups[k] = g
		}
		if d := date(&items[i]); !d.IsZero() && (g.newest.IsZero() || d.Time.After(g.newest.Time)) {
			g.newest = d
		}
		of[i] = g
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ga, gb := of[a], of[b]
		if ga != gb {
			if c := laterFirst(ga.newest, gb.newest); c != 0 {
				return c
			}
			return ga.group - gb.group
		}
		da, db := date(&items[a]), date(&items[b])
		if c := laterFirst(da, db); c != 0 || taken == nil || da.IsZero() || db.IsZero() {
			return c
		}
		return taken(&items[b], &items[a])
	})
	out := make([]T, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out
}

// laterFirst compares two dates for a newest-first order, zero dates last.
func laterFirst(a, b record.Date) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return b.Time.Compare(a.Time)
}

// resultGroup is the test a result belongs to: its panel ("Blood
// pressure", "Urea and electrolytes"), else its code, else its title.
func resultGroup(r *record.Result) string {
	switch {
	case strings.TrimSpace(r.Panel) != "":
		return "panel:" + fold(r.Panel)
	case !r.Code.IsZero():
		return "code:" + r.Code.String()
	}
	return "title:" + fold(r.Title)
}

// immunisationGroup is the vaccine an immunisation belongs to: its code,
// else its name.
func immunisationGroup(im *record.Immunisation) string {
	if !im.Code.IsZero() {
		return "code:" + im.Code.String()
	}
	return "name:" + fold(im.Vaccine)
}

func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
