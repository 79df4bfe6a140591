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
	"github.com/satchel-records/satchel/generator/record"
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
	force := fs.Bool("force", false, "rebuild every patient, even those whose inputs have not changed since the last build")
	shardFlag := fs.String("shard", "", "build only shard K of N (K/N, K from 0), for satchel merge")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "build takes no arguments", hint: "did you mean satchel build -site " + fs.Arg(0) + "?"}
	}
	opt := pipeline.Options{KeyPassphrase: keyPassphrase(stderr), By: who("") + " (satchel build)", Force: *force}
	if *shardFlag != "" {
		sh, err := pipeline.ParseShard(*shardFlag)
		if err != nil {
			return usageError{msg: err.Error(), hint: "satchel build -shard 0/3, -shard 1/3 and -shard 2/3 build every patient between them; then satchel merge"}
		}
		opt.Shard = &sh
		opt.By = who("") + " (satchel build -shard " + sh.String() + ")"
	}
	cfg, err := loadSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	return buildAndReport(ctx, cfg, opt, stderr)
}

// buildAndReport runs one build and prints what happened to every patient.
// It returns errReported if anything needs the practice to act.
func buildAndReport(ctx context.Context, cfg *site.Config, opt pipeline.Options, stderr io.Writer) error {
	start := time.Now()
	// Each patient's line as the build goes: the report keeps none of them.
	opt.Each = func(p *pipeline.Patient) { reportPatient(stderr, p) }
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
	built := rep.Count(pipeline.Built)
	unchanged := ""
	if n := rep.Unchanged(); n > 0 {
		unchanged = fmt.Sprintf(" (%d unchanged since the last build: nothing written for them)", n)
	}
	if opt.Shard != nil {
		msg(stderr, "", "shard %s: built %d of %d patients%s in %s: bundles in %s, key cards in %s, result %s; run satchel merge once every shard has finished",
			opt.Shard, built, rep.Total(), unchanged, time.Since(start).Round(time.Millisecond),
			rel(cfg.BundlesDir()), rel(cfg.CardsDir()), rel(filepath.Join(cfg.Root, rep.Manifest)))
	} else {
		msg(stderr, "", "built %d of %d patients%s in %s: bundles in %s, key cards in %s, manifest %s",
			built, rep.Total(), unchanged, time.Since(start).Round(time.Millisecond),
			rel(cfg.BundlesDir()), rel(cfg.CardsDir()), rel(filepath.Join(cfg.Root, rep.Manifest)))
	}
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

// reportPatient prints what happened to patient p: its warnings, and a
// line unless it was unchanged.
func reportPatient(stderr io.Writer, p *pipeline.Patient) {
	for _, w := range p.Warnings {
		msg(stderr, "warning", "%s", w)
	}
	switch {
	case p.Unchanged:
		// Nothing was written for them: not worth a line each.
	case p.Status == pipeline.Built:
		msg(stderr, "", "%s: built %s (%d card%s)", p.ID, p.Viewer, len(p.Cards), plural(len(p.Cards)))
	case p.Status == pipeline.Failed:
		printErrors(stderr, p.Err)
	case p.Status == pipeline.ChangedSinceApproval:
		msg(stderr, "warning", "%s: %s", p.File, p.Reason)
	default:
		msg(stderr, "warning", "%s: %s", p.ID, p.Reason)
	}
}

func cmdApprove(args []string, stderr io.Writer) error {
	fs := newFlags("approve", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	by := fs.String("by", "", "the approving clinician's name")
	role := fs.String("role", "", "the approving clinician's role")
	adult := fs.Bool("adult-confirmed", false, "confirm that a patient whose record has no birth date is an adult (-adult-confirmed=false withdraws it)")
	compBy := fs.String("competence-by", "", "who assessed a patient under 16 as competent to hold their record")
	compDate := fs.String("competence-date", "", "the date of that assessment, such as 2026-11-20")
	var release listFlag
	fs.Var(&release, "release", "release a withheld entry by the identifier its review sheet shows (repeat, or separate with commas)")
	fresh := fs.Bool("fresh", false, "start from a blank approval: drop the previous approval's named releases, competence assessment and adult confirmation")
	if err := parse(fs, args); err != nil {
		return err
	}
	who := pipeline.Approver{By: *by, Role: *role, Fresh: *fresh, Release: release}
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
	for _, f := range []struct{ name, value string }{{"by", *by}, {"role", *role}, {"competence-by", *compBy}} {
		if err := checkText(f.name, f.value, 100); err != nil {
			return err
		}
	}
	if (*compBy == "") != (*compDate == "") {
		return usageError{msg: "-competence-by and -competence-date go together", hint: `satchel approve -by "Dr A Name" -role "GP partner" -competence-by "Dr A Name" -competence-date 2026-11-20 ID`}
	}
	if *compBy != "" {
		d, err := record.ParseDate(*compDate)
		if err != nil || d.Precision != record.Day {
			return usageError{msg: "-competence-date must be a full date", hint: "such as 2026-11-20"}
		}
		who.Competence = &policy.Competence{AssessedBy: *compBy, Date: d}
	}
	if fs.NArg() == 0 {
		return usageError{msg: "approve needs at least one patient ID", hint: "the ID is the record file's name without its extension"}
	}
	if len(release) > 0 && fs.NArg() > 1 {
		return usageError{msg: "-release names entries of one record: approve one patient ID with it", hint: "satchel approve ... -release problems[2] rmc-0004"}
	}
	if who.Competence != nil && fs.NArg() > 1 {
		return usageError{msg: "a competence assessment is of one patient: approve one patient ID with it", hint: "satchel approve ... -competence-by NAME -competence-date DATE rmc-0012"}
	}
	_, p, err := openSite(*sitePath, stderr)
	if err != nil {
		return err
	}
	failed := false
	for _, id := range fs.Args() {
		res, err := p.Approve(id, who, time.Now())
		if err != nil {
			printErrors(stderr, err)
			failed = true
			continue
		}
		msg(stderr, "", "%s: approved by %s (%s)%s", id, *by, *role, approvalExtras(res.Approval))
		reportCarried(stderr, id, res.Carried)
	}
	if failed {
		return errReported
	}
	return nil
}

// listFlag is a flag that may be given more than once, each value a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// approvalExtras says what an approval holds beyond the record: how many
// named entries, a competence assessment, an adult confirmation. It
// prints none of their content: the review sheet shows that.
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

// reportCarried says what an approval kept from the previous one, and
// which named releases it did not keep. Entries are named by identifier
// only where the identifier holds no words of the record
// (policy.DescribeKeys); nothing else of the record is printed.
func reportCarried(stderr io.Writer, id string, c pipeline.Carried) {
	var parts []string
	if c.Competence != nil {
		parts = append(parts, fmt.Sprintf("competence assessment by %s on %s", c.Competence.AssessedBy, c.Competence.Date.ISO()))
	}
	if c.AdultConfirmed {
		parts = append(parts, "adult confirmation")
	}
	if len(c.Named) > 0 {
		parts = append(parts, "named release of "+policy.DescribeKeys(c.Named))
	}
	if len(parts) > 0 {
		msg(stderr, "", "%s: carried from the previous approval: %s (satchel approve -fresh drops them)", id, strings.Join(parts, "; "))
	}
	if len(c.Dropped) > 0 {
		msg(stderr, "warning", "%s: not carried: named release of %s: the entry changed or went since it was approved; if it should still be released, review the record and approve with -release", id, policy.DescribeKeys(c.Dropped))
	}
}

// openSite loads site.toml at path and opens its pipeline, printing what
// stops either.
func openSite(path string, stderr io.Writer) (*site.Config, *pipeline.Pipeline, error) {
	cfg, err := loadSite(path, stderr)
	if err != nil {
		return nil, nil, err
	}
	p, err := pipeline.Open(cfg)
	if err != nil {
		printErrors(stderr, err)
		return nil, nil, errReported
	}
	return cfg, p, nil
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
