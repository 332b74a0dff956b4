package testpeer

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
	mdcodec "github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// BadMode makes the camera send media the server must reject without
// disturbing anyone else.
type BadMode int32

const (
	BadNone      BadMode = iota // a good VP8 stream
	BadGarbage                  // random bytes as RTP payloads
	BadTruncated                // VP8 keyframes cut to a quarter of their size
	BadH264                     // H.264 (Annex B, packetization-mode 1) under the VP8 payload type
)

// String names the mode for test names and logs.
func (b BadMode) String() string {
	switch b {
	case BadNone:
		return "good"
	case BadGarbage:
		return "garbage"
	case BadTruncated:
		return "truncated-vp8"
	case BadH264:
		return "h264-as-vp8"
	}
	return fmt.Sprintf("bad(%d)", int(b))
}

// camera is a synthetic camera: a solid colour encoded by libvpx (through
// pion/mediadevices) and sent as RTP on a VP8 track.
type camera struct {
	opts  Options
	track *webrtc.TrackLocalStaticRTP
	pic   *image.YCbCr
	enc   mdcodec.ReadCloser

	seq    rtp.Sequencer // shared so switching modes keeps sequence numbers continuous
	vp8    rtp.Packetizer
	raw    rtp.Packetizer
	h264p  rtp.Packetizer
	h264   *codec.VideoEncoder // created on first use of BadH264
	rng    *rand.Rand
	bad    atomic.Int32
	key    atomic.Bool // the server asked for a keyframe
	paused atomic.Bool // sends nothing (demoted)
	frames atomic.Uint64
	sent   int // frames sent in H.264 mode (the camera's goroutine)
}

func newCamera(o Options) (*camera, error) {
	return newVideoSource(o, "camera", "testpeer")
}

// newVideoSource is a camera, or (with another id and stream) a shared screen.
func newVideoSource(o Options, id, stream string) (*camera, error) {
	capability := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	if o.H264Only {
		capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp}
	}
	track, err := webrtc.NewTrackLocalStaticRTP(capability, id, stream)
	if err != nil {
		return nil, fmt.Errorf("new %s track: %w", id, err)
	}
	pic := solid(o.Width, o.Height, o.Colour)
	enc, err := NewVP8Encoder(pic, o.FPS, func(params *vpx.VP8Params) {
		params.BitRate = 300_000
		params.LagInFrames = 0
		params.KeyFrameInterval = 10 * o.FPS
	})
	if err != nil {
		return nil, err
	}
	seq := rtp.NewRandomSequencer()
	ssrc := rand.Uint32()
	c := &camera{
		opts:  o,
		track: track,
		pic:   pic,
		enc:   enc,
		seq:   seq,
		vp8:   rtp.NewPacketizer(1200, 96, ssrc, &codecs.VP8Payloader{}, seq, 90000),
		raw:   rtp.NewPacketizer(1200, 96, ssrc, rawPayloader{}, seq, 90000),
		h264p: rtp.NewPacketizer(1200, 96, ssrc, &codecs.H264Payloader{}, seq, 90000),
		rng:   rand.New(rand.NewPCG(uint64(ssrc), 1)),
	}
	c.bad.Store(int32(o.Bad))
	return c, nil
}

// solid returns a picture of one colour.
func solid(w, h int, c color.RGBA) *image.YCbCr {
	pic := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
	fill(pic.Y, y)
	fill(pic.Cb, cb)
	fill(pic.Cr, cr)
	return pic
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// run sends one frame per tick until ctx ends.
func (c *camera) run(ctx context.Context) {
	t := time.NewTicker(time.Second / time.Duration(c.opts.FPS))
	defer t.Stop()
	samples := uint32(90000 / c.opts.FPS)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c.paused.Load() {
			continue
		}
		pkts, err := c.frame(samples)
		if err != nil {
			continue
		}
		for _, p := range pkts {
			if err := c.track.WriteRTP(p); err != nil {
				break
			}
		}
		c.frames.Add(1)
	}
}

// frame produces the packets of the next frame in the current mode.
func (c *camera) frame(samples uint32) ([]*rtp.Packet, error) {
	if c.opts.Noise {
		c.paintNoise()
	}
	switch BadMode(c.bad.Load()) {
	case BadGarbage:
		b := make([]byte, 200+c.rng.IntN(1800))
		for i := range b {
			b[i] = byte(c.rng.Uint32())
		}
		return c.raw.Packetize(b, samples), nil
	case BadTruncated:
		c.forceKey()
		f, err := c.encodeVP8()
		if err != nil {
			return nil, err
		}
		return c.vp8.Packetize(f[:max(1, len(f)/4)], samples), nil
	case BadH264:
		return c.encodeH264(samples, true)
	}
	if c.opts.H264Only {
		return c.encodeH264(samples, c.key.Swap(false) || c.sent == 0)
	}
	if c.key.Swap(false) {
		c.forceKey()
	}
	f, err := c.encodeVP8()
	if err != nil {
		return nil, err
	}
	return c.vp8.Packetize(f, samples), nil
}

// encodeH264 encodes the picture with FFmpeg's libx264 (the codec package).
func (c *camera) encodeH264(samples uint32, key bool) ([]*rtp.Packet, error) {
	if c.h264 == nil {
		e, err := codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: codec.KindH264, Width: c.opts.Width, Height: c.opts.Height, FPS: c.opts.FPS, BitrateKbps: 300})
		if err != nil {
			return nil, err
		}
		c.h264 = e
	}
	f, err := c.h264.Encode(c.pic, key)
	if err != nil || len(f.Data) == 0 {
		return nil, fmt.Errorf("encode h264: %w", err)
	}
	c.sent++
	return c.h264p.Packetize(f.Data, samples), nil
}

// paintNoise fills the picture's luma with fresh low-amplitude noise (±16,
// like a dim camera's sensor noise: encoders can still reach their rate)
// outside its central half, which keeps the solid colour (so the colour
// checks of tests still see it in the middle of a cell).
func (c *camera) paintNoise() {
	w, h := c.pic.Rect.Dx(), c.pic.Rect.Dy()
	y0, _, _ := color.RGBToYCbCr(c.opts.Colour.R, c.opts.Colour.G, c.opts.Colour.B)
	for y := range h {
		row := c.pic.Y[y*c.pic.YStride : y*c.pic.YStride+w]
		inner := y >= h/4 && y < 3*h/4
		for x := range row {
			if inner && x >= w/4 && x < 3*w/4 {
				row[x] = y0
				continue
			}
			row[x] = 112 + byte(c.rng.Uint32()&31)
		}
	}
}

func (c *camera) forceKey() { ForceKeyframe(c.enc) }

// NewVP8Encoder is libvpx (through pion/mediadevices) encoding pic, which
// the caller redraws before each Read, at fps; configure sets the rate
// control.
func NewVP8Encoder(pic *image.YCbCr, fps int, configure func(*vpx.VP8Params)) (mdcodec.ReadCloser, error) {
	params, err := vpx.NewVP8Params()
	if err != nil {
		return nil, fmt.Errorf("vp8 params: %w", err)
	}
	configure(&params)
	reader := video.ReaderFunc(func() (image.Image, func(), error) { return pic, func() {}, nil })
	enc, err := params.BuildVideoEncoder(reader, prop.Media{Video: prop.Video{Width: pic.Rect.Dx(), Height: pic.Rect.Dy(), FrameRate: float32(fps)}})
	if err != nil {
		return nil, fmt.Errorf("new vp8 encoder: %w", err)
	}
	return enc, nil
}

// ForceKeyframe makes enc's next frame a keyframe, if it can.
func ForceKeyframe(enc mdcodec.ReadCloser) {
	if kf, ok := enc.Controller().(mdcodec.KeyFrameController); ok {
		_ = kf.ForceKeyFrame()
	}
}

func (c *camera) encodeVP8() ([]byte, error) {
	f, release, err := c.enc.Read()
	if err != nil {
		return nil, err
	}
	release()
	if len(f) == 0 {
		return nil, fmt.Errorf("vp8 encoder gave no frame")
	}
	return f, nil
}

// requestKeyframe makes the next frame a keyframe.
func (c *camera) requestKeyframe() { c.key.Store(true) }

// readKeyframeRequests calls keyframe for every PLI or FIR the server sends
// about the track s sends, until s closes.
func readKeyframeRequests(s *webrtc.RTPSender, keyframe func()) {
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				keyframe()
			}
		}
	}
}

func (c *camera) close() {
	_ = c.enc.Close()
	if c.h264 != nil {
		c.h264.Close()
	}
}

// rawPayloader sends bytes as they are, cut at the MTU: no payload descriptor.
type rawPayloader struct{}

func (rawPayloader) Payload(mtu uint16, payload []byte) [][]byte {
	var out [][]byte
	for len(payload) > 0 {
		n := min(int(mtu), len(payload))
		out = append(out, payload[:n])
		payload = payload[n:]
	}
	return out
}

// SetBadMedia switches the camera to a bad-input mode (or back with BadNone).
func (p *Peer) SetBadMedia(m BadMode) {
	if c := p.camera(); c != nil {
		c.bad.Store(int32(m))
	}
}

// FramesSent is how many camera frames were sent.
func (p *Peer) FramesSent() uint64 {
	if c := p.camera(); c != nil {
		return c.frames.Load()
	}
	return 0
}

// camera is the peer's camera, nil for a peer that does not publish (yet).
func (p *Peer) camera() *camera {
	p.goMu.Lock()
	defer p.goMu.Unlock()
	return p.cam
}
