package codec

import (
	"strings"
	"testing"

	"github.com/asticode/go-astiav"
)

func TestOpenCodecRejectsUnusedOptions(t *testing.T) {
	cfg := VideoEncoderConfig{KindVP8, 320, 180, 15, 200}
	tests := []struct {
		name    string
		opts    []option
		wantErr string
	}{
		{"all known", vp8Options(cfg, 8), ""},
		{"misspelt key", append(vp8Options(cfg, 8), option{"lag-in-framez", "0"}), "lag-in-framez"},
		{"two unknown keys", []option{{"zzz", "1"}, {"aaa", "2"}}, "aaa, zzz"},
		{"bad value", []option{{"deadline", "whenever"}}, "deadline=whenever"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := astiav.FindEncoderByName("libvpx")
			cc := astiav.AllocCodecContext(c)
			defer cc.Free()
			cc.SetWidth(cfg.Width)
			cc.SetHeight(cfg.Height)
			cc.SetPixelFormat(astiav.PixelFormatYuv420P)
			cc.SetTimeBase(astiav.NewRational(1, cfg.FPS))
			err := openCodec(cc, c, tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestEncoderOptionsAllConsumed(t *testing.T) {
	// NewVideoEncoder fails on any option FFmpeg did not use; open every kind once.
	for _, k := range []Kind{KindVP8, KindH264} {
		e, err := NewVideoEncoder(VideoEncoderConfig{k, 640, 360, 15, 400})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		e.Close()
	}
}

func TestAstiavLayoutGuard(t *testing.T) {
	if errAstiavLayout != nil {
		t.Fatal(errAstiavLayout)
	}
	// The pointer read from astiav.CodecContext is the context go-astiav configures.
	cc := astiav.AllocCodecContext(astiav.FindEncoderByName("libvpx"))
	defer cc.Free()
	cc.SetWidth(1234)
	cc.SetHeight(567)
	cc.SetGopSize(89)
	p := codecContextPtr(cc)
	if int(p.width) != 1234 || int(p.height) != 567 || int(p.gop_size) != 89 {
		t.Fatalf("AVCodecContext via pointer: %dx%d gop %d, want 1234x567 gop 89", p.width, p.height, p.gop_size)
	}
}
