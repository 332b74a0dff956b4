package mixer

import (
	"image"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nahbar/nahbar/codec"
)

// TestTripleBufferNeverTears races a producer against the consumer: every picture the
// consumer sees must be one whole published picture (all bytes the same value), and once
// the producer is done the consumer gets the last one.
func TestTripleBufferNeverTears(t *testing.T) {
	var tb tripleBuffer
	tb.init()
	const n = 3000
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		src := codec.NewPicture(64, 36)
		for i := 1; i <= n; i++ {
			v := uint8(i % 251)
			fill(src.Y, v)
			fill(src.Cb, v)
			fill(src.Cr, v)
			if err := tb.write(src); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	check := func(pic *image.YCbCr) {
		v := pic.Y[0]
		for _, plane := range [][]byte{pic.Y, pic.Cb, pic.Cr} {
			for _, b := range plane {
				if b != v {
					t.Fatalf("torn picture: %d next to %d", b, v)
				}
			}
		}
	}
	seen := 0
	for !done.Load() {
		if pic, fresh := tb.latest(); fresh {
			check(pic)
			seen++
		}
	}
	wg.Wait()
	pic, _ := tb.latest()
	check(pic)
	if pic.Y[0] != n%251 {
		t.Fatalf("last picture %d, want %d", pic.Y[0], n%251)
	}
	t.Logf("consumer saw %d of %d pictures", seen, n)
}

func TestTripleBufferResolutionChange(t *testing.T) {
	var tb tripleBuffer
	tb.init()
	for _, sz := range [][2]int{{64, 36}, {64, 36}, {31, 17}, {1280, 720}} {
		if err := tb.write(solid(sz[0], sz[1], red)); err != nil && sz[0] != 31 {
			t.Fatal(err)
		}
		pic, fresh := tb.latest()
		if want := image.Rect(0, 0, even(sz[0]), even(sz[1])); !fresh || pic.Rect != want {
			t.Fatalf("after %v: %v fresh=%v, want %v", sz, pic.Rect, fresh, want)
		}
	}
	if _, fresh := tb.latest(); fresh {
		t.Fatal("fresh twice")
	}
}

func TestPublishAllocatesNothing(t *testing.T) {
	var s videoSource
	s.init(false)
	pic := solid(640, 360, red)
	clock := newFakeClock()
	for i := 0; i < 3; i++ { // fill the three slots
		_ = s.publish(pic, clock.Now())
	}
	if a := testing.AllocsPerRun(100, func() { _ = s.publish(pic, clock.Now()) }); a != 0 {
		t.Fatalf("%.1f allocations per publish", a)
	}
}
