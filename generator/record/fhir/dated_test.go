package fhir

import (
	"testing"
	"time"
)

func TestExportDateIsTheBundlesTimestampElseLastUpdated(t *testing.T) {
	t.Parallel()
	patient := `,"entry":[{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1"}}]}`
	for _, tc := range []struct{ name, head, want string }{
		{"timestamp", `{"resourceType":"Bundle","type":"collection","timestamp":"2026-01-10T08:30:00+01:00","meta":{"lastUpdated":"2025-01-01T00:00:00Z"}`, "2026-01-10T07:30:00Z"},
		{"lastUpdated", `{"resourceType":"Bundle","type":"collection","meta":{"lastUpdated":"2025-03-04T05:06:07Z"}`, "2025-03-04T05:06:07Z"},
		{"neither", `{"resourceType":"Bundle","type":"collection"`, ""},
	} {
		rec := mustRead(t, []byte(tc.head+patient))
		got := ""
		if !rec.Dated.IsZero() {
			got = rec.Dated.Format(time.RFC3339)
		}
		if got != tc.want {
			t.Errorf("%s: Dated %q, want %q", tc.name, got, tc.want)
		}
	}
}
