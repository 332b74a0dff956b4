package rooms

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// recorder is a receiver that keeps copies of the headers it was sent.
type recorder struct {
	mu   sync.Mutex
	hdrs []rtp.Header
	pays [][]byte
}

func (r *recorder) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *h
	c.Extensions = nil
	r.hdrs = append(r.hdrs, c)
	r.pays = append(r.pays, append([]byte(nil), p...))
	return len(p), nil
}
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }

func (r *recorder) headers() []rtp.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rtp.Header(nil), r.hdrs...)
}

// source is a stand-in for a shared output: its own packetizer (random
// sequence numbers and timestamps, like every output's) and a clock.
type source struct {
	id    uint64
	pk    *framing.Packetizer
	batch frameBatch
}

func newSource(id uint64, c framing.Codec, rate uint32) *source {
	return &source{id: id, pk: framing.NewPacketizer(c, 0, 0, rate)}
}

// frame packetizes a frame of n packets' worth of bytes at time at.
func (s *source) frame(n int, key bool, at time.Time) *frameBatch {
	s.batch.reset(key, at)
	data := make([]byte, n*1000)
	data[0] = 0x10 // a VP8 keyframe's first byte is irrelevant to the packetizer
	if err := s.pk.Packetize(data, 6000, s.batch.add); err != nil {
		panic(err)
	}
	return &s.batch
}

func bound(t *testing.T, c webrtc.RTPCodecCapability) (*downTrack, *recorder) {
	t.Helper()
	rec := &recorder{}
	d := newDownTrack(c, "video", "s", errorLog{})
	if _, err := d.Bind(sinkContext{id: "r", w: rec}); err != nil {
		t.Fatal(err)
	}
	return d, rec
}

// started is a bound VP8 downTrack forwarding a source that has sent it one
// keyframe of n packets, at the returned time.
func started(t *testing.T, n int) (*downTrack, *recorder, *source, time.Time) {
	t.Helper()
	d, rec := bound(t, capVP8)
	a := newSource(1, framing.VP8, 90000)
	now := time.Unix(100, 0)
	d.setSource(a.id)
	d.writeFrame(a.id, a.frame(n, true, now))
	return d, rec, a, now
}

// checkContinuous fails unless the headers form one stream: SSRC 42, the
// negotiated payload type, sequence numbers +1 each, timestamps never going
// back or jumping by more than 10 s.
func checkContinuous(t *testing.T, hdrs []rtp.Header, pt uint8) {
	t.Helper()
	for i, h := range hdrs {
		if h.SSRC != 42 || h.PayloadType != pt {
			t.Fatalf("packet %d: ssrc %d pt %d, want 42 and %d", i, h.SSRC, h.PayloadType, pt)
		}
		if i == 0 {
			continue
		}
		p := hdrs[i-1]
		if h.SequenceNumber != p.SequenceNumber+1 {
			t.Fatalf("packet %d: sequence number %d after %d", i, h.SequenceNumber, p.SequenceNumber)
		}
		if d := h.Timestamp - p.Timestamp; d > 10*90000 {
			t.Fatalf("packet %d: timestamp jumps by %d (from %d to %d)", i, int32(d), p.Timestamp, h.Timestamp)
		}
	}
}

func TestDownTrackSwitchIsContinuous(t *testing.T) {
	d, rec := bound(t, capVP8)
	a, b := newSource(1, framing.VP8, 90000), newSource(2, framing.VP8, 90000)
	now := time.Unix(100, 0)
	tick := func() time.Time { now = now.Add(time.Second / 15); return now }

	d.setSource(a.id)
	for i := range 5 {
		d.writeFrame(a.id, a.frame(2, i == 0, tick()))
	}
	d.writeFrame(b.id, b.frame(3, true, now)) // not wanted: dropped
	if n := len(rec.headers()); n != 10 {
		t.Fatalf("%d packets forwarded, want 10 of source a", n)
	}

	d.setSource(b.id)
	at := tick()
	d.writeFrame(b.id, b.frame(1, false, at)) // b's delta frame: the switch waits for a keyframe
	d.writeFrame(a.id, a.frame(2, false, at)) // a goes on meanwhile: no freeze
	at = tick()
	d.writeFrame(b.id, b.frame(3, true, at))  // b's keyframe: switch
	d.writeFrame(a.id, a.frame(2, false, at)) // a is no longer forwarded
	for range 3 {
		d.writeFrame(b.id, b.frame(1, false, tick()))
	}
	hdrs := rec.headers()
	if len(hdrs) != 10+2+3+3 {
		t.Fatalf("%d packets forwarded, want 18", len(hdrs))
	}
	checkContinuous(t, hdrs, ptVP8)
	if got := d.forwarding(); got != b.id {
		t.Fatalf("forwarding %d, want %d", got, b.id)
	}
	// Across the switch the timestamp advanced by one frame interval (6000 ticks).
	if d := hdrs[12].Timestamp - hdrs[11].Timestamp; d != 6000 {
		t.Errorf("timestamp advanced by %d at the switch, want 6000", d)
	}
}

func TestDownTrackPauseAndResume(t *testing.T) {
	d, rec, a, now := started(t, 1)
	d.setSource(0) // audio only
	for range 30 {
		now = now.Add(time.Second / 15)
		d.writeFrame(a.id, a.frame(1, false, now))
	}
	if n := len(rec.headers()); n != 1 {
		t.Fatalf("%d packets while paused, want only the one before", n)
	}
	d.setSource(a.id)
	now = now.Add(time.Second / 15)
	d.writeFrame(a.id, a.frame(1, false, now)) // resumes at a keyframe only
	now = now.Add(time.Second / 15)
	d.writeFrame(a.id, a.frame(2, true, now))
	hdrs := rec.headers()
	if len(hdrs) != 3 {
		t.Fatalf("%d packets, want 1 + the 2 of the keyframe", len(hdrs))
	}
	checkContinuous(t, hdrs, ptVP8)
	if d := hdrs[1].Timestamp - hdrs[0].Timestamp; d != 32*6000 {
		t.Errorf("timestamp advanced by %d over the pause of 32 frames, want %d", d, 32*6000)
	}
}

func TestDownTrackAudioSwitchesAtOnce(t *testing.T) {
	d, rec := bound(t, capOpus)
	a, b := newSource(1, framing.Opus, 48000), newSource(2, framing.Opus, 48000)
	now := time.Unix(100, 0)
	d.setSource(a.id)
	d.writeFrame(a.id, a.frame(1, true, now))
	d.setSource(b.id)
	now = now.Add(20 * time.Millisecond)
	d.writeFrame(b.id, b.frame(1, false, now))
	hdrs := rec.headers()
	if len(hdrs) != 2 {
		t.Fatalf("%d packets, want 2", len(hdrs))
	}
	checkContinuous(t, hdrs, ptOpus)
	if d := hdrs[1].Timestamp - hdrs[0].Timestamp; d != 960 {
		t.Errorf("timestamp advanced by %d, want 960", d)
	}
}

func TestDownTrackUnboundAndWrongCodec(t *testing.T) {
	d := newDownTrack(capH264, "video", "s", errorLog{})
	a := newSource(1, framing.VP8, 90000)
	d.setSource(a.id)
	d.writeFrame(a.id, a.frame(1, true, time.Now())) // unbound: nothing happens
	ctx := sinkContext{id: "r", w: &recorder{}}
	only := onlyOpus{ctx}
	if _, err := d.Bind(only); err == nil {
		t.Fatal("an H.264 track bound to a receiver without H.264")
	}
	if _, err := d.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Unbind(ctx); err != nil || d.binding.Load() != nil {
		t.Fatalf("unbind: %v", err)
	}
}

type onlyOpus struct{ sinkContext }

func (onlyOpus) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: capOpus, PayloadType: ptOpus}}
}

// TestFanoutSpreads: with spreading forced on, every receiver gets every
// packet of every frame, in order (run with -race), and the manager's packet
// count (GET /api/v1/stats) counts each of them once.
func TestFanoutSpreads(t *testing.T) {
	a := newSource(1, framing.VP8, 90000)
	fan := newFanout(a.id)
	defer fan.stop()
	fan.spreadMin = 4
	fan.sent = new(atomic.Uint64)
	var recs []*recorder
	for range 20 {
		d, rec := bound(t, capVP8)
		d.setSource(a.id)
		fan.add(d)
		recs = append(recs, rec)
	}
	now := time.Unix(100, 0)
	for i := range 10 {
		now = now.Add(time.Second / 15)
		fan.deliver(a.frame(3, i == 0, now))
	}
	for i, r := range recs {
		hdrs := r.headers()
		if len(hdrs) != 30 {
			t.Fatalf("receiver %d got %d packets, want 30", i, len(hdrs))
		}
		checkContinuous(t, hdrs, ptVP8)
	}
	if n := fan.sent.Load(); n != 20*30 {
		t.Errorf("packets counted: %d, want %d", n, 20*30)
	}
}

// TestSendPathAllocatesNothing: fanning a frame out to bound downTracks
// allocates nothing per frame (the pion interceptors behind a real binding
// are not part of this).
func TestSendPathAllocatesNothing(t *testing.T) {
	a := newSource(1, framing.VP8, 90000)
	fan := newFanout(a.id)
	defer fan.stop()
	for range 5 {
		d := newDownTrack(capVP8, "video", "s", errorLog{})
		if _, err := d.Bind(sinkContext{id: "r", w: discard{}}); err != nil {
			t.Fatal(err)
		}
		d.setSource(a.id)
		fan.add(d)
	}
	data := make([]byte, 5000)
	now := time.Unix(100, 0)
	send := func() {
		now = now.Add(time.Second / 15)
		a.batch.reset(true, now)
		_ = a.pk.Packetize(data, 6000, a.batch.add)
		fan.deliver(&a.batch)
	}
	for range resendHistory { // each slot of the NACK history gets its buffer once
		send()
	}
	if n := testing.AllocsPerRun(100, send); n != 0 {
		t.Fatalf("%.1f allocations per frame", n)
	}
}

type discard struct{}

func (discard) WriteRTP(_ *rtp.Header, p []byte) (int, error) { return len(p), nil }
func (discard) Write(b []byte) (int, error)                   { return len(b), nil }

// TestDownTrackPadding: while probing, the receiver's audio writes paced
// padding-only packets into its video stream, between frames, in the
// stream's own sequence; the next frame follows them without a gap; nothing
// is allocated; padding stops when the probe does.
func TestDownTrackPadding(t *testing.T) {
	v, rec := bound(t, capVP8)
	au := newDownTrack(capOpus, "audio", "s", errorLog{})
	if _, err := au.Bind(sinkContext{id: "r", w: discard{}}); err != nil {
		t.Fatal(err)
	}
	au.padFor.Store(v)
	vs, as := newSource(1, framing.VP8, 90000), newSource(2, framing.Opus, 48000)
	v.setSource(vs.id)
	au.setSource(as.id)
	now := time.Unix(100, 0)
	v.writeFrame(vs.id, vs.frame(1, true, now))

	const kbps = 160
	v.setPadding(kbps)
	opus := make([]byte, 60)
	audio := func() {
		now = now.Add(20 * time.Millisecond)
		as.batch.reset(true, now)
		_ = as.pk.Packetize(opus, 960, as.batch.add)
		au.writeFrame(as.id, &as.batch)
	}
	for range 50 { // one second
		audio()
	}
	v.writeFrame(vs.id, vs.frame(1, false, now))
	hdrs := rec.headers()
	checkContinuous(t, hdrs, ptVP8)
	pads := 0
	for _, h := range hdrs[1 : len(hdrs)-1] {
		if !h.Padding || h.PaddingSize != paddingSize || h.Timestamp != hdrs[0].Timestamp {
			t.Fatalf("packet between the frames: padding %v size %d ts %d, want padding-only with the first frame's timestamp", h.Padding, h.PaddingSize, h.Timestamp)
		}
		pads++
	}
	// 160 kbit/s for the 49 audio intervals after the first: ~3.8 KB.
	if want := kbps * 1000 / 8 * 49 / 50 / paddingSize; pads < want-1 || pads > want+1 {
		t.Errorf("%d padding packets in a second at %d kbit/s, want about %d", pads, kbps, want)
	}
	if n := testing.AllocsPerRun(50, audio); n != 0 {
		t.Errorf("%.1f allocations per padded audio packet", n)
	}

	v.setPadding(0)
	before := len(rec.headers())
	for range 10 {
		audio()
	}
	if n := len(rec.headers()); n != before {
		t.Errorf("%d packets written after the probe stopped", n-before)
	}
}
