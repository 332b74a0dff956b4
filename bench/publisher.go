package bench

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/nahbar/nahbar/internal/testpeer"
	mdcodec "github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Publisher is a synthetic camera and microphone. A live one draws and stamps
// every frame when it sends it and encodes it with pion/mediadevices' VP8
// encoder (libvpx), so its stamps carry true send times; a replaying one sends
// a pre-encoded Clip. Both send the AudioLoop. The frame loop owns the
// encoder and the picture; other goroutines only set the keyframe flag and
// read the counters.
type Publisher struct {
	src   Source
	clock Clock
	live  bool
	enc   mdcodec.ReadCloser // live only
	clip  *Clip              // replay only
	audio *AudioLoop

	video, sound *webrtc.TrackLocalStaticRTP
	vpk, apk     *framing.Packetizer
	pic          *image.YCbCr
	emitVideo    func(*rtp.Packet) error // bound once, so sending allocates no closure
	emitAudio    func(*rtp.Packet) error

	encMu    sync.Mutex
	encTimes Histogram // live only: ms per mediadevices encode, part of every latency

	encMs [256]atomic.Uint32 // live only: encode time of frame n in slot n%256

	key        atomic.Bool
	frames     atomic.Uint64
	videoBytes atomic.Uint64
	audioBytes atomic.Uint64
}

// NewLivePublisher returns a live publisher of src whose encoder aims at kbps.
func NewLivePublisher(src Source, kbps int, a *AudioLoop, clock Clock) (*Publisher, error) {
	p, err := newPublisher(src, a, clock)
	if err != nil {
		return nil, err
	}
	p.live = true
	p.pic = codec.NewPicture(SourceWidth, SourceHeight)
	// What libwebrtc asks of libvpx for a camera: constant bitrate, no
	// lookahead, keyframes only when asked for (a long interval as a backstop).
	// mediadevices v0.9.4 hands libvpx microsecond timestamps in a millisecond
	// time base, so libvpx sees a frame rate under 0.1 fps, falls back to 30 fps
	// and spends half the bits asked for: ask for twice the rate (measured:
	// 500 kbit/s asked gave ~220 kbit/s of video).
	enc, err := testpeer.NewVP8Encoder(p.pic, SourceFPS, func(params *vpx.VP8Params) {
		params.BitRate = 2 * kbps * 1000
		params.RateControlEndUsage = vpx.RateControlCBR
		params.LagInFrames = 0
		params.RateControlMinQuantizer = 2
		params.RateControlMaxQuantizer = 56
		params.RateControlUndershootPercent = 100
		params.RateControlOvershootPercent = 15
		params.KeyFrameInterval = 20 * SourceFPS
	})
	if err != nil {
		return nil, fmt.Errorf("source %d: %w", src.Index, err)
	}
	p.enc = enc
	return p, nil
}

// NewReplayPublisher returns a publisher that loops clip.
func NewReplayPublisher(clip *Clip, a *AudioLoop, clock Clock) (*Publisher, error) {
	p, err := newPublisher(clip.Source, a, clock)
	if err != nil {
		return nil, err
	}
	p.clip = clip
	return p, nil
}

func newPublisher(src Source, a *AudioLoop, clock Clock) (*Publisher, error) {
	stream := fmt.Sprintf("bench-source-%d", src.Index)
	v, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", stream)
	if err != nil {
		return nil, fmt.Errorf("camera track of source %d: %w", src.Index, err)
	}
	s, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "microphone", stream)
	if err != nil {
		return nil, fmt.Errorf("microphone track of source %d: %w", src.Index, err)
	}
	p := &Publisher{
		src: src, clock: clock, audio: a, video: v, sound: s,
		vpk: framing.NewPacketizer(framing.VP8, rand.Uint32(), 96, 90000),
		apk: framing.NewPacketizer(framing.Opus, rand.Uint32(), 111, 48000),
	}
	p.emitVideo = func(pkt *rtp.Packet) error {
		p.videoBytes.Add(uint64(pkt.MarshalSize()))
		return p.video.WriteRTP(pkt)
	}
	p.emitAudio = func(pkt *rtp.Packet) error {
		p.audioBytes.Add(uint64(pkt.MarshalSize()))
		return p.sound.WriteRTP(pkt)
	}
	return p, nil
}

// Source is what the publisher draws.
func (p *Publisher) Source() Source { return p.src }

// Live reports whether its stamps carry true send times.
func (p *Publisher) Live() bool { return p.live }

// SentBytes is how many RTP bytes (headers included) it has sent so far.
func (p *Publisher) SentBytes() (video, audio uint64) {
	return p.videoBytes.Load(), p.audioBytes.Load()
}

// FramesSent is how many video frames it has sent.
func (p *Publisher) FramesSent() uint64 { return p.frames.Load() }

// EncodeTimes returns the encode times (ms) since the last call and starts
// counting afresh.
func (p *Publisher) EncodeTimes() Histogram {
	p.encMu.Lock()
	defer p.encMu.Unlock()
	h := p.encTimes
	p.encTimes = Histogram{}
	return h
}

// EncodeMs is how long the camera took to encode frame n (of the last 256),
// so the analyser can tell the camera's share of a latency from the rest.
func (p *Publisher) EncodeMs(n uint16) uint32 { return p.encMs[n%uint16(len(p.encMs))].Load() }

// RequestKeyframe makes the next frame a keyframe (testpeer.Media: the
// server's PLI or FIR).
func (p *Publisher) RequestKeyframe() { p.key.Store(true) }

// Tracks are the camera and microphone tracks (testpeer.Media).
func (p *Publisher) Tracks() (video, audio webrtc.TrackLocal) { return p.video, p.sound }

// RunVideo sends one frame per tick until ctx ends (testpeer.Media).
func (p *Publisher) RunVideo(ctx context.Context) {
	tick, stop := p.clock.Tick(time.Second / SourceFPS)
	defer stop()
	samples := p.vpk.Samples(time.Second / SourceFPS)
	var n uint16
	pos := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		var frame []byte
		if p.live {
			p.src.Render(p.pic, n, uint32(p.clock.Now().UnixMilli()%StampTimeModulo))
			if p.key.Swap(false) {
				testpeer.ForceKeyframe(p.enc)
			}
			t0 := p.clock.Now()
			b, release, err := p.enc.Read()
			if err != nil {
				continue
			}
			release()
			frame = b
			d := p.clock.Now().Sub(t0)
			p.encMs[n%uint16(len(p.encMs))].Store(uint32(d / time.Millisecond))
			p.encMu.Lock()
			p.encTimes.Add(float64(d) / float64(time.Millisecond))
			p.encMu.Unlock()
		} else {
			if p.key.Swap(false) {
				pos = 0
			}
			frame = p.clip.Frames[pos]
			pos = (pos + 1) % len(p.clip.Frames)
		}
		n++
		if len(frame) == 0 {
			continue
		}
		if err := p.vpk.Packetize(frame, samples, p.emitVideo); err != nil {
			continue
		}
		p.frames.Add(1)
	}
}

// RunAudio sends one Opus packet every 20 ms until ctx ends (testpeer.Media).
func (p *Publisher) RunAudio(ctx context.Context) {
	tick, stop := p.clock.Tick(audioInterval)
	defer stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		_ = p.apk.Packetize(p.audio.Packets[i%len(p.audio.Packets)], audioFrame, p.emitAudio)
	}
}

// Close frees the encoder; call it after the loops have ended.
func (p *Publisher) Close() {
	if p.enc != nil {
		_ = p.enc.Close()
	}
}
