package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/termtext"
)

func cmdCard(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "card needs add, revoke or list", hint: "satchel card add ID [-label TEXT] [-scope full|summary], satchel card revoke ID SERIAL, satchel card list [ID]"}
	}
	switch args[0] {
	case "add":
		return cmdCardAdd(args[1:], stderr)
	case "revoke":
		return cmdCardRevoke(args[1:], stderr)
	case "list":
		return cmdCardList(args[1:], stdout, stderr)
	}
	return usageError{msg: fmt.Sprintf("unknown card command %q", args[0]), hint: "card commands are add, revoke, list"}
}

// parseAll parses flags that may come before, between or after the
// arguments (satchel card add ID -label Carer), returning the arguments.
func parseAll(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// who is the person named in the audit log: -by, else the login name.
// The login name comes from the environment, so it is cleaned of control
// characters and cut to 64 characters like any other text Satchel keeps.
func who(by string) string {
	name := by
	if name == "" {
		name = loginName()
	}
	name = strings.TrimSpace(termtext.Clean(name))
	if r := []rune(name); len(r) > 64 {
		name = string(r[:64])
	}
	if name == "" {
		return "unknown"
	}
	return name
}

// loginName is the user running satchel, as the system knows them.
func loginName() string {
	for _, v := range []string{"USER", "USERNAME"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// checkText refuses control characters (escape sequences included),
// invalid text and overlong text in what is printed on cards and in
// bundles and written to the audit log.
func checkText(flagName, s string, max int) error {
	if utf8.RuneCountInString(s) > max {
		return usageError{msg: fmt.Sprintf("-%s is longer than %d characters", flagName, max)}
	}
	if termtext.Clean(s) != s {
		return usageError{
			msg:  fmt.Sprintf("-%s has a control character or an escape sequence", flagName),
			hint: fmt.Sprintf("give -%s as plain text on one line: letters, digits, spaces and punctuation", flagName),
		}
	}
	return nil
}

// openRegistry loads the site and the card registry, after checking that
// the patient id names a record.
func openRegistry(sitePath, id string, stderr io.Writer, change bool) (*site.Config, *registry.Registry, error) {
	cfg, err := loadSite(sitePath, stderr)
	if err != nil {
		return nil, nil, err
	}
	if id != "" {
		if _, err := load.Find(cfg.RecordsDir, id); err != nil {
			return nil, nil, err
		}
	}
	if err := os.MkdirAll(cfg.PrivateDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create private_dir: %w", err)
	}
	// A change locks the registry against a build running at the same
	// time; the caller closes it once the change is saved. Reading does not.
	open := registry.Load
	if change {
		open = registry.Open
	}
	reg, err := open(cfg.PrivateDir)
	if err != nil {
		return nil, nil, err
	}
	return cfg, reg, nil
}

func cmdCardAdd(args []string, stderr io.Writer) error {
	fs := newFlags("card add", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	label := fs.String("label", "", `whose card it is, printed on it, e.g. "Carer"`)
	by := fs.String("by", "", "who issues the card, for the audit log (default: $USER)")
	scopeFlag := fs.String("scope", "full", "what the card opens: full (the whole record) or summary (the emergency summary only)")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	scope, err := registry.ParseScope(*scopeFlag)
	if err != nil {
		return usageError{msg: "-scope: " + err.Error(), hint: "satchel card add rmc-0001 -scope summary -label Wallet"}
	}
	if len(pos) != 1 {
		return usageError{msg: "card add needs exactly one patient ID", hint: "satchel card add rmc-0001 -label Carer"}
	}
	if err := checkText("label", *label, 30); err != nil {
		return err
	}
	if err := checkText("by", *by, 100); err != nil {
		return err
	}
	id := pos[0]
	_, reg, err := openRegistry(*sitePath, id, stderr, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	now := time.Now()
	c := reg.AddScope(id, strings.TrimSpace(*label), scope, now)
	if err := reg.Save(); err != nil {
		return fmt.Errorf("cannot save the card registry: %w", err)
	}
	ev := registry.Event{Time: now, Who: who(*by), What: registry.EventAdd, Patient: id, Serial: c.Serial, Label: c.Label}
	if c.SummaryOnly() {
		ev.Scope = c.Scope
	}
	if err := reg.Audit(ev); err != nil {
		return fmt.Errorf("cannot write the audit log: %w", err)
	}
	what := ""
	if c.Label != "" {
		what = " (" + c.Label + ")"
	}
	if c.SummaryOnly() {
		msg(stderr, "", "%s: added card %d%s, emergency summary only: the next satchel build issues it, sealing the emergency summary, and nothing else, for it, and writes it", id, c.Serial, what)
		return nil
	}
	msg(stderr, "", "%s: added card %d%s: the next satchel build issues it, sealing the record for it, and writes it", id, c.Serial, what)
	return nil
}

func cmdCardRevoke(args []string, stderr io.Writer) error {
	fs := newFlags("card revoke", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	by := fs.String("by", "", "who revokes the card, for the audit log (default: $USER)")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError{msg: "card revoke needs a patient ID and a card serial", hint: "satchel card revoke rmc-0001 2; satchel card list rmc-0001 shows the serials"}
	}
	serial, err := strconv.Atoi(pos[1])
	if err != nil || serial < 1 {
		return usageError{msg: "the card serial must be a whole number, such as 2", hint: "satchel card list " + pos[0] + " shows the serials"}
	}
	if err := checkText("by", *by, 100); err != nil {
		return err
	}
	id := pos[0]
	cfg, reg, err := openRegistry(*sitePath, id, stderr, true)
	if err != nil {
		return err
	}
	defer reg.Close()
	now := time.Now()
	if err := reg.Revoke(id, serial, now); err != nil {
		return err
	}
	if err := reg.Save(); err != nil {
		return fmt.Errorf("cannot save the card registry: %w", err)
	}
	if err := reg.Audit(registry.Event{Time: now, Who: who(*by), What: registry.EventRevoke, Patient: id, Serial: serial}); err != nil {
		return fmt.Errorf("cannot write the audit log: %w", err)
	}
	// The card's files hold its secret: nobody should print it again.
	dir := cfg.PatientCardsDir(id)
	os.Remove(filepath.Join(dir, fmt.Sprintf("card-%d.png", serial)))
	os.Remove(filepath.Join(dir, fmt.Sprintf("card-%d.html", serial)))
	msg(stderr, "", "%s: revoked card %d", id, serial)
	msg(stderr, "warning", "the published bundle still opens with card %d until the next build: run satchel build now", serial)
	if len(reg.Live(id)) == 0 {
		msg(stderr, "warning", "%s has no live card left: the next build withdraws the bundle until a card is issued (satchel card add %s)", id, id)
	}
	return nil
}

func cmdCardList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("card list", stderr)
	sitePath := fs.String("site", "site.toml", "the practice's site.toml")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{msg: "card list takes at most one patient ID"}
	}
	id := ""
	if len(pos) == 1 {
		id = pos[0]
	}
	_, reg, err := openRegistry(*sitePath, id, stderr, false)
	if err != nil {
		return err
	}
	defer reg.Close()
	ids := reg.IDs()
	if id != "" {
		ids = []string{id}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATIENT\tCARD\tLABEL\tSCOPE\tISSUED\tSTATUS")
	for _, pid := range ids {
		for _, c := range reg.Cards(pid) {
			status := "live"
			if c.Pending {
				status = "pending (the next build issues it)"
			}
			if !c.Live() {
				status = "revoked " + c.Revoked.UTC().Format(time.DateOnly)
			}
			label := c.Label
			if label == "" {
				label = "-"
			}
			// Ids come from file names and labels from the registry file:
			// clean both before they reach the terminal.
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", termtext.Clean(pid), c.Serial, termtext.Clean(label), c.Scope, c.Issued.UTC().Format(time.DateOnly), status)
		}
	}
	return tw.Flush()
}
