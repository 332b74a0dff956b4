package codec

import (
	"image"
	"math"
	"testing"
)

func newScalerT(t testing.TB) *Scaler {
	s := NewScaler()
	t.Cleanup(s.Close)
	return s
}

func TestScaleSolid(t *testing.T) {
	s := newScalerT(t)
	for _, sz := range [][4]int{{640, 360, 320, 180}, {320, 180, 640, 360}, {640, 360, 214, 120}, {176, 144, 640, 480}} {
		src, dst := NewPicture(sz[0], sz[1]), NewPicture(sz[2], sz[3])
		fillSolid(src, 120, 60, 200)
		if err := s.Scale(dst, src); err != nil {
			t.Fatal(err)
		}
		y, cb, cr := meanPlanes(dst)
		if math.Abs(y-120) > 1 || math.Abs(cb-60) > 1 || math.Abs(cr-200) > 1 {
			t.Errorf("%v: mean %.1f %.1f %.1f, want 120 60 200", sz, y, cb, cr)
		}
	}
}

// TestScaleHalvesRamp checks a 2:1 shrink of a luma ramp against the average of each
// source pixel pair, and that a sharp vertical edge stays where it was.
func TestScaleHalvesRamp(t *testing.T) {
	s := newScalerT(t)
	src, dst := NewPicture(640, 360), NewPicture(320, 180)
	fillSolid(src, 0, 128, 128)
	for y := 0; y < 360; y++ {
		for x := 0; x < 640; x++ {
			v := 16 + x/4 // smooth ramp 16..175
			if x >= 480 {
				v = 235 // bright right quarter with a hard edge at x=480
			}
			src.Y[y*src.YStride+x] = uint8(v)
		}
	}
	if err := s.Scale(dst, src); err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{0, 90, 179} {
		for _, x := range []int{4, 60, 150, 230} {
			want := (float64(16+2*x/4) + float64(16+(2*x+1)/4)) / 2
			if got := float64(dst.Y[y*dst.YStride+x]); math.Abs(got-want) > 2 {
				t.Errorf("Y(%d,%d) = %.0f, want %.1f ± 2", x, y, got, want)
			}
		}
		for _, x := range []int{242, 260, 319} {
			if got := dst.Y[y*dst.YStride+x]; got < 233 {
				t.Errorf("Y(%d,%d) = %d right of the edge, want 235", x, y, got)
			}
		}
	}
}

// TestScaleIntoCellKeepsNeighbours scales into sub-images of a canvas (how the mixer fills
// its cells) and checks that no pixel outside the cell changes, also for widths that are
// not multiples of 16 where SIMD code might overrun.
func TestScaleIntoCellKeepsNeighbours(t *testing.T) {
	s := newScalerT(t)
	src := NewPicture(640, 360)
	fillMoving(src, 3)
	cells := []image.Rectangle{
		image.Rect(0, 0, 320, 180),
		image.Rect(320, 180, 640, 360),
		image.Rect(2, 4, 216, 124),    // 214x120
		image.Rect(100, 50, 190, 100), // 90x50
		image.Rect(426, 240, 640, 360),
	}
	for w := 2; w <= 66; w += 2 {
		cells = append(cells, image.Rect(6, 2, 6+w, 42))
	}
	for _, cell := range cells {
		canvas := NewPicture(640, 360)
		fillSolid(canvas, 0x55, 0x56, 0x57)
		sub := canvas.SubImage(cell).(*image.YCbCr)
		if err := s.Scale(sub, src); err != nil {
			t.Fatal(err)
		}
		for y := 0; y < 360; y++ {
			for x := 0; x < 640; x++ {
				if image.Pt(x, y).In(cell) {
					continue
				}
				if v := canvas.Y[y*canvas.YStride+x]; v != 0x55 {
					t.Fatalf("cell %v: Y(%d,%d) outside the cell changed to %#x", cell, x, y, v)
				}
			}
		}
		chroma := image.Rect(cell.Min.X/2, cell.Min.Y/2, (cell.Max.X+1)/2, (cell.Max.Y+1)/2)
		for y := 0; y < 180; y++ {
			for x := 0; x < 320; x++ {
				if image.Pt(x, y).In(chroma) {
					continue
				}
				if cb, cr := canvas.Cb[y*canvas.CStride+x], canvas.Cr[y*canvas.CStride+x]; cb != 0x56 || cr != 0x57 {
					t.Fatalf("cell %v: chroma (%d,%d) outside the cell changed to %#x %#x", cell, x, y, cb, cr)
				}
			}
		}
		want := NewPicture(cell.Dx(), cell.Dy())
		if err := s.Scale(want, src); err != nil {
			t.Fatal(err)
		}
		if p := psnrY(t, want, sub); p < 99 {
			t.Errorf("cell %v differs from a standalone scale: PSNR %.1f", cell, p)
		}
	}
}

// TestScaleQuality compares the swscale filters against a slow Lanczos reference on
// camera-like content, for the shrinks and the enlargement a mixer does, and keeps the
// chosen filter above 35 dB on each.
func TestScaleQuality(t *testing.T) {
	for _, sz := range [][4]int{{640, 360, 320, 180}, {640, 360, 426, 240}, {640, 360, 214, 120}, {320, 180, 640, 360}} {
		src := NewPicture(sz[0], sz[1])
		fillCamera(src, newCameraTexture(sz[0], sz[1]), 7)
		ref := NewPicture(sz[2], sz[3])
		rs := newScalerWithFlags(scaleReferenceFlags)
		if err := rs.Scale(ref, src); err != nil {
			t.Fatal(err)
		}
		rs.Close()
		for _, f := range scaleFlagChoices {
			s := newScalerWithFlags(f.flags)
			dst := NewPicture(sz[2], sz[3])
			if err := s.Scale(dst, src); err != nil {
				t.Fatal(err)
			}
			s.Close()
			p := psnrY(t, ref, dst)
			t.Logf("%dx%d -> %dx%d %-13s PSNR vs Lanczos %.1f dB", sz[0], sz[1], sz[2], sz[3], f.name, p)
			if f.flags == defaultScaleFlags && p < 35 {
				t.Errorf("default filter %s: PSNR %.1f dB < 35", f.name, p)
			}
		}
	}
}

func TestScaleErrors(t *testing.T) {
	s := NewScaler()
	ok := NewPicture(64, 64)
	bad422 := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio422)
	short := NewPicture(64, 64)
	short.Y = short.Y[:100]
	for name, pair := range map[string][2]*image.YCbCr{
		"nil dst":   {nil, ok},
		"nil src":   {ok, nil},
		"4:2:2 src": {ok, bad422},
		"short Y":   {ok, short},
		"empty dst": {NewPicture(0, 0), ok},
	} {
		if err := s.Scale(pair[0], pair[1]); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	s.Close()
	s.Close()
	if err := s.Scale(ok, ok); err == nil {
		t.Error("closed scaler scaled")
	}
}

// TestScaleWholePictureKeepsPlanes checks whole destination pictures of awkward widths:
// a block write past the last luma row would land in the Cb plane.
func TestScaleWholePictureKeepsPlanes(t *testing.T) {
	s := newScalerT(t)
	src := NewPicture(640, 360)
	fillSolid(src, 200, 30, 220)
	for _, w := range []int{2, 10, 90, 214, 320, 426, 640} {
		dst := NewPicture(w, 120)
		if err := s.Scale(dst, src); err != nil {
			t.Fatal(err)
		}
		for i, v := range dst.Cb {
			if v != 30 {
				t.Fatalf("width %d: Cb[%d] = %d, want 30", w, i, v)
			}
		}
		for i, v := range dst.Y {
			if v != 200 {
				t.Fatalf("width %d: Y[%d] = %d, want 200", w, i, v)
			}
		}
	}
}
