package codec

// #include "nbav.h"
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// AudioEncoder encodes 20 ms frames of 48 kHz mono int16 to Opus with libopus, set up for
// speech over lossy links: application voip, in-band FEC for an expected 10 % loss;
// libopus's DTX off (the mixer does DTX itself). Used by one goroutine at a time.
type AudioEncoder struct {
	cc    *astiav.CodecContext
	ctx   *C.AVCodecContext
	frame *astiav.Frame
	pkt   cPacket
	pts   int64
}

// DefaultOpusBitrateKbps is enough for clear speech with FEC at 48 kHz.
const DefaultOpusBitrateKbps = 24

// NewOpusEncoder opens a libopus encoder at bitrateKbps (0 means DefaultOpusBitrateKbps).
func NewOpusEncoder(bitrateKbps int) (*AudioEncoder, error) {
	if errAstiavLayout != nil {
		return nil, errAstiavLayout
	}
	if bitrateKbps == 0 {
		bitrateKbps = DefaultOpusBitrateKbps
	}
	if bitrateKbps < 6 || bitrateKbps > 510 {
		return nil, fmt.Errorf("new opus encoder: bitrate %d kbit/s not in 6..510", bitrateKbps)
	}
	c := astiav.FindEncoderByName("libopus")
	if c == nil {
		return nil, errors.New("new opus encoder: ffmpeg has no \"libopus\" encoder")
	}
	e := &AudioEncoder{}
	if err := e.open(c, bitrateKbps); err != nil {
		e.Close()
		return nil, fmt.Errorf("new opus encoder %d kbit/s: %w", bitrateKbps, err)
	}
	return e, nil
}

func (e *AudioEncoder) open(c *astiav.Codec, bitrateKbps int) error {
	if e.cc = astiav.AllocCodecContext(c); e.cc == nil {
		return errors.New("alloc codec context failed")
	}
	e.ctx = codecContextPtr(e.cc)
	e.cc.SetSampleRate(SampleRate)
	e.cc.SetSampleFormat(astiav.SampleFormatS16)
	e.cc.SetChannelLayout(astiav.ChannelLayoutMono)
	e.cc.SetTimeBase(astiav.NewRational(1, SampleRate))
	opts := []option{
		{"b", strconv.Itoa(bitrateKbps * 1000)},
		{"application", "voip"},
		{"frame_duration", "20"},
		{"fec", "1"},
		{"packet_loss", "10"},
		// libopus's DTX stays off: FFmpeg 5.1's wrapper has no "dtx" option (openCodec
		// rejects it as unconsumed). The mixer does DTX from the PCM (mixer/audio.go).
	}
	if err := openCodec(e.cc, c, opts); err != nil {
		return err
	}
	if fs := e.cc.FrameSize(); fs != FrameSamples {
		return fmt.Errorf("libopus frame size %d, want %d", fs, FrameSamples)
	}
	if e.frame = astiav.AllocFrame(); e.frame == nil {
		return errors.New("alloc frame failed")
	}
	e.frame.SetSampleFormat(astiav.SampleFormatS16)
	e.frame.SetChannelLayout(astiav.ChannelLayoutMono)
	e.frame.SetSampleRate(SampleRate)
	e.frame.SetNbSamples(FrameSamples)
	if err := e.frame.AllocBuffer(0); err != nil {
		return fmt.Errorf("alloc audio frame: %w", err)
	}
	var err error
	e.pkt, err = newCPacket()
	return err
}

// Encode encodes exactly 960 samples into out and returns the packet length. out should
// hold at least 1275 bytes (the largest Opus frame); a shorter out fails when the packet
// does not fit.
func (e *AudioEncoder) Encode(pcm []int16, out []byte) (n int, err error) {
	if e.cc == nil {
		return 0, errors.New("encode opus: encoder is closed")
	}
	if len(pcm) != FrameSamples {
		return 0, fmt.Errorf("encode opus: %d samples, want %d", len(pcm), FrameSamples)
	}
	r := C.nb_encode_audio(e.ctx, framePtr(e.frame), e.pkt.p, (*C.int16_t)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		C.int64_t(e.pts), bytePtr(out), C.int(len(out)))
	e.pts += FrameSamples
	if r.ret < 0 {
		return 0, fmt.Errorf("encode opus frame at %d: %w", e.pts-FrameSamples, avError(r.ret))
	}
	if r.ret == 0 {
		return 0, nil
	}
	if r.copied == 0 {
		C.av_packet_unref(e.pkt.p)
		return 0, fmt.Errorf("encode opus: packet of %d bytes does not fit out (%d bytes)", int(r.size), len(out))
	}
	return int(r.size), nil
}

// Close frees the encoder's C objects. It is idempotent.
func (e *AudioEncoder) Close() {
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
}
