package codec

import (
	"image"
	"math"
	"testing"
)

// fillSolid paints pic in one YCbCr colour.
func fillSolid(pic *image.YCbCr, y, cb, cr uint8) {
	for i := range pic.Y {
		pic.Y[i] = y
	}
	for i := range pic.Cb {
		pic.Cb[i] = cb
		pic.Cr[i] = cr
	}
}

// fillMoving paints a smooth gradient with a bright square that moves with frame n,
// content a camera-like encoder test needs: detail, motion and flat areas.
func fillMoving(pic *image.YCbCr, n int) {
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	sq := h / 4
	sx, sy := (n*4)%(w-sq), (n*2)%(h-sq)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(16 + (x*200/w+y*20/h)%220)
			if x >= sx && x < sx+sq && y >= sy && y < sy+sq {
				v = 235
			}
			pic.Y[y*pic.YStride+x] = v
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		for x := 0; x < (w+1)/2; x++ {
			pic.Cb[y*pic.CStride+x] = uint8(64 + x*128/w)
			pic.Cr[y*pic.CStride+x] = uint8(192 - y*128/h)
		}
	}
}

// psnrY is the luma PSNR in dB between two pictures of the same size.
func psnrY(t *testing.T, a, b *image.YCbCr) float64 {
	t.Helper()
	if a.Rect.Size() != b.Rect.Size() {
		t.Fatalf("psnr of %v and %v", a.Rect, b.Rect)
	}
	var sum float64
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := float64(a.Y[a.YOffset(a.Rect.Min.X+x, a.Rect.Min.Y+y)]) - float64(b.Y[b.YOffset(b.Rect.Min.X+x, b.Rect.Min.Y+y)])
			sum += d * d
		}
	}
	mse := sum / float64(w*h)
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}

// meanPlanes returns the mean Y, Cb and Cr of pic.
func meanPlanes(pic *image.YCbCr) (y, cb, cr float64) {
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			y += float64(pic.Y[pic.YOffset(pic.Rect.Min.X+i, pic.Rect.Min.Y+j)])
		}
	}
	n := 0
	for j := 0; j < h; j += 2 {
		for i := 0; i < w; i += 2 {
			o := pic.COffset(pic.Rect.Min.X+i, pic.Rect.Min.Y+j)
			cb += float64(pic.Cb[o])
			cr += float64(pic.Cr[o])
			n++
		}
	}
	return y / float64(w*h), cb / float64(n), cr / float64(n)
}
