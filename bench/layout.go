package bench

import (
	"image"
	"math"

	"github.com/nahbar/nahbar/internal/testpeer"
)

// CellPixels turns a layout cell (relative to the picture, docs/signalling.md)
// into pixels of a w x h picture. Cells from the server are untrusted: values
// outside 0..1 or not numbers give an empty rectangle, never a panic.
func CellPixels(c testpeer.Cell, w, h int) image.Rectangle {
	for _, v := range []float64{c.X, c.Y, c.W, c.H} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return image.Rectangle{}
		}
	}
	fw, fh := float64(w), float64(h)
	r := image.Rect(int(math.Round(c.X*fw)), int(math.Round(c.Y*fh)),
		int(math.Round((c.X+c.W)*fw)), int(math.Round((c.Y+c.H)*fh)))
	return r.Intersect(image.Rect(0, 0, w, h))
}

// FitPicture is where a sw x sh source lands inside cell: the largest size with
// its aspect ratio that fits, centred, on even coordinates. This is what
// docs/signalling.md promises for a cell ("fitted inside it with its aspect
// ratio kept"); the rounding follows the mixer's, and ReadStamp's tolerance
// covers a pixel or two either way.
func FitPicture(cell image.Rectangle, sw, sh int) image.Rectangle {
	cw, ch := cell.Dx(), cell.Dy()
	if cw < 2 || ch < 2 || sw <= 0 || sh <= 0 {
		return image.Rectangle{}
	}
	var pw, ph int
	if sw*ch >= sh*cw {
		pw, ph = cw, even(cw*sh/sw)
	} else {
		pw, ph = even(ch*sw/sh), ch
	}
	pw, ph = max(pw, 2), max(ph, 2)
	x, y := cell.Min.X+even((cw-pw)/2), cell.Min.Y+even((ch-ph)/2)
	return image.Rect(x, y, x+pw, y+ph)
}

func even(v int) int { return v &^ 1 }

// gridCells is an n-cell grid of a w x h canvas as the server arranges n
// 16:9 sources in a 16:9 picture, for tests and the ffmpeg baseline: 1, 2 side
// by side, 3–4 in 2x2, 5–9 in 3x3 (the last row centred).
func gridCells(n, w, h int) []testpeer.Cell {
	cols := 1
	switch {
	case n >= 5:
		cols = 3
	case n >= 2:
		cols = 2
	}
	rows := (n + cols - 1) / cols
	cw, ch := even(w/cols), even(h/rows)
	if n == 2 {
		rows = 1
		ch = h
	}
	ox, oy := even((w-cols*cw)/2), even((h-rows*ch)/2)
	cells := make([]testpeer.Cell, 0, n)
	for i := range n {
		r, c := i/cols, i%cols
		x := ox + c*cw
		if r == rows-1 {
			x += even((cols - (n - r*cols)) * cw / 2)
		}
		cells = append(cells, testpeer.Cell{X: float64(x) / float64(w), Y: float64(oy+r*ch) / float64(h),
			W: float64(cw) / float64(w), H: float64(ch) / float64(h)})
	}
	return cells
}
