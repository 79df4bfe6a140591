package fhir

// IsResourceType reports whether s is one of FHIR's resource type names
// (R4 or STU3): only such a name is shown in an error or on a sheet, since
// anything else in a resourceType could be any text.
func IsResourceType(s string) bool { return resourceTypes[s] }
