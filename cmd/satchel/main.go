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
    satchel build   [-site FILE]
    satchel watch   [-site FILE]
    satchel approve [-site FILE] [-adult-confirmed] [-fresh] -by NAME -role ROLE ID...
    satchel check   [-site FILE]
    satchel review  [-site FILE] ID...
    satchel open    -key SECRET [-out DIR] [-force] [-practice-key FILE] FILE
    satchel keygen  [-site FILE] [-email ADDRESS]
    satchel card    add    [-site FILE] [-by NAME] ID [-label TEXT]
    satchel card    revoke [-site FILE] [-by NAME] ID SERIAL
    satchel card    list   [-site FILE] [ID]
    satchel audit   [-site FILE] [-json] [ID]
    satchel version

Commands:
    build     Build every approved patient: public/bundles/<bundle id>/record.html
              and record.pgp, key cards in private/cards/<id>/, and
              private/manifest.json. Exits 1 if any patient failed.
    watch     Build, then rebuild whenever a record, approval, page,
              template, theme or site.toml changes (only the patients
              affected, when it can tell). Stop with Ctrl-C.
    approve   Record that NAME (ROLE) approved the current record file of each
              patient ID, with its letters, the patient's own key file and
              site.toml's release policy. If any of them changes after
              approval the record is refused, naming what changed, until
              approved again. Re-approving keeps the previous approval's
              named entries, competence assessment and adult confirmation.
              -adult-confirmed records that a patient with no birth date
              is an adult (-adult-confirmed=false withdraws it); -fresh
              drops what the previous approval held.
    check     Check the site, every record, approval and education page
              without building; list every problem. Exits 1 if any.
    review    Write a review sheet for each patient ID in private/review/:
              every entry, exported or withheld and by which rule, and the
              record document the patient would get.
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
    satchel build
    satchel check
    satchel review rmc-0005
    satchel approve -by "Dr Amara Okafor" -role "GP partner" rmc-0001 rmc-0002
    satchel approve -by "Dr Amara Okafor" -role "GP partner" -adult-confirmed rmc-0013
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
	case "approve":
		return cmdApprove(rest, stderr)
	case "check":
		return cmdCheck(rest, stderr)
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
	return usageError{msg: fmt.Sprintf("unknown command %q", cmd), hint: "commands are " + strings.Join([]string{"build", "watch", "approve", "check", "review", "open", "keygen", "card", "audit", "version"}, ", ") + "; see satchel -help"}
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
