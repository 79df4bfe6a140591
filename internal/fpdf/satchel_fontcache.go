// Copyright ©2026 The Satchel Authors. MIT, like the rest of this package.

package fpdf

import (
	"encoding/binary"
	"slices"
	"sync"
)

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

// cutFont is what a document embeds for a UTF-8 font: the subset font
// file and its CIDToGIDMap, compressed, the subset's uncompressed size
// (/Length1) and the descendant font's /W entry.
type cutFont struct {
	stream      []byte
	length1     int
	cidToGidMap []byte
	widths      string
}

// cutFonts are cut fonts made for a font parsed once (by its cutPrep)
// and a set of runes. Nothing changes one once made.
var cutFonts struct {
	sync.Mutex
	m map[cutFontKey]*cutFont
}

type cutFontKey struct {
	font  *cutPrep
	runes string // the runes used, in order, as UTF-32
}

// maxCutFonts bounds the cache of cut fonts: past it, fonts for new sets
// of runes are made for each document, as upstream does.
const maxCutFonts = 256

// cutFontFor returns what a document embeds for font with the runes in
// usedRunes (its values), made once for each set of runes when the font
// was parsed once (see parsedUTF8Font): making the subset and compressing
// it and its CIDToGIDMap for every document was more than a tenth of a
// Satchel build. The bytes are those made afresh.
func (f *Fpdf) cutFontFor(font *fontDefType, usedRunes map[int]int) *cutFont {
	var key cutFontKey
	if p := font.utf8File.cut; p != nil {
		runes := make([]int, 0, len(usedRunes))
		for _, r := range usedRunes {
			runes = append(runes, r)
		}
		slices.Sort(runes)
		runes = slices.Compact(runes)
		b := make([]byte, 0, 4*len(runes))
		for _, r := range runes {
			b = binary.BigEndian.AppendUint32(b, uint32(r))
		}
		key = cutFontKey{font: p, runes: string(b)}
		cutFonts.Lock()
		c := cutFonts.m[key]
		cutFonts.Unlock()
		if c != nil {
			return c
		}
	}

	stream := font.utf8File.GenerateCutFont(usedRunes)
	codes := font.utf8File.CodeSymbolDictionary
	delete(codes, 0)
	c := &cutFont{length1: len(stream)}
	c.widths = f.generateCIDFontMap(font, font.utf8File.LastRune)
	cidToGidMap := make([]byte, 256*256*2)
	for cc, glyph := range codes {
		cidToGidMap[cc*2] = byte(glyph >> 8)
		cidToGidMap[cc*2+1] = byte(glyph & 0xFF)
	}
	mem := xmem.compress(cidToGidMap)
	c.cidToGidMap = mem.copy()
	mem.release()
	mem = xmem.compress(stream)
	c.stream = mem.copy()
	mem.release()

	if key.font != nil {
		cutFonts.Lock()
		if cutFonts.m == nil {
			cutFonts.m = map[cutFontKey]*cutFont{}
		}
		if len(cutFonts.m) < maxCutFonts {
			cutFonts.m[key] = c
		}
		cutFonts.Unlock()
	}
	return c
}
