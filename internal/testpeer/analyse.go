package testpeer

import (
	"image"
	"image/color"
	"math"
)

// ToneLevel is the amplitude of the hz component of pcm (48 kHz) relative to
// full scale, by the Goertzel algorithm: a pure tone of amplitude A gives ~A.
func ToneLevel(pcm []int16, hz float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*hz/sampleRate)
	var s1, s2 float64
	for _, v := range pcm {
		s := float64(v)/math.MaxInt16 + k*s1 - s2
		s2, s1 = s1, s
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return 2 * math.Sqrt(math.Max(power, 0)) / float64(len(pcm))
}

// CellRect turns a relative cell into pixels of pic, shrunk by inset (a
// fraction of the cell on each side) to stay clear of borders and black bars.
func CellRect(pic *image.YCbCr, c Cell, inset float64) image.Rectangle {
	w, h := float64(pic.Rect.Dx()), float64(pic.Rect.Dy())
	x0, y0 := (c.X+c.W*inset)*w, (c.Y+c.H*inset)*h
	x1, y1 := (c.X+c.W*(1-inset))*w, (c.Y+c.H*(1-inset))*h
	return image.Rect(int(x0), int(y0), int(x1), int(y1)).Intersect(pic.Rect)
}

// MeanRGB is the mean colour of r in pic.
func MeanRGB(pic *image.YCbCr, r image.Rectangle) color.RGBA {
	var sy, sb, sr float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			sy += float64(pic.Y[pic.YOffset(x, y)])
			ci := pic.COffset(x, y)
			sb += float64(pic.Cb[ci])
			sr += float64(pic.Cr[ci])
			n++
		}
	}
	if n == 0 {
		return color.RGBA{}
	}
	cr, cg, cb := color.YCbCrToRGB(uint8(sy/float64(n)+0.5), uint8(sb/float64(n)+0.5), uint8(sr/float64(n)+0.5))
	return color.RGBA{R: cr, G: cg, B: cb, A: 255}
}

// Near reports whether two colours differ by at most tol in every channel.
func Near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) int { return int(x) - int(y) }
	abs := func(v int) int { return max(v, -v) }
	return abs(d(a.R, b.R)) <= tol && abs(d(a.G, b.G)) <= tol && abs(d(a.B, b.B)) <= tol
}
