// Package phone writes the practice's phone numbers so they can be dialled
// from anywhere: a UK number written as at home ("01632 960123") becomes
// "+44 1632 960123", and a tel: link "tel:+441632960123". A patient abroad
// cannot dial a number that starts with 0.
package phone

import (
	"errors"
	"strings"
)

// Number is a phone number in international form. The zero Number is empty.
type Number struct {
	text   string // as printed: "+44 1632 960123"
	digits string // as dialled, with its "+": "+441632960123"
}

// String returns the number as printed, such as "+44 1632 960123".
func (n Number) String() string { return n.text }

// URI returns the number as a tel: link, such as "tel:+441632960123".
func (n Number) URI() string {
	if n.digits == "" {
		return ""
	}
	return "tel:" + n.digits
}

// ErrInvalid is returned for a number that is neither a UK number nor an
// international one starting with "+". Its message never quotes the number.
var ErrInvalid = errors.New("must be a UK phone number such as 01632 960123, or an international one starting with +")

// Parse reads a phone number as a person would write it: "01632 960123",
// "(01632) 960123", "+44 (0)1632 960123", "0044 1632 960123". A UK number
// is written in international form; one starting with another country's
// "+" code is kept as written and only checked.
func Parse(s string) (Number, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return Number{}, ErrInvalid
		}
	}
	d := b.String()
	// "+44 (0)1632 ..." carries the national 0 in brackets: drop it.
	if strings.HasPrefix(strings.ReplaceAll(s, " ", ""), "+44(0)") {
		d = "+44" + strings.TrimPrefix(d, "+440")
	}
	var nsn string // the UK national significant number, without 0 or +44
	switch {
	case strings.HasPrefix(d, "+44"):
		nsn = d[3:]
	case strings.HasPrefix(d, "0044"):
		nsn = d[4:]
	case strings.HasPrefix(d, "+"):
		// Another country's number: kept as written. E.164 allows at most
		// 15 digits with the country code.
		if n := len(d) - 1; n < 7 || n > 15 || d[1] == '0' {
			return Number{}, ErrInvalid
		}
		return Number{text: strings.Join(strings.Fields(s), " "), digits: d}, nil
	case strings.HasPrefix(d, "0") && !strings.HasPrefix(d, "00"):
		nsn = d[1:]
	default:
		return Number{}, ErrInvalid
	}
	// Ten digits, or nine for a few geographic and freephone numbers.
	if len(nsn) < 9 || len(nsn) > 10 || !strings.ContainsRune("1235789", rune(nsn[0])) ||
		(len(nsn) == 9 && nsn[0] != '1' && nsn[0] != '8') {
		return Number{}, ErrInvalid
	}
	return Number{text: "+44 " + group(nsn), digits: "+44" + nsn}, nil
}

// group spaces a UK national number the way Ofcom writes it.
func group(n string) string {
	split := func(sizes ...int) string {
		var parts []string
		for _, k := range sizes {
			if k >= len(n) {
				break
			}
			parts, n = append(parts, n[:k]), n[k:]
		}
		return strings.Join(append(parts, n), " ")
	}
	switch {
	case n[0] == '2' && len(n) == 10: // London, Cardiff...: 020 7946 0123
		return split(2, 4)
	case n[0] == '1' && (n[1] == '1' || n[2] == '1') && len(n) == 10: // 0113, 0121...: 0121 496 0123
		return split(3, 3)
	case n[0] == '3' || n[0] == '8' || n[0] == '9': // 0300, 0800, 0900: 0300 123 4567
		if len(n) == 9 {
			return split(3)
		}
		return split(3, 3)
	default: // other area codes, mobiles (07700 900123), 05 numbers
		return split(4)
	}
}
