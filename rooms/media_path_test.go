package rooms

import (
	"fmt"
	"image"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/nahbar/nahbar/mixer"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
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

// sinkContext binds a downTrack to one receiver whose writer is w.
type sinkContext struct {
	id string
	w  webrtc.TrackLocalWriter
}

func (sinkContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: capVP8, PayloadType: ptVP8},
		{RTPCodecCapability: capH264, PayloadType: ptH264},
		{RTPCodecCapability: capOpus, PayloadType: ptOpus},
	}
}
func (sinkContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (sinkContext) SSRC() webrtc.SSRC                                      { return 42 }
func (sinkContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (sinkContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c sinkContext) WriteStream() webrtc.TrackLocalWriter                 { return c.w }
func (c sinkContext) ID() string                                           { return c.id }
func (sinkContext) RTCPReader() interceptor.RTCPReader                     { return nil }

// srtpWriter stands for one receiver the way the send path meets it: each
// packet is marshalled, encrypted with that receiver's own SRTP context
// (AES-128-GCM, what pion negotiates with browsers) and sent as a UDP
// datagram to a loopback socket nobody reads. That is pion's per-receiver
// work minus its interceptors, so the benchmark measures the fan-out's real
// cost rather than a no-op.
type srtpWriter struct {
	ctx        *srtp.Context
	conn       *net.UDPConn
	to         netip.AddrPort
	plain, enc []byte
}

func newSRTPWriter(tb testing.TB, conn *net.UDPConn, to netip.AddrPort) *srtpWriter {
	ctx, err := srtp.CreateContext(make([]byte, 16), make([]byte, 12), srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		tb.Fatal(err)
	}
	return &srtpWriter{ctx: ctx, conn: conn, to: to, plain: make([]byte, 1500), enc: make([]byte, 0, 1600)}
}

func (w *srtpWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	n, err := h.MarshalTo(w.plain)
	if err != nil {
		return 0, err
	}
	n += copy(w.plain[n:], payload)
	out, err := w.ctx.EncryptRTP(w.enc[:0], w.plain[:n], h)
	if err != nil {
		return 0, err
	}
	if _, err := w.conn.WriteToUDPAddrPort(out, w.to); err != nil {
		return 0, err
	}
	return len(payload), nil
}

func (w *srtpWriter) Write(b []byte) (int, error) { return len(b), nil }

// udpSink is a loopback socket that receives (and drops) what the benchmark sends.
func udpSink(tb testing.TB) (*net.UDPConn, netip.AddrPort) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = sink.Close() })
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn, sink.LocalAddr().(*net.UDPAddr).AddrPort()
}

// bindReceivers adds n downTracks of src's codec to fan, each bound to its
// own SRTP writer, all forwarding src.
func bindReceivers(tb testing.TB, fan *fanout, c webrtc.RTPCodecCapability, n int) []*downTrack {
	conn, to := udpSink(tb)
	var downs []*downTrack
	for i := range n {
		d := newDownTrack(c, "video", "bench", errorLog{})
		if _, err := d.Bind(sinkContext{id: fmt.Sprint(i), w: newSRTPWriter(tb, conn, to)}); err != nil {
			tb.Fatal(err)
		}
		d.setSource(fan.src)
		fan.add(d)
		downs = append(downs, d)
	}
	return downs
}

// keyframeSized is a VP8 keyframe grown to a 640x360 keyframe's size (the
// packetizer does not parse it): 12.5 KB, 11 packets.
func keyframeSized(b *testing.B) []byte {
	c := vp8Clip(b, 1)
	frame := make([]byte, 0, 64<<10)
	for len(frame) < 12<<10 {
		for _, p := range c.pkts {
			frame = append(frame, p.Payload...)
		}
	}
	return frame
}

// BenchmarkVideoOut is the send path of one shared (view, tier) output, per
// keyframe-sized frame: packetized once, then written to every receiver's
// downTrack (SSRC/seq/ts rewrite, SRTP, UDP). ns/op is how long the last
// receiver waits for the frame; "serial" forces the writes onto the
// encoder's goroutine, "spread" lets the fan-out use worker goroutines.
func BenchmarkVideoOut(b *testing.B) {
	frame := keyframeSized(b)
	for _, n := range []int{10, 300} {
		for _, mode := range []string{"serial", "spread"} {
			b.Run(fmt.Sprintf("receivers=%d/%s", n, mode), func(b *testing.B) {
				o := newVideoOut(outKey{view: mixer.ViewAll, tier: tierOf(levelHigh, codec.KindVP8)}, 1, time.Now, slog.New(slog.DiscardHandler))
				defer o.fan.stop()
				if mode == "serial" {
					o.fan.spreadMin = 1 << 30
				}
				downs := bindReceivers(b, o.fan, capVP8, n)
				f := codec.EncodedFrame{Data: frame, Keyframe: true}
				o.WriteVideo(f, time.Second/15) // warm up: buffers grow once
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					o.WriteVideo(f, time.Second/15)
				}
				b.StopTimer()
				pkts := downs[n-1].packets.Load()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*uint64(len(o.batch.pkts))*uint64(n)), "ns/packet/receiver")
				if pkts == 0 {
					b.Fatal("the last receiver got nothing")
				}
			})
		}
	}
}

// BenchmarkAudioOut is the send path of one audio view: one Opus packet to
// 10 receivers.
func BenchmarkAudioOut(b *testing.B) {
	c := opusClip(b, 1)
	o := newAudioOut(mixer.ViewAll, 1, time.Now, slog.New(slog.DiscardHandler))
	defer o.fan.stop()
	bindReceivers(b, o.fan, capOpus, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.WriteAudio(c.pkts[0].Payload, 20*time.Millisecond)
	}
}
