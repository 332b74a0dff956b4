package mixer

import (
	"fmt"
	"image"
	"testing"
)

func cams(n, w, h int) []Slot {
	s := make([]Slot, n)
	for i := range s {
		s[i] = Slot{Participant: ParticipantID(fmt.Sprintf("p%d", i)), Width: w, Height: h}
	}
	return s
}

func TestArrangeGrid(t *testing.T) {
	r := image.Rect
	tests := []struct {
		name  string
		slots []Slot
		cells []image.Rectangle
		pics  []image.Rectangle
	}{
		{"1:1 full frame", cams(1, 640, 360),
			[]image.Rectangle{r(0, 0, 640, 360)}, []image.Rectangle{r(0, 0, 640, 360)}},
		{"1:1 4:3 pillarboxed", cams(1, 640, 480),
			[]image.Rectangle{r(0, 0, 640, 360)}, []image.Rectangle{r(80, 0, 560, 360)}},
		{"two side by side, letterboxed", cams(2, 1280, 720),
			[]image.Rectangle{r(0, 0, 320, 360), r(320, 0, 640, 360)},
			[]image.Rectangle{r(0, 90, 320, 270), r(320, 90, 640, 270)}},
		{"three: 2x2 with the last row centred", cams(3, 320, 180),
			[]image.Rectangle{r(0, 0, 320, 180), r(320, 0, 640, 180), r(160, 180, 480, 360)},
			[]image.Rectangle{r(0, 0, 320, 180), r(320, 0, 640, 180), r(160, 180, 480, 360)}},
		{"four: 2x2", cams(4, 320, 180),
			[]image.Rectangle{r(0, 0, 320, 180), r(320, 0, 640, 180), r(0, 180, 320, 360), r(320, 180, 640, 360)}, nil},
		{"placeholder fills its cell", []Slot{{Participant: "a"}, {Participant: "b", Width: 640, Height: 360}},
			[]image.Rectangle{r(0, 0, 320, 360), r(320, 0, 640, 360)},
			[]image.Rectangle{r(0, 0, 320, 360), r(320, 90, 640, 270)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tiles := Arrange(nil, LayoutGrid, 640, 360, tt.slots, "")
			if len(tiles) != len(tt.slots) {
				t.Fatalf("got %d tiles, want %d", len(tiles), len(tt.slots))
			}
			for i, tile := range tiles {
				if tile.Slot != tt.slots[i] {
					t.Errorf("tile %d is %+v, want slot %+v (join order)", i, tile.Slot, tt.slots[i])
				}
				if tile.Cell != tt.cells[i] {
					t.Errorf("tile %d cell %v, want %v", i, tile.Cell, tt.cells[i])
				}
				if tt.pics != nil && tile.Picture != tt.pics[i] {
					t.Errorf("tile %d picture %v, want %v", i, tile.Picture, tt.pics[i])
				}
			}
		})
	}
}

// TestArrangeGridShape checks the rows x columns chosen for 1–16 same-aspect sources.
func TestArrangeGridShape(t *testing.T) {
	want := map[int][2]int{ // n → cols, rows
		1: {1, 1}, 2: {2, 1}, 3: {2, 2}, 4: {2, 2}, 5: {3, 2}, 6: {3, 2}, 7: {3, 3}, 8: {3, 3},
		9: {3, 3}, 10: {4, 3}, 11: {4, 3}, 12: {4, 3}, 13: {4, 4}, 14: {4, 4}, 15: {4, 4}, 16: {4, 4},
	}
	for n := 1; n <= 16; n++ {
		tiles := Arrange(nil, LayoutAuto, 640, 360, cams(n, 640, 360), "")
		xs, ys := map[int]bool{}, map[int]bool{}
		for _, tile := range tiles {
			xs[tile.Cell.Min.X] = true
			ys[tile.Cell.Min.Y] = true
		}
		// The first row is always full, so its distinct x are the columns.
		cols := 0
		for _, tile := range tiles {
			if tile.Cell.Min.Y == tiles[0].Cell.Min.Y {
				cols++
			}
		}
		if got := [2]int{cols, len(ys)}; got != want[n] {
			t.Errorf("n=%d: %d cols x %d rows, want %v", n, got[0], got[1], want[n])
		}
	}
}

func TestArrangeSpeakerAndPresenter(t *testing.T) {
	r := image.Rect
	slots := cams(3, 640, 360)
	tiles := Arrange(nil, LayoutSpeaker, 640, 360, slots, "p1")
	want := []image.Rectangle{r(160, 270, 320, 360), r(0, 0, 640, 270), r(320, 270, 480, 360)}
	for i, tile := range tiles {
		if tile.Cell != want[i] {
			t.Errorf("speaker: tile %d (%s) cell %v, want %v", i, tile.Participant, tile.Cell, want[i])
		}
	}
	if tiles[1].Picture != r(80, 0, 560, 270) {
		t.Errorf("speaker picture %v, want 16:9 pillarboxed in the main area", tiles[1].Picture)
	}

	// Unknown speaker: the first slot is large.
	tiles = Arrange(nil, LayoutSpeaker, 640, 360, slots, "nobody")
	if tiles[0].Cell != r(0, 0, 640, 270) {
		t.Errorf("no speaker: first cell %v, want the main area", tiles[0].Cell)
	}

	// A shared screen turns Auto into the presenter layout, the screen large.
	withScreen := append(cams(2, 640, 360), Slot{Participant: "p0", Screen: true, Width: 1920, Height: 1080})
	for _, l := range []Layout{LayoutAuto, LayoutPresenter} {
		tiles = Arrange(nil, l, 640, 360, withScreen, "")
		if tiles[2].Cell != r(0, 0, 640, 270) || tiles[0].Cell != r(160, 270, 320, 360) || tiles[1].Cell != r(320, 270, 480, 360) {
			t.Errorf("%v with a screen: %v %v %v", l, tiles[0].Cell, tiles[1].Cell, tiles[2].Cell)
		}
	}
	// Presenter without a screen is a grid.
	tiles = Arrange(nil, LayoutPresenter, 640, 360, slots, "")
	if tiles[0].Cell != r(0, 0, 320, 180) {
		t.Errorf("presenter without screen: %v, want the grid", tiles[0].Cell)
	}
}

// TestArrangeInvariants checks, for many shapes, what the compositor relies on: tiles inside
// the canvas, even coordinates, pictures inside their cells, cells not overlapping.
func TestArrangeInvariants(t *testing.T) {
	sizes := [][2]int{{640, 360}, {480, 270}, {320, 180}, {98, 62}, {4, 4}}
	srcs := [][2]int{{640, 360}, {640, 480}, {360, 640}, {1, 1}, {0, 0}, {1921, 17}}
	for _, l := range []Layout{LayoutAuto, LayoutGrid, LayoutSpeaker, LayoutPresenter} {
		for _, sz := range sizes {
			for n := 1; n <= 17; n++ {
				slots := make([]Slot, n)
				for i := range slots {
					s := srcs[(i+n)%len(srcs)]
					slots[i] = Slot{Participant: ParticipantID(fmt.Sprint(i)), Width: s[0], Height: s[1], Screen: i == n/2 && n%3 == 0}
				}
				checkTiles(t, Arrange(nil, l, sz[0], sz[1], slots, "1"), sz[0], sz[1])
			}
		}
	}
}

func checkTiles(t *testing.T, tiles []Tile, w, h int) {
	t.Helper()
	canvas := image.Rect(0, 0, w, h)
	for i, a := range tiles {
		for _, p := range []image.Point{a.Cell.Min, a.Cell.Max, a.Picture.Min, a.Picture.Max} {
			if p.X%2 != 0 || p.Y%2 != 0 {
				t.Fatalf("tile %d has odd coordinates: %+v", i, a)
			}
		}
		if a.Picture.Empty() || !a.Picture.In(a.Cell) || !a.Cell.In(canvas) {
			t.Fatalf("tile %d outside its cell or the %dx%d canvas: %+v", i, w, h, a)
		}
		for j, b := range tiles[:i] {
			if a.Cell.Overlaps(b.Cell) {
				t.Fatalf("tiles %d and %d overlap: %v %v", j, i, b.Cell, a.Cell)
			}
		}
	}
}

func FuzzArrange(f *testing.F) {
	f.Add(640, 360, 3, 640, 480, uint8(0), 1)
	f.Add(320, 180, 16, 1, 9999, uint8(2), -1)
	f.Add(0, 0, 1, 0, 0, uint8(3), 0)
	f.Fuzz(func(t *testing.T, w, h, n, sw, sh int, layout uint8, screenAt int) {
		if w > 8192 || h > 8192 || n < 0 || n > 64 || sw > 1<<16 || sh > 1<<16 || sw < -1 || sh < -1 {
			t.Skip()
		}
		slots := make([]Slot, n)
		for i := range slots {
			slots[i] = Slot{Participant: ParticipantID(fmt.Sprint(i)), Width: sw + i, Height: sh, Screen: i == screenAt}
		}
		tiles := Arrange(nil, Layout(layout%5), w, h, slots, "0")
		if w >= 2 && h >= 2 && len(tiles) == 0 && n > 0 && n <= 16 && w >= 64 && h >= 64 {
			t.Fatalf("no tiles for %d slots on %dx%d", n, w, h)
		}
		checkTiles(t, tiles, max(even(w), 0), max(even(h), 0))
	})
}

func TestArrangeAllocatesNothingWithRoom(t *testing.T) {
	slots := cams(9, 640, 360)
	dst := make([]Tile, 0, 16)
	allocs := testing.AllocsPerRun(100, func() { dst = Arrange(dst, LayoutAuto, 640, 360, slots, "") })
	if allocs != 0 {
		t.Fatalf("Arrange allocated %.1f times per call", allocs)
	}
}
