package record

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Precision says how much of a Date is known.
type Precision uint8

// Precisions, from unknown to a full day.
const (
	Unknown Precision = iota
	Year
	Month
	Day
)

// Date is a calendar date that may be partial (a year, or a year and month),
// as clinical records often hold. The zero Date means "not recorded".
type Date struct {
	Time      time.Time // midnight UTC of the first day the date covers
	Precision Precision
}

// NewDate returns the full date y-m-d.
func NewDate(y int, m time.Month, d int) Date {
	return Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Precision: Day}
}

// IsZero reports whether the date was not recorded.
func (d Date) IsZero() bool { return d.Precision == Unknown }

// String formats the date for people: "14 Mar 1971", "Mar 1971", "1971".
func (d Date) String() string {
	switch d.Precision {
	case Day:
		return d.Time.Format("2 Jan 2006")
	case Month:
		return d.Time.Format("Jan 2006")
	case Year:
		return d.Time.Format("2006")
	}
	return ""
}

// ISO formats the date as FHIR does: "1971-03-14", "1971-03", "1971".
func (d Date) ISO() string {
	switch d.Precision {
	case Day:
		return d.Time.Format("2006-01-02")
	case Month:
		return d.Time.Format("2006-01")
	case Year:
		return d.Time.Format("2006")
	}
	return ""
}

// Before reports whether d starts before e.
func (d Date) Before(e Date) bool { return d.Time.Before(e.Time) }

// ParseDate reads "YYYY", "YYYY-MM", "YYYY-MM-DD" or an RFC 3339 date-time
// (FHIR dateTime; the date part is kept).
func ParseDate(s string) (Date, error) {
	bad := safe("invalid date: want YYYY-MM-DD, YYYY-MM or YYYY")
	switch len(s) {
	case 4:
		y, err := strconv.Atoi(s)
		if err != nil || y < 1000 {
			return Date{}, bad
		}
		return Date{Time: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), Precision: Year}, nil
	case 7:
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return Date{}, bad
		}
		return Date{Time: t, Precision: Month}, nil
	case 10:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return Date{}, bad
		}
		return Date{Time: t, Precision: Day}, nil
	}
	if len(s) > 10 && strings.Contains(s, "T") {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			// FHIR allows a dateTime without seconds' fraction or zone only
			// in instants; be lenient about the time part.
			if t2, err2 := time.Parse("2006-01-02", s[:10]); err2 == nil {
				return Date{Time: t2, Precision: Day}, nil
			}
			return Date{}, bad
		}
		y, m, dd := t.Date()
		return NewDate(y, m, dd), nil
	}
	return Date{}, bad
}

// UnmarshalTOML accepts a TOML local date (1971-03-14) or a string holding
// a partial date ("1971-03", "1971").
func (d *Date) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case time.Time:
		if v.Hour() != 0 || v.Minute() != 0 || v.Second() != 0 {
			return safe("invalid date: want a date without a time, such as 2024-05-31")
		}
		y, m, dd := v.Date()
		*d = NewDate(y, m, dd)
		return nil
	case string:
		p, err := ParseDate(v)
		if err != nil {
			return err
		}
		*d = p
		return nil
	}
	return safe(fmt.Sprintf("invalid date: want a date such as 2024-05-31, not a %s", tomlKind(v)))
}

// MarshalText writes the ISO form, for JSON output.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.ISO()), nil }

func tomlKind(v any) string {
	switch v.(type) {
	case int64:
		return "number"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "table"
	}
	return "value of another type"
}
