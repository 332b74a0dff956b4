package main

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nahbar/nahbar/web"
	"github.com/redis/go-redis/v9"
)

// TestLobbyReplicatesOverRedis: a citizen waits on node a, the advisor
// admits on node b, over a real Redis channel.
func TestLobbyReplicatesOverRedis(t *testing.T) {
	addr := os.Getenv("NAHBAR_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := "nahbar-lobby-" + randomHex(6)
	lobbies := map[string]*web.Lobby{}
	for _, id := range []string{"a", "b"} {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		if err := rdb.Ping(ctx).Err(); err != nil {
			t.Fatalf("redis at %s (make test-deps starts it): %v", addr, err)
		}
		n := &clusterNode{cfg: clusterConfig{NodeID: id, RedisPrefix: prefix}, rdb: rdb, log: slog.New(slog.DiscardHandler)}
		l := web.NewLobby(nil)
		if err := n.replicateLobby(ctx, l); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.close)
		lobbies[id] = l
	}
	a, b := lobbies["a"], lobbies["b"]
	changes, stop := a.Changes("appt-3")
	defer stop()
	id := a.Arrive("appt-3", web.WaitingEntry{ID: "inv-3", Name: "Erika", Role: "citizen"})
	<-changes
	waitFor(t, 5*time.Second, "b sees the citizen waiting", func() (bool, string) {
		return len(b.Waiting("appt-3")) == 1, "not yet"
	})
	if err := b.Admit("appt-3", id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-ctx.Done():
		t.Fatal("a's waiting page was not signalled of the admission")
	}
	waitFor(t, 5*time.Second, "a knows the admission", func() (bool, string) {
		e, _ := a.State(id)
		return e.State == web.LobbyAdmitted, e.State
	})
}
