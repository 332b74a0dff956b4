package mixer

import "image"

// Slot is one source to place in a view, in join order (a participant's camera, then their
// shared screen). Width and Height are the source picture's size; zero means the source has
// no picture to show (a placeholder tile fills its whole cell).
type Slot struct {
	Participant   ParticipantID
	Screen        bool
	Width, Height int
}

// Placeholder reports whether the slot shows the participant's initials instead of video.
func (s Slot) Placeholder() bool { return s.Width <= 0 || s.Height <= 0 }

// Tile is where a slot lands on the canvas: its Cell, and within it the Picture rectangle
// (the source fitted with its aspect ratio kept; the rest of the cell is black). All
// coordinates are even, so 4:2:0 chroma lines up.
type Tile struct {
	Slot
	Cell    image.Rectangle
	Picture image.Rectangle
}

// stripDivisor sets the thumbnail strip of the speaker and presenter layouts to a quarter
// of the canvas height.
const stripDivisor = 4

// Arrange places slots on a w x h canvas and appends the tiles, in slot order, to dst[:0].
// It is a pure function so that tests and other packages compute exactly the cell the mixer
// uses; it allocates only if dst is too small. speaker picks the large tile of LayoutSpeaker
// (the first slot when speaker has no camera slot). Slots beyond what fits at 2x2 pixels are
// left out.
func Arrange(dst []Tile, l Layout, w, h int, slots []Slot, speaker ParticipantID) []Tile {
	dst = dst[:0]
	w, h = even(w), even(h)
	if len(slots) == 0 || w < 2 || h < 2 {
		return dst
	}
	if l == LayoutAuto {
		l = LayoutGrid
		if screenIndex(slots) >= 0 {
			l = LayoutPresenter
		}
	}
	switch l {
	case LayoutSpeaker:
		main := 0
		for i, s := range slots {
			if s.Participant == speaker && !s.Screen {
				main = i
				break
			}
		}
		return arrangeStrip(dst, w, h, slots, main)
	case LayoutPresenter:
		if main := screenIndex(slots); main >= 0 {
			return arrangeStrip(dst, w, h, slots, main)
		}
	}
	return arrangeGrid(dst, w, h, slots)
}

func screenIndex(slots []Slot) int {
	for i, s := range slots {
		if s.Screen {
			return i
		}
	}
	return -1
}

// arrangeGrid gives every slot an equal cell. The column count is the one that shows the
// most picture area (each source fitted into its cell); ties go to fewer empty cells, then
// to more columns (side by side reads better than stacked). An incomplete last row is centred.
func arrangeGrid(dst []Tile, w, h int, slots []Slot) []Tile {
	n := len(slots)
	bestCols, bestEmpty, bestArea := 0, 0, -1.0
	for cols := 1; cols <= n; cols++ {
		rows := (n + cols - 1) / cols
		if even(w/cols) < 2 || even(h/rows) < 2 {
			break
		}
		// Exact (unrounded) areas, so that pixel rounding does not break the ties between
		// equally good grids.
		cw, ch := float64(w)/float64(cols), float64(h)/float64(rows)
		area := 0.0
		for _, s := range slots {
			area += fittedArea(s, cw, ch, w, h)
		}
		empty := cols*rows - n
		switch {
		case area > bestArea*(1+1e-9):
		case area >= bestArea*(1-1e-9) && empty <= bestEmpty:
		default:
			continue
		}
		bestCols, bestArea, bestEmpty = cols, area, empty
	}
	if bestCols == 0 {
		return dst
	}
	cols := bestCols
	rows := (n + cols - 1) / cols
	cw, ch := even(w/cols), even(h/rows)
	ox, oy := even((w-cols*cw)/2), even((h-rows*ch)/2)
	for i, s := range slots {
		r, c := i/cols, i%cols
		x := ox + c*cw
		if r == rows-1 {
			inLast := n - r*cols
			x += even((cols - inLast) * cw / 2)
		}
		cell := image.Rect(x, oy+r*ch, x+cw, oy+r*ch+ch)
		dst = append(dst, Tile{Slot: s, Cell: cell, Picture: place(s, cell, w, h)})
	}
	return dst
}

// arrangeStrip shows slots[main] in the area above a thumbnail strip that holds every other
// slot in order, centred, each thumbnail at most 16:9.
func arrangeStrip(dst []Tile, w, h int, slots []Slot, main int) []Tile {
	if len(slots) == 1 {
		return arrangeGrid(dst, w, h, slots)
	}
	stripH := even(h / stripDivisor)
	mainH := h - stripH
	k := len(slots) - 1
	tw := min(even(w/k), even(stripH*16/9))
	if stripH < 2 || tw < 2 {
		return arrangeGrid(dst, w, h, slots)
	}
	x := even((w - k*tw) / 2)
	for i, s := range slots {
		var cell image.Rectangle
		if i == main {
			cell = image.Rect(0, 0, w, mainH)
		} else {
			cell = image.Rect(x, mainH, x+tw, h)
			x += tw
		}
		dst = append(dst, Tile{Slot: s, Cell: cell, Picture: place(s, cell, w, h)})
	}
	return dst
}

// place centres the fitted picture of s in cell.
func place(s Slot, cell image.Rectangle, canvasW, canvasH int) image.Rectangle {
	if s.Placeholder() {
		return cell
	}
	cw, ch := cell.Dx(), cell.Dy()
	pw, ph := fit(s, cw, ch, canvasW, canvasH)
	x, y := cell.Min.X+even((cw-pw)/2), cell.Min.Y+even((ch-ph)/2)
	return image.Rect(x, y, x+pw, y+ph)
}

// fit returns the largest even size with the slot's aspect ratio that fits cw x ch (at
// least 2x2). A placeholder fills its cell; for choosing the grid it counts as a picture
// of the canvas's aspect, so a camera turning off does not reshuffle the grid.
func fit(s Slot, cw, ch, canvasW, canvasH int) (int, int) {
	sw, sh := s.Width, s.Height
	if s.Placeholder() {
		sw, sh = canvasW, canvasH
	}
	var pw, ph int
	if sw*ch >= sh*cw { // source at least as wide as the cell: full width
		pw, ph = cw, even(cw*sh/sw)
	} else {
		pw, ph = even(ch*sw/sh), ch
	}
	return max(pw, 2), max(ph, 2)
}

// fittedArea is the exact area of the slot fitted into a cw x ch cell (see fit).
func fittedArea(s Slot, cw, ch float64, canvasW, canvasH int) float64 {
	sw, sh := float64(s.Width), float64(s.Height)
	if s.Placeholder() {
		sw, sh = float64(canvasW), float64(canvasH)
	}
	if sw*ch >= sh*cw {
		return cw * cw * sh / sw
	}
	return ch * ch * sw / sh
}

// even rounds down to an even number, so 4:2:0 chroma samples line up.
func even(v int) int { return v &^ 1 }
