package codec

// #include "nbav.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"strconv"

	"github.com/asticode/go-astiav"
)

// VideoEncoderConfig fixes everything about an encoder: a tier is one encoder at one
// bitrate, because FFmpeg ignores bitrate changes on an open encoder.
type VideoEncoderConfig struct {
	Kind          Kind // KindVP8 or KindH264
	Width, Height int  // even
	FPS           int  // the mixer's output rate for this tier
	BitrateKbps   int  // target (CBR-like) bitrate
}

// EncodedFrame is one encoded picture. Data is owned by the encoder and valid until the
// next Encode or Close; Data is empty when the encoder produced no output for this picture.
type EncodedFrame struct {
	Data     []byte
	Keyframe bool
}

// VideoEncoder encodes the mixer's canvases of one (view, tier) for realtime: no
// lookahead, no B-frames, one thread, keyframes only on demand. Used by one goroutine at
// a time.
type VideoEncoder struct {
	cfg   VideoEncoderConfig
	cc    *astiav.CodecContext
	ctx   *C.AVCodecContext
	frame *astiav.Frame // the input frame, reused
	pkt   cPacket
	out   []byte // encoded output, reused and grown as needed
	pts   int64
}

// keyframeIntervalSeconds is how far apart the encoder places keyframes on its own.
// Receivers ask for keyframes (PLI/FIR) when they need one, so periodic ones mostly waste
// bits; a long interval still heals a receiver whose request was lost.
const keyframeIntervalSeconds = 10

// vp8CPUUsed trades quality for speed in libvpx realtime mode. Measured at the three tiers
// on camera-like content (TestVP8CPUUsedQuality, BenchmarkVP8CPUUsed; shared 2-core EPYC,
// CPU-time rates): 6 to 12 give the same PSNR within 0.1 dB and, at 640x360, 220-265 frames
// per CPU-second with 12 at the fast end; 14 costs another 0.1 dB for little speed; 16 runs
// about 3x faster (~780) at -0.2 to -0.4 dB. Every setting holds the target bitrate with the
// CBR settings below. 12 is the safe choice; 16 is worth trying with real camera content
// when encoder capacity runs short.
const vp8CPUUsed = 12

// NewVideoEncoder opens a VP8 (libvpx) or H.264 (libx264) encoder for cfg.
func NewVideoEncoder(cfg VideoEncoderConfig) (*VideoEncoder, error) {
	if errAstiavLayout != nil {
		return nil, errAstiavLayout
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new video encoder: %w", err)
	}
	var name string
	var opts []option
	switch cfg.Kind {
	case KindVP8:
		name, opts = "libvpx", vp8Options(cfg, vp8CPUUsed)
	case KindH264:
		name, opts = "libx264", h264Options(cfg)
	default:
		return nil, fmt.Errorf("new video encoder: %s is not a video codec", cfg.Kind)
	}
	e, err := newVideoEncoder(cfg, name, opts)
	if err != nil {
		return nil, fmt.Errorf("new %s encoder %dx%d@%d %d kbit/s: %w", cfg.Kind, cfg.Width, cfg.Height, cfg.FPS, cfg.BitrateKbps, err)
	}
	return e, nil
}

func (cfg VideoEncoderConfig) validate() error {
	switch {
	case cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width%2 != 0 || cfg.Height%2 != 0:
		return fmt.Errorf("size %dx%d must be positive and even", cfg.Width, cfg.Height)
	case cfg.Width > 4096 || cfg.Height > 4096:
		return fmt.Errorf("size %dx%d is larger than 4096", cfg.Width, cfg.Height)
	case cfg.FPS <= 0 || cfg.FPS > 120:
		return fmt.Errorf("fps %d not in 1..120", cfg.FPS)
	case cfg.BitrateKbps <= 0 || cfg.BitrateKbps > 50000:
		return fmt.Errorf("bitrate %d kbit/s not in 1..50000", cfg.BitrateKbps)
	}
	return nil
}

// rateOptions asks for a constant bitrate with a one-second buffer, which is what
// WebRTC's own encoders do: bursts are bounded, so the pacer and the link keep up.
func rateOptions(cfg VideoEncoderConfig) []option {
	bps := strconv.Itoa(cfg.BitrateKbps * 1000)
	return []option{
		{"b", bps},
		{"minrate", bps},
		{"maxrate", bps},
		{"bufsize", bps},
		{"g", strconv.Itoa(cfg.FPS * keyframeIntervalSeconds)},
		{"threads", "1"},
	}
}

// vp8Options configures libvpx the way libwebrtc does for realtime VP8.
func vp8Options(cfg VideoEncoderConfig, cpuUsed int) []option {
	return append(rateOptions(cfg),
		option{"deadline", "realtime"},
		option{"cpu-used", strconv.Itoa(cpuUsed)},
		option{"lag-in-frames", "0"},
		option{"auto-alt-ref", "0"},
		option{"error-resilient", "default"},
		// Quantizer range as libwebrtc: a coarse maximum keeps low tiers on budget.
		option{"qmin", "2"},
		option{"qmax", "56"},
		// Cap a keyframe at 3x an average frame, so one on demand does not burst the link.
		option{"max-intra-rate", "300"},
		option{"undershoot-pct", "100"},
		option{"overshoot-pct", "15"},
	)
}

// h264Options configures libx264 for WebRTC: constrained baseline (what every browser
// decodes in hardware and software), no B-frames, no lookahead, Annex-B output with
// SPS/PPS before every keyframe so a receiver can join at any keyframe.
func h264Options(cfg VideoEncoderConfig) []option {
	return append(rateOptions(cfg),
		option{"preset", "ultrafast"},
		option{"tune", "zerolatency"},
		option{"profile", "baseline"},
		option{"forced-idr", "1"},
		option{"x264-params", "repeat-headers=1:annexb=1:bframes=0"},
	)
}

func newVideoEncoder(cfg VideoEncoderConfig, name string, opts []option) (*VideoEncoder, error) {
	c := astiav.FindEncoderByName(name)
	if c == nil {
		return nil, fmt.Errorf("ffmpeg has no %q encoder", name)
	}
	e := &VideoEncoder{cfg: cfg}
	if err := e.open(c, opts); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *VideoEncoder) open(c *astiav.Codec, opts []option) error {
	if e.cc = astiav.AllocCodecContext(c); e.cc == nil {
		return errors.New("alloc codec context failed")
	}
	e.ctx = codecContextPtr(e.cc)
	e.cc.SetWidth(e.cfg.Width)
	e.cc.SetHeight(e.cfg.Height)
	e.cc.SetPixelFormat(astiav.PixelFormatYuv420P)
	e.cc.SetTimeBase(astiav.NewRational(1, e.cfg.FPS))
	e.cc.SetFramerate(astiav.NewRational(e.cfg.FPS, 1))
	if err := openCodec(e.cc, c, opts); err != nil {
		return err
	}
	if e.frame = astiav.AllocFrame(); e.frame == nil {
		return errors.New("alloc frame failed")
	}
	e.frame.SetWidth(e.cfg.Width)
	e.frame.SetHeight(e.cfg.Height)
	e.frame.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := e.frame.AllocBuffer(0); err != nil {
		return fmt.Errorf("alloc %dx%d frame buffer: %w", e.cfg.Width, e.cfg.Height, err)
	}
	var err error
	if e.pkt, err = newCPacket(); err != nil {
		return err
	}
	// Room for a large keyframe up front; grown if one is ever larger.
	e.out = make([]byte, e.cfg.Width*e.cfg.Height/2+4096)
	return nil
}

// Encode encodes pic, which must have the encoder's size (a sub-image of a larger canvas
// is fine). forceKeyframe makes this picture a keyframe (VP8 key frame, H.264 IDR with
// SPS/PPS). The returned Data is reused by the next Encode.
func (e *VideoEncoder) Encode(pic *image.YCbCr, forceKeyframe bool) (EncodedFrame, error) {
	if e.cc == nil {
		return EncodedFrame{}, fmt.Errorf("encode %s: encoder is closed", e.cfg.Kind)
	}
	if err := checkPicture(pic, e.cfg.Width, e.cfg.Height); err != nil {
		return EncodedFrame{}, fmt.Errorf("encode %s: %w", e.cfg.Kind, err)
	}
	y, u, v := picturePtrs(pic)
	key := C.int(0)
	if forceKeyframe {
		key = 1
	}
	r := C.nb_encode_video(e.ctx, framePtr(e.frame), e.pkt.p, y, C.int(pic.YStride), u, v, C.int(pic.CStride),
		C.int64_t(e.pts), key, bytePtr(e.out), C.int(len(e.out)))
	e.pts++
	if r.ret < 0 {
		return EncodedFrame{}, fmt.Errorf("encode %s frame %d: %w", e.cfg.Kind, e.pts-1, avError(r.ret))
	}
	if r.ret == 0 {
		return EncodedFrame{}, nil
	}
	n := int(r.size)
	if r.copied == 0 {
		e.out = make([]byte, n+n/2)
		if ret := C.nb_packet_take(e.pkt.p, bytePtr(e.out), C.int(len(e.out))); ret < 0 {
			return EncodedFrame{}, fmt.Errorf("encode %s: copy packet of %d bytes: %w", e.cfg.Kind, n, avError(ret))
		}
	}
	return EncodedFrame{Data: e.out[:n:n], Keyframe: r.key != 0}, nil
}

// Close frees the encoder's C objects. It is idempotent.
func (e *VideoEncoder) Close() {
	e.pkt.free()
	if e.frame != nil {
		e.frame.Free()
		e.frame = nil
	}
	if e.cc != nil {
		e.cc.Free()
		e.cc = nil
		e.ctx = nil
	}
	e.out = nil
}
