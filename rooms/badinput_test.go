package rooms_test

import (
	"context"
	"errors"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// TestBadMediaIsolated: a participant sending garbage, truncated VP8 or H.264
// under the VP8 payload type gets bad_media, while the others' pictures keep
// updating at their frame rate and keep showing each other.
func TestBadMediaIsolated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	s := startServer(t, func(c *rooms.Config) { c.BadMediaInterval = 200 * time.Millisecond })

	red, blue := color.RGBA{220, 30, 30, 255}, color.RGBA{30, 30, 220, 255}
	a := s.dial(t, ctx, "bad", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red, ToneHz: 440})
	b := s.dial(t, ctx, "bad", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue, ToneHz: 660})
	bad := s.dial(t, ctx, "bad", "bad", rooms.RoleInterpreter, testpeer.Options{Colour: color.RGBA{30, 200, 30, 255}})

	waitFor(t, ctx, a, "a to see b", func() bool {
		ok, _ := pictureShows(a, map[string]color.RGBA{b.ID(): blue, bad.ID(): {30, 200, 30, 255}}, &red)
		return ok
	})
	waitFor(t, ctx, b, "b to see a", func() bool {
		ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red, bad.ID(): {30, 200, 30, 255}}, &blue)
		return ok
	})
	if bad.HasError(string(rooms.CodeBadMedia)) {
		t.Fatalf("good media was reported as bad: %v", bad.Errors())
	}

	// The good participants' frame rate with good media, as the yardstick
	// (the race detector and two shared cores set it, not the server).
	rate := func() (float64, float64) {
		fa, fb := a.FramesReceived(), b.FramesReceived()
		deadline := time.Now().Add(2 * time.Second)
		waitFor(t, ctx, a, "two seconds to pass", func() bool { return time.Now().After(deadline) })
		return float64(a.FramesReceived()-fa) / 2, float64(b.FramesReceived()-fb) / 2
	}
	baseA, baseB := rate()
	t.Logf("good media: a receives %.1f fps, b %.1f fps", baseA, baseB)

	for _, mode := range []testpeer.BadMode{testpeer.BadGarbage, testpeer.BadTruncated, testpeer.BadH264} {
		t.Run(mode.String(), func(t *testing.T) {
			before := len(bad.Errors())
			bad.SetBadMedia(mode)
			defer bad.SetBadMedia(testpeer.BadNone)
			waitFor(t, ctx, bad, "bad_media error", func() bool {
				for _, e := range bad.Errors()[before:] {
					if e.Code == string(rooms.CodeBadMedia) {
						return true
					}
				}
				return false
			})
			for _, e := range bad.Errors()[before:] {
				t.Logf("%s → %s: %s", mode, e.Code, e.Message)
				break
			}
			// The others' calls go on: over the next two seconds their pictures
			// keep arriving (a stall would show as ~0 fps; the bound leaves room
			// for the CPU the bad sender's own encoder takes on the shared cores)
			// and keep showing each other.
			ra, rb := rate()
			t.Logf("during %s: a receives %.1f fps, b %.1f fps", mode, ra, rb)
			if ra < 0.5*baseA || rb < 0.5*baseB {
				t.Errorf("others' frame rate during %s: a %.1f, b %.1f fps; want at least half of %.1f and %.1f", mode, ra, rb, baseA, baseB)
			}
			if ok, why := pictureShows(a, map[string]color.RGBA{b.ID(): blue, bad.ID(): {30, 200, 30, 255}}, &red); !ok && !onlyCellOf(why, bad.ID()) {
				t.Errorf("a's picture during %s: %s", mode, why)
			}
			if a.HasError(string(rooms.CodeBadMedia)) || b.HasError(string(rooms.CodeBadMedia)) {
				t.Errorf("bad_media went to a participant who sent good media")
			}
		})
	}
}

// onlyCellOf reports whether a picture mismatch is about the bad sender's own
// cell (which may freeze or show its placeholder while it sends garbage).
func onlyCellOf(why, id string) bool {
	return len(why) > 0 && strings.Contains(why, "cell of "+id)
}

// TestJoinRefused: a forged token gets invalid_token and a closed socket; so
// does an unsupported protocol version.
func TestJoinRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := startServer(t, nil)
	s.auth.add("good", rooms.Grant{RoomID: "r", DisplayName: "x", Role: rooms.RoleCitizen})
	tests := []struct {
		name     string
		opts     testpeer.Options
		wantCode rooms.ErrorCode
	}{
		{"forged token", testpeer.Options{Token: "forged"}, rooms.CodeInvalidToken},
		{"unsupported version", testpeer.Options{Token: "good", ProtocolVersion: 2}, rooms.CodeUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.URL = s.url
			p, err := testpeer.Dial(ctx, tt.opts)
			if err == nil {
				p.Close()
				t.Fatalf("join succeeded, want %s", tt.wantCode)
			}
			var em testpeer.ErrorMessage
			if !errors.As(err, &em) || em.Code != string(tt.wantCode) {
				t.Fatalf("join error %v, want error{%s}", err, tt.wantCode)
			}
		})
	}
	if st := s.mgr.Stats(); st.Rooms != 0 || st.Participants != 0 {
		t.Errorf("refused joins left state behind: %+v", st)
	}
}
