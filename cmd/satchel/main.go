// Command satchel builds encrypted, self-opening medical record bundles and
// key cards for a GP practice's patients. See usage below, or README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/satchel-records/satchel/internal/termtext"
)

const usage = `Satchel builds each patient's approved medical record into an encrypted
bundle that opens offline in any browser, and prints a key card to open it.

Usage:
    satchel init    [DIR]
    satchel build   [-site FILE] [-force] [-shard K/N]
    satchel merge   [-site FILE] [-shards N]
    satchel watch   [-site FILE]
    satchel approve [-site FILE] -by NAME -role ROLE [-adult-confirmed] [-fresh]
                    [-competence-by NAME -competence-date DATE] [-release ENTRY]... ID...
    satchel check   [-site FILE]
    satchel status  [-site FILE] [-json]
    satchel review  [-site FILE] ID...
    satchel open    -key SECRET [-out DIR] [-force] [-practice-key FILE] FILE
    satchel keygen  [-site FILE] [-email ADDRESS]
    satchel card    add    [-site FILE] [-by NAME] ID [-label TEXT]
    satchel card    revoke [-site FILE] [-by NAME] ID SERIAL
    satchel card    list   [-site FILE] [ID]
    satchel audit   [-site FILE] [-json] [ID]
    satchel version

Commands:
    init      Make a new practice folder DIR (default: here): a commented
              site.toml, an empty records folder, and an empty education
              folder whose pages replace Satchel's built-in education pages
              of the same name. Never replaces an existing site.toml.
    build     Build every approved patient: public/bundles/<bundle id>/record.html
              and record.pgp, key cards in private/cards/<id>/, and
              private/manifest.json. Exits 1 if any patient failed.
              A patient whose inputs (record, approval, cards, pages,
              templates, theme, site.toml, practice key, Satchel itself)
              have not changed since the last build is not rebuilt, and
              nothing of theirs is rewritten; -force rebuilds everyone.
              -shard K/N builds only shard K (from 0) of N: a stable part
              of the patients, chosen by a digest of the patient id, so N
              processes (on one machine, or the pods of a Kubernetes
              Indexed Job, K being JOB_COMPLETION_INDEX) sharing the
              practice folder build everyone between them, at once. Each
              writes its patients' bundles and cards, and its result in
              private/shards/N/K/; none writes the manifest, registry,
              audit log or print sheet. A shard never makes the practice
              key or master secret: run satchel keygen (or one plain
              build) first.
    merge     Combine the results of every shard of a sharded build into
              the manifest, card registry, audit log, build state and
              print sheet, as one build writes them, remove the bundles of
              patients no longer in the records folder, then the results.
              Refused, writing nothing, when a shard is missing, still
              running, of another N, or built before a card change;
              -shards N picks N when private/shards holds results of two.
    watch     Build, then rebuild whenever a record, approval, page,
              template, theme or site.toml changes: only the patients
              whose output the change affects. Stop with Ctrl-C.
    approve   Record that NAME (ROLE) approved the current record file of each
              patient ID, with its letters, the patient's own key file and
              site.toml's release policy. If any of them changes after
              approval the record is refused, naming what changed, until
              approved again. Re-approving keeps, and says it kept, the
              previous approval's competence assessment, adult confirmation
              and named releases (those whose entry is unchanged).
              -competence-by NAME -competence-date DATE records that NAME
              assessed a patient under 16 as competent to hold their record.
              -release ENTRY releases an entry a security label or
              sensitive code withholds, by the identifier its review sheet
              shows (problems[2], Condition/<id>); one patient ID only.
              -adult-confirmed records that a patient with no birth date
              is an adult (-adult-confirmed=false withdraws it); -fresh
              drops what the previous approval held.
    check     Check the site, every record, approval and education page
              without building; list every problem. Exits 1 if any.
    status    List every patient, one line each: built, approved and not
              built yet, awaiting approval, changed since approval, blocked
              by rule or failed, with the next command to run and, for a
              blocked patient, what would unblock them. Nothing of what a
              record holds is printed. -json writes it for scripts.
    review    Write a review sheet for each patient ID in private/review/:
              for a record changed since approval, first the entries added,
              removed and changed since; then every entry, exported or
              withheld and by which rule, and the record document the
              patient would get.
    open      Decrypt a bundle (record.pgp or record.html) with a key card's
              secret, check the practice's signature, show who signed and
              approved it and when, and write its files (document.html,
              record.json, practice-key.asc, bundle.json; a bundle holding
              any other file is refused) to DIR, a new or empty folder
              (default: a new folder record, or record-2, ..., here). It
              never replaces a file unless -force is given. The key may
              also be given in SATCHEL_KEY.
              -practice-key FILE requires the signature to be by that key
              (e.g. the practice's published practice-key.asc). An unsigned
              or badly signed bundle is refused; -insecure-skip-verify
              writes its files anyway, for recovery only.
    keygen    Make the practice's OpenPGP signing key in private_dir
              (practice.key, 0600) and export the public key to
              public_dir/practice-key.asc. The passphrase protecting it is
              read from SATCHEL_KEY_PASSPHRASE, or asked for on a terminal
              (empty for none); builds then read it the same way. A new
              practice's first build makes an unprotected key by itself.
    card      Issue (add), revoke or list a patient's key cards. Each live
              card opens the patient's bundles; a revoked card opens none
              built after it. Changes are logged to private/audit.jsonl
              with -by NAME (default: $USER).
    audit     Print the audit log (private/audit.jsonl), oldest first, or
              one patient's part of it: approvals (who, role, record
              digest), builds (bundle digest, cards sealed to), cards
              added, issued (first sealed into a bundle), revoked and put
              on a print sheet, and keys made. It holds no secret and no
              clinical text. -json prints the log's own lines.
    version   Print Satchel's version.

Options:
    -site FILE   The practice's site.toml (default: site.toml).

Examples:
    satchel init riverside && cd riverside && satchel check
    satchel build
    satchel build -force
    for k in 0 1 2; do satchel build -shard $k/3 & done; wait; satchel merge
    satchel check
    satchel status
    satchel review rmc-0005
    satchel approve -by "Dr Amara Okafor" -role "GP partner" rmc-0001 rmc-0002
    satchel approve -by "Dr Amara Okafor" -role "GP partner" -adult-confirmed rmc-0013
    satchel approve -by "Dr Amara Okafor" -role "GP partner" -competence-by "Dr Amara Okafor" -competence-date 2026-11-20 rmc-0012
    satchel approve -by "Dr Amara Okafor" -role "GP partner" -release 'problems[2]' rmc-0004
    satchel open -key 7K3M-Q9XR-... -out /tmp/record public/bundles/<id>/record.pgp
    satchel keygen
    satchel card add rmc-0001 -label Carer
    satchel card revoke rmc-0001 2
`

func main() {
	os.Exit(satchel(os.Args[1:]))
}

// satchel runs the command line args as the satchel command does, stopping
// cleanly on Ctrl-C, and returns the exit code. Tests run it too.
func satchel(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, args, os.Stdout, os.Stderr)
	if err == nil {
		return 0
	}
	var ue usageError
	if !errors.Is(err, errReported) {
		msg(os.Stderr, "error", "%v", err)
	}
	if errors.As(err, &ue) && ue.hint != "" {
		msg(os.Stderr, "hint", "%s", ue.hint)
	}
	return 1
}

// errReported means the command has already printed its errors.
var errReported = errors.New("reported")

// usageError is a mistake in the command line, with a hint at what was meant.
type usageError struct {
	msg, hint string
}

func (e usageError) Error() string { return e.msg }

// run runs the satchel command line args, writing results to stdout and
// messages to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{msg: "no command given", hint: "try satchel build"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "build":
		return cmdBuild(ctx, rest, stderr)
	case "merge":
		return cmdMerge(rest, stderr)
	case "approve":
		return cmdApprove(rest, stderr)
	case "check":
		return cmdCheck(rest, stderr)
	case "init":
		return cmdInit(rest, stderr)
	case "status":
		return cmdStatus(rest, stdout, stderr)
	case "review":
		return cmdReview(rest, stderr)
	case "watch":
		return cmdWatch(ctx, rest, stderr)
	case "open":
		return cmdOpen(rest, stderr)
	case "keygen":
		return cmdKeygen(rest, stderr)
	case "card":
		return cmdCard(rest, stdout, stderr)
	case "audit":
		return cmdAudit(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{msg: fmt.Sprintf("unknown command %q", cmd), hint: "commands are " + strings.Join([]string{"init", "build", "merge", "watch", "approve", "check", "status", "review", "open", "keygen", "card", "audit", "version"}, ", ") + "; see satchel -help"}
}

// msg prints one line in Satchel's message grammar. The line is cleaned of
// control characters and escape sequences (termtext.Clean): its arguments
// may carry text from a bundle, a file name or the command line, which
// must not move the cursor, repaint the screen or start a line of its own.
func msg(w io.Writer, kind, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if kind != "" {
		line = kind + ": " + line
	}
	fmt.Fprintf(w, "satchel: %s\n", termtext.Clean(line))
}
