package keycard

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"sync"
)

// qrPNG encodes a QR code's modules (true is dark), each drawn as scale
// by scale pixels, as a PNG of one bit per pixel with a two-colour palette,
// white then black. The bytes are those image/png's encoder writes for the
// same image (a palette image, BestSpeed), without its per-pixel work:
// each pixel row is packed once per row of modules and written scale
// times.
func qrPNG(bitmap [][]bool, scale int) []byte {
	side := len(bitmap) * scale
	stride := (side + 7) / 8

	var idat bytes.Buffer
	zw := zwriters.Get().(*zlib.Writer)
	defer zwriters.Put(zw)
	zw.Reset(&idat)
	row := make([]byte, 1+stride) // filter type 0 (None), then the pixels
	for _, modules := range bitmap {
		clear(row)
		for x, dark := range modules {
			if !dark {
				continue
			}
			for px := x * scale; px < (x+1)*scale; px++ {
				row[1+px/8] |= 0x80 >> (px % 8)
			}
		}
		for range scale {
			zw.Write(row) // a bytes.Buffer does not fail
		}
	}
	zw.Close()

	var out bytes.Buffer
	out.Grow(8 + 25 + 18 + 12 + idat.Len() + 12)
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:4], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:8], uint32(side))
	ihdr[8], ihdr[9] = 1, 3 // bit depth 1, palette colour; no interlacing
	chunk(&out, "IHDR", ihdr[:])
	chunk(&out, "PLTE", []byte{0xff, 0xff, 0xff, 0, 0, 0})
	chunk(&out, "IDAT", idat.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes()
}

// chunk writes one PNG chunk: length, type, data and CRC.
func chunk(out *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	out.WriteString(typ)
	out.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}

// zwriters keeps BestSpeed zlib writers between codes: a fresh one costs
// about as much as compressing a code's pixels.
var zwriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level never fails
	return zw
}}
