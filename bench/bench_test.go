package bench

import (
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/internal/testpeer"
)

// The per-frame work of the load generator, measured with -benchmem: none of
// it may allocate.

func BenchmarkRender(b *testing.B) {
	pic := codec.NewPicture(SourceWidth, SourceHeight)
	src := NewSource(5)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		src.Render(pic, uint16(i), uint32(i*67))
	}
}

func BenchmarkReadStamp(b *testing.B) {
	pic := codec.NewPicture(SourceWidth, SourceHeight)
	NewSource(5).Render(pic, 9, 99)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadStamp(pic, pic.Rect); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyserFrame analyses a 3x3 composite: nine stamps, nine
// latencies, the layout check.
func BenchmarkAnalyserFrame(b *testing.B) {
	scene := newGridScene(9)
	exp := NewExpected()
	defer exp.Close()
	canvas := codec.NewPicture(640, 360)
	now := time.Unix(1_700_000_000, 0)
	for i := range scene.places {
		scene.places[i].Stamp.SentMs = uint32(now.UnixMilli() % StampTimeModulo)
	}
	if err := exp.Build(canvas, scene.places); err != nil {
		b.Fatal(err)
	}
	a := NewAnalyser(AnalyserConfig{Sources: scene.dir, Now: func() time.Time { return now }})
	defer a.Close()
	a.SetMeasuring(true)
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Frame(canvas, scene.layout); err != nil {
			b.Fatal(err)
		}
	}
	if r := a.Snapshot(); r.LayoutMismatches != 0 || r.Unreadable != 0 {
		b.Fatalf("%+v", r)
	}
}

// BenchmarkExpectedBuild draws the reference picture of a 3x3 composite (done
// once a second per analysing receiver, for PSNR).
func BenchmarkExpectedBuild(b *testing.B) {
	scene := newGridScene(9)
	exp := NewExpected()
	defer exp.Close()
	canvas := codec.NewPicture(640, 360)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range scene.places {
			scene.places[j].Stamp.Frame = uint16(i)
		}
		if err := exp.Build(canvas, scene.places); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMediaPathDoesNotAllocate(t *testing.T) {
	scene := newGridScene(9)
	exp := NewExpected()
	defer exp.Close()
	canvas := codec.NewPicture(640, 360)
	src := NewSource(2)
	pic := codec.NewPicture(SourceWidth, SourceHeight)
	now := time.Unix(1_700_000_000, 0)
	a := NewAnalyser(AnalyserConfig{Sources: scene.dir, Now: func() time.Time { return now }, PSNREvery: 1})
	defer a.Close()
	a.SetMeasuring(true)
	var l testpeer.Layout = scene.layout
	if err := exp.Build(canvas, scene.places); err != nil { // warm the tile cache
		t.Fatal(err)
	}
	if err := a.Frame(canvas, l); err != nil { // and the analyser's
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"render", func() { src.Render(pic, 3, 4) }},
		{"read stamp", func() { _, _ = ReadStamp(pic, pic.Rect) }},
		{"expected", func() { _ = exp.Build(canvas, scene.places) }},
		{"analyse with PSNR", func() { _ = a.Frame(canvas, l) }},
	} {
		if n := testing.AllocsPerRun(20, tc.f); n != 0 {
			t.Errorf("%s: %v allocations per frame", tc.name, n)
		}
	}
}
