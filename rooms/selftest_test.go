package rooms_test

import (
	"context"
	"image/color"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// TestSelfTestSeesAndHearsItself is the device check's test call: a selftest
// participant alone in its room gets its own camera back, composed and
// re-encoded by the mixer, and its own microphone in the mix.
func TestSelfTestSeesAndHearsItself(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)

	colour := color.RGBA{30, 200, 30, 255}
	const tone = 550.0
	p := s.dial(t, ctx, "test-self", "me", rooms.RoleSelfTest, testpeer.Options{Colour: colour, ToneHz: tone, ToneAmplitude: 0.1})

	var why string
	if err := p.Wait(ctx, func() bool {
		ok, reason := pictureShows(p, map[string]color.RGBA{p.ID(): colour}, nil)
		why = reason
		return ok
	}); err != nil {
		t.Fatalf("never saw itself: %s", why)
	}

	var level float64
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	defer acancel()
	if err := p.Wait(actx, func() bool {
		pcm := p.Audio(48000)
		if len(pcm) < 48000 {
			return false
		}
		level = toneLevel(pcm, tone)
		return level >= 0.015
	}); err != nil {
		t.Fatalf("own %v Hz tone in the mix at %.4f, want ≥ 0.015", tone, level)
	}
	t.Logf("hears itself at %.3f", level)
}

func TestRoleSelfTest(t *testing.T) {
	for _, tc := range []struct {
		role                         rooms.Role
		valid, publishes, seesItself bool
	}{
		{rooms.RoleSelfTest, true, true, true},
		{rooms.RoleCitizen, true, true, false},
		{rooms.RoleAttendee, true, false, false},
		{"bogus", false, false, false},
	} {
		if got := tc.role.Valid(); got != tc.valid {
			t.Errorf("%q.Valid() = %v, want %v", tc.role, got, tc.valid)
		}
		if got := tc.role.Publishes(); got != tc.publishes {
			t.Errorf("%q.Publishes() = %v, want %v", tc.role, got, tc.publishes)
		}
		if got := tc.role.SeesSelf(); got != tc.seesItself {
			t.Errorf("%q.SeesSelf() = %v, want %v", tc.role, got, tc.seesItself)
		}
	}
}
