package codec

// #include "nbav.h"
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// Audio format used everywhere in nahbar: 48 kHz mono int16, 20 ms frames.
const (
	SampleRate   = 48000
	FrameSamples = 960 // 20 ms at 48 kHz
	// MaxFrameSamples is the longest Opus packet (120 ms): the size Decode's pcm must have.
	MaxFrameSamples = 6 * FrameSamples
)

// AudioDecoder decodes one participant's Opus stream to 48 kHz mono int16. It uses
// FFmpeg's native "opus" decoder (about 3x faster than libopus here). Used by one
// goroutine at a time.
type AudioDecoder struct {
	cc    *astiav.CodecContext
	ctx   *C.AVCodecContext
	frame *astiav.Frame
	pkt   cPacket

	// Concealment state: the last decoded frame and the gain the next concealed copy of it
	// starts at.
	last     []int16
	lastN    int
	fadeGain float32
}

// NewOpusDecoder opens an Opus decoder with mono output. WebRTC signals Opus as 2 channels;
// a stereo packet is mixed down by the decoder, and any multi-channel frame is averaged.
func NewOpusDecoder() (*AudioDecoder, error) {
	if errAstiavLayout != nil {
		return nil, errAstiavLayout
	}
	c := astiav.FindDecoderByName("opus")
	if c == nil {
		return nil, errors.New("new opus decoder: ffmpeg has no \"opus\" decoder")
	}
	d := &AudioDecoder{last: make([]int16, MaxFrameSamples)}
	if err := d.open(c); err != nil {
		d.Close()
		return nil, fmt.Errorf("new opus decoder: %w", err)
	}
	return d, nil
}

func (d *AudioDecoder) open(c *astiav.Codec) error {
	if d.cc = astiav.AllocCodecContext(c); d.cc == nil {
		return errors.New("alloc codec context failed")
	}
	d.ctx = codecContextPtr(d.cc)
	d.cc.SetSampleRate(SampleRate)
	d.cc.SetChannelLayout(astiav.ChannelLayoutMono)
	if err := openCodec(d.cc, c, nil); err != nil {
		return err
	}
	if d.frame = astiav.AllocFrame(); d.frame == nil {
		return errors.New("alloc frame failed")
	}
	var err error
	d.pkt, err = newCPacket()
	return err
}

// Decode decodes one Opus packet into pcm (len(pcm) >= MaxFrameSamples covers any packet)
// and returns the number of samples written (960 for a 20 ms packet). A corrupt packet
// returns an error and the decoder stays usable.
func (d *AudioDecoder) Decode(packet []byte, pcm []int16) (n int, err error) {
	if d.cc == nil {
		return 0, errors.New("decode opus: decoder is closed")
	}
	if len(packet) == 0 {
		return 0, errors.New("decode opus: empty packet")
	}
	if len(pcm) == 0 {
		return 0, errors.New("decode opus: empty pcm buffer")
	}
	r := C.nb_decode_audio(d.ctx, d.pkt.p, framePtr(d.frame), bytePtr(packet), C.int(len(packet)),
		(*C.int16_t)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)))
	if r.ret < 0 {
		return 0, fmt.Errorf("decode opus packet of %d bytes into %d samples: %w", len(packet), len(pcm), avError(r.ret))
	}
	n = int(r.format)
	if n > 0 {
		d.lastN = copy(d.last, pcm[:n])
		d.fadeGain = 1
	}
	return n, nil
}

// concealFade is how much quieter each further concealed frame gets: after about four
// lost 20 ms frames (~80 ms) concealment is silent.
const concealFade = 0.5

// Conceal fills pcm for one lost packet and returns the number of samples (the length of
// the last decoded frame, 960 before any). FFmpeg's decoders cannot conceal through the
// send/receive API (an empty packet means end of stream), so this repeats the last decoded
// frame with a falling gain: the first loss fades from full to half level, each further
// loss halves again, and from about 80 ms on it is silence. The decoder itself is not
// touched; the next real packet decodes normally.
func (d *AudioDecoder) Conceal(pcm []int16) (n int, err error) {
	n = d.lastN
	if n == 0 {
		n = FrameSamples
	}
	if len(pcm) < n {
		return 0, fmt.Errorf("conceal opus: pcm has %d samples, need %d", len(pcm), n)
	}
	g0 := d.fadeGain
	g1 := g0 * concealFade
	if g0 < 1.0/16 {
		g0, g1 = 0, 0
	}
	d.fadeGain = g1
	if g0 == 0 {
		clear(pcm[:n])
		return n, nil
	}
	step := (g1 - g0) / float32(n)
	for i := 0; i < n; i++ {
		pcm[i] = int16(float32(d.last[i]) * (g0 + step*float32(i)))
	}
	return n, nil
}

// Close frees the decoder's C objects. It is idempotent.
func (d *AudioDecoder) Close() {
	d.pkt.free()
	if d.frame != nil {
		d.frame.Free()
		d.frame = nil
	}
	if d.cc != nil {
		d.cc.Free()
		d.cc = nil
		d.ctx = nil
	}
}
