package record

// Untitled returns words for a coded entry that has no text of its own:
// the code's system and value, such as "ICD-10 J03 (no description in the
// export)". It returns "" for an empty code.
func (c Code) Untitled() string {
	if c.IsZero() {
		return ""
	}
	name := c.System.Name()
	if name == "" {
		name = "Code"
	}
	return name + " " + c.Value + " (no description in the export)"
}

// NameUntitled gives every coded entry of r that has no words (no title,
// name, substance or vaccine) its first code in words (Code.Untitled), so
// that no entry shows blank. Readers of exports that may hold codes without
// text call it.
func (r *Record) NameUntitled() {
	for _, e := range r.Entries() {
		cs := e.Codes()
		if len(cs) == 0 {
			continue
		}
		var words *string
		switch e := e.(type) {
		case *Problem:
			words = &e.Title
		case *Medication:
			words = &e.Name
		case *Allergy:
			words = &e.Substance
		case *Immunisation:
			words = &e.Vaccine
		case *Result:
			words = &e.Title
		case *Procedure:
			words = &e.Title
		case *Device:
			words = &e.Title
		case *Alert:
			words = &e.Title
		case *CarePlan:
			words = &e.Title
		case *Encounter:
			words = &e.Title
		case *Referral:
			words = &e.Title
		case *Finding:
			words = &e.Title
		}
		if words != nil && *words == "" {
			*words = cs[0].Untitled()
		}
	}
}
