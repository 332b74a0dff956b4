package codec

import (
	"bytes"
	"fmt"
	"image"
	"testing"
)

// Benchmarks of the per-frame paths. Run (from the repository root):
//
//	go test -run '^$' -bench . -benchmem ./codec
//
// fps is frames per second on one core; kbit/s is the bitrate the encoder actually produced
// for the camera-like test content at the tier's frame rate.

// benchClip returns n frames of camera-like content of w x h.
func benchClip(w, h, n int) []*image.YCbCr {
	tex := newCameraTexture(w, h)
	clip := make([]*image.YCbCr, n)
	for i := range clip {
		clip[i] = NewPicture(w, h)
		fillCamera(clip[i], tex, i)
	}
	return clip
}

const benchClipLen = 60

func benchEncode(b *testing.B, e *VideoEncoder) {
	clip := benchClip(e.cfg.Width, e.cfg.Height, benchClipLen)
	// Warm up past the first keyframe so the figure is the steady state.
	for i := 0; i < 10; i++ {
		if _, err := e.Encode(clip[i%len(clip)], i == 0); err != nil {
			b.Fatal(err)
		}
	}
	var bytesOut int
	b.ReportAllocs()
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		f, err := e.Encode(clip[i%len(clip)], false)
		if err != nil {
			b.Fatal(err)
		}
		bytesOut += len(f.Data)
	}
	m.stop(b, "fps")
	b.ReportMetric(float64(bytesOut)*8*float64(e.cfg.FPS)/float64(b.N)/1000, "kbit/s")
}

// benchTiers are the tiers of DESIGN.md.
var benchTiers = []VideoEncoderConfig{
	{KindVP8, 640, 360, 15, 400},
	{KindVP8, 480, 270, 12, 220},
	{KindVP8, 320, 180, 10, 110},
}

func BenchmarkVP8Encode(b *testing.B) {
	for _, cfg := range benchTiers {
		b.Run(fmt.Sprintf("%dx%d@%dkbit", cfg.Width, cfg.Height, cfg.BitrateKbps), func(b *testing.B) {
			e, err := NewVideoEncoder(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			benchEncode(b, e)
		})
	}
}

// BenchmarkVP8CPUUsed is the measurement behind vp8CPUUsed.
func BenchmarkVP8CPUUsed(b *testing.B) {
	cfg := benchTiers[0]
	for _, cpu := range []int{6, 8, 10, 12, 14, 16} {
		b.Run(fmt.Sprintf("cpu-used=%d", cpu), func(b *testing.B) {
			e, err := newVideoEncoder(cfg, "libvpx", vp8Options(cfg, cpu))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			benchEncode(b, e)
		})
	}
}

func BenchmarkH264Encode(b *testing.B) {
	for _, cfg := range benchTiers {
		cfg.Kind = KindH264
		b.Run(fmt.Sprintf("%dx%d@%dkbit", cfg.Width, cfg.Height, cfg.BitrateKbps), func(b *testing.B) {
			e, err := NewVideoEncoder(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			benchEncode(b, e)
		})
	}
}

func benchDecode(b *testing.B, k Kind) {
	cfg := VideoEncoderConfig{k, 640, 360, 15, 400}
	e, err := NewVideoEncoder(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	for i, pic := range benchClip(cfg.Width, cfg.Height, benchClipLen) {
		f, err := e.Encode(pic, i == 0)
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, bytes.Clone(f.Data))
	}
	e.Close()
	d, err := NewVideoDecoder(k)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	// Decode the clip once so the decoder's picture exists: the loop is the steady state.
	for _, f := range frames {
		if _, err := d.Decode(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		// The clip starts with a keyframe, so looping it is a valid stream.
		pic, err := d.Decode(frames[i%len(frames)])
		if err != nil || pic == nil {
			b.Fatalf("frame %d: %v %v", i, pic, err)
		}
	}
	m.stop(b, "fps")
}

func BenchmarkVP8Decode640x360(b *testing.B)  { benchDecode(b, KindVP8) }
func BenchmarkH264Decode640x360(b *testing.B) { benchDecode(b, KindH264) }

func BenchmarkOpusEncode(b *testing.B) {
	e, err := NewOpusEncoder(0)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	pcm := tone(440, 8000, 0, 50*FrameSamples)
	out := make([]byte, 1500)
	b.ReportAllocs()
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		off := (i % 50) * FrameSamples
		if _, err := e.Encode(pcm[off:off+FrameSamples], out); err != nil {
			b.Fatal(err)
		}
	}
	m.stop(b, "frames/s")
}

func BenchmarkOpusDecode(b *testing.B) {
	e, err := NewOpusEncoder(0)
	if err != nil {
		b.Fatal(err)
	}
	var packets [][]byte
	out := make([]byte, 1500)
	for i := 0; i < 50; i++ {
		n, err := e.Encode(tone(440, 8000, i*FrameSamples, FrameSamples), out)
		if err != nil {
			b.Fatal(err)
		}
		packets = append(packets, bytes.Clone(out[:n]))
	}
	e.Close()
	d, err := NewOpusDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	pcm := make([]int16, MaxFrameSamples)
	b.ReportAllocs()
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(packets[i%len(packets)], pcm); err != nil {
			b.Fatal(err)
		}
	}
	m.stop(b, "frames/s")
}

func benchScale(b *testing.B, s *Scaler, dst, src *image.YCbCr) {
	if err := s.Scale(dst, src); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		if err := s.Scale(dst, src); err != nil {
			b.Fatal(err)
		}
	}
	m.stop(b, "fps")
}

func BenchmarkScale640x360To320x180(b *testing.B) {
	src := benchClip(640, 360, 1)[0]
	b.Run("picture", func(b *testing.B) {
		s := NewScaler()
		defer s.Close()
		benchScale(b, s, NewPicture(320, 180), src)
	})
	b.Run("canvas-cell", func(b *testing.B) {
		// A 2x2 grid cell of a 640x360 canvas: scaled via scratch and copied in.
		s := NewScaler()
		defer s.Close()
		cell := NewPicture(640, 360).SubImage(image.Rect(320, 0, 640, 180)).(*image.YCbCr)
		benchScale(b, s, cell, src)
	})
}

// BenchmarkScaleFlags is the speed half of the filter choice (TestScaleQuality the quality half).
func BenchmarkScaleFlags(b *testing.B) {
	for _, sz := range [][4]int{{640, 360, 320, 180}, {640, 360, 426, 240}, {640, 360, 214, 120}, {320, 180, 640, 360}} {
		src := benchClip(sz[0], sz[1], 1)[0]
		for _, f := range scaleFlagChoices {
			b.Run(fmt.Sprintf("%dx%d-%dx%d/%s", sz[0], sz[1], sz[2], sz[3], f.name), func(b *testing.B) {
				s := newScalerWithFlags(f.flags)
				defer s.Close()
				benchScale(b, s, NewPicture(sz[2], sz[3]), src)
			})
		}
	}
}
