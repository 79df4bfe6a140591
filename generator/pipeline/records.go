package pipeline

import (
	"fmt"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
)

// records lists the site's record files, with the error of each file whose
// patient id another file has too (p.toml beside p.json, or p.v2.toml):
// neither is built, since their bundles would replace each other.
func (p *Pipeline) records() ([]string, map[string]error, error) {
	files, err := p.recs.Files()
	if err != nil {
		return nil, nil, err
	}
	byID := map[string][]string{}
	for _, f := range files {
		id := record.Stem(f)
		byID[id] = append(byID[id], f)
	}
	dups := map[string]error{}
	for _, f := range files {
		same := byID[record.Stem(f)]
		if len(same) < 2 {
			continue
		}
		var others []string
		for _, o := range same {
			if o != f {
				others = append(others, p.rel(o))
			}
		}
		dups[f] = fmt.Errorf("%s: %s has the same patient id: keep one record file per patient", p.rel(f), strings.Join(others, ", "))
	}
	return files, dups, nil
}
