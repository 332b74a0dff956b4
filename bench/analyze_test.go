package bench

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/internal/testpeer"
)

// gridScene is n live sources composed into a 640x360 grid, with the layout
// message the server would send for it.
type gridScene struct {
	dir    *Directory
	layout testpeer.Layout
	places []Placement
}

// cameraEncodeMs is what the scene's cameras say they spent encoding a frame.
const cameraEncodeMs = 30

func newGridScene(n int) *gridScene {
	s := &gridScene{dir: &Directory{}, layout: testpeer.Layout{View: "all", Width: 640, Height: 360}}
	for i, c := range gridCells(n, 640, 360) {
		id := fmt.Sprintf("p%d", i)
		s.dir.Set(id, SourceInfo{Index: uint8(10 + i), Live: true, EncodeMs: func(uint16) uint32 { return cameraEncodeMs }})
		c.ParticipantID = id
		s.layout.Cells = append(s.layout.Cells, c)
		s.places = append(s.places, Placement{Stamp: Stamp{Source: uint8(10 + i)}, Picture: FitPicture(CellPixels(c, 640, 360), SourceWidth, SourceHeight)})
	}
	return s
}

// frame draws frame k of every source, stamped at sent.
func (s *gridScene) frame(t *testing.T, exp *Expected, dst *image.YCbCr, k int, sent time.Time) {
	t.Helper()
	for i := range s.places {
		s.places[i].Stamp.Frame = uint16(k)
		s.places[i].Stamp.SentMs = uint32(sent.UnixMilli() % StampTimeModulo)
	}
	if err := exp.Build(dst, s.places); err != nil {
		t.Fatal(err)
	}
}

// TestAnalyserMeasuresInjectedDelay sends stamped frames through a real VP8
// encoder and decoder and reads them on a clock that runs a known delay
// behind the send times: the measured latency is that delay.
func TestAnalyserMeasuresInjectedDelay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		vp8   bool
	}{
		{"raw 0 ms", 0, false},
		{"raw 250 ms", 250 * time.Millisecond, false},
		{"vp8 137 ms", 137 * time.Millisecond, true},
		{"vp8 1.5 s", 1500 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scene := newGridScene(4)
			exp := NewExpected()
			defer exp.Close()
			canvas := codec.NewPicture(640, 360)
			start := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
			var now time.Time
			a := NewAnalyser(AnalyserConfig{Sources: scene.dir, Now: func() time.Time { return now }, PSNREvery: 5})
			defer a.Close()
			a.SetMeasuring(true)
			var enc *codec.VideoEncoder
			var dec *codec.VideoDecoder
			if tc.vp8 {
				var err error
				if enc, err = codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: codec.KindVP8, Width: 640, Height: 360, FPS: 15, BitrateKbps: 400}); err != nil {
					t.Fatal(err)
				}
				defer enc.Close()
				if dec, err = codec.NewVideoDecoder(codec.KindVP8); err != nil {
					t.Fatal(err)
				}
				defer dec.Close()
			}
			const frames = 20
			for k := range frames {
				sent := start.Add(time.Duration(k) * time.Second / 15)
				scene.frame(t, exp, canvas, k, sent)
				pic := canvas
				if tc.vp8 {
					f, err := enc.Encode(canvas, k == 0)
					if err != nil {
						t.Fatal(err)
					}
					if pic, err = dec.Decode(f.Data); err != nil || pic == nil {
						t.Fatalf("decode frame %d: %v", k, err)
					}
				}
				now = sent.Add(tc.delay)
				if err := a.Frame(pic, scene.layout); err != nil {
					t.Fatal(err)
				}
			}
			r := a.Snapshot()
			want := float64(tc.delay / time.Millisecond)
			if r.Latency.Count() != frames*4 {
				t.Fatalf("%d latencies, want %d (unreadable %d)", r.Latency.Count(), frames*4, r.Unreadable)
			}
			for _, p := range []float64{50, 95, 99} {
				if got := r.Latency.Percentile(p); got != want {
					t.Errorf("p%.0f = %v ms, want %v", p, got, want)
				}
			}
			for _, p := range []float64{50, 99} {
				if got := r.FromSend.Percentile(p); got != max(want-cameraEncodeMs, 0) {
					t.Errorf("from send p%.0f = %v ms, want %v", p, got, max(want-cameraEncodeMs, 0))
				}
			}
			if r.LayoutMismatches != 0 || r.BadTimes != 0 {
				t.Errorf("mismatches %d, bad times %d", r.LayoutMismatches, r.BadTimes)
			}
			if r.PSNRCount == 0 {
				t.Fatal("no PSNR measured")
			}
			if !tc.vp8 && r.PSNRMin != 99 {
				t.Errorf("PSNR of an exact picture = %v, want 99", r.PSNRMin)
			}
			t.Logf("PSNR mean %.1f dB, min %.1f dB", r.PSNRSum/float64(r.PSNRCount), r.PSNRMin)
		})
	}
}

// TestAnalyserDetectsWrongLayout announces a layout whose cells name other
// participants than the picture shows.
func TestAnalyserDetectsWrongLayout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mangle func(l *testpeer.Layout)
		want   int
	}{
		{"right", func(*testpeer.Layout) {}, 0},
		{"two swapped", func(l *testpeer.Layout) {
			l.Cells[0].ParticipantID, l.Cells[1].ParticipantID = l.Cells[1].ParticipantID, l.Cells[0].ParticipantID
		}, 2},
		{"rotated", func(l *testpeer.Layout) {
			first := l.Cells[0].ParticipantID
			for i := 0; i < len(l.Cells)-1; i++ {
				l.Cells[i].ParticipantID = l.Cells[i+1].ParticipantID
			}
			l.Cells[len(l.Cells)-1].ParticipantID = first
		}, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scene := newGridScene(9)
			exp := NewExpected()
			defer exp.Close()
			canvas := codec.NewPicture(640, 360)
			now := time.Unix(1_700_000_000, 0)
			scene.frame(t, exp, canvas, 1, now)
			l := scene.layout
			l.Cells = append([]testpeer.Cell(nil), l.Cells...)
			tc.mangle(&l)
			a := NewAnalyser(AnalyserConfig{Sources: scene.dir, Now: func() time.Time { return now }})
			defer a.Close()
			a.SetMeasuring(true)
			if err := a.Frame(canvas, l); err != nil {
				t.Fatal(err)
			}
			r := a.Snapshot()
			if r.LayoutMismatches != tc.want {
				t.Fatalf("%d mismatches, want %d (%s)", r.LayoutMismatches, tc.want, r.LastMismatch)
			}
			if r.StampsRead != 9 {
				t.Fatalf("read %d stamps of 9", r.StampsRead)
			}
		})
	}
}

func TestAnalyserCountsOnlyWhileMeasuring(t *testing.T) {
	scene := newGridScene(2)
	exp := NewExpected()
	defer exp.Close()
	canvas := codec.NewPicture(640, 360)
	now := time.Unix(1_700_000_000, 0)
	scene.frame(t, exp, canvas, 1, now)
	a := NewAnalyser(AnalyserConfig{Sources: scene.dir, Now: func() time.Time { return now }})
	defer a.Close()
	if err := a.Frame(canvas, scene.layout); err != nil {
		t.Fatal(err)
	}
	if r := a.Snapshot(); r.Frames != 0 {
		t.Fatalf("counted %d frames while not measuring", r.Frames)
	}
}

func TestHistogramPercentiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 100; i++ {
		h.Add(float64(i))
	}
	for _, tc := range []struct{ p, want float64 }{{50, 50}, {95, 95}, {99, 99}, {100, 100}} {
		if got := h.Percentile(tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	h.Add(-5)     // counts as 0
	h.Add(20_000) // beyond the last bucket
	for _, tc := range []struct{ p, want float64 }{{0, 0}, {100, histMaxMs}} {
		if got := h.Percentile(tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if h.Count() != 102 || h.Max() != 20_000 {
		t.Errorf("count %d max %v", h.Count(), h.Max())
	}
}
