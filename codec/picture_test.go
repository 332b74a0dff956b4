package codec

import (
	"image"
	"sync"
	"testing"
)

func TestNewPicture(t *testing.T) {
	for _, sz := range [][2]int{{640, 360}, {2, 2}, {0, 0}, {-4, 10}} {
		p := NewPicture(sz[0], sz[1])
		w, h := max(sz[0], 0), max(sz[1], 0)
		if p.Rect != image.Rect(0, 0, w, h) || p.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("%v: rect %v ratio %v", sz, p.Rect, p.SubsampleRatio)
		}
		if len(p.Y) != w*h || len(p.Cb) != w*h/4 || len(p.Cr) != w*h/4 || p.YStride != w || p.CStride != w/2 {
			t.Fatalf("%v: planes %d/%d/%d strides %d/%d", sz, len(p.Y), len(p.Cb), len(p.Cr), p.YStride, p.CStride)
		}
		if !isWholePicture(p) {
			t.Fatalf("%v: not a whole picture", sz)
		}
		// Same layout as the standard library's, so image/draw and friends work on it.
		std := image.NewYCbCr(p.Rect, image.YCbCrSubsampleRatio420)
		if std.YStride != p.YStride || std.CStride != p.CStride || len(std.Cb) != len(p.Cb) {
			t.Fatalf("%v: layout differs from image.NewYCbCr", sz)
		}
	}
}

func TestPicturePool(t *testing.T) {
	var pool PicturePool
	a := pool.Get(320, 180)
	pool.Put(a)
	if b := pool.Get(320, 180); b != a {
		t.Error("pool did not hand back the returned picture")
	}
	if c := pool.Get(640, 360); c == a || c.Rect.Dx() != 640 {
		t.Errorf("pool mixed sizes: %v", c.Rect)
	}
	// Pictures that are not whole NewPicture pictures are not kept.
	canvas := NewPicture(640, 360)
	pool.Put(canvas.SubImage(image.Rect(0, 0, 320, 180)).(*image.YCbCr))
	pool.Put(image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio444))
	pool.Put(nil)
	if d := pool.Get(320, 180); !isWholePicture(d) || d.Rect.Dx() != 320 {
		t.Errorf("pool handed out a foreign picture: %v", d.Rect)
	}
}

func TestPicturePoolConcurrent(t *testing.T) {
	var pool PicturePool
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				p := pool.Get(64, 36)
				p.Y[0] = byte(i)
				pool.Put(p)
			}
		}()
	}
	wg.Wait()
}

func TestPicturePoolNoAllocs(t *testing.T) {
	var pool PicturePool
	pool.Put(pool.Get(320, 180))
	if n := testing.AllocsPerRun(100, func() { pool.Put(pool.Get(320, 180)) }); n != 0 {
		t.Errorf("Get/Put allocates %.0f times", n)
	}
}

func TestCheckPicture(t *testing.T) {
	ok := NewPicture(64, 36)
	short := NewPicture(64, 36)
	short.Cr = short.Cr[:10]
	narrow := NewPicture(64, 36)
	narrow.YStride = 10
	tests := []struct {
		name string
		pic  *image.YCbCr
		ok   bool
	}{
		{"whole", ok, true},
		{"sub-image", NewPicture(128, 72).SubImage(image.Rect(64, 36, 128, 72)).(*image.YCbCr), true},
		{"nil", nil, false},
		{"wrong size", NewPicture(32, 36), false},
		{"4:4:4", image.NewYCbCr(image.Rect(0, 0, 64, 36), image.YCbCrSubsampleRatio444), false},
		{"short Cr", short, false},
		{"stride too small", narrow, false},
	}
	for _, tt := range tests {
		if err := checkPicture(tt.pic, 64, 36); (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
