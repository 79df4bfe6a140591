package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/status"
)

func cmdCheck(args []string, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "check takes no arguments", hint: "satchel check checks every record; satchel review ID explains one"}
	}
	cfg, p, err := openSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	rep := p.Check(time.Now())
	for _, e := range cfg.Placeholders {
		msg(stderr, "warning", "%v (satchel build refuses until then)", e)
	}
	for _, w := range rep.Warnings {
		msg(stderr, "warning", "%s", w)
	}
	for _, e := range rep.Problems {
		msg(stderr, "error", "%v", e)
	}
	counts := map[pipeline.Status]int{}
	for _, p := range rep.Patients {
		counts[p.Status]++
		switch p.Status {
		case pipeline.AwaitingApproval:
			msg(stderr, "", "%s: %s", p.ID, p.Reason)
		case pipeline.Blocked:
			msg(stderr, "", "%s: %s", p.ID, p.Reason)
			for _, b := range p.Blocks {
				msg(stderr, "hint", "%s: %s", p.ID, status.Unblock(b, p.ID))
			}
		case pipeline.ChangedSinceApproval:
			// As satchel build says it: the record is not built, and the
			// check does not fail, until a clinician approves it again.
			msg(stderr, "warning", "%s: %s", p.File, p.Reason)
		}
	}
	var parts []string
	for _, s := range []pipeline.Status{pipeline.Built, pipeline.AwaitingApproval, pipeline.ChangedSinceApproval, pipeline.Blocked, pipeline.Failed} {
		if counts[s] > 0 {
			name := string(s)
			if s == pipeline.Built {
				name = "would build"
			}
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], name))
		}
	}
	if len(rep.Patients) == 0 {
		msg(stderr, "", "checked 0 records: the records folder holds none yet")
	} else {
		msg(stderr, "", "checked %d record%s: %s", len(rep.Patients), plural(len(rep.Patients)), strings.Join(parts, ", "))
	}
	if len(rep.Problems) > 0 {
		msg(stderr, "error", "%d problem%s to fix", len(rep.Problems), plural(len(rep.Problems)))
		return errReported
	}
	return nil
}
