package bench

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/record/bulk"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/internal/synth"
)

// Bulk measures reading a FHIR Bulk Data export of n synthetic patients
// (package bulk: index every line, then read each patient with the shared
// resources they refer to) against plain encoding/json decoding of every
// line of the same NDJSON files into map[string]any, alternating the two
// so both see the same machine. The export is written plain and gzip.
// bulk_import_vs_bundle_import compares it with reading the same patients
// from one Bundle file each (fhir.Read on bytes in memory): what the
// export's indexing and gathering cost beyond the Bundle reader.
func Bulk(work string, n, rounds int) ([]Figure, error) {
	rng := rand.New(rand.NewPCG(42, 7))
	bundles := make([][]byte, n)
	for i := range bundles {
		bundles[i] = synth.FHIRBundle(rng, i)
	}
	var figs []Figure
	for _, gz := range []bool{false, true} {
		dir := filepath.Join(work, "bulk", fmt.Sprintf("gzip%v", gz), "export")
		if err := synth.SplitNDJSON(bundles, dir, gz); err != nil {
			return nil, err
		}
		var imp, dec, bun []time.Duration
		for r := 0; r < rounds; r++ {
			start := time.Now()
			got, err := importAll(dir)
			if err != nil {
				return nil, err
			}
			if got != n {
				return nil, fmt.Errorf("bulk export: %d patients read, want %d", got, n)
			}
			imp = append(imp, time.Since(start))
			start = time.Now()
			if err := decodeAll(dir); err != nil {
				return nil, err
			}
			dec = append(dec, time.Since(start))
			if gz {
				continue
			}
			start = time.Now()
			for i, b := range bundles {
				if _, err := fhir.Read(fmt.Sprintf("p%d.json", i), b); err != nil {
					return nil, err
				}
			}
			bun = append(bun, time.Since(start))
		}
		impRate, decRate := float64(n)/median(imp).Seconds(), float64(n)/median(dec).Seconds()
		suffix := ""
		if gz {
			suffix = "_gzip"
		}
		figs = append(figs,
			Figure{"bulk_import_patients_per_s" + suffix, impRate, "patients/s"},
			Figure{"bulk_json_decode_patients_per_s" + suffix, decRate, "patients/s"},
			Figure{"bulk_import_vs_json_decode" + suffix, impRate / decRate, "x"})
		if !gz {
			bunRate := float64(n) / median(bun).Seconds()
			figs = append(figs, Figure{"bundle_import_patients_per_s", bunRate, "patients/s"},
				Figure{"bulk_import_vs_bundle_import", impRate / bunRate, "x"})
		}
	}
	return figs, nil
}

func importAll(dir string) (int, error) {
	x, err := bulk.Open(dir)
	if err != nil {
		return 0, err
	}
	if err := x.Problems(); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range x.Patients() {
		if _, _, err := x.Read(p); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// decodeAll decodes every line of the export's files, as a reader that
// only parses would.
func decodeAll(dir string) error {
	for _, name := range bulk.Files(dir) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		var r io.Reader = f
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				f.Close()
				return err
			}
			r = zr
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	return nil
}
