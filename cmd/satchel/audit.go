package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/termtext"
)

func cmdAudit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	asJSON := fs.Bool("json", false, "print the events as JSON lines, as the log holds them")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{msg: "audit takes at most one patient ID", hint: "satchel audit rmc-0001"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	events, err := registry.ReadAudit(cfg.PrivateDir)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		kept := events[:0]
		for _, e := range events {
			if e.Patient == pos[0] {
				kept = append(kept, e)
			}
		}
		events = kept
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range events {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tWHO\tPATIENT\tWHAT")
	for _, e := range events {
		patient := e.Patient
		if patient == "" {
			patient = "-"
		}
		// The log is a file anyone with the folder could edit: clean what
		// reaches the terminal.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.DateTime), termtext.Clean(e.Who), termtext.Clean(patient), termtext.Clean(e.Describe()))
	}
	return tw.Flush()
}
