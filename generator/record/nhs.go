package record

import "strings"

// ValidNHSNumber reports whether s (spaces allowed) is ten digits with a
// valid modulus 11 check digit. A number whose check digit would be 10 is
// never issued, so it is invalid too.
func ValidNHSNumber(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 10 {
		return false
	}
	sum := 0
	for k := 0; k < 10; k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
		if k < 9 {
			sum += int(s[k]-'0') * (10 - k)
		}
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && int(s[9]-'0') == check
}

// NHSNumberField names where r's format keeps the NHS number, for
// messages that must not show the number itself.
func (r *Record) NHSNumberField() string {
	if r.Format == "satchel-toml" {
		return "patient.nhs_number"
	}
	return "Patient.identifier (NHS number)"
}
