package rooms_test

import (
	"context"
	"image/color"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// TestWeakLinkAdapts puts a receiver's real pion stack behind a shaped
// downlink (rate, 400 ms drop-tail queue) and lets the server's congestion
// control and tier policy react to its feedback: at 150 kbit/s it gets the
// low tier and keeps a picture and its audio; at 50 kbit/s it gets audio only
// and is told so; when the link recovers, video comes back. The publisher
// films noise, so the encoders use their whole rate, as with a real camera.
// About a minute of real time, so not under -short or -race (timing there is
// the race detector's, not the link's); the browser version with tc and a
// network namespace comes with the page.
func TestWeakLinkAdapts(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("a minute of real time on a shaped link")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "weak", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red, Noise: true, ToneHz: 440, ToneAmplitude: 0.2})
	b := s.dial(t, ctx, "weak", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue, Shaped: true, Silent: true})
	// Unlimited: high, normally (a busy host's delay spikes can cost a tier).
	waitFor(t, ctx, b, "b to see a, with a usage report", func() bool {
		ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue)
		u, _ := b.Usage()
		return ok && u.Kbps > 100
	})
	u, _ := b.Usage()
	t.Logf("unlimited: %+v", u)

	// 150 kbit/s: the low tier within 10 s, then a picture at >= 8 fps and
	// continuous audio. (With 5 % random loss on top, this pion client gets
	// 5–9 fps and 81–94 % of the audio: lost packets whose retransmission is
	// lost too end in keyframe requests, and the keyframes of this noisy
	// picture overflow the link's queue. The browser test with tc is the
	// judge of that case.)
	b.SetDownlink(150, 0)
	dropped := time.Now()
	waitFor(t, ctx, b, "the low tier", func() bool {
		w, h := pictureSize(b)
		u, _ := b.Usage()
		return u.Tier == "low" && w == 320 && h == 180
	})
	t.Logf("150 kbit/s: low tier after %v (goal: within 10 s)", time.Since(dropped).Round(100*time.Millisecond))
	settle := time.Now()
	waitFor(t, ctx, b, "3 s for the queue of the high tier to drain", func() bool { return time.Since(settle) > 3*time.Second })
	frames, samples := b.FramesReceived(), b.AudioSamples()
	start := time.Now()
	waitFor(t, ctx, b, "5 s at 150 kbit/s", func() bool { return time.Since(start) > 5*time.Second })
	fps := float64(b.FramesReceived()-frames) / time.Since(start).Seconds()
	audio := float64(b.AudioSamples()-samples) / 48000 / time.Since(start).Seconds()
	tone := toneLevel(b.Audio(48000), 440)
	t.Logf("150 kbit/s: %.1f fps, %.0f %% of the audio, tone %.3f, %d datagrams dropped by the link", fps, 100*audio, tone, b.DownlinkDropped())
	if ok, why := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); !ok {
		t.Errorf("picture at 150 kbit/s: %s", why)
	}
	// The figures are logged, not asserted to the goal (>= 8 fps, all of the
	// audio): they are real time on two cores shared with other work, and this
	// client has neither Opus FEC nor concealment. Measured on a quiet machine:
	// 9.5–10.2 fps and 88–102 % of the audio; under a load average of 11,
	// 6.6 fps and 62 %. The bounds below only catch a stalled stream.
	if fps < 4 || audio < 0.5 || tone < 0.05 {
		t.Errorf("at 150 kbit/s: %.1f fps, %.0f %% of the audio, tone %.3f: the stream stalls", fps, 100*audio, tone)
	}

	// 50 kbit/s: audio only, and the page is told.
	b.SetDownlink(50, 0)
	dropped = time.Now()
	waitFor(t, ctx, b, "video_paused{bandwidth}", func() bool { r, _ := b.VideoPaused(); return r == rooms.PauseBandwidth })
	t.Logf("50 kbit/s: video paused after %v", time.Since(dropped).Round(100*time.Millisecond))
	if d := time.Since(dropped); d > 20*time.Second {
		t.Errorf("video paused %v after the link dropped to 50 kbit/s", d)
	}
	settle = time.Now()
	waitFor(t, ctx, b, "3 s for the queue of the video to drain", func() bool { return time.Since(settle) > 3*time.Second })
	samples, start = b.AudioSamples(), time.Now()
	waitFor(t, ctx, b, "4 s of audio only", func() bool { return time.Since(start) > 4*time.Second })
	audio = float64(b.AudioSamples()-samples) / 48000 / time.Since(start).Seconds()
	tone = toneLevel(b.Audio(48000), 440)
	t.Logf("50 kbit/s: %.0f %% of the audio, tone %.3f", 100*audio, tone)
	// Audio alone is 47 of the 50 kbit/s on the wire (measured 78–102 %; 33 %
	// under a load average of 11). The tone must be there.
	if audio < 0.25 || tone < 0.05 {
		t.Errorf("audio only at 50 kbit/s: %.0f %% of the audio, tone %.3f", 100*audio, tone)
	}

	// The link recovers: video comes back.
	b.SetDownlink(0, 0)
	recovered := time.Now()
	frames = b.FramesReceived()
	waitFor(t, ctx, b, "video_resumed and a picture", func() bool {
		r, _ := b.VideoPaused()
		ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue)
		return r == "" && ok && b.FramesReceived() > frames+10
	})
	t.Logf("recovered: video back after %v (goal: within 30 s)", time.Since(recovered).Round(100*time.Millisecond))
}
