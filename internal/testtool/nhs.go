package testtool

import "github.com/satchel-records/satchel/generator/record"

// ValidNHSNumber reports whether s (spaces allowed) is ten digits with a
// valid modulus 11 check digit, as every sample NHS number must be. It is
// record.ValidNHSNumber, the one Satchel checks records with.
func ValidNHSNumber(s string) bool { return record.ValidNHSNumber(s) }
