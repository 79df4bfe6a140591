package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/pipeline"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/site"
)

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("satchel "+name, flag.ContinueOnError)
	// flag prints its errors raw, command-line text included: parse
	// returns them for msg to print, cleaned, instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// parse parses flags, turning flag's own errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errReported
		}
		return usageError{msg: err.Error(), hint: "see satchel -help"}
	}
	return nil
}

// printErrors prints each joined error on its own line.
func printErrors(w io.Writer, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	msg(w, "error", "%v", err)
}

func loadSite(path string, stderr io.Writer) (*site.Config, error) {
	cfg, err := site.Load(path)
	if err != nil {
		printErrors(stderr, err)
		return nil, errReported
	}
	return cfg, nil
}

func cmdBuild(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("build", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "build takes no arguments", hint: "did you mean satchel build -site " + fs.Arg(0) + "?"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	return buildAndReport(ctx, cfg, pipeline.Options{KeyPassphrase: keyPassphrase(stderr), By: who("") + " (satchel build)"}, stderr)
}

// buildAndReport runs one build and prints what happened to every patient.
// It returns errReported if anything needs the practice to act.
func buildAndReport(ctx context.Context, cfg *site.Config, opt pipeline.Options, stderr io.Writer) error {
	start := time.Now()
	rep, err := pipeline.Run(ctx, cfg, opt)
	if err != nil {
		printErrors(stderr, err)
		buildHint(stderr, cfg, err)
		return errReported
	}
	if rep.MasterCreated {
		msg(stderr, "", "created the practice master secret %s (0600): back it up; every key card depends on it", rel(cfg.MasterFile()))
	}
	reportKey(stderr, cfg, rep)
	for _, w := range rep.Warnings {
		msg(stderr, "warning", "%s", w)
	}
	for _, e := range rep.Errors {
		printErrors(stderr, e)
	}
	for _, p := range rep.Patients {
		for _, w := range p.Warnings {
			msg(stderr, "warning", "%s", w)
		}
		switch p.Status {
		case pipeline.Built:
			msg(stderr, "", "%s: built %s (%d card%s)", p.ID, p.Viewer, len(p.Cards), plural(len(p.Cards)))
		case pipeline.Failed:
			printErrors(stderr, p.Err)
		case pipeline.ChangedSinceApproval:
			msg(stderr, "warning", "%s: %s", p.File, p.Reason)
		default:
			msg(stderr, "warning", "%s: %s", p.ID, p.Reason)
		}
	}
	built := rep.Count(pipeline.Built)
	msg(stderr, "", "built %d of %d patients in %s: bundles in %s, key cards in %s, manifest %s",
		built, len(rep.Patients), time.Since(start).Round(time.Millisecond),
		rel(cfg.BundlesDir()), rel(cfg.CardsDir()), rel(filepath.Join(cfg.Root, rep.Manifest)))
	if rep.Sheet != "" {
		msg(stderr, "", "%d key card%s to print, double-sided: %s (delete it once printed)", rep.SheetCards, plural(rep.SheetCards), rel(filepath.Join(cfg.Root, rep.Sheet)))
	}
	if n := len(rep.Failed()); n > 0 {
		msg(stderr, "error", "%d patient%s failed: fix the files named above and build again", n, plural(n))
	}
	if !rep.OK() {
		return errReported
	}
	return nil
}

func cmdApprove(args []string, stderr io.Writer) error {
	fs := newFlags("approve", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	by := fs.String("by", "", "the approving clinician's name")
	role := fs.String("role", "", "the approving clinician's role")
	adult := fs.Bool("adult-confirmed", false, "confirm that a patient whose record has no birth date is an adult (-adult-confirmed=false withdraws it)")
	fresh := fs.Bool("fresh", false, "start from a blank approval: drop the previous approval's named entries, competence assessment and adult confirmation")
	if err := parse(fs, args); err != nil {
		return err
	}
	who := pipeline.Approver{By: *by, Role: *role, Fresh: *fresh}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "adult-confirmed" {
			who.AdultConfirmed = adult
		}
	})
	if *by == "" || *role == "" {
		return usageError{msg: "approve needs -by and -role", hint: `satchel approve -by "Dr A Name" -role "GP partner" ID...`}
	}
	// The approver's name and role go into every bundle (bundle.json) and
	// are printed by satchel open and the viewer.
	for _, f := range []struct{ name, value string }{{"by", *by}, {"role", *role}} {
		if err := checkText(f.name, f.value, 100); err != nil {
			return err
		}
	}
	if fs.NArg() == 0 {
		return usageError{msg: "approve needs at least one patient ID", hint: "the ID is the record file's name without its extension"}
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	p, err := openPipeline(cfg, stderr)
	if err != nil {
		return err
	}
	failed := false
	for _, id := range fs.Args() {
		a, err := p.Approve(id, who, time.Now())
		if err != nil {
			printErrors(stderr, err)
			failed = true
			continue
		}
		msg(stderr, "", "%s: approved by %s (%s)%s", id, *by, *role, approvalExtras(a))
	}
	if failed {
		return errReported
	}
	return nil
}

// approvalExtras says what an approval holds beyond the record, so that
// the approver sees what a re-approval kept: how many named entries, a
// competence assessment, an adult confirmation. It prints none of their
// content: the review sheet shows that.
func approvalExtras(a *policy.Approval) string {
	var parts []string
	if n := len(a.Named); n > 0 {
		parts = append(parts, fmt.Sprintf("%d named entr%s released", n, map[bool]string{true: "y", false: "ies"}[n == 1]))
	}
	if a.Competence != nil {
		parts = append(parts, "competence assessed")
	}
	if a.AdultConfirmed {
		parts = append(parts, "adult confirmed")
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// openPipeline opens the site's pipeline, printing every problem that
// stops it.
func openPipeline(cfg *site.Config, stderr io.Writer) (*pipeline.Pipeline, error) {
	p, err := pipeline.Open(cfg)
	if err != nil {
		printErrors(stderr, err)
		return nil, errReported
	}
	return p, nil
}

// release is the version `make dist` stamps into the binaries it builds
// (-ldflags -X main.release=...), from git describe.
var release string

func version() string {
	if release != "" {
		return "satchel " + release
	}
	v := "satchel (devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = "satchel " + bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return v
}

func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
