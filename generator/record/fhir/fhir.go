// Package fhir reads a patient record exported as a FHIR Bundle (R4 or
// STU3, in JSON) into Satchel's record model.
//
// A record file holds one Bundle of type document, collection, transaction,
// batch or searchset, with exactly one Patient. The FHIR version is detected
// from the content (STU3 shapes such as MedicationStatement.taken, CareConnect
// and GP Connect profiles, ReferralRequest and ProcedureRequest resources),
// and the reader accepts either shape wherever the two differ, so a
// mislabelled file still reads correctly.
//
// What is read: Patient, Condition, AllergyIntolerance, MedicationStatement,
// MedicationRequest, Immunization, Observation, Procedure, DiagnosticReport,
// DocumentReference, Device, DeviceUseStatement, Flag, CarePlan, Encounter,
// Consent (advance decisions such as DNACPR), and ReferralRequest, ProcedureRequest and ServiceRequest as referrals.
// Resources that only lend names or bodies (Practitioner, Organization,
// Medication, Binary, ...) are followed through references, and those that
// only frame a record (Composition, List, Location, Specimen, Provenance) are
// passed over. Anything else a reader meets and does not carry (billing
// resources, unknown types, entered-in-error entries, ...) is counted in
// Record.Skipped, by resource type or by one of the Skip reasons, never
// silently dropped. Record.NotCarried accounts for every resource of the
// Bundle (and those contained in a clinical resource or a List) that made
// no entry, by a reason in words: each resource is an entry or not carried.
//
// Errors name the file and the line, and the FHIR path of the element
// (e.g. Bundle.entry[3].resource.onsetDateTime), never its value.
package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/internal/strict"
)

// Formats set in Record.Format.
const (
	FormatR4   = "fhir-r4"
	FormatSTU3 = "fhir-stu3"
)

// Reasons counted in Record.Skipped besides resource type names.
const (
	SkipEnteredInError = "entered-in-error"
	SkipNotDone        = "not-done"      // immunisations not given, procedures not done
	SkipRefuted        = "refuted"       // conditions and allergies ruled out
	SkipInactive       = "inactive"      // flags no longer raised
	SkipSuperseded     = "superseded"    // documents replaced by a newer version
	SkipOtherPatient   = "other-patient" // about a patient other than the record's
	SkipNoValue        = "no-value"      // observations with no value and no components
	SkipConsent        = "consent"       // consents to share or to research, not advance decisions
	SkipCommentNote    = "comment-note"  // GP Connect consultation "Comment note" observations
)

// Read decodes one FHIR Bundle (R4 or STU3) into a record. path names the
// file in errors, and its stem is the record's ID.
func Read(path string, data []byte) (*record.Record, error) {
	return read(path, data, true)
}

// read is Read, with the fast path optional so tests can check that both
// paths read a file alike.
func read(path string, data []byte, fast bool) (*record.Record, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM, as Windows tools write
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, strict.Errorf(path, 0, "", "empty file: want a FHIR Bundle in JSON")
	}
	// encoding/json would quietly turn bytes that are not UTF-8 into
	// U+FFFD: a name or a dose could then read differently from the
	// export without anyone being told.
	if !utf8.Valid(data) {
		return nil, strict.Errorf(path, lineAt(data, invalidUTF8(data)), "", "not valid UTF-8: FHIR JSON must be UTF-8 text")
	}
	r := &reader{
		file: path,
		data: data,
		rec: &record.Record{
			ID:     record.Stem(path),
			Source: path,
		},
	}
	// The fast path decodes everything in one pass. Any problem sends the
	// file down the slow path, which tells a harmless oddity in a resource
	// Satchel does not read from a real problem, and says where it is.
	var b bundle
	if fast && json.Unmarshal(data, &b) == nil {
		if err := r.start(b.ResourceType, b.Type, b.Meta, len(b.Entry)); err != nil {
			return nil, err
		}
		r.load(b.Entry)
		r.rec.Dated = exportTime(b.Timestamp, b.Meta.LastUpdated)
	} else {
		var rb rawBundle
		if err := json.Unmarshal(data, &rb); err != nil {
			return nil, bundleError(path, data, err)
		}
		if err := r.start(rb.ResourceType, rb.Type, rb.Meta, len(rb.Entry)); err != nil {
			return nil, err
		}
		r.loadRaw(rb.Entry)
		r.rec.Dated = exportTime(rb.Timestamp, rb.Meta.LastUpdated)
	}
	if len(r.errs) == 0 {
		r.findPatient()
	}
	if len(r.errs) == 0 {
		r.prepare()
		r.convert()
		r.account()
	}
	if len(r.errs) > 0 {
		return nil, r.err()
	}
	// An entry coded but not named shows its code in words, never blank.
	r.rec.NameUntitled()
	r.rec.Format = FormatR4
	if r.stu3 > r.r4 {
		r.rec.Format = FormatSTU3
	}
	return r.rec, nil
}

// start checks the Bundle itself and readies the reader for its entries.
func (r *reader) start(resourceType, bundleType string, m meta, entries int) error {
	switch {
	case resourceType == "":
		return strict.Errorf(r.file, locate(r.data, "Bundle.resourceType"), "resourceType",
			"not a FHIR resource: missing resourceType")
	case resourceType != "Bundle":
		return strict.Errorf(r.file, locate(r.data, "Bundle.resourceType"), "resourceType",
			"not a FHIR Bundle (resourceType is %s): a record file holds one Bundle", safeName(resourceType))
	}
	if msg := checkType(bundleType); msg != "" {
		return strict.Errorf(r.file, locate(r.data, "Bundle.type"), "Bundle.type", "%s", msg)
	}
	r.byURL = make(map[string]*node, entries)
	r.byTypeID = make(map[string]*node, entries)
	r.bundleLabels, r.bundleThird = marks(m.labels(), nil)
	r.profiles(m.Profile)
	return nil
}

// checkType refuses Bundles that do not carry a record: a message, a
// history or a transaction's response hold events and outcomes, not the
// state of a record. transaction-response is refused too: it carries
// outcomes, and at most echoes of resources.
func checkType(t string) string {
	switch t {
	case "document", "collection", "transaction", "batch", "searchset":
		return ""
	case "":
		return "missing Bundle.type: want document, collection, transaction, batch or searchset"
	case "message", "history", "transaction-response", "batch-response", "subscription-notification":
		return fmt.Sprintf("a %s Bundle does not hold a patient record: export the record as a document or collection Bundle", t)
	}
	return "unknown Bundle.type: want document, collection, transaction, batch or searchset"
}

// invalidUTF8 returns the offset of the first byte of data that is not
// part of valid UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// safeName returns s when it is a FHIR resource type name, and words
// that say it is not otherwise: a resourceType is shown (in errors, on the
// review sheet) only when it is one of FHIR's own names.
func safeName(s string) string {
	if !resourceTypes[s] {
		return "not a known resource type"
	}
	return s
}

// bundleError turns a decoding error of the whole file into one that names
// the line (and the element, for a wrong type) but never quotes the input,
// which encoding/json's own messages can do.
func bundleError(path string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return strict.Errorf(path, lineAt(data, int(se.Offset)), "", "invalid JSON syntax")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return strict.Errorf(path, 1, "", "not a FHIR Bundle: want a JSON object, found %s", jsonKind(te.Value))
		}
		return strict.Errorf(path, lineAt(data, int(te.Offset)), "Bundle."+te.Field, "wrong type (want %s)", goKind(te.Type))
	}
	return strict.Errorf(path, 0, "", "cannot decode JSON")
}

// jsonKind names a JSON value kind from UnmarshalTypeError.Value, which may
// also hold the value itself ("number -5"): only its first word is used.
func jsonKind(v string) string {
	k, _, _ := strings.Cut(v, " ")
	switch k {
	case "array":
		return "a list"
	case "string", "number", "bool", "object", "null":
		return "a " + k
	}
	return "another value"
}

// goKind describes what a Go type expects, in JSON terms.
func goKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Float64, reflect.Float32, reflect.Int, reflect.Int64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a JSON value"
		}
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// lineAt returns the 1-based line holding byte off of data.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// pathError is a problem at a FHIR path; its line is found only when the
// read fails, since finding it means walking the file again.
type pathError struct {
	field string // FHIR path of the element
	base  string // FHIR path of the resource that off counts from
	off   int    // offset within the resource at base, from a type error; -1 if none
	msg   string
}

func (r *reader) fail(field, format string, args ...any) {
	r.errs = append(r.errs, pathError{field: field, off: -1, msg: fmt.Sprintf(format, args...)})
}

// err joins the problems found, each with its line: at most
// strict.MaxErrors of them, since finding a line walks the file, and a
// count of the rest.
func (r *reader) err() error {
	errs := make([]error, 0, min(len(r.errs), strict.MaxErrors))
	seen := make(map[pathError]bool, len(r.errs))
	more := 0
	for _, e := range r.errs {
		if seen[e] { // a date read twice (e.g. a panel's, for its members) is reported once
			continue
		}
		seen[e] = true
		if len(errs) == strict.MaxErrors {
			more++
			continue
		}
		line := 0
		if e.off >= 0 {
			if start, ok := locateOffset(r.data, e.base); ok {
				line = lineAt(r.data, start+e.off)
			}
		} else {
			line = locate(r.data, e.field)
		}
		errs = append(errs, strict.Errorf(r.file, line, e.field, "%s", e.msg))
	}
	if more > 0 {
		errs = append(errs, strict.More(r.file, more))
	}
	return errors.Join(errs...)
}

// exportTime returns when the export was made: the first of the Bundle's
// timestamp and meta.lastUpdated that reads as a FHIR instant, in UTC, or
// zero. A record's freshness counts from it.
func exportTime(instants ...string) time.Time {
	for _, s := range instants {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
