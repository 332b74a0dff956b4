package codec

import (
	"bytes"
	"image"
	"testing"
)

// TestHotPathsDoNotAllocate holds the per-frame paths to zero Go allocations in steady
// state (the benchmarks show the same with -benchmem; this catches a regression in a
// plain test run).
func TestHotPathsDoNotAllocate(t *testing.T) {
	clip := benchClip(320, 180, 4)
	for _, k := range []Kind{KindVP8, KindH264} {
		e := newEncoderT(t, VideoEncoderConfig{k, 320, 180, 15, 200})
		d := newDecoderT(t, k)
		var frames [][]byte
		for i, pic := range clip {
			f, err := e.Encode(pic, i == 0)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, bytes.Clone(f.Data))
			if _, err := d.Decode(f.Data); err != nil {
				t.Fatal(err)
			}
		}
		i := 0
		if n := testing.AllocsPerRun(20, func() {
			i++
			if _, err := e.Encode(clip[i%len(clip)], i%7 == 0); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s Encode: %.1f allocations per frame", k, n)
		}
		if n := testing.AllocsPerRun(20, func() {
			i++
			if _, err := d.Decode(frames[i%len(frames)]); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s Decode: %.1f allocations per frame", k, n)
		}
	}

	oe, od := newOpusPairT(t)
	pcm, out := tone(440, 8000, 0, FrameSamples), make([]byte, 1500)
	dec := make([]int16, MaxFrameSamples)
	var n int
	if a := testing.AllocsPerRun(20, func() {
		var err error
		if n, err = oe.Encode(pcm, out); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Opus Encode: %.1f allocations per frame", a)
	}
	if a := testing.AllocsPerRun(20, func() {
		if _, err := od.Decode(out[:n], dec); err != nil {
			t.Fatal(err)
		}
		if _, err := od.Conceal(dec); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Opus Decode+Conceal: %.1f allocations per frame", a)
	}

	s := newScalerT(t)
	canvas := NewPicture(640, 360)
	cell := canvas.SubImage(image.Rect(2, 0, 216, 120)).(*image.YCbCr)
	small := NewPicture(320, 180)
	_ = s.Scale(cell, clip[0])
	_ = s.Scale(small, clip[1])
	if a := testing.AllocsPerRun(20, func() {
		if err := s.Scale(cell, clip[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.Scale(small, clip[1]); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Scale: %.1f allocations per call", a)
	}
}
