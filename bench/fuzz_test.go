package bench

import (
	"image"
	"math"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/internal/testpeer"
)

// FuzzReadStamp feeds arbitrary pictures (what a receiver decodes from the
// network) and regions to ReadStamp: it must return a stamp or an error, and
// a stamp only if its checksum holds.
func FuzzReadStamp(f *testing.F) {
	pic := codec.NewPicture(64, 36)
	NewSource(3).Render(pic, 7, 1234)
	f.Add(append([]byte(nil), pic.Y...), 64, 36, 0, 0, 64, 36)
	f.Add([]byte{0, 255, 16, 235}, 4, 1, 0, 0, 4, 1)
	f.Add([]byte{}, 0, 0, -5, -5, 100, 100)
	f.Fuzz(func(t *testing.T, luma []byte, w, h, x0, y0, x1, y1 int) {
		w, h = w%256, h%256
		if w <= 0 || h <= 0 || len(luma) < w*h {
			return
		}
		p := &image.YCbCr{Y: luma[:w*h], Cb: make([]byte, ((w+1)/2)*((h+1)/2)), Cr: make([]byte, ((w+1)/2)*((h+1)/2)),
			YStride: w, CStride: (w + 1) / 2, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)}
		s, err := ReadStamp(p, image.Rect(x0, y0, x1, y1))
		if err != nil {
			return
		}
		b := s.bytes()
		if s.SentMs >= StampTimeModulo || crc8(b[:]) != s.bits2crc() {
			t.Fatalf("stamp %+v read without a valid checksum", s)
		}
	})
}

// bits2crc recomputes the checksum a stamp would be drawn with.
func (s Stamp) bits2crc() byte {
	b := s.bytes()
	return crc8(b[:])
}

// FuzzAnalyserLayout feeds layout cells as the server would send them
// (untrusted numbers) to the analyser: never a panic, and cells outside the
// picture only count as unreadable.
func FuzzAnalyserLayout(f *testing.F) {
	f.Add(0.0, 0.0, 1.0, 1.0, 640, 360)
	f.Add(0.5, 0.5, 0.5, 0.5, 640, 360)
	f.Add(math.NaN(), -1.0, 2.0, math.Inf(1), 0, -3)
	f.Add(0.999, 0.999, 0.001, 0.001, 2, 2)
	pic := codec.NewPicture(640, 360)
	NewSource(1).Render(pic, 1, 1)
	dir := &Directory{}
	dir.Set("a", SourceInfo{Index: 1, Live: true})
	f.Fuzz(func(t *testing.T, x, y, w, h float64, lw, lh int) {
		a := NewAnalyser(AnalyserConfig{Sources: dir, Now: func() time.Time { return time.Unix(0, 0) }, PSNREvery: 1})
		defer a.Close()
		a.SetMeasuring(true)
		l := testpeer.Layout{Width: lw, Height: lh, Cells: []testpeer.Cell{{ParticipantID: "a", X: x, Y: y, W: w, H: h}, {ParticipantID: "b", X: y, Y: x, W: h, H: w}}}
		if err := a.Frame(pic, l); err != nil {
			t.Logf("frame: %v", err)
		}
		if r := a.Snapshot(); r.Cells != 2 || r.StampsRead+r.Unreadable != 2 {
			t.Fatalf("result %+v for two cells", r)
		}
	})
}
