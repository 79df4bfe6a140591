// Copyright ©2026 The Satchel Authors. MIT, like the rest of this package.

package fpdf

import "sync"

// Satchel's patch: a UTF-8 font added from bytes is parsed once, and each
// document gets a copy of the parsed font. Parsing Go Regular and Go Bold
// again for every document, and again to subset them, was several percent
// of a build's time. A copy is safe: GenerateCutFont, the only method
// called on it later, sets afresh every map and slice it changes, and
// only reads the widths (fontDefType.Cw) and what prepareCut read from
// the font once (cutPrep).

// parsedFonts are parsed UTF-8 fonts by the bytes they were parsed from.
// Fonts added from bytes are expected not to change once added.
var parsedFonts struct {
	sync.Mutex
	m map[fontBytes]*utf8FontFile
}

// fontBytes identifies a font's bytes by their first byte's address and
// their length.
type fontBytes struct {
	first *byte
	n     int
}

// maxParsedFonts bounds the cache: a program adding fonts from ever new
// slices parses each, as upstream does, once it is full.
const maxParsedFonts = 16

// parsedUTF8Font returns utf8Bytes parsed, a copy of its own.
func parsedUTF8Font(utf8Bytes []byte) (*utf8FontFile, error) {
	if len(utf8Bytes) == 0 {
		f := newUTF8Font(&fileReader{array: utf8Bytes})
		return f, f.parseFile()
	}
	k := fontBytes{&utf8Bytes[0], len(utf8Bytes)}
	parsedFonts.Lock()
	proto := parsedFonts.m[k]
	parsedFonts.Unlock()
	if proto == nil {
		proto = newUTF8Font(&fileReader{array: utf8Bytes})
		if err := proto.parseFile(); err != nil {
			return nil, err
		}
		// Prepared on a copy: prepareCut sets the widths for a scale of
		// 1, and the prototype's are those parseFile set.
		scratch := *proto
		scratch.fileReader = &fileReader{array: utf8Bytes}
		proto.cut = scratch.prepareCut()
		parsedFonts.Lock()
		if parsedFonts.m == nil {
			parsedFonts.m = map[fontBytes]*utf8FontFile{}
		}
		if len(parsedFonts.m) < maxParsedFonts {
			parsedFonts.m[k] = proto
		}
		parsedFonts.Unlock()
	}
	f := *proto
	f.fileReader = &fileReader{array: utf8Bytes}
	return &f, nil
}
