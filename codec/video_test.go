package codec

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/asticode/go-astiav"
)

func newEncoderT(t *testing.T, cfg VideoEncoderConfig) *VideoEncoder {
	t.Helper()
	e, err := NewVideoEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func newDecoderT(t *testing.T, k Kind) *VideoDecoder {
	t.Helper()
	d, err := NewVideoDecoder(k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// encodeClip encodes n moving-pattern frames (the first forced to a keyframe) and returns
// copies of the encoded frames.
func encodeClip(t *testing.T, e *VideoEncoder, n int) [][]byte {
	t.Helper()
	pic := NewPicture(e.cfg.Width, e.cfg.Height)
	var out [][]byte
	for i := 0; i < n; i++ {
		fillMoving(pic, i)
		f, err := e.Encode(pic, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Data) == 0 {
			t.Fatalf("frame %d: encoder gave no data", i)
		}
		if i == 0 && !f.Keyframe {
			t.Fatalf("first frame is not a keyframe")
		}
		out = append(out, bytes.Clone(f.Data))
	}
	return out
}

func TestVideoRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		cfg     VideoEncoderConfig
		minPSNR float64
	}{
		{"vp8 640x360", VideoEncoderConfig{KindVP8, 640, 360, 15, 400}, 30},
		{"vp8 320x180", VideoEncoderConfig{KindVP8, 320, 180, 10, 110}, 28},
		{"h264 640x360", VideoEncoderConfig{KindH264, 640, 360, 15, 400}, 30},
		{"h264 320x180", VideoEncoderConfig{KindH264, 320, 180, 10, 110}, 28},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEncoderT(t, tt.cfg)
			d := newDecoderT(t, tt.cfg.Kind)
			want := NewPicture(tt.cfg.Width, tt.cfg.Height)
			const frames = 30
			for i, data := range encodeClip(t, e, frames) {
				got, err := d.Decode(data)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if got == nil {
					t.Fatalf("frame %d: no picture", i)
				}
				if got.Rect.Dx() != tt.cfg.Width || got.Rect.Dy() != tt.cfg.Height {
					t.Fatalf("frame %d: decoded %v", i, got.Rect)
				}
				fillMoving(want, i)
				if p := psnrY(t, want, got); p < tt.minPSNR {
					t.Errorf("frame %d: PSNR %.1f dB < %.1f", i, p, tt.minPSNR)
				}
			}
		})
	}
}

func TestVideoSolidColour(t *testing.T) {
	for _, k := range []Kind{KindVP8, KindH264} {
		t.Run(k.String(), func(t *testing.T) {
			e := newEncoderT(t, VideoEncoderConfig{k, 320, 180, 10, 110})
			d := newDecoderT(t, k)
			pic := NewPicture(320, 180)
			fillSolid(pic, 81, 90, 240) // red in BT.601 limited range
			f, err := e.Encode(pic, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Decode(f.Data)
			if err != nil || got == nil {
				t.Fatalf("decode: %v, %v", got, err)
			}
			y, cb, cr := meanPlanes(got)
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"Y", y, 81}, {"Cb", cb, 90}, {"Cr", cr, 240}} {
				if math.Abs(c.got-c.want) > 2 {
					t.Errorf("mean %s = %.1f, want %.0f ± 2", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestVideoKeyframeOnDemand(t *testing.T) {
	for _, k := range []Kind{KindVP8, KindH264} {
		t.Run(k.String(), func(t *testing.T) {
			e := newEncoderT(t, VideoEncoderConfig{k, 320, 180, 15, 200})
			pic := NewPicture(320, 180)
			for i := 0; i < 20; i++ {
				fillMoving(pic, i)
				force := i == 0 || i == 13
				f, err := e.Encode(pic, force)
				if err != nil {
					t.Fatal(err)
				}
				if f.Keyframe != force {
					t.Errorf("frame %d: keyframe %v, want %v", i, f.Keyframe, force)
				}
				if k == KindH264 && force && !hasH264NAL(f.Data, 7) {
					t.Errorf("frame %d: keyframe without SPS", i)
				}
				if k == KindVP8 && len(f.Data) > 0 && (f.Data[0]&1 == 0) != force {
					t.Errorf("frame %d: VP8 header says keyframe=%v", i, f.Data[0]&1 == 0)
				}
			}
		})
	}
}

// hasH264NAL reports whether an Annex-B stream contains a NAL unit of type typ.
func hasH264NAL(b []byte, typ byte) bool {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 && b[i+3]&0x1f == typ {
			return true
		}
	}
	return false
}

func TestH264AnnexBBaseline(t *testing.T) {
	e := newEncoderT(t, VideoEncoderConfig{KindH264, 320, 180, 15, 200})
	pic := NewPicture(320, 180)
	fillMoving(pic, 0)
	f, err := e.Encode(pic, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(f.Data, []byte{0, 0, 0, 1}) && !bytes.HasPrefix(f.Data, []byte{0, 0, 1}) {
		t.Fatalf("output is not Annex-B: % x", f.Data[:8])
	}
	i := bytes.Index(f.Data, []byte{0, 0, 1, 0x67})
	if i < 0 {
		t.Fatal("no SPS in keyframe")
	}
	// profile_idc 66 (baseline) with constraint_set1 (constrained baseline).
	if f.Data[i+4] != 66 || f.Data[i+5]&0x40 == 0 {
		t.Errorf("SPS profile %d constraints %#x, want 66 with constraint_set1", f.Data[i+4], f.Data[i+5])
	}
}

func TestDecoderRecoversFromCorruptInput(t *testing.T) {
	for _, k := range []Kind{KindVP8, KindH264} {
		t.Run(k.String(), func(t *testing.T) {
			e := newEncoderT(t, VideoEncoderConfig{k, 320, 180, 15, 300})
			d := newDecoderT(t, k)
			clip := encodeClip(t, e, 3)
			key := clip[0]

			bad := [][]byte{
				bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 50), // garbage
				key[:len(key)/3], // truncated keyframe
			}
			for i, b := range bad {
				pic, err := d.Decode(b)
				if err == nil || pic != nil {
					t.Errorf("bad input %d: got picture %v, error %v; want an error", i, pic != nil, err)
					continue
				}
				if !errors.As(err, new(astiav.Error)) && !errors.Is(err, ErrCorruptFrame) {
					t.Errorf("bad input %d: error %v wraps neither an FFmpeg error nor ErrCorruptFrame", i, err)
				}
				t.Logf("bad input %d: %v", i, err)
			}
			if _, err := d.Decode(bad[0]); err == nil {
				t.Errorf("garbage decoded without error")
			}
			if _, err := d.Decode(nil); err == nil {
				t.Errorf("empty frame decoded without error")
			}
			pic, err := d.Decode(key)
			if err != nil || pic == nil {
				t.Fatalf("good keyframe after corrupt input: %v, %v", pic, err)
			}
			want := NewPicture(320, 180)
			fillMoving(want, 0)
			if p := psnrY(t, want, pic); p < 28 {
				t.Errorf("keyframe after corrupt input: PSNR %.1f dB", p)
			}
		})
	}
}

func TestDecoderResolutionChange(t *testing.T) {
	d := newDecoderT(t, KindVP8)
	for _, size := range [][2]int{{320, 180}, {640, 360}, {320, 180}} {
		e := newEncoderT(t, VideoEncoderConfig{KindVP8, size[0], size[1], 15, 300})
		clip := encodeClip(t, e, 2)
		for _, f := range clip {
			pic, err := d.Decode(f)
			if err != nil || pic == nil {
				t.Fatalf("%v: %v, %v", size, pic, err)
			}
			if pic.Rect.Dx() != size[0] || pic.Rect.Dy() != size[1] {
				t.Fatalf("decoded %v, want %v", pic.Rect, size)
			}
		}
	}
}

func TestVideoEncoderRejectsBadInput(t *testing.T) {
	if _, err := NewVideoEncoder(VideoEncoderConfig{KindOpus, 320, 180, 15, 100}); err == nil {
		t.Error("opus video encoder opened")
	}
	if _, err := NewVideoEncoder(VideoEncoderConfig{KindVP8, 321, 180, 15, 100}); err == nil {
		t.Error("odd width accepted")
	}
	if _, err := NewVideoDecoder(KindOpus); err == nil {
		t.Error("opus video decoder opened")
	}
	e := newEncoderT(t, VideoEncoderConfig{KindVP8, 320, 180, 15, 100})
	if _, err := e.Encode(NewPicture(640, 360), false); err == nil {
		t.Error("wrong size picture encoded")
	}
	if _, err := e.Encode(nil, false); err == nil {
		t.Error("nil picture encoded")
	}
	e.Close()
	e.Close()
	if _, err := e.Encode(NewPicture(320, 180), false); err == nil {
		t.Error("closed encoder encoded")
	}
}

func TestDecoderRejectsHugePictures(t *testing.T) {
	// 4096x2160 is above MaxDecodePixels (3840x2160): a sender cannot make the server
	// decode arbitrarily large pictures.
	for _, k := range []Kind{KindVP8, KindH264} {
		t.Run(k.String(), func(t *testing.T) {
			e := newEncoderT(t, VideoEncoderConfig{k, 4096, 2160, 5, 2000})
			pic := NewPicture(4096, 2160)
			fillSolid(pic, 100, 128, 128)
			f, err := e.Encode(pic, true)
			if err != nil {
				t.Fatal(err)
			}
			d := newDecoderT(t, k)
			if got, err := d.Decode(f.Data); err == nil {
				t.Fatalf("decoded a %v picture", got.Rect)
			} else {
				t.Logf("%v", err)
			}
		})
	}
}

// TestH264ForgedSPSDoesNotDelayOutput: an SPS announcing a reorder depth of 7 (found by
// FuzzH264Decode) must not make the decoder hold back frames for the rest of the call.
func TestH264ForgedSPSDoesNotDelayOutput(t *testing.T) {
	e := newEncoderT(t, VideoEncoderConfig{KindH264, 160, 90, 15, 100})
	d := newDecoderT(t, KindH264)
	forged := []byte("\x00\x00\x01'000\xdaA77\x84000000007$B\x00\x00\x01(\xce2\x00\x00\x01!2\x8400")
	_, _ = d.Decode(forged)
	clip := benchClip(160, 90, 6)
	for i, pic := range clip {
		f, err := e.Encode(pic, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Decode(f.Data)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i >= 1 && got == nil {
			t.Fatalf("frame %d: no picture; decoder is holding frames back", i)
		}
		if got != nil && i >= 1 {
			if p := psnrY(t, pic, got); p < 25 {
				t.Errorf("frame %d: picture is not the current frame (PSNR %.1f dB)", i, p)
			}
		}
	}
}

func TestH264FirstSlice(t *testing.T) {
	tests := []struct {
		name string
		au   []byte
		want int
	}{
		{"sps pps idr", []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 0x88}, 5},
		{"idr alone", []byte{0, 0, 1, 0x65, 0x88}, 5},
		{"p slice", []byte{0, 0, 0, 1, 0x41, 0x9a}, 1},
		{"aud then p", []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 0x9a}, 1},
		{"sps only", []byte{0, 0, 0, 1, 0x67, 1, 2}, h264NoSlice},
		{"start code at end", []byte{0x67, 0, 0, 1}, h264NoNAL},
		{"empty", nil, h264NoNAL},
		{"garbage", []byte{0xde, 0xad, 0xbe, 0xef}, h264NoNAL},
	}
	for _, tt := range tests {
		if got := h264FirstSlice(tt.au); got != tt.want {
			t.Errorf("%s: h264FirstSlice = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestH264ParameterSetsInSeparateFrame: some senders put SPS/PPS in their own access unit
// before the IDR; the flush at the IDR must keep them.
func TestH264ParameterSetsInSeparateFrame(t *testing.T) {
	e := newEncoderT(t, VideoEncoderConfig{KindH264, 320, 180, 15, 300})
	d := newDecoderT(t, KindH264)
	clip := encodeClip(t, e, 2)
	key := clip[0]
	idr := bytes.Index(key, []byte{0, 0, 1, 0x65})
	if idr < 0 {
		t.Fatal("no IDR NAL in keyframe")
	}
	start := idr
	if start > 0 && key[start-1] == 0 {
		start--
	}
	if pic, err := d.Decode(key[:start]); err != nil || pic != nil {
		t.Fatalf("parameter sets alone: %v, %v; want nothing yet", pic, err)
	}
	for i, f := range [][]byte{key[start:], clip[1]} {
		pic, err := d.Decode(f)
		if err != nil || pic == nil {
			t.Fatalf("frame %d after separate SPS/PPS: %v %v", i, pic, err)
		}
	}
}
