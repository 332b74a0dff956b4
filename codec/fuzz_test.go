package codec

import (
	"bytes"
	"testing"
)

// The decoders parse what remote browsers send, so they are fuzzed: any input must give
// a picture, nothing, or an error, never a crash, and the decoder must stay usable. Each
// input gets a fresh decoder so a failure reproduces from its input file alone.

func fuzzVideoDecoder(f *testing.F, k Kind) {
	e, err := NewVideoEncoder(VideoEncoderConfig{k, 160, 90, 15, 100})
	if err != nil {
		f.Fatal(err)
	}
	clip := benchClip(160, 90, 3)
	var good [][]byte // a keyframe and two inter frames
	for i, pic := range clip {
		fr, err := e.Encode(pic, i == 0)
		if err != nil {
			f.Fatal(err)
		}
		good = append(good, bytes.Clone(fr.Data))
		f.Add(bytes.Clone(fr.Data))
	}
	key := good[0]
	e.Close()
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 1})
	f.Add([]byte{0x9d, 0x01, 0x2a})
	f.Add(key[:len(key)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewVideoDecoder(k)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		pic, err := d.Decode(data)
		if err == nil && pic != nil {
			if pic.Rect.Dx() <= 0 || pic.Rect.Dy() <= 0 || checkPlanes(pic) != nil {
				t.Fatalf("bad picture %v", pic.Rect)
			}
		}
		// The decoder still decodes the real stream afterwards. Garbage may leave H.264
		// with a reorder delay (it then outputs a frame late), so ask for a picture from
		// the keyframe and its inter frames, not from the keyframe alone.
		pictures := 0
		for _, fr := range good {
			if pic, err := d.Decode(fr); err == nil && pic != nil {
				pictures++
			}
		}
		if pictures == 0 {
			t.Fatalf("no picture from a good stream after fuzz input")
		}
	})
}

func FuzzVP8Decode(f *testing.F)  { fuzzVideoDecoder(f, KindVP8) }
func FuzzH264Decode(f *testing.F) { fuzzVideoDecoder(f, KindH264) }

func FuzzOpusDecode(f *testing.F) {
	e, err := NewOpusEncoder(0)
	if err != nil {
		f.Fatal(err)
	}
	out := make([]byte, 1500)
	for i := 0; i < 3; i++ {
		n, err := e.Encode(tone(440, 8000, i*FrameSamples, FrameSamples), out)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Clone(out[:n]))
	}
	e.Close()
	f.Add([]byte{})
	f.Add([]byte{0x03})
	f.Add([]byte{0xfb, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	d, err := NewOpusDecoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(d.Close)
	pcm := make([]int16, MaxFrameSamples)
	f.Fuzz(func(t *testing.T, packet []byte) {
		n, err := d.Decode(packet, pcm)
		if err == nil && (n < 0 || n > len(pcm)) {
			t.Fatalf("decoded %d samples into %d", n, len(pcm))
		}
		if _, err := d.Conceal(pcm); err != nil {
			t.Fatal(err)
		}
	})
}
