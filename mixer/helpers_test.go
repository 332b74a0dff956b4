package mixer

import (
	"image"
	"sync"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// fakeClock is the injected clock: tests move time, they never wait for it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ycc is a test colour in Y'CbCr.
type ycc struct{ y, cb, cr uint8 }

var (
	red   = ycc{81, 90, 240}
	green = ycc{145, 54, 34}
	blue  = ycc{41, 240, 110}
	amber = ycc{170, 40, 170}
)

func solid(w, h int, c ycc) *image.YCbCr {
	p := codec.NewPicture(w, h)
	fillRect(p, p.Rect, c.y, c.cb, c.cr)
	return p
}

// videoSink is a VideoOutput that keeps copies of the frames it gets.
type videoSink struct {
	frames chan codec.EncodedFrame
	block  chan struct{} // if not nil, WriteVideo waits on it (a congested receiver)
}

func newVideoSink() *videoSink { return &videoSink{frames: make(chan codec.EncodedFrame, 256)} }

func (s *videoSink) WriteVideo(f codec.EncodedFrame, d time.Duration) {
	if s.block != nil {
		<-s.block
	}
	if d <= 0 {
		panic("non-positive frame duration")
	}
	s.frames <- codec.EncodedFrame{Data: append([]byte(nil), f.Data...), Keyframe: f.Keyframe}
}

// next waits for the next frame (the encoder goroutine runs asynchronously).
func (s *videoSink) next(t *testing.T) codec.EncodedFrame {
	t.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(30 * time.Second):
		t.Fatal("no video frame within 30 s")
		return codec.EncodedFrame{}
	}
}

// decoded pairs a sink with a real decoder, as a receiver's browser would.
type decoded struct {
	sink *videoSink
	dec  *codec.VideoDecoder
}

func newDecoded(t *testing.T) *decoded {
	t.Helper()
	dec, err := codec.NewVideoDecoder(codec.KindVP8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dec.Close)
	return &decoded{sink: newVideoSink(), dec: dec}
}

// next decodes the next frame. The picture is valid until the next call.
func (d *decoded) next(t *testing.T) *image.YCbCr {
	t.Helper()
	f := d.sink.next(t)
	pic, err := d.dec.Decode(f.Data)
	if err != nil || pic == nil {
		t.Fatalf("decode %d-byte frame (key %v): %v, picture %v", len(f.Data), f.Keyframe, err, pic != nil)
	}
	return pic
}

// meanIn returns the mean colour of the middle half of r (away from edges and ringing).
func meanIn(p *image.YCbCr, r image.Rectangle) (y, cb, cr float64) {
	in := image.Rect(r.Min.X+r.Dx()/4, r.Min.Y+r.Dy()/4, r.Max.X-r.Dx()/4, r.Max.Y-r.Dy()/4)
	var n float64
	for py := in.Min.Y; py < in.Max.Y; py++ {
		for px := in.Min.X; px < in.Max.X; px++ {
			y += float64(p.Y[p.YOffset(px, py)])
			cb += float64(p.Cb[p.COffset(px, py)])
			cr += float64(p.Cr[p.COffset(px, py)])
			n++
		}
	}
	return y / n, cb / n, cr / n
}

func near(p *image.YCbCr, r image.Rectangle, c ycc) bool {
	y, cb, cr := meanIn(p, r)
	const tol = 14
	return abs(y-float64(c.y)) < tol && abs(cb-float64(c.cb)) < tol && abs(cr-float64(c.cr)) < tol
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func newTestMixer(t testing.TB, clock *fakeClock) *Mixer {
	m := New(Config{Now: clock.Now})
	t.Cleanup(m.Close)
	return m
}

func mustSubscribeVideo(t testing.TB, m *Mixer, v ViewID, tier Tier, out VideoOutput) func() {
	t.Helper()
	unsub, err := m.SubscribeVideo(v, tier, out)
	if err != nil {
		t.Fatal(err)
	}
	return unsub
}
