package ips

import (
	"html"
	"strings"
)

// noInformation is what an empty section says, in its narrative and its
// emptyReason. It does not say why: "withheld" would tell a reader that
// something was held back, which is itself information.
const noInformation = "No information"

// table is one part of a section's narrative: a heading (optional), the
// column names and one row of cells per entry.
type table struct {
	caption string
	head    []string
	rows    [][]string
}

// div writes a section's narrative, XHTML as FHIR requires: every value
// escaped, line breaks kept, columns that are empty in every row left out.
func div(tables ...table) string {
	var b strings.Builder
	b.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml">`)
	wrote := false
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		wrote = true
		keep := make([]bool, len(t.head))
		for _, row := range t.rows {
			for i, cell := range row {
				if strings.TrimSpace(cell) != "" {
					keep[i] = true
				}
			}
		}
		b.WriteString("<table>")
		if t.caption != "" {
			b.WriteString("<caption>")
			b.WriteString(escape(t.caption))
			b.WriteString("</caption>")
		}
		b.WriteString("<thead><tr>")
		for i, h := range t.head {
			if keep[i] {
				b.WriteString("<th>")
				b.WriteString(escape(h))
				b.WriteString("</th>")
			}
		}
		b.WriteString("</tr></thead><tbody>")
		for _, row := range t.rows {
			b.WriteString("<tr>")
			for i, cell := range row {
				if keep[i] {
					b.WriteString("<td>")
					b.WriteString(escape(cell))
					b.WriteString("</td>")
				}
			}
			b.WriteString("</tr>")
		}
		b.WriteString("</tbody></table>")
	}
	if !wrote {
		b.WriteString("<p>" + noInformation + "</p>")
	}
	b.WriteString("</div>")
	return b.String()
}

// escape makes text safe inside XHTML, keeping its line breaks.
func escape(s string) string {
	s = html.EscapeString(clean(s))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "<br/>")
}
