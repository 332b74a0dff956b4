package codec

// #include "nbav.h"
import "C"

import (
	"fmt"
	"image"
)

// Scaler resizes 4:2:0 pictures with libswscale, reading and writing Go memory directly
// (no AVFrames, no copies). It keeps one swscale context per (source size, destination
// size) pair, because the mixer scales the same sources into the same cells every tick.
// A Scaler is not safe for concurrent use: give each goroutine its own.
type Scaler struct {
	flags   C.int
	ctxs    map[scaleKey]*C.struct_SwsContext
	scratch scratchPicture // padded output for destinations swscale must not write to directly
}

type scaleKey struct{ sw, sh, dw, dh int }

// maxScaleContexts bounds the cache; layouts change rarely, so dropping everything when
// it is full is simpler than LRU and costs one context creation per pair afterwards.
const maxScaleContexts = 64

// defaultScaleFlags is swscale's area filter. Against a Lanczos reference on camera-like
// content (TestScaleQuality) it is the best of the cheap filters for every mixer shrink
// (39.7 dB at 640x360->320x180, 35.2 at ->214x120; bilinear 34.1 and 30.5, fast-bilinear
// 23.6 and 18.2, which aliases) and equals bilinear when enlarging. Its speed
// (BenchmarkScaleFlags, frames per CPU-second) is above bilinear's at 2:1 (~12k vs ~9.8k),
// 3:1 (~10.6k vs ~5.9k) and when enlarging, and ~13 % below at 1.5:1. Bicubic is sharper
// still but 30-60 % slower.
const defaultScaleFlags = C.SWS_AREA

// NewScaler returns a Scaler with no contexts yet; they are made on first use.
func NewScaler() *Scaler {
	return newScalerWithFlags(defaultScaleFlags)
}

func newScalerWithFlags(flags C.int) *Scaler {
	return &Scaler{flags: flags, ctxs: make(map[scaleKey]*C.struct_SwsContext)}
}

// Scale resizes src into dst, filling dst's whole rectangle. Either may be a sub-image
// (dst a cell of a canvas, src a crop); sizes are arbitrary but should be even.
func (s *Scaler) Scale(dst, src *image.YCbCr) error {
	if s.ctxs == nil {
		return fmt.Errorf("scale: scaler is closed")
	}
	for _, p := range []struct {
		name string
		pic  *image.YCbCr
	}{{"source", src}, {"destination", dst}} {
		if p.pic == nil {
			return fmt.Errorf("scale: nil %s", p.name)
		}
		if p.pic.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			return fmt.Errorf("scale: %s subsampling %s, want 4:2:0", p.name, p.pic.SubsampleRatio)
		}
		if err := checkPlanes(p.pic); err != nil {
			return fmt.Errorf("scale: %s: %w", p.name, err)
		}
	}
	k := scaleKey{src.Rect.Dx(), src.Rect.Dy(), dst.Rect.Dx(), dst.Rect.Dy()}
	ctx, err := s.context(k)
	if err != nil {
		return err
	}
	out := dst
	if !writableInPlace(dst) {
		out = s.scratch.get(k.dw, k.dh)
	}
	sy, su, sv := picturePtrs(src)
	dy, du, dv := picturePtrs(out)
	ret := C.nb_scale_yuv420(ctx, sy, C.int(src.YStride), su, sv, C.int(src.CStride), C.int(k.sh),
		dy, C.int(out.YStride), du, dv, C.int(out.CStride))
	if ret < 0 {
		return fmt.Errorf("scale %dx%d to %dx%d: %w", k.sw, k.sh, k.dw, k.dh, avError(ret))
	}
	if out != dst {
		copyPicture(dst, out)
	}
	return nil
}

// writableInPlace reports whether swscale may write straight into dst. Its SIMD output
// loops write whole blocks (measured here: luma and chroma rows rounded up to 8 pixels), so
// a row whose width is not a block multiple overwrites the pixels to its right: another
// cell of a canvas, or the next plane. Only whole pictures with rows of a multiple of 32
// pixels (16 chroma samples, twice the measured block) are written in place; everything
// else goes through a padded scratch picture and a row copy (TestScaleIntoCellKeepsNeighbours).
func writableInPlace(dst *image.YCbCr) bool {
	w := dst.Rect.Dx()
	return w%32 == 0 && dst.Rect.Min == image.Point{} && dst.YStride == w && dst.CStride == w/2
}

// scratchPicture is a reusable 4:2:0 picture with 64-byte aligned rows and room behind
// every row and plane for swscale's block writes.
type scratchPicture struct {
	pic *image.YCbCr
	buf []byte // backing array, grown as needed
}

// get returns the scratch picture resized to w x h (its content is undefined).
func (s *scratchPicture) get(w, h int) *image.YCbCr {
	if p := s.pic; p != nil && p.Rect.Dx() == w && p.Rect.Dy() == h {
		return p
	}
	ys, cs := alignUp(w, 64)+64, alignUp((w+1)/2, 64)+64
	ch := (h + 1) / 2
	ySize, cSize := ys*h, cs*ch
	if need := ySize + 2*cSize + 64; cap(s.buf) < need {
		s.buf = make([]byte, need)
	}
	b := s.buf[:cap(s.buf)]
	s.pic = &image.YCbCr{
		Y:              b[:ySize],
		Cb:             b[ySize : ySize+cSize],
		Cr:             b[ySize+cSize : ySize+2*cSize],
		YStride:        ys,
		CStride:        cs,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
	return s.pic
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// copyPicture copies src's pixels into dst; both are 4:2:0 with the same size.
func copyPicture(dst, src *image.YCbCr) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	dyo, dco := dst.YOffset(dst.Rect.Min.X, dst.Rect.Min.Y), dst.COffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	syo, sco := src.YOffset(src.Rect.Min.X, src.Rect.Min.Y), src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	for y := 0; y < h; y++ {
		copy(dst.Y[dyo+y*dst.YStride:dyo+y*dst.YStride+w], src.Y[syo+y*src.YStride:])
	}
	for y := 0; y < ch; y++ {
		copy(dst.Cb[dco+y*dst.CStride:dco+y*dst.CStride+cw], src.Cb[sco+y*src.CStride:])
		copy(dst.Cr[dco+y*dst.CStride:dco+y*dst.CStride+cw], src.Cr[sco+y*src.CStride:])
	}
}

func (s *Scaler) context(k scaleKey) (*C.struct_SwsContext, error) {
	if ctx, ok := s.ctxs[k]; ok {
		return ctx, nil
	}
	if len(s.ctxs) >= maxScaleContexts {
		s.freeAll()
	}
	ctx := C.sws_getContext(C.int(k.sw), C.int(k.sh), C.AV_PIX_FMT_YUV420P,
		C.int(k.dw), C.int(k.dh), C.AV_PIX_FMT_YUV420P, s.flags, nil, nil, nil)
	if ctx == nil {
		return nil, fmt.Errorf("scale %dx%d to %dx%d: swscale cannot make a context", k.sw, k.sh, k.dw, k.dh)
	}
	s.ctxs[k] = ctx
	return ctx, nil
}

func (s *Scaler) freeAll() {
	for k, ctx := range s.ctxs {
		C.sws_freeContext(ctx)
		delete(s.ctxs, k)
	}
}

// Close frees all swscale contexts. It is idempotent; Scale fails afterwards.
func (s *Scaler) Close() {
	if s.ctxs == nil {
		return
	}
	s.freeAll()
	s.ctxs = nil
	s.scratch = scratchPicture{}
}
