package rooms_test

import (
	"context"
	"errors"
	"image/color"
	"runtime"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// TestEndRoom: Manager.End says bye{ended} to every participant of the room
// and to nobody else, closes their sockets and PeerConnections, frees the
// room and leaves no goroutine behind; a later join that the Authorizer
// refuses with ErrRoomEnded hears error{room_ended}.
func TestEndRoom(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startServer(t, nil)
	other := s.dial(t, ctx, "other", "bystander", rooms.RoleCitizen, testpeer.Options{Colour: color.RGBA{0, 0, 200, 255}})
	waitFor(t, ctx, other, "bystander connected", other.Connected)

	var slowestEnd time.Duration // End returns once both sessions are closed and the room is freed
	cycle := func(i int) {
		adv := s.dialNoCleanup(t, ctx, "ending", "advisor", rooms.RoleAdvisor, testpeer.Options{Colour: color.RGBA{0, 200, 0, 255}})
		defer adv.Close()
		cit := s.dialNoCleanup(t, ctx, "ending", "citizen", rooms.RoleCitizen, testpeer.Options{Colour: color.RGBA{200, 0, 0, 255}})
		defer cit.Close()
		for _, p := range []*testpeer.Peer{adv, cit} {
			waitFor(t, ctx, p, "connected and receiving", func() bool { return p.Connected() && p.BytesReceived() > 0 })
		}
		start := time.Now()
		n, err := s.mgr.End(ctx, "ending")
		if took := time.Since(start); took > slowestEnd {
			slowestEnd = took
		}
		if err != nil || n != 2 {
			t.Fatalf("cycle %d: End = %d, %v; want 2, nil", i, n, err)
		}
		for _, p := range []*testpeer.Peer{adv, cit} {
			waitFor(t, ctx, p, "bye and socket closed", func() bool { r, closed := p.Bye(); return r != "" && closed })
			if r, _ := p.Bye(); r != rooms.ByeEnded {
				t.Fatalf("cycle %d: bye reason %q, want %q", i, r, rooms.ByeEnded)
			}
			mediaStops(t, ctx, p)
		}
		if st := s.mgr.Stats(); st.Rooms != 1 || st.Participants != 1 {
			t.Fatalf("cycle %d: stats after End %+v, want only the bystander's room", i, st)
		}
	}
	cycle(-1) // warm up lazily started globals
	g0, _ := settle()
	const cycles = 5
	for i := range cycles {
		cycle(i)
	}
	const slack = 8
	g1 := g0
	for deadline := time.Now().Add(15 * time.Second); ; {
		if g1, _ = settle(); g1 <= g0+slack || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // closed pion transports finish on their own
	}
	t.Logf("goroutines %d → %d after %d ended rooms of 2 participants; slowest End %v", g0, g1, cycles, slowestEnd.Round(time.Millisecond))
	if g1 > g0+slack {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines grew from %d to %d:\n%s", g0, g1, buf[:runtime.Stack(buf, true)])
	}

	// The other room never noticed.
	if r, closed := other.Bye(); r != "" || closed || !other.Connected() {
		t.Errorf("bystander: bye %q, closed %v, connected %v; want untouched", r, closed, other.Connected())
	}
	if n, err := s.mgr.End(ctx, "no-such-room"); n != 0 || err != nil {
		t.Errorf("End of an unknown room = %d, %v; want 0, nil", n, err)
	}

	// A later join with a token of the ended room is refused in words the page understands.
	s.auth.add("late", rooms.Grant{RoomID: "ending", DisplayName: "late", Role: rooms.RoleCitizen})
	s.auth.refuse("late", errors.Join(errors.New("appointment 7 is done"), rooms.ErrRoomEnded))
	p, err := testpeer.Dial(ctx, testpeer.Options{URL: s.url, Token: "late"})
	if err == nil {
		p.Close()
		t.Fatal("join of an ended room succeeded")
	}
	var em testpeer.ErrorMessage
	if !errors.As(err, &em) || em.Code != string(rooms.CodeRoomEnded) {
		t.Errorf("late join error %v, want code %s", err, rooms.CodeRoomEnded)
	}
}

// mediaStops waits until p receives no more RTP: the server has closed its
// PeerConnection (a pion client notices the closed DTLS only after ICE's
// disconnect timeout, a browser page closes its own on bye).
func mediaStops(t *testing.T, ctx context.Context, p *testpeer.Peer) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last, still := p.BytesReceived(), 0
	for still < 3 {
		select {
		case <-ctx.Done():
			t.Fatalf("media still arriving after bye: %d bytes", p.BytesReceived())
		case <-tick.C:
		}
		if n := p.BytesReceived(); n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
}
