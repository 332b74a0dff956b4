package mixer

import (
	"image"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// TestSlowOutputSkipsOnlyItsEncoder: a receiver whose WriteVideo hangs holds up neither
// the clock nor the other encoders; its own encoder skips ticks.
func TestSlowOutputSkipsOnlyItsEncoder(t *testing.T) {
	m, _, colours := room3(t)
	slow := newVideoSink()
	slow.block = make(chan struct{})
	low := Tier{Name: "low", Width: 320, Height: 180, FPS: 15, BitrateKbps: 150}
	mustSubscribeVideo(t, m, ViewAll, low, slow)
	fast := newDecoded(t)
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, fast.sink)

	for i := 0; i < 5; i++ {
		m.ComposeTick() // returns although the slow encoder is stuck in WriteVideo
		checkView(t, m, ViewAll, fast.next(t), []ParticipantID{"a", "b", "c"}, colours)
	}
	if s := m.Stats(); s.VideoFramesSkipped < 3 {
		t.Fatalf("skipped %d frames of the stuck encoder, want ≥ 3 of 4", s.VideoFramesSkipped)
	}
	close(slow.block)
	if f := slow.next(t); !f.Keyframe {
		t.Fatal("first frame of the slow receiver is no keyframe")
	}
}

func TestSharedEncoderLifecycle(t *testing.T) {
	m, _, _ := room3(t)
	s1, s2, s3 := newVideoSink(), newVideoSink(), newVideoSink()
	u1 := mustSubscribeVideo(t, m, ViewAll, DefaultTier, s1)
	u2 := mustSubscribeVideo(t, m, ViewAll, Tier{Name: "high", Width: 640, Height: 360, FPS: 15, BitrateKbps: 400}, s2)
	if s := m.Stats(); s.VideoEncoders != 1 || s.VideoOutputs != 2 {
		t.Fatalf("two subscribers of one (view, tier): %d encoders, %d outputs", s.VideoEncoders, s.VideoOutputs)
	}
	u3 := mustSubscribeVideo(t, m, ViewAll, Tier{Name: "low", Width: 320, Height: 180, FPS: 10, BitrateKbps: 150}, s3)
	if s := m.Stats(); s.VideoEncoders != 2 {
		t.Fatalf("another tier: %d encoders, want 2", s.VideoEncoders)
	}
	encs := *m.videoList.Load()
	m.ComposeTick()
	f1, f2 := s1.next(t), s2.next(t)
	if string(f1.Data) != string(f2.Data) {
		t.Fatal("subscribers of one encoder got different frames")
	}
	s3.next(t)
	u1()
	u1() // idempotent
	if s := m.Stats(); s.VideoEncoders != 2 || s.VideoOutputs != 2 {
		t.Fatalf("after one unsubscribe: %+v", s)
	}
	u2()
	u3()
	if s := m.Stats(); s.VideoEncoders != 0 || s.VideoOutputs != 0 {
		t.Fatalf("after the last unsubscribe: %d encoders, %d outputs", s.VideoEncoders, s.VideoOutputs)
	}
	for _, e := range encs { // their goroutines end and free the codec
		select {
		case <-e.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("encoder %v still running after its last unsubscribe", e.key)
		}
	}
	m.ComposeTick() // nothing subscribed: nothing to do, nothing written
	select {
	case <-s1.frames:
		t.Fatal("an unsubscribed output still gets frames")
	default:
	}
}

func TestLowerTierFrameRate(t *testing.T) {
	m, _, _ := room3(t)
	s := newVideoSink()
	mustSubscribeVideo(t, m, ViewAll, Tier{Name: "low", Width: 320, Height: 180, FPS: 10, BitrateKbps: 150}, s)
	var got []time.Duration
	for i := 0; i < 15; i++ { // one second of the 15 fps clock
		m.ComposeTick()
		if i%3 != 1 { // due, skip, due, due, skip, due, …: 10 of 15, spread evenly
			s.next(t)
			got = append(got, 0)
		}
	}
	if n := m.Stats().VideoFramesEncoded; n != 10 || len(got) != 10 {
		t.Fatalf("%d frames in one second at 10 fps", n)
	}
	select {
	case <-s.frames:
		t.Fatal("more frames than due")
	default:
	}
}

func TestKeyframesAreCoalesced(t *testing.T) {
	m, clock, _ := room3(t)
	s := newVideoSink()
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, s)
	next := func() bool { m.ComposeTick(); return s.next(t).Keyframe }

	if !next() {
		t.Fatal("the first frame is no keyframe")
	}
	clock.Advance(2 * time.Second)
	for i := 0; i < 2; i++ {
		if next() {
			t.Fatal("keyframe without a request")
		}
	}
	for i := 0; i < 50; i++ { // fifty receivers send a PLI
		m.RequestKeyframe(ViewAll, DefaultTier)
	}
	if !next() {
		t.Fatal("no keyframe after requests")
	}
	if next() {
		t.Fatal("fifty requests gave more than one keyframe")
	}
	m.RequestKeyframe(ViewAll, DefaultTier)
	clock.Advance(500 * time.Millisecond)
	if next() {
		t.Fatal("second keyframe within the interval")
	}
	clock.Advance(600 * time.Millisecond)
	if !next() {
		t.Fatal("the deferred request was not served after the interval")
	}
	// A new subscriber of the running encoder makes it send a keyframe.
	clock.Advance(2 * time.Second)
	s2 := newVideoSink()
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, s2)
	m.ComposeTick()
	if f1, f2 := s.next(t), s2.next(t); !f1.Keyframe || !f2.Keyframe {
		t.Fatal("a joining subscriber got no keyframe")
	}
	if got := m.Stats().KeyframesForced; got != 3 {
		t.Fatalf("%d forced keyframes, want 3", got)
	}
}

func TestSubscribeErrors(t *testing.T) {
	m := newTestMixer(t, newFakeClock())
	sink := newVideoSink()
	for _, tc := range []struct {
		view ViewID
		tier Tier
	}{
		{"everyone", DefaultTier},
		{"all-but:", DefaultTier},
		{ViewAll, Tier{Name: "odd", Width: 641, Height: 360, BitrateKbps: 300}},
		{ViewAll, Tier{Name: "no rate", Width: 640, Height: 360}},
		{ViewAll, Tier{Name: "opus video", Width: 640, Height: 360, BitrateKbps: 300, Codec: 3}},
	} {
		if _, err := m.SubscribeVideo(tc.view, tc.tier, sink); err == nil {
			t.Errorf("SubscribeVideo(%q, %+v) succeeded", tc.view, tc.tier)
		}
	}
	if _, err := m.SubscribeAudio("all-but", nil); err == nil {
		t.Error("SubscribeAudio with a bad view succeeded")
	}
	if err := m.PublishVideo("nobody", solid(16, 16, red)); err == nil {
		t.Error("unknown participant published")
	}
	m.AddParticipant("a", "A", true)
	if err := m.PublishVideo("a", &image.YCbCr{SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 64, 64)}); err == nil {
		t.Error("a picture without planes was taken")
	}
	m.Close()
	if _, err := m.SubscribeVideo(ViewAll, DefaultTier, sink); err == nil {
		t.Error("subscribed to a closed mixer")
	}
	m.ComposeTick() // no-ops after Close
	m.AudioTick()
}

func TestH264TierHasItsOwnEncoder(t *testing.T) {
	m, _, colours := room3(t)
	vp8 := newDecoded(t)
	mustSubscribeVideo(t, m, ViewAll, DefaultTier, vp8.sink)
	h264Tier := DefaultTier
	h264Tier.Codec = codec.KindH264
	dec, err := codec.NewVideoDecoder(codec.KindH264)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	h264 := &decoded{sink: newVideoSink(), dec: dec}
	mustSubscribeVideo(t, m, ViewAll, h264Tier, h264.sink)
	if n := m.Stats().VideoEncoders; n != 2 {
		t.Fatalf("%d encoders for VP8 and H.264 of one view", n)
	}
	m.ComposeTick()
	vp8.next(t)
	checkView(t, m, ViewAll, h264.next(t), []ParticipantID{"a", "b", "c"}, colours)
}

func TestEachSourceScaledOncePerCellSize(t *testing.T) {
	m, _, _ := room3(t)
	for _, id := range []ParticipantID{"a", "b", "c"} {
		if err := m.PublishVideo(id, solid(640, 360, green)); err != nil { // needs scaling to 320x180
			t.Fatal(err)
		}
	}
	var sinks []*videoSink
	for _, v := range []ViewID{ViewAll, ViewExcluding("a"), ViewExcluding("b")} {
		s := newVideoSink()
		sinks = append(sinks, s)
		mustSubscribeVideo(t, m, v, DefaultTier, s)
	}
	tick := func() {
		m.ComposeTick()
		for _, s := range sinks {
			s.next(t)
		}
	}
	tick()
	// "all" is a 2x2 grid (cells 320x180), the others 2 side by side (320x360 cells, 320x180
	// pictures): one size, so each source is scaled once for all three canvases.
	if got := m.Stats().Scales; got != 3 {
		t.Fatalf("%d scales for 3 sources in 3 views, want 3", got)
	}
	tick()
	if got := m.Stats().Scales; got != 3 {
		t.Fatalf("%d scales after a tick without new pictures, want still 3", got)
	}
	if err := m.PublishVideo("b", solid(640, 360, red)); err != nil {
		t.Fatal(err)
	}
	tick()
	if got := m.Stats().Scales; got != 4 {
		t.Fatalf("%d scales after b's new picture, want 4", got)
	}
}
