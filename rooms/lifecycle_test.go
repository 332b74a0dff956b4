package rooms_test

import (
	"context"
	"image/color"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// TestJoinLeaveDoesNotLeak runs 50 join/leave cycles of a publishing pion
// client, each creating and closing a room (mixer, encoders, PeerConnection,
// socket), and checks that goroutines and heap return to where they started.
func TestJoinLeaveDoesNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("50 WebRTC sessions")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	s := startServer(t, nil)

	cycle := func(i int) {
		p := s.dialNoCleanup(t, ctx, "leak", "p", rooms.RoleCitizen, testpeer.Options{Colour: color.RGBA{200, 0, 0, 255}})
		defer p.Close()
		waitFor(t, ctx, p, "connected", p.Connected)
		if err := p.Leave(ctx); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		// The room closes when its last participant's session ends.
		waitFor(t, ctx, p, "room closed", func() bool { return s.mgr.Stats().Rooms == 0 })
	}
	cycle(-1) // warm up lazily started globals (pion, FFmpeg, http keep-alive)
	g0, h0 := settle()

	start := time.Now()
	const cycles = 50
	for i := range cycles {
		cycle(i)
	}
	perCycle := time.Since(start) / cycles

	const slack = 8
	var g1 int
	var h1 uint64
	deadline := time.Now().Add(10 * time.Second)
	for {
		g1, h1 = settle()
		if g1 <= g0+slack || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // goroutines of closed pion transports finish on their own
	}
	t.Logf("%d cycles, %v per join/connect/leave; goroutines %d → %d; heap in use %.1f → %.1f MiB",
		cycles, perCycle.Round(time.Millisecond), g0, g1, float64(h0)/(1<<20), float64(h1)/(1<<20))
	if g1 > g0+slack {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines grew from %d to %d after %d cycles:\n%s", g0, g1, cycles, buf[:n])
	}
	if path := os.Getenv("NAHBAR_HEAP_PROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
	const heapSlack = 4 << 20
	if h1 > h0+heapSlack {
		t.Errorf("heap in use grew from %d to %d bytes after %d cycles (allowed +%d)", h0, h1, cycles, heapSlack)
	}
	if st := s.mgr.Stats(); st != (rooms.Stats{PacketsSent: st.PacketsSent}) { // the packet counter only grows
		t.Errorf("stats after all left: %+v", st)
	}
}

// settle collects garbage and returns the goroutine count and heap in use.
func settle() (int, uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapInuse
}

// TestManagerCloseSaysBye: Close sends bye{shutdown} to every client, closes
// their sockets and frees all rooms; later joins are refused.
func TestManagerCloseSaysBye(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "one", "a", rooms.RoleAdvisor, testpeer.Options{})
	b := s.dial(t, ctx, "two", "b", rooms.RoleAttendee, testpeer.Options{})
	waitFor(t, ctx, a, "a connected", a.Connected)
	waitFor(t, ctx, b, "b connected", b.Connected)

	if err := s.mgr.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, p := range []*testpeer.Peer{a, b} {
		waitFor(t, ctx, p, "bye and close", func() bool { r, closed := p.Bye(); return r != "" && closed })
		if r, _ := p.Bye(); r != rooms.ByeShutdown {
			t.Errorf("bye reason %q, want %q", r, rooms.ByeShutdown)
		}
	}
	if st := s.mgr.Stats(); st != (rooms.Stats{PacketsSent: st.PacketsSent}) { // the packet counter only grows
		t.Errorf("stats after Close: %+v", st)
	}
	s.auth.add("late", rooms.Grant{RoomID: "one", Role: rooms.RoleCitizen})
	if p, err := testpeer.Dial(ctx, testpeer.Options{URL: s.url, Token: "late"}); err == nil {
		p.Close()
		t.Errorf("join after Close succeeded")
	}
}
