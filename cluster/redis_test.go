package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestRegistryHeartbeatExpires(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := t.Context()
	a := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Region: "north", Capacity: 10}, 400*time.Millisecond)
	b := newRouter(t, rdb, p, Node{ID: "b", URL: "http://b", Capacity: 5}, 400*time.Millisecond)
	nodes, err := a.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 || nodes[0].ID != "a" || nodes[0].URL != "http://a" || nodes[0].Region != "north" || nodes[0].Capacity != 10 {
		t.Fatalf("Nodes = %+v", nodes)
	}
	// b stops beating; a keeps on: b is gone within its TTL.
	took := eventually(t, 3*time.Second, "b expires", func() bool {
		_ = a.Heartbeat(ctx, 0)
		ns, _ := a.Nodes(ctx)
		return len(ns) == 1 && ns[0].ID == "a"
	})
	t.Logf("a node that stopped beating was gone after %v (TTL 400ms)", took)
	_ = b
}

func TestPlaceLeastLoadedAndRegion(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := t.Context()
	a := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Region: "north", Capacity: 3}, 5*time.Second)
	newRouter(t, rdb, p, Node{ID: "b", URL: "http://b", Region: "south", Capacity: 3}, 5*time.Second)

	got := map[string]int{}
	for _, room := range []string{"r1", "r2", "r3", "r4"} {
		n, err := a.Place(ctx, room, "")
		if err != nil {
			t.Fatal(err)
		}
		got[n.ID]++
	}
	if got["a"] != 2 || got["b"] != 2 {
		t.Fatalf("4 rooms on 2 equal nodes spread %v, want 2/2", got)
	}
	// Same room again: same node, no new placement.
	first, _ := a.Place(ctx, "r1", "south")
	again, _ := a.Place(ctx, "r1", "north")
	if first.ID != again.ID {
		t.Fatalf("r1 moved from %s to %s", first.ID, again.ID)
	}
	// Region wins while it has room: south for a southern appointment.
	if n, _ := a.Place(ctx, "r5", "south"); n.ID != "b" {
		t.Fatalf("south room on %s", n.ID)
	}
	// b is now full (3): a southern room goes north.
	if n, _ := a.Place(ctx, "r6", "south"); n.ID != "a" {
		t.Fatalf("room with a full region on %s", n.ID)
	}
	// Both full: no node.
	if _, err := a.Place(ctx, "r7", ""); !errors.Is(err, ErrNoNode) {
		t.Fatalf("full cluster: %v, want ErrNoNode", err)
	}
}

func TestPlaceRaceOneRoom(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := t.Context()
	var routers []*RedisRouter
	for _, id := range []string{"a", "b", "c"} {
		routers = append(routers, newRouter(t, rdb, p, Node{ID: id, URL: "http://" + id, Capacity: 100}, 5*time.Second))
	}
	for round := range 20 {
		room := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		hosts := make([]string, 30)
		for i := range hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := routers[i%3].Place(ctx, room, "")
				if err != nil {
					t.Error(err)
					return
				}
				hosts[i] = n.ID
			}()
		}
		wg.Wait()
		for _, h := range hosts {
			if h != hosts[0] {
				t.Fatalf("room %s placed on %v", room, hosts)
			}
		}
	}
	nodes, _ := routers[0].Nodes(ctx)
	total := 0
	for _, n := range nodes {
		total += n.Load
	}
	if total != 20 {
		t.Fatalf("20 rooms counted as %d placements: %+v", total, nodes)
	}
}

func TestReplaceWhenHostDies(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := t.Context()
	a := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Capacity: 10}, 300*time.Millisecond)
	b := newRouter(t, rdb, p, Node{ID: "b", URL: "http://b", Capacity: 1}, 5*time.Second)
	n, err := b.Place(ctx, "call", "")
	if err != nil || n.ID != "a" {
		t.Fatalf("Place = %v, %v; want a", n, err)
	}
	// a dies (no more heartbeats): once its key expired, the room moves to b.
	eventually(t, 3*time.Second, "re-placement on b", func() bool {
		n, err := b.Place(ctx, "call", "")
		return err == nil && n.ID == "b"
	})
	// a comes back: the room stays on b, and a's stale placement is not counted.
	if err := a.Heartbeat(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if conflicts, err := a.Sync(ctx, nil); err != nil || len(conflicts) != 0 {
		t.Fatalf("Sync = %v, %v", conflicts, err)
	}
	if n, _ := a.Place(ctx, "call", ""); n.ID != "b" {
		t.Fatalf("room went back to %s", n.ID)
	}
	nodes, _ := a.Nodes(ctx)
	if nodes[0].ID != "a" || nodes[0].Load != 0 {
		t.Fatalf("a's load after its room moved: %+v", nodes)
	}
}

func TestDrainingTakesNoNewRooms(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := t.Context()
	a := newRouter(t, rdb, p, Node{ID: "a", URL: "http://a", Capacity: 10}, 5*time.Second)
	b := newRouter(t, rdb, p, Node{ID: "b", URL: "http://b", Capacity: 1}, 5*time.Second)
	if n, _ := a.Place(ctx, "old", ""); n.ID != "a" {
		t.Fatalf("old on %s", n.ID)
	}
	if err := a.SetDraining(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := a.Heartbeat(ctx, 1); err != nil { // heartbeats keep the flag
		t.Fatal(err)
	}
	if n, _ := b.Place(ctx, "old", ""); n.ID != "a" {
		t.Fatalf("a running call moved off the draining node to %s", n.ID)
	}
	if n, _ := b.Place(ctx, "new", ""); n.ID != "b" {
		t.Fatalf("new room on %s, want b", n.ID)
	}
	if _, err := b.Place(ctx, "newer", ""); !errors.Is(err, ErrNoNode) {
		t.Fatalf("b full and a draining: %v", err)
	}
	// Leave releases a's rooms at once: its call is re-placed without waiting for the TTL.
	if err := a.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.SetDraining(ctx, false); err != nil {
		t.Fatal(err)
	}
	if nodes, _ := b.Nodes(ctx); len(nodes) != 1 {
		t.Fatalf("after Leave: %+v", nodes)
	}
}

func TestSyncKeepsHostedAndReleasesEnded(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := context.Background()
	r, err := NewRedisRouter(RedisConfig{Client: rdb, Prefix: p, Self: Node{ID: "a", Capacity: 5}, RoomTTL: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Heartbeat(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// A room hosted here without a placement (e.g. after Redis lost it) is claimed.
	if _, err := r.Sync(ctx, []string{"live"}); err != nil {
		t.Fatal(err)
	}
	if owner, _ := rdb.Get(ctx, p+":room:live").Result(); owner != "a" {
		t.Fatalf("owner of live = %q", owner)
	}
	if _, err := r.Place(ctx, "never-joined", ""); err != nil {
		t.Fatal(err)
	}
	// The hosted room stays; the never-joined one is released after half its TTL.
	eventually(t, 2*time.Second, "release of a placement nobody joined", func() bool {
		_, _ = r.Sync(ctx, []string{"live"})
		n, _ := rdb.Exists(ctx, p+":room:never-joined").Result()
		return n == 0
	})
	nodes, _ := r.Nodes(ctx)
	if nodes[0].Load != 1 {
		t.Fatalf("load = %d, want 1 (the live room)", nodes[0].Load)
	}
}

func TestFailoverOnlyOffASilentHost(t *testing.T) {
	rdb, p := testRedis(t)
	ctx := t.Context()
	mk := func(id string, capacity int) *RedisRouter {
		r, err := NewRedisRouter(RedisConfig{Client: rdb, Prefix: p, Self: Node{ID: id, URL: "http://" + id, Capacity: capacity},
			HeartbeatTTL: 3 * time.Second, HeartbeatInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Heartbeat(ctx, 0); err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := mk("a", 10), mk("b", 1)
	if n, _ := b.Place(ctx, "call", ""); n.ID != "a" {
		t.Fatalf("call on %s", n.ID)
	}
	// a still beats: a caller that could not reach it (a network blip) does not move the room.
	if n, err := b.Failover(ctx, "call", "", "a"); err != nil || n.ID != "a" {
		t.Fatalf("Failover off a beating host = %v, %v", n, err)
	}
	// a stops beating: after 1.5 intervals (long before its 3 s TTL) the room moves.
	start := time.Now()
	took := eventually(t, 2*time.Second, "failover off a silent host", func() bool {
		_ = b.Heartbeat(ctx, 0)
		n, err := b.Failover(ctx, "call", "", "a")
		return err == nil && n.ID == "b"
	})
	if took > time.Second {
		t.Fatalf("failover took %v; the silent host had missed its beats after 300ms", took)
	}
	t.Logf("room moved %v after the host's last beat (TTL 3s, interval 200ms)", time.Since(start).Round(time.Millisecond))
	// a is still registered (its TTL runs) but holds no room.
	nodes, _ := b.Nodes(ctx)
	if len(nodes) != 2 || nodes[0].Load != 0 {
		t.Fatalf("nodes after failover: %+v", nodes)
	}
	_ = a
}
