package bench

import (
	"errors"
	"image"
	"testing"

	"github.com/nahbar/nahbar/codec"
)

func TestStampRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Stamp
		w, h int
	}{
		{"zero", Stamp{}, SourceWidth, SourceHeight},
		{"all ones", Stamp{Source: 255, Frame: 65535, SentMs: StampTimeModulo - 1}, SourceWidth, SourceHeight},
		{"typical", Stamp{Source: 7, Frame: 1234, SentMs: 9_876_543}, SourceWidth, SourceHeight},
		{"ninth of a grid", Stamp{Source: 3, Frame: 42, SentMs: 1_000_001}, 212, 118},
		{"odd size", Stamp{Source: 200, Frame: 9, SentMs: 77}, 101, 57},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pic := codec.NewPicture(tc.w&^1+tc.w%2*2, tc.h&^1+tc.h%2*2)
			pic.Rect = image.Rect(0, 0, tc.w, tc.h)
			NewSource(tc.s.Source).Render(pic, tc.s.Frame, tc.s.SentMs)
			got, err := ReadStamp(pic, pic.Rect)
			if err != nil {
				t.Fatalf("ReadStamp: %v", err)
			}
			if got != tc.s {
				t.Fatalf("read %+v, drew %+v", got, tc.s)
			}
		})
	}
}

func TestStampRefusesWhatIsNotOne(t *testing.T) {
	drawn := func() *image.YCbCr {
		pic := codec.NewPicture(SourceWidth, SourceHeight)
		NewSource(1).Render(pic, 10, 20)
		return pic
	}
	for _, tc := range []struct {
		name   string
		damage func(pic *image.YCbCr)
		want   error
	}{
		{"plain colour", func(pic *image.YCbCr) { fillYCbCr(pic, pic.Rect, 120, 90, 160) }, ErrNoStamp},
		{"black", func(pic *image.YCbCr) { fillYCbCr(pic, pic.Rect, 16, 128, 128) }, ErrNoStamp},
		{"sync inverted", func(pic *image.YCbCr) {
			for col := range stampSyncBits {
				y := byte(stampWhiteY)
				if stampSync[0][col] {
					y = stampBlackY
				}
				fillYCbCr(pic, stampBlock(pic.Rect, 0, col), y, 128, 128)
			}
		}, ErrNoStamp},
		{"one data block flipped", func(pic *image.YCbCr) {
			b := stampBlock(pic.Rect, 1, 20)
			y := byte(stampWhiteY)
			if meanLuma(pic, b) > 128 {
				y = stampBlackY
			}
			fillYCbCr(pic, b, y, 128, 128)
		}, ErrStampChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pic := drawn()
			tc.damage(pic)
			s, err := ReadStamp(pic, pic.Rect)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ReadStamp = %+v, %v; want %v", s, err, tc.want)
			}
		})
	}
	t.Run("region too small", func(t *testing.T) {
		pic := drawn()
		if _, err := ReadStamp(pic, image.Rect(0, 0, 10, 4)); !errors.Is(err, ErrNoStamp) {
			t.Fatalf("err = %v, want ErrNoStamp", err)
		}
	})
}

// TestStampSurvivesGridAndVP8 composes nine (or fewer) sources into a grid as
// the server does, encodes the canvas with VP8 at a tier's bitrate, decodes it
// and reads every cell: the stamps must come back, and a stamp that is read
// must be the one drawn.
func TestStampSurvivesGridAndVP8(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sources int
		kbps    int
	}{
		{"1:1 at 400 kbit/s", 1, 400},
		{"2x2 at 400 kbit/s", 4, 400},
		{"3x3 at 400 kbit/s", 9, 400},
		{"3x3 at 110 kbit/s", 9, 110},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const w, h, frames, settle = 640, 360, 45, 5
			enc, err := codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: codec.KindVP8, Width: w, Height: h, FPS: 15, BitrateKbps: tc.kbps})
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			dec, err := codec.NewVideoDecoder(codec.KindVP8)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			exp := NewExpected()
			defer exp.Close()
			canvas := codec.NewPicture(w, h)
			cells := gridCells(tc.sources, w, h)
			places := make([]Placement, len(cells))
			read, missed := 0, 0
			var psnrSum float64
			for n := range frames {
				for i, c := range cells {
					places[i] = Placement{Stamp: Stamp{Source: uint8(i), Frame: uint16(n), SentMs: uint32(1000 + 67*n)},
						Picture: FitPicture(CellPixels(c, w, h), SourceWidth, SourceHeight)}
				}
				if err := exp.Build(canvas, places); err != nil {
					t.Fatal(err)
				}
				f, err := enc.Encode(canvas, n == 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := dec.Decode(f.Data)
				if err != nil || got == nil {
					t.Fatalf("frame %d: decode: %v (picture %v)", n, err, got != nil)
				}
				for _, p := range places {
					s, err := ReadStamp(got, p.Picture)
					switch {
					case err == nil && s != p.Stamp:
						t.Fatalf("frame %d: read %+v, drew %+v", n, s, p.Stamp)
					case err == nil:
						read++
					case n >= settle:
						missed++
						t.Logf("frame %d source %d: %v", n, p.Stamp.Source, err)
					}
				}
				if n >= settle {
					p, err := PSNR(got, canvas)
					if err != nil {
						t.Fatal(err)
					}
					psnrSum += p
				}
			}
			t.Logf("%d stamps read, %d missed after the first %d frames; mean PSNR %.1f dB", read, missed, settle, psnrSum/float64(frames-settle))
			if total := (frames - settle) * tc.sources; missed*20 > total {
				t.Fatalf("missed %d of %d stamps (more than 5 %%)", missed, total)
			}
		})
	}
}
