package rooms

import (
	"image"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/nahbar/nahbar/mixer"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// clip is an encoded stream as RTP packets: frame 0 is a keyframe, so the
// clip can be replayed in a loop with sequence numbers and timestamps shifted.
type clip struct {
	pkts   []rtp.Packet
	frames int
	span   uint16 // sequence numbers per loop
	tsSpan uint32
}

func moving(pic *image.YCbCr, n int) {
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pic.Y[y*pic.YStride+x] = byte(x + y + 3*n)
		}
	}
	for i := range pic.Cb {
		pic.Cb[i], pic.Cr[i] = byte(90+n), byte(160-n)
	}
}

func vp8Clip(tb testing.TB, frames int) clip {
	tb.Helper()
	enc, err := codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: codec.KindVP8, Width: 320, Height: 240, FPS: 15, BitrateKbps: 300})
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	pk := framing.NewPacketizer(framing.VP8, 1234, ptVP8, 90000)
	pic := codec.NewPicture(320, 240)
	var c clip
	for i := range frames {
		moving(pic, i)
		f, err := enc.Encode(pic, i == 0)
		if err != nil {
			tb.Fatal(err)
		}
		if len(f.Data) == 0 {
			continue
		}
		err = pk.Packetize(f.Data, 6000, func(p *rtp.Packet) error {
			q := *p
			q.Payload = append([]byte(nil), p.Payload...)
			c.pkts = append(c.pkts, q)
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		c.frames++
	}
	c.span = uint16(len(c.pkts))
	c.tsSpan = uint32(c.frames) * 6000
	return c
}

func opusClip(tb testing.TB, frames int) clip {
	tb.Helper()
	enc, err := codec.NewOpusEncoder(24)
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	pcm := make([]int16, codec.FrameSamples)
	out := make([]byte, 1500)
	var c clip
	for i := range frames {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*440*float64(i*len(pcm)+j)/48000))
		}
		n, err := enc.Encode(pcm, out)
		if err != nil {
			tb.Fatal(err)
		}
		c.pkts = append(c.pkts, rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: ptOpus, SequenceNumber: uint16(i), Timestamp: uint32(i * 960), SSRC: 99},
			Payload: append([]byte(nil), out[:n]...),
		})
		c.frames++
	}
	c.span = uint16(len(c.pkts))
	c.tsSpan = uint32(frames) * 960
	return c
}

// replay marshals packet i of loop `loop` into buf, shifted so the stream
// continues seamlessly, and returns the bytes.
func (c clip) replay(buf []byte, loop, i int) []byte {
	p := c.pkts[i]
	p.SequenceNumber += uint16(loop) * c.span
	p.Timestamp += uint32(loop) * c.tsSpan
	n, err := p.MarshalTo(buf)
	if err != nil {
		panic(err)
	}
	return buf[:n]
}

func newTestMixer(tb testing.TB) *mixer.Mixer {
	m := mixer.New(mixer.Config{Logger: slog.New(slog.DiscardHandler)})
	tb.Cleanup(m.Close)
	m.AddParticipant("p", "P", true)
	return m
}

func TestVideoInDecodesAndPublishes(t *testing.T) {
	c := vp8Clip(t, 10)
	var published, bad, keyframes int
	var size image.Point
	in, err := newVideoIn(codec.KindVP8, framing.VP8, time.Now, videoSink{
		publish:  func(pic *image.YCbCr) error { published++; size = pic.Rect.Size(); return nil },
		bad:      func(error) { bad++ },
		keyframe: func() { keyframes++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	buf := make([]byte, 1500)
	for loop := range 2 {
		for i := range c.pkts {
			in.handle(c.replay(buf, loop, i))
		}
	}
	if published != 2*c.frames || bad != 0 || keyframes != 0 {
		t.Fatalf("published %d of %d frames, %d bad, %d keyframe requests", published, 2*c.frames, bad, keyframes)
	}
	if size != image.Pt(320, 240) {
		t.Fatalf("picture size %v", size)
	}
}

// badStream repeats payload as a stream of one-packet frames.
func badStream(payload func(i int) []byte) [][]byte {
	var out [][]byte
	for i := range 10 {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: ptVP8, Marker: true, SequenceNumber: uint16(100 + i), Timestamp: uint32(i * 6000), SSRC: 5}, Payload: payload(i)}
		b, _ := p.Marshal()
		out = append(out, b)
	}
	return out
}

func TestVideoInBadInput(t *testing.T) {
	c := vp8Clip(t, 5)
	key := c.pkts[0].Payload
	tests := []struct {
		name    string
		packets [][]byte
	}{
		{"not rtp", [][]byte{{1, 2, 3}}},
		{"garbage payload", badStream(func(i int) []byte { return []byte{0x10, byte(i), 0xde, 0xad, 0xbe, 0xef} })},
		{"truncated keyframe", badStream(func(int) []byte { return key[:min(len(key), 16)] })},
		// A STAP-A with SPS and PPS, as an H.264 sender's keyframe starts.
		{"h264 under vp8", badStream(func(int) []byte {
			return []byte{0x78, 0x00, 0x0b, 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x40, 0x00, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			in, err := newVideoIn(codec.KindVP8, framing.VP8, time.Now, videoSink{
				publish:  func(*image.YCbCr) error { t.Error("bad input published a picture"); return nil },
				bad:      func(err error) { errs = append(errs, err) },
				keyframe: func() {},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer in.close()
			for _, b := range tt.packets {
				in.handle(b)
			}
			if len(errs) == 0 {
				t.Fatalf("no error reported")
			}
			t.Logf("reported: %v", errs[0])
		})
	}
}

func TestAudioInConcealsGaps(t *testing.T) {
	c := opusClip(t, 10)
	var samples, bad int
	in, err := newAudioIn(audioSink{push: func(p []int16) { samples += len(p) }, bad: func(error) { bad++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	buf := make([]byte, 1500)
	for i := range c.pkts {
		if i == 3 || i == 4 {
			continue // lost
		}
		in.handle(c.replay(buf, 0, i))
	}
	in.handle(c.replay(buf, 0, 5)) // duplicate: ignored
	if want := 10 * codec.FrameSamples; samples != want || bad != 0 {
		t.Fatalf("got %d samples (%d bad), want %d: two lost frames concealed, the duplicate dropped", samples, bad, want)
	}
}

func FuzzVideoIn(f *testing.F) {
	c := vp8Clip(f, 3)
	for i := range c.pkts {
		b, _ := c.pkts[i].Marshal()
		f.Add(b)
	}
	f.Add([]byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x90, 0x80, 0x80, 0, 0x9d, 0x01, 0x2a})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := newVideoIn(codec.KindVP8, framing.VP8, time.Now, videoSink{
			publish: func(*image.YCbCr) error { return nil }, bad: func(error) {}, keyframe: func() {},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer in.close()
		// The first packet of a keyframe, then the fuzzed packet as its continuation.
		first, _ := c.pkts[0].Marshal()
		in.handle(first)
		in.handle(b)
	})
}

func FuzzAudioIn(f *testing.F) {
	c := opusClip(f, 2)
	for i := range c.pkts {
		b, _ := c.pkts[i].Marshal()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := newAudioIn(audioSink{push: func([]int16) {}, bad: func(error) {}})
		if err != nil {
			t.Fatal(err)
		}
		defer in.close()
		first, _ := c.pkts[0].Marshal()
		in.handle(first)
		in.handle(b)
	})
}

// BenchmarkVideoIn is the receive path of a camera (RTP parse, assembly,
// VP8 decode 320x240, copy into the mixer), per packet.
func BenchmarkVideoIn(b *testing.B) {
	c := vp8Clip(b, 30)
	m := newTestMixer(b)
	in, err := newVideoIn(codec.KindVP8, framing.VP8, time.Now, videoSink{
		publish:  func(pic *image.YCbCr) error { return m.PublishVideo("p", pic) },
		bad:      func(err error) { b.Fatal(err) },
		keyframe: func() {},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer in.close()
	buf := make([]byte, 1500)
	for i := range c.pkts { // warm up: buffers grow to size once
		in.handle(c.replay(buf, 0, i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(c.pkts)
		in.handle(c.replay(buf, 1+i/len(c.pkts), k))
	}
	b.ReportMetric(float64(c.frames)/float64(len(c.pkts)), "frames/packet")
}

// BenchmarkAudioIn is the receive path of a microphone (RTP parse, Opus
// decode, push into the mixer's jitter ring), per 20 ms packet.
func BenchmarkAudioIn(b *testing.B) {
	c := opusClip(b, 50)
	m := newTestMixer(b)
	in, err := newAudioIn(audioSink{
		push: func(p []int16) { _ = m.PushAudio("p", p) },
		bad:  func(err error) { b.Fatal(err) },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer in.close()
	buf := make([]byte, 1500)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.handle(c.replay(buf, i/len(c.pkts), i%len(c.pkts)))
	}
}

// discardContext binds a TrackLocalStaticRTP to n receivers that drop what
// they are sent, to measure the fan-out without SRTP and sockets.
type discardContext struct{ id string }

func (discardContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: capVP8, PayloadType: ptVP8},
		{RTPCodecCapability: capOpus, PayloadType: ptOpus},
	}
}
func (discardContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (discardContext) SSRC() webrtc.SSRC                                      { return 42 }
func (discardContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (discardContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (discardContext) WriteStream() webrtc.TrackLocalWriter                   { return discardWriter{} }
func (c discardContext) ID() string                                           { return c.id }
func (discardContext) RTCPReader() interceptor.RTCPReader                     { return nil }

type discardWriter struct{}

func (discardWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) { return len(p), nil }
func (discardWriter) Write(b []byte) (int, error)                   { return len(b), nil }

func bindDiscard(tb testing.TB, track *webrtc.TrackLocalStaticRTP, n int) {
	for i := range n {
		if _, err := track.Bind(discardContext{id: string(rune('a' + i))}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkVideoOut is the send path of one shared (view, tier) output: one
// encoded frame packetized onto a track bound to 10 receivers, per frame.
func BenchmarkVideoOut(b *testing.B) {
	c := vp8Clip(b, 1) // a 320x240 keyframe of a detailed picture
	frame := make([]byte, 0, 64<<10)
	for len(frame) < 12<<10 { // grown to a 640x360 keyframe's size (the packetizer does not parse it)
		for _, p := range c.pkts {
			frame = append(frame, p.Payload...)
		}
	}
	o, err := newVideoOut(outKey{view: mixer.ViewAll, tier: mixer.DefaultTier}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	bindDiscard(b, o.track, 10)
	f := codec.EncodedFrame{Data: frame}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.WriteVideo(f, time.Second/15)
	}
	b.ReportMetric(float64(len(frame)), "bytes/frame")
}

// BenchmarkAudioOut is the send path of one audio view: one Opus packet onto
// a track bound to 10 receivers.
func BenchmarkAudioOut(b *testing.B) {
	c := opusClip(b, 1)
	o, err := newAudioOut(mixer.ViewAll, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	bindDiscard(b, o.track, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.WriteAudio(c.pkts[0].Payload, 20*time.Millisecond)
	}
}
