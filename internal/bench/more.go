package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/record/fhir"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/browsers"
	"github.com/satchel-records/satchel/internal/viewerbench"
)

// Render builds a synthetic practice of n patients in this process and
// reports the median time to render one record document, and rendering's
// share of the whole per-patient build time; and the median time and size
// of the same patient's PDF copy (unencrypted), against its document.
func Render(ctx context.Context, work, education string, n int) ([]Figure, error) {
	dir := filepath.Join(work, "render")
	if err := writePractice(dir, n, education); err != nil {
		return nil, err
	}
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		return nil, err
	}
	rep, err := pipeline.Run(ctx, cfg, pipeline.Options{})
	if err != nil {
		return nil, err
	}
	var renders, pdfs, pdfBytes, docBytes []time.Duration
	var render, pdf, total time.Duration
	var pdfSize, docSize int
	for _, p := range rep.Patients {
		if p.Status != pipeline.Built {
			continue
		}
		renders = append(renders, p.Render)
		render += p.Render
		total += p.Took
		pdfs = append(pdfs, p.PDF)
		pdf += p.PDF
		// Sizes ride in Durations only to share median.
		pdfBytes = append(pdfBytes, time.Duration(p.PDFBytes))
		docBytes = append(docBytes, time.Duration(p.DocBytes))
		pdfSize += p.PDFBytes
		docSize += p.DocBytes
	}
	if len(renders) == 0 {
		return nil, fmt.Errorf("nothing built")
	}
	if pdf == 0 || docSize == 0 {
		return nil, fmt.Errorf("no PDF copies built: is pdf = false in the synthetic site.toml?")
	}
	return []Figure{
		{"render_ms_per_patient", float64(median(renders).Microseconds()) / 1000, "ms"},
		{"render_vs_build", render.Seconds() / total.Seconds(), "share"},
		{"pdf_ms_per_patient", float64(median(pdfs).Microseconds()) / 1000, "ms"},
		{"pdf_vs_render", pdf.Seconds() / render.Seconds(), "x"},
		{"pdf_bytes", float64(median(pdfBytes)), "bytes"},
		{"document_bytes", float64(median(docBytes)), "bytes"},
		{"pdf_bytes_vs_document", float64(pdfSize) / float64(docSize), "x"},
	}, nil
}

// FHIR measures import throughput over the FHIR files under dir against
// plain encoding/json decoding of the same bytes into map[string]any,
// alternating the two so both see the same machine.
func FHIR(dir string, rounds int) ([]Figure, error) {
	type file struct {
		path string
		data []byte
	}
	var files []file
	var size int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		files = append(files, file{p, b})
		size += len(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no FHIR files in %s", dir)
	}
	var imp, dec []time.Duration
	for r := 0; r < rounds; r++ {
		start := time.Now()
		for _, f := range files {
			if _, err := fhir.Read(f.path, f.data); err != nil {
				return nil, err
			}
		}
		imp = append(imp, time.Since(start))
		start = time.Now()
		for _, f := range files {
			var m map[string]any
			if err := json.Unmarshal(f.data, &m); err != nil {
				return nil, err
			}
		}
		dec = append(dec, time.Since(start))
	}
	mb := float64(size) / 1e6
	impRate, decRate := mb/median(imp).Seconds(), mb/median(dec).Seconds()
	return []Figure{
		{"fhir_import_mb_per_s", impRate, "MB/s"},
		{"fhir_json_decode_mb_per_s", decRate, "MB/s"},
		{"fhir_import_vs_json_decode", impRate / decRate, "x"},
	}, nil
}

// Viewer builds the sample practice in work, prints the size of its largest
// record.html (record_html_bytes_max), and measures that patient's
// record.html in each browser engine against gpg --decrypt of the same
// record.pgp.
func Viewer(ctx context.Context, work, siteFile string, runs int, out io.Writer) error {
	cfg, err := site.Load(siteFile)
	if err != nil {
		return err
	}
	cfg.PublicDir = filepath.Join(work, "viewer", "public")
	cfg.PrivateDir = filepath.Join(work, "viewer", "private")
	rep, err := pipeline.Run(ctx, cfg, pipeline.Options{})
	if err != nil {
		return err
	}
	var best *pipeline.Patient
	var bestSize int64
	for i, p := range rep.Patients {
		if p.Status != pipeline.Built {
			continue
		}
		st, err := os.Stat(at(cfg.Root, p.Viewer))
		if err == nil && st.Size() > bestSize {
			best, bestSize = &rep.Patients[i], st.Size()
		}
	}
	if best == nil {
		return fmt.Errorf("no sample patient built")
	}
	master, err := cardkey.LoadMaster(cfg.MasterFile())
	if err != nil {
		return err
	}
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		return err
	}
	secret := cardkey.Derive(master, best.ID, reg.Live(best.ID)[0].Serial)
	f, err := viewerbench.Measure(ctx, at(cfg.Root, best.Viewer), at(cfg.Root, best.Bundle), secret, runs, browsers.Names)
	if err != nil {
		return err
	}
	if _, err = f.WriteTo(out); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "record_html_bytes_max: %d\n", bestSize)
	return err
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// at resolves a path from a build report, which is relative to the site
// root unless it lies outside it.
func at(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}
