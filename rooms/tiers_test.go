package rooms_test

import (
	"context"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// pictureSize is the size of p's latest decoded picture (0x0 before one).
func pictureSize(p *testpeer.Peer) (int, int) {
	pic := p.Picture()
	if pic == nil {
		return 0, 0
	}
	return pic.Rect.Dx(), pic.Rect.Dy()
}

// TestSharedEncodersAndSaveData: two receive-only attendees of the same view
// and tier share one encoder; quality{save_data} moves one of them to the low
// tier (a second encoder for the view, a 320x180 picture that still shows
// the presenter); when the other follows, the high encoder nobody receives
// any more is stopped.
func TestSharedEncodersAndSaveData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "tiers", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	x := s.dial(t, ctx, "tiers", "x", rooms.RoleAttendee, testpeer.Options{})
	y := s.dial(t, ctx, "tiers", "y", rooms.RoleAttendee, testpeer.Options{})
	for _, p := range []*testpeer.Peer{x, y} {
		waitFor(t, ctx, p, "the presenter at 640x360", func() bool {
			ok, _ := pictureShows(p, map[string]color.RGBA{a.ID(): red}, nil)
			w, h := pictureSize(p)
			return ok && w == 640 && h == 360
		})
	}
	// a's own view (all-but:a) and the attendees' shared one (all, high).
	if st := s.mgr.Stats(); st.VideoEncoders != 2 {
		t.Fatalf("stats %+v: want 2 video encoders, the attendees sharing one", st)
	}

	if err := x.SetQuality(rooms.QualitySaveData, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, x, "x at 320x180 showing the presenter, with its layout", func() bool {
		ok, _ := pictureShows(x, map[string]color.RGBA{a.ID(): red}, nil)
		w, h := pictureSize(x)
		u, _ := x.Usage()
		l, _ := x.Layout()
		return ok && w == 320 && h == 180 && u.Tier == "low" && l.Width == 320 && l.Height == 180
	})
	waitFor(t, ctx, x, "a third encoder (all at low) while y stays high", func() bool { return s.mgr.Stats().VideoEncoders == 3 })
	if w, h := pictureSize(y); w != 640 || h != 360 {
		t.Errorf("y receives %dx%d, want 640x360", w, h)
	}

	if err := y.SetQuality(rooms.QualitySaveData, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, y, "y at 320x180", func() bool { w, h := pictureSize(y); return w == 320 && h == 180 })
	waitFor(t, ctx, y, "the unused high encoder stopped", func() bool { return s.mgr.Stats().VideoEncoders == 2 })

	// Back to high: at once, as far as the link allows (loopback: all the way).
	if err := x.SetQuality(rooms.QualityHigh, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, x, "x back at 640x360", func() bool {
		ok, _ := pictureShows(x, map[string]color.RGBA{a.ID(): red}, nil)
		w, h := pictureSize(x)
		return ok && w == 640 && h == 360
	})
	if errs, last := x.VideoErrors(); errs > 0 {
		t.Errorf("x's decoder saw %d errors across three tier switches (last: %v): the stream was not continuous", errs, last)
	}
}

// TestBudgetAudioOnly: a budget too small for any video tier pauses video
// (video_paused{data_saver}) while the audio goes on; lifting it resumes
// video.
func TestBudgetAudioOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "budget", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red, ToneHz: 440, ToneAmplitude: 0.2})
	b := s.dial(t, ctx, "budget", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	waitFor(t, ctx, b, "b to see a", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })

	if err := b.SetQuality(rooms.QualityHigh, 25); err != nil { // 25 MB/h: audio only
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "video_paused{data_saver}", func() bool { r, _ := b.VideoPaused(); return r == rooms.PauseDataSaver })
	frames := b.FramesReceived()
	samples := b.AudioSamples()
	// Audio keeps flowing while video is paused: a second of a's sound arrives (waited for,
	// not timed, so a loaded machine only makes it slower) and no video comes with it.
	waitFor(t, ctx, b, "1 s of audio while video is paused", func() bool { return b.AudioSamples()-samples >= 48000 })
	if got := b.FramesReceived() - frames; got > 1 {
		t.Errorf("%d video frames arrived while video was paused", got)
	}
	if l := toneLevel(b.Audio(24000), 440); l < 0.05 {
		t.Errorf("a's tone at %.3f while b's video is paused", l)
	}
	waitFor(t, ctx, b, "usage of audio only", func() bool { u, _ := b.Usage(); return u.Tier == rooms.AudioOnlyTier })

	if err := b.SetQuality(rooms.QualityHigh, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "video_resumed and a's picture", func() bool {
		r, _ := b.VideoPaused()
		ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue)
		return r == "" && ok && b.FramesReceived() > frames+5
	})
}

// TestUsageMeasured: the usage message reports the tier and a data rate
// measured from what was sent (within the tier's wire cost), and save_data
// brings it down.
func TestUsageMeasured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "usage", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "usage", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	waitFor(t, ctx, b, "b to see a", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })
	waitFor(t, ctx, b, "a usage report with a rate", func() bool { u, ok := b.Usage(); return ok && u.Kbps > 0 })
	u, _ := b.Usage()
	t.Logf("high: %+v", u)
	if u.Tier != "high" || u.Width != 640 || u.Kbps > 600 || u.MBPerHour > 270 {
		t.Errorf("usage %+v: want tier high, 640 wide, at most its wire cost", u)
	}
	if err := b.SetQuality(rooms.QualitySaveData, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "usage at low", func() bool { u, _ := b.Usage(); return u.Tier == "low" })
	start, bytes0 := time.Now(), b.BytesReceived()
	deadline := start.Add(3 * time.Second)
	waitFor(t, ctx, b, "3 s at low", func() bool { return time.Now().After(deadline) })
	kbps := float64(b.BytesReceived()-bytes0) * 8 / 1000 / time.Since(start).Seconds()
	t.Logf("low: %.0f kbit/s of RTP received", kbps)
	if kbps > 160 {
		t.Errorf("%.0f kbit/s received on save_data, above the low tier's cost", kbps)
	}
}

// TestH264Receivers: a receiver whose offer has no VP8 gets H.264 from an
// encoder of its own (view, tier, codec) and decodes it; a camera that sends
// H.264 is decoded into the others' pictures.
func TestH264Receivers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "h264", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "h264", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue, H264Only: true})
	att := s.dial(t, ctx, "h264", "att", rooms.RoleAttendee, testpeer.Options{H264Only: true})
	vp8 := s.dial(t, ctx, "h264", "vp8", rooms.RoleAttendee, testpeer.Options{})

	waitFor(t, ctx, b, "b (H.264 only) to see a", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })
	waitFor(t, ctx, a, "a to see b's H.264 camera", func() bool { ok, _ := pictureShows(a, map[string]color.RGBA{b.ID(): blue}, &red); return ok })
	both := map[string]color.RGBA{a.ID(): red, b.ID(): blue}
	waitFor(t, ctx, att, "the H.264 attendee to see both", func() bool { ok, _ := pictureShows(att, both, nil); return ok })
	waitFor(t, ctx, vp8, "the VP8 attendee to see both", func() bool { ok, _ := pictureShows(vp8, both, nil); return ok })
	for _, c := range []struct {
		p    *testpeer.Peer
		want string
	}{{b, "H264"}, {att, "H264"}, {a, "VP8"}, {vp8, "VP8"}} {
		if got := c.p.VideoCodec(); !strings.EqualFold(got, "video/"+c.want) {
			t.Errorf("receives %s, want %s", got, c.want)
		}
	}
	// all-but:a (H.264 for b), all-but:b (VP8 for a), all in VP8 and in H.264.
	if st := s.mgr.Stats(); st.VideoEncoders != 4 {
		t.Errorf("stats %+v: want 4 video encoders: one per (view, tier, codec) in use", st)
	}
}

// TestPublishHint: a publisher is told the largest size its camera is shown
// at; when its only viewer drops to the low tier, the hint follows.
func TestPublishHint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "hint", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red}) // a 320x240 camera
	waitFor(t, ctx, a, "a hint while nobody watches", func() bool { _, ok := a.PublishHint(); return ok })
	b := s.dial(t, ctx, "hint", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	// b's view of a is a 1:1 at 640x360: a's 4:3 picture fitted is 480x360.
	waitFor(t, ctx, a, "a's hint for b's 640x360 view", func() bool {
		h, _ := a.PublishHint()
		return h.MaxWidth == 480 && h.MaxHeight == 360 && h.MaxFPS == 15
	})
	h, _ := a.PublishHint()
	t.Logf("shown at high: %+v", h)
	if err := b.SetQuality(rooms.QualitySaveData, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, a, "a's hint for b's 320x180 view", func() bool {
		h, _ := a.PublishHint()
		return h.MaxWidth == 240 && h.MaxHeight == 180 && h.MaxFPS == 10
	})
	h, _ = a.PublishHint()
	t.Logf("shown at low: %+v", h)
}
