package keycard

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestQRPNGIsWhatImagePNGWrites checks qrPNG against image/png's encoder
// drawing the same modules pixel by pixel, as QR did before: the same
// bytes, so the same image, for codes of several sizes and scales
// (including rows of pixels that do not end on a byte).
func TestQRPNGIsWhatImagePNGWrites(t *testing.T) {
	for _, c := range []struct {
		content string
		size    int
	}{
		{"K7QM-2ZP9-XW4R-T8HB-6NVD-3JC5-YLFA", QRPixels},
		{"https://records.example.org/bundles/0123456789abcdefghjkmnpqrs/record.html#k=K7QM-2ZP9-XW4R-T8HB-6NVD-3JC5-YLFA", QRPixels},
		{"card 12 XNHR4R", checkPixels},
		{"1", 10},
	} {
		q, err := qrcode.New(c.content, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		bitmap := q.Bitmap()
		scale := max(c.size/len(bitmap), 1)
		side := len(bitmap) * scale
		img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
		for y := range side {
			for x := range side {
				if bitmap[y/scale][x/scale] {
					img.SetColorIndex(x, y, 1)
				}
			}
		}
		var want bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&want, img); err != nil {
			t.Fatal(err)
		}
		got := qrPNG(bitmap, scale)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%d modules at scale %d: qrPNG's bytes differ from image/png's", len(bitmap), scale)
		}
		dec, err := png.Decode(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("qrPNG's PNG does not decode: %v", err)
		}
		if dec.Bounds() != img.Bounds() {
			t.Fatalf("decoded size %v, want %v", dec.Bounds(), img.Bounds())
		}
		for y := range side {
			for x := range side {
				r, _, _, _ := dec.At(x, y).RGBA()
				if dark := r == 0; dark != bitmap[y/scale][x/scale] {
					t.Fatalf("pixel (%d,%d) is wrong", x, y)
				}
			}
		}
	}
}
