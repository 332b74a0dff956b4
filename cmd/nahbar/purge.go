package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// purgeInterval is how often personal data past its retention is deleted.
const purgeInterval = 24 * time.Hour

// lobbyMaxAge is how long decided waiting-room entries are kept in memory.
const lobbyMaxAge = 24 * time.Hour

// purgeLoop deletes expired personal data (and old waiting-room entries)
// once at start and then on every tick, until ctx ends. The ticker is passed
// in so a test drives it.
func purgeLoop(ctx context.Context, db *storage.Store, lobby *web.Lobby, tick *time.Ticker, now func() time.Time, log *slog.Logger) {
	defer tick.Stop()
	purgeLoopC(ctx, db, lobby, tick.C, now, log)
}

func purgeLoopC(ctx context.Context, db *storage.Store, lobby *web.Lobby, tick <-chan time.Time, now func() time.Time, log *slog.Logger) {
	for {
		if n := lobby.Sweep(lobbyMaxAge); n > 0 {
			log.Info("forgot old waiting-room entries", "entries", n)
		}
		rep, err := db.Purge(ctx, now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("purge personal data", "err", err)
		case err == nil && (rep.Appointments > 0 || rep.Invitations > 0 || rep.Registrations > 0):
			log.Info("purged personal data", "appointments", rep.Appointments,
				"invitations", rep.Invitations, "registrations", rep.Registrations)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
