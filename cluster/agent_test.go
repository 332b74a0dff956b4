package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nahbar/nahbar/storage"
)

// hostedRooms is what a rooms.Manager would report, settable by the test.
type hostedRooms struct {
	mu    sync.Mutex
	rooms []string
}

func (h *hostedRooms) set(r ...string) { h.mu.Lock(); h.rooms = r; h.mu.Unlock() }
func (h *hostedRooms) get() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.rooms...)
}

func openStore(t *testing.T) *storage.Store {
	t.Helper()
	db, err := storage.Open(context.Background(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// runAgent starts an agent driven by tick; beat sends one tick and waits
// until the loop has handled it (Status is answered after the beat).
func runAgent(t *testing.T, cfg AgentConfig) (a *Agent, beat func() Status) {
	t.Helper()
	tick := make(chan time.Time)
	cfg.Tick = tick
	a, err := NewAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a, func() Status {
		tick <- time.Now()
		st, err := a.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

func TestAgentCapacityFollowsLiveNodes(t *testing.T) {
	rdb, p := testRedis(t)
	db := openStore(t)
	ctx := context.Background()
	a := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Capacity: 10}, 5*time.Second)
	b := newRouter(t, rdb, p, Node{ID: "b", URL: "http://b", Capacity: 6}, 5*time.Second)
	_, beat := runAgent(t, AgentConfig{Router: a, Rooms: func() []string { return nil }, Capacity: db, Planned: 4})
	beat()
	if got, _ := db.Capacity(ctx); got != 20 {
		t.Fatalf("capacity = %d, want 10 + 6 + 4 planned", got)
	}
	// b leaves: the calendar shrinks at the next beat.
	if err := b.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	beat()
	if got, _ := db.Capacity(ctx); got != 14 {
		t.Fatalf("capacity after b left = %d, want 14", got)
	}
	// A new node: it grows again.
	newRouter(t, rdb, p, Node{ID: "c", URL: "http://c", Capacity: 8}, 5*time.Second)
	if st := beat(); st.Capacity != 22 {
		t.Fatalf("status capacity = %d, want 22", st.Capacity)
	}
	if got, _ := db.Capacity(ctx); got != 22 {
		t.Fatalf("capacity with c = %d, want 22", got)
	}
}

func TestAgentOnlyLowestNodeWritesCapacity(t *testing.T) {
	rdb, p := testRedis(t)
	db := openStore(t)
	ctx := context.Background()
	newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Capacity: 10}, 5*time.Second)
	z := newRouter(t, rdb, p, Node{ID: "z", URL: "http://z", Capacity: 6}, 5*time.Second)
	before, _ := db.Capacity(ctx)
	_, beat := runAgent(t, AgentConfig{Router: z, Rooms: func() []string { return nil }, Capacity: db})
	if st := beat(); st.Capacity != 16 {
		t.Fatalf("z computes %d, want 16", st.Capacity)
	}
	if got, _ := db.Capacity(ctx); got != before {
		t.Fatalf("z wrote %d though a leads", got)
	}
}

func TestAgentDrainExitsWhenRoomsEnd(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := context.Background()
	r := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Capacity: 10}, 5*time.Second)
	other := newRouter(t, rdb, p, Node{ID: "b", URL: "http://b", Capacity: 1}, 5*time.Second)
	hosted := &hostedRooms{}
	hosted.set("call")
	var drained atomic.Int32
	now := time.Unix(1_000_000, 0)
	agent, beat := runAgent(t, AgentConfig{Router: r, Rooms: hosted.get, Now: func() time.Time { return now },
		Drained: func() { drained.Add(1) }})
	beat()
	agent.Drain(now.Add(time.Hour))
	st := waitDraining(t, agent)
	beat()
	if !st.Draining || drained.Load() != 0 {
		t.Fatalf("status %+v, drained %d: a call is running", st, drained.Load())
	}
	if n, _ := other.Place(ctx, "new", ""); n.ID != "b" {
		t.Fatalf("new room on %s while a drains", n.ID)
	}
	if n, _ := other.Place(ctx, "call", ""); n.ID != "a" {
		t.Fatalf("the running call moved to %s", n.ID)
	}
	hosted.set() // the call ends
	beat()
	beat()
	if drained.Load() != 1 {
		t.Fatalf("Drained called %d times, want once", drained.Load())
	}
}

func TestAgentDrainDeadline(t *testing.T) {
	rdb, p := testRedis(t)
	r := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Capacity: 10}, 5*time.Second)
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var drained atomic.Int32
	agent, beat := runAgent(t, AgentConfig{Router: r, Rooms: func() []string { return []string{"long call"} },
		Now: clock, Drained: func() { drained.Add(1) }})
	agent.Drain(clock().Add(time.Minute))
	waitDraining(t, agent)
	beat()
	if drained.Load() != 0 {
		t.Fatal("drained before the deadline with a call running")
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	beat()
	if drained.Load() != 1 {
		t.Fatal("not drained at the deadline")
	}
}

// waitDraining asks the loop until it has taken the drain request (Drain
// never blocks, so the request and the next tick may arrive in any order).
func waitDraining(t *testing.T, a *Agent) Status {
	t.Helper()
	for range 1000 {
		st, err := a.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Draining {
			return st
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the agent never took the drain request")
	return Status{}
}
