package codec

import (
	"fmt"
	"image"
	"sync"
)

// picturePadding is extra tail space behind the Cr plane. SIMD code in libswscale and the
// codecs may read a few bytes past the last row; with the padding those reads stay inside
// the picture's own allocation.
const picturePadding = 64

// NewPicture allocates a 4:2:0 picture of w x h in one Go buffer (Y, then Cb, then Cr).
// w and h should be even: WebRTC codecs and the mixer's cells are, and an odd size would
// leave a half chroma sample at the edge.
func NewPicture(w, h int) *image.YCbCr {
	if w < 0 {
		w = 0
	}
	if h < 0 {
		h = 0
	}
	cw, ch := (w+1)/2, (h+1)/2
	ySize, cSize := w*h, cw*ch
	buf := make([]byte, ySize+2*cSize+picturePadding)
	return &image.YCbCr{
		Y:              buf[:ySize:ySize],
		Cb:             buf[ySize : ySize+cSize : ySize+cSize],
		Cr:             buf[ySize+cSize : ySize+2*cSize : ySize+2*cSize],
		YStride:        w,
		CStride:        cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
}

// PicturePool recycles pictures by size so the per-frame paths (decoders publishing
// frames, the mixer's canvases and cells) allocate nothing in steady state. It is safe for
// concurrent use; the zero value is ready. A picture must not be used after Put.
type PicturePool struct {
	mu   sync.Mutex
	free map[[2]int][]*image.YCbCr
}

// maxFreePerSize bounds what the pool keeps per size, so a burst does not pin memory forever.
const maxFreePerSize = 64

// Get returns a w x h picture from the pool, or a new one when none is free. Its content is
// whatever the previous user left: callers overwrite every pixel (or clear it themselves).
func (p *PicturePool) Get(w, h int) *image.YCbCr {
	key := [2]int{w, h}
	p.mu.Lock()
	list := p.free[key]
	if n := len(list); n > 0 {
		pic := list[n-1]
		list[n-1] = nil
		p.free[key] = list[:n-1]
		p.mu.Unlock()
		return pic
	}
	p.mu.Unlock()
	return NewPicture(w, h)
}

// Put gives a picture back. Pictures that were not made by NewPicture for their size
// (sub-images, other subsampling) are dropped rather than handed out wrongly later.
func (p *PicturePool) Put(pic *image.YCbCr) {
	if pic == nil || !isWholePicture(pic) {
		return
	}
	key := [2]int{pic.Rect.Dx(), pic.Rect.Dy()}
	p.mu.Lock()
	if p.free == nil {
		p.free = make(map[[2]int][]*image.YCbCr)
	}
	if list := p.free[key]; len(list) < maxFreePerSize {
		p.free[key] = append(list, pic)
	}
	p.mu.Unlock()
}

// isWholePicture reports whether pic has the exact layout NewPicture gives its size.
func isWholePicture(pic *image.YCbCr) bool {
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	return pic.SubsampleRatio == image.YCbCrSubsampleRatio420 &&
		pic.Rect.Min == image.Point{} &&
		pic.YStride == w && pic.CStride == cw &&
		len(pic.Y) == w*h && len(pic.Cb) == cw*ch && len(pic.Cr) == cw*ch
}

// checkPicture reports why pic cannot be read as a w x h 4:2:0 picture, or nil.
func checkPicture(pic *image.YCbCr, w, h int) error {
	if pic == nil {
		return fmt.Errorf("nil picture")
	}
	if pic.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("picture subsampling %s, want 4:2:0", pic.SubsampleRatio)
	}
	if pic.Rect.Dx() != w || pic.Rect.Dy() != h {
		return fmt.Errorf("picture %dx%d, want %dx%d", pic.Rect.Dx(), pic.Rect.Dy(), w, h)
	}
	return checkPlanes(pic)
}

// checkPlanes verifies that pic's planes really hold its rectangle, so C never reads or
// writes outside the Go slices.
func checkPlanes(pic *image.YCbCr) error {
	r := pic.Rect
	if r.Empty() {
		return fmt.Errorf("empty picture %v", r)
	}
	cw, ch := (r.Max.X+1)/2-r.Min.X/2, (r.Max.Y+1)/2-r.Min.Y/2
	if pic.YStride < r.Dx() || pic.CStride < cw {
		return fmt.Errorf("picture strides %d/%d too small for %v", pic.YStride, pic.CStride, r)
	}
	yEnd := pic.YOffset(r.Min.X, r.Min.Y) + (r.Dy()-1)*pic.YStride + r.Dx()
	cEnd := pic.COffset(r.Min.X, r.Min.Y) + (ch-1)*pic.CStride + cw
	if pic.YOffset(r.Min.X, r.Min.Y) < 0 || yEnd > len(pic.Y) || cEnd > len(pic.Cb) || cEnd > len(pic.Cr) {
		return fmt.Errorf("picture planes (%d, %d, %d bytes) too short for %v", len(pic.Y), len(pic.Cb), len(pic.Cr), r)
	}
	return nil
}
