package bench

import (
	"image"
	"image/color"
	"math"
)

// Source size and rate of every synthetic camera: what the issue measures at.
const (
	SourceWidth  = 640
	SourceHeight = 360
	SourceFPS    = 15
)

// Source draws the frames of one synthetic camera: a background in the
// source's own colour, some motion above and below the barcode (so the
// encoders have real work, as with a person in front of a camera) and the
// stamp. A frame depends only on (Index, frame number, send time), so the
// receiving side can draw exactly what was sent from the stamp it reads: that
// is the reference picture for PSNR.
type Source struct {
	Index              uint8
	bgY, bgU, bgV      byte
	stripeLo, stripeHi byte
}

// NewSource returns the source with the given index and its colour.
func NewSource(index uint8) Source {
	c := SourceColour(index)
	y, u, v := color.RGBToYCbCr(c.R, c.G, c.B)
	return Source{Index: index, bgY: y, bgU: u, bgV: v, stripeLo: sat(int(y) - 24), stripeHi: sat(int(y) + 24)}
}

// SourceColour is source i's background colour: hues spread by the golden
// angle, so neighbouring indices differ clearly.
func SourceColour(i uint8) color.RGBA {
	h := math.Mod(float64(i)*137.508, 360) / 60
	s, v := 0.65, 0.75
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	m := v - c
	to8 := func(f float64) uint8 { return uint8(math.Round((f + m) * 255)) }
	return color.RGBA{R: to8(r), G: to8(g), B: to8(b), A: 255}
}

// Render draws frame n with send time sentMs into pic (any size; normally
// SourceWidth x SourceHeight). It allocates nothing.
func (s Source) Render(pic *image.YCbCr, n uint16, sentMs uint32) {
	r := pic.Rect
	fillYCbCr(pic, r, s.bgY, s.bgU, s.bgV)
	w, h := r.Dx(), r.Dy()
	top := int(float64(h) * stampTop)
	bottom := int(float64(h) * (stampTop + stampRows*stampRowH))
	// Moving diagonal stripes below the barcode, 4 px per frame.
	for y := r.Min.Y + bottom + 4; y < r.Max.Y; y++ {
		row := pic.Y[pic.YOffset(r.Min.X, y):]
		for x := range w {
			if ((x+y+4*int(n))/16)&1 == 0 {
				row[x] = s.stripeLo
			} else {
				row[x] = s.stripeHi
			}
		}
	}
	// A light square crossing the band above the barcode, 8 px per frame.
	size := max(top/2, 2)
	span := max(w-size, 1)
	pos := (8 * int(n)) % (2 * span)
	if pos >= span {
		pos = 2*span - pos
	}
	sq := image.Rect(r.Min.X+pos, r.Min.Y+(top-size)/2, r.Min.X+pos+size, r.Min.Y+(top-size)/2+size)
	fillYCbCr(pic, sq, sat(int(s.bgY)+70), s.bgU, s.bgV)
	DrawStamp(pic, Stamp{Source: s.Index, Frame: n, SentMs: sentMs})
	addNoise(pic, uint64(s.Index)<<16|uint64(n))
}

// addNoise adds sensor-like noise (-4..+3 in luma, new every frame) to pic:
// without it the encoders would find the synthetic picture far easier than
// a camera's and undershoot their bitrate. It is a function of seed, so the
// receiving side can draw it again.
func addNoise(pic *image.YCbCr, seed uint64) {
	x := seed*0x9E3779B97F4A7C15 | 1
	w := pic.Rect.Dx()
	for y := range pic.Rect.Dy() {
		row := pic.Y[y*pic.YStride:][:w]
		for i := 0; i < len(row); i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			r := x
			for j := i; j < min(i+8, len(row)); j++ {
				row[j] = noisy[row[j]][r&7]
				r >>= 8
			}
		}
	}
}

// noisy[v][k] is luma v plus k-4, clamped to video range.
var noisy = func() (t [256][8]byte) {
	for v := range t {
		for k := range t[v] {
			t[v][k] = byte(min(max(v+k-4, 16), 235))
		}
	}
	return t
}()

func sat(v int) byte { return byte(min(max(v, 16), 235)) }
