package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// The loop purges at start and on every tick, forgets decided lobby entries
// older than a day, and stops with its context.
func TestPurgeLoop(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var offset atomic.Int64
	clock := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	db, err := storage.Open(context.Background(), storage.Config{DataDir: t.TempDir(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lobby := web.NewLobby(clock)
	decided := lobby.Arrive("appt-1", web.WaitingEntry{})
	waiting := lobby.Arrive("appt-1", web.WaitingEntry{})
	if err := lobby.Admit("appt-1", decided); err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(2 * lobbyMaxAge))

	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		defer close(done)
		purgeLoopC(ctx, db, lobby, tick, clock, slog.New(slog.DiscardHandler))
	}()
	tick <- clock() // received: the first round is over
	if _, ok := lobby.State(decided); ok {
		t.Error("admitted entry from two days ago still in the lobby")
	}
	if _, ok := lobby.State(waiting); !ok {
		t.Error("a waiting entry was swept")
	}
	cancel()
	<-done
}
