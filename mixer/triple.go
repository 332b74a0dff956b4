package mixer

import (
	"errors"
	"fmt"
	"image"
	"sync/atomic"

	"github.com/nahbar/nahbar/codec"
)

// tripleBuffer hands the latest picture from one producer (a decoder) to one consumer (the
// compose tick) without either ever waiting: the producer fills its own back slot and swaps
// it with the shared middle slot; the consumer swaps its front slot with the middle one when
// the middle holds something fresh. Each slot is touched by one side at a time, so the
// consumer never sees a half-written picture. The only allocation is a slot's picture on a
// resolution change.
type tripleBuffer struct {
	pics  [3]*image.YCbCr
	state atomic.Uint32 // index of the middle slot, plus freshBit when the producer put a new picture there
	back  int           // producer's slot
	front int           // consumer's slot
}

const freshBit = 4

func (t *tripleBuffer) init() {
	t.back, t.front = 0, 1
	t.state.Store(2)
}

// write copies src into the back slot and publishes it. One producer at a time.
func (t *tripleBuffer) write(src *image.YCbCr) error {
	if err := checkSource(src); err != nil {
		return err
	}
	w, h := even(src.Rect.Dx()), even(src.Rect.Dy())
	dst := t.pics[t.back]
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = codec.NewPicture(w, h)
		t.pics[t.back] = dst
	}
	copyPicture(dst, image.Point{}, src, src.Rect.Min, w, h)
	old := t.state.Swap(uint32(t.back) | freshBit)
	t.back = int(old &^ freshBit)
	return nil
}

// latest returns the newest published picture (nil before the first) and whether it is new
// since the previous call. One consumer at a time.
func (t *tripleBuffer) latest() (*image.YCbCr, bool) {
	if t.state.Load()&freshBit == 0 {
		return t.pics[t.front], false
	}
	old := t.state.Swap(uint32(t.front))
	t.front = int(old &^ freshBit)
	return t.pics[t.front], true
}

// maxSourceSide bounds what a source may publish: decoders accept what a browser sends,
// and a 16k x 16k picture would pin a gigabyte of slots.
const maxSourceSide = 4096

// ErrBadPicture is wrapped by PublishVideo and PublishScreen for pictures the mixer cannot
// take (wrong subsampling, impossible size, planes shorter than the rectangle claims).
var ErrBadPicture = errors.New("unsupported picture")

// checkSource makes sure copying from src stays inside its planes.
func checkSource(src *image.YCbCr) error {
	if src == nil {
		return fmt.Errorf("nil picture: %w", ErrBadPicture)
	}
	r := src.Rect
	w, h := even(r.Dx()), even(r.Dy())
	switch {
	case src.SubsampleRatio != image.YCbCrSubsampleRatio420:
		return fmt.Errorf("subsampling %v, want 4:2:0: %w", src.SubsampleRatio, ErrBadPicture)
	case w < 2 || h < 2 || w > maxSourceSide || h > maxSourceSide:
		return fmt.Errorf("size %dx%d outside 2..%d: %w", r.Dx(), r.Dy(), maxSourceSide, ErrBadPicture)
	case src.YStride < w || src.CStride < w/2:
		return fmt.Errorf("strides %d/%d too small for width %d: %w", src.YStride, src.CStride, w, ErrBadPicture)
	}
	// The last byte read in each plane must exist.
	yLast := src.YOffset(r.Min.X+w-1, r.Min.Y+h-1)
	cLast := src.COffset(r.Min.X+w-1, r.Min.Y+h-1)
	first := src.YOffset(r.Min.X, r.Min.Y)
	cFirst := src.COffset(r.Min.X, r.Min.Y)
	if first < 0 || cFirst < 0 || yLast >= len(src.Y) || cLast >= len(src.Cb) || cLast >= len(src.Cr) {
		return fmt.Errorf("planes %d/%d/%d bytes too short for %v: %w", len(src.Y), len(src.Cb), len(src.Cr), r, ErrBadPicture)
	}
	return nil
}

// copyPicture copies a w x h block (even sizes and positions) between 4:2:0 pictures.
func copyPicture(dst *image.YCbCr, at image.Point, src *image.YCbCr, from image.Point, w, h int) {
	for y := 0; y < h; y++ {
		d := dst.YOffset(at.X, at.Y+y)
		s := src.YOffset(from.X, from.Y+y)
		copy(dst.Y[d:d+w], src.Y[s:s+w])
	}
	for y := 0; y < h/2; y++ {
		d := dst.COffset(at.X, at.Y+2*y)
		s := src.COffset(from.X, from.Y+2*y)
		copy(dst.Cb[d:d+w/2], src.Cb[s:s+w/2])
		copy(dst.Cr[d:d+w/2], src.Cr[s:s+w/2])
	}
}

// fillRect paints r (even coordinates) of a 4:2:0 picture with one colour.
func fillRect(dst *image.YCbCr, r image.Rectangle, y, cb, cr uint8) {
	w := r.Dx()
	for row := r.Min.Y; row < r.Max.Y; row++ {
		o := dst.YOffset(r.Min.X, row)
		fill(dst.Y[o:o+w], y)
	}
	for row := r.Min.Y; row < r.Max.Y; row += 2 {
		o := dst.COffset(r.Min.X, row)
		fill(dst.Cb[o:o+w/2], cb)
		fill(dst.Cr[o:o+w/2], cr)
	}
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
