package testtool

import "strings"

// ValidNHSNumber reports whether s (spaces allowed) is ten digits with a
// valid modulus 11 check digit, as every sample NHS number must be.
func ValidNHSNumber(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 10 {
		return false
	}
	sum := 0
	for k := 0; k < 9; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * (10 - k)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && int(s[9]-'0') == check
}
