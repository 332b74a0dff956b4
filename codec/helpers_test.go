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

// cameraTexture is a smooth random luma texture twice the picture size, panned across
// by fillCamera to imitate a hand-held camera.
type cameraTexture struct {
	w, h int
	y    []uint8
	seed uint32
}

func newCameraTexture(w, h int) *cameraTexture {
	t := &cameraTexture{w: 2 * w, h: 2 * h, seed: 1}
	raw := make([]int, t.w*t.h)
	for i := range raw {
		raw[i] = int(t.rand() % 256)
	}
	// Blur with a 5x5 box twice: natural images have most energy at low frequencies.
	for pass := 0; pass < 2; pass++ {
		out := make([]int, len(raw))
		for y := 0; y < t.h; y++ {
			for x := 0; x < t.w; x++ {
				sum, n := 0, 0
				for dy := -2; dy <= 2; dy++ {
					for dx := -2; dx <= 2; dx++ {
						xx, yy := x+dx, y+dy
						if xx >= 0 && xx < t.w && yy >= 0 && yy < t.h {
							sum += raw[yy*t.w+xx]
							n++
						}
					}
				}
				out[y*t.w+x] = sum / n
			}
		}
		raw = out
	}
	t.y = make([]uint8, len(raw))
	for i, v := range raw {
		// Stretch the blurred texture (which clusters around 128) back to a useful contrast.
		s := 128 + (v-128)*5
		t.y[i] = uint8(min(max(s, 16), 235))
	}
	return t
}

func (t *cameraTexture) rand() uint32 {
	t.seed ^= t.seed << 13
	t.seed ^= t.seed >> 17
	t.seed ^= t.seed << 5
	return t.seed
}

// fillCamera paints frame n: the texture panned slowly, a bright "face" moving across it,
// and small per-frame sensor noise, the kind of content that makes encoders work.
func fillCamera(pic *image.YCbCr, t *cameraTexture, n int) {
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	ox, oy := (n*3)%(t.w-w), (n*1)%(t.h-h)
	cx, cy, r := w/3+(n*2)%(w/3), h/2, h/4
	for y := 0; y < h; y++ {
		row := t.y[(y+oy)*t.w+ox:]
		for x := 0; x < w; x++ {
			v := int(row[x])
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy < r*r {
				v = 180 + v/8
			}
			v += int(t.rand()%5) - 2
			pic.Y[y*pic.YStride+x] = uint8(min(max(v, 16), 235))
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		for x := 0; x < (w+1)/2; x++ {
			tv := int(t.y[(2*y+oy)*t.w+2*x+ox]) / 8
			pic.Cb[y*pic.CStride+x] = uint8(100 + x*40/w + tv)
			pic.Cr[y*pic.CStride+x] = uint8(140 - y*30/h + tv)
		}
	}
}
