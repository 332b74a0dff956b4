package bench

import (
	"fmt"
	"image"
	"math"

	"github.com/nahbar/nahbar/codec"
)

// Placement is one source frame in a composed picture: which frame (as read
// from its stamp) and where it was fitted.
type Placement struct {
	Stamp   Stamp
	Picture image.Rectangle
}

// Expected builds the picture a receiver should see, from the known sources:
// each placement's frame drawn again from its stamp, scaled into its
// rectangle, on black. It is the reference of PSNR. Not safe for concurrent
// use; it reuses its buffers, so building allocates nothing once every tile
// size has been seen.
type Expected struct {
	scaler *codec.Scaler
	src    *image.YCbCr
	tiles  map[image.Point]*image.YCbCr
}

// NewExpected returns a builder; Close frees its scaler.
func NewExpected() *Expected {
	return &Expected{
		scaler: codec.NewScaler(),
		src:    codec.NewPicture(SourceWidth, SourceHeight),
		tiles:  make(map[image.Point]*image.YCbCr),
	}
}

// Close frees the scaler.
func (e *Expected) Close() { e.scaler.Close() }

// Build draws the expected picture into dst.
func (e *Expected) Build(dst *image.YCbCr, places []Placement) error {
	fillYCbCr(dst, dst.Rect, stampBlackY, 128, 128)
	for _, p := range places {
		r := p.Picture.Intersect(dst.Rect)
		if r.Dx() < 2 || r.Dy() < 2 || r.Min.X%2 != 0 || r.Min.Y%2 != 0 {
			return fmt.Errorf("expected picture: placement %v of source %d is not an even rectangle in %v", p.Picture, p.Stamp.Source, dst.Rect)
		}
		size := image.Pt(even(r.Dx()), even(r.Dy()))
		tile := e.tiles[size]
		if tile == nil {
			tile = codec.NewPicture(size.X, size.Y)
			e.tiles[size] = tile
		}
		NewSource(p.Stamp.Source).Render(e.src, p.Stamp.Frame, p.Stamp.SentMs)
		if err := e.scaler.Scale(tile, e.src); err != nil {
			return fmt.Errorf("expected picture: scale source %d to %v: %w", p.Stamp.Source, size, err)
		}
		blit(dst, tile, r.Min)
	}
	return nil
}

// blit copies src into dst with its top left corner at at (even coordinates).
func blit(dst, src *image.YCbCr, at image.Point) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		copy(dst.Y[dst.YOffset(at.X, at.Y+y):][:w], src.Y[y*src.YStride:][:w])
	}
	for y := range h / 2 {
		di := dst.COffset(at.X, at.Y+2*y)
		copy(dst.Cb[di:][:w/2], src.Cb[y*src.CStride:][:w/2])
		copy(dst.Cr[di:][:w/2], src.Cr[y*src.CStride:][:w/2])
	}
}

// PSNR is the peak signal-to-noise ratio in dB of the luma of got against
// want (same size), capped at 99 dB for identical pictures.
func PSNR(got, want *image.YCbCr) (float64, error) {
	if got.Rect.Size() != want.Rect.Size() {
		return 0, fmt.Errorf("psnr: sizes %v and %v differ", got.Rect.Size(), want.Rect.Size())
	}
	w, h := got.Rect.Dx(), got.Rect.Dy()
	var sse float64
	for y := range h {
		a := got.Y[y*got.YStride:][:w]
		b := want.Y[y*want.YStride:][:w]
		for x := range w {
			d := float64(int(a[x]) - int(b[x]))
			sse += d * d
		}
	}
	if sse == 0 {
		return 99, nil
	}
	mse := sse / float64(w*h)
	return math.Min(99, 10*math.Log10(255*255/mse)), nil
}
