package testpeer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	mdcodec "github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

const (
	sampleRate  = 48000
	frameLen    = 960 // 20 ms
	frameLength = 20 * time.Millisecond
)

// microphone is a synthetic microphone: a continuous sine tone encoded with
// libopus (through pion/mediadevices), 20 ms per packet.
type microphone struct {
	track  *webrtc.TrackLocalStaticRTP
	enc    mdcodec.ReadCloser
	pk     rtp.Packetizer
	paused atomic.Bool // sends nothing (demoted)
}

func newMicrophone(o Options) (*microphone, error) {
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "microphone", "testpeer")
	if err != nil {
		return nil, fmt.Errorf("new microphone track: %w", err)
	}
	enc, err := NewToneEncoder(o.ToneHz, o.ToneAmplitude)
	if err != nil {
		return nil, err
	}
	return &microphone{
		track: track,
		enc:   enc,
		pk:    rtp.NewPacketizer(1200, 111, rand.Uint32(), &codecs.OpusPayloader{}, rtp.NewRandomSequencer(), 48000),
	}, nil
}

// run sends one Opus packet every 20 ms until ctx ends.
func (m *microphone) run(ctx context.Context) {
	t := time.NewTicker(frameLength)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m.paused.Load() {
			continue
		}
		b, release, err := m.enc.Read()
		if err != nil {
			continue
		}
		for _, p := range m.pk.Packetize(b, frameLen) {
			if err := m.track.WriteRTP(p); err != nil {
				break
			}
		}
		release()
	}
}

func (m *microphone) close() { _ = m.enc.Close() }

// NewToneEncoder is libopus (through pion/mediadevices) at 32 kbit/s fed a
// continuous sine of hz at amplitude (relative to full scale), 48 kHz mono:
// each Read returns the next 20 ms packet.
func NewToneEncoder(hz, amplitude float64) (mdcodec.ReadCloser, error) {
	chunk := wave.NewInt16Interleaved(wave.ChunkInfo{Len: frameLen, Channels: 1, SamplingRate: sampleRate})
	phase, step := 0.0, 2*math.Pi*hz/sampleRate
	reader := audio.ReaderFunc(func() (wave.Audio, func(), error) {
		for i := range chunk.Data {
			chunk.Data[i] = int16(amplitude * math.MaxInt16 * math.Sin(phase))
			phase += step
		}
		phase = math.Mod(phase, 2*math.Pi)
		return chunk, func() {}, nil
	})
	params, err := opus.NewParams()
	if err != nil {
		return nil, fmt.Errorf("opus params: %w", err)
	}
	params.BitRate = 32000
	enc, err := params.BuildAudioEncoder(reader, prop.Media{Audio: prop.Audio{SampleRate: sampleRate, ChannelCount: 1}})
	if err != nil {
		return nil, fmt.Errorf("new opus encoder: %w", err)
	}
	return enc, nil
}
