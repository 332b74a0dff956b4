package web

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// RoomEnder ends a call for everyone in it: each participant hears
// bye{ended} and is disconnected, and the room's media is freed.
// *rooms.Manager implements it for the rooms of its own node; in a cluster,
// cmd passes one that also reaches the node hosting the room.
type RoomEnder interface {
	End(ctx context.Context, roomID string) (int, error)
}

// endTimeout bounds how long ending a room may hold up the request: the
// participants' sessions close within milliseconds; a stuck one is logged.
const endTimeout = 10 * time.Second

// endRoom marks room id ended in the token store and disconnects whoever is
// in it. It returns how many participants this node disconnected; a failure
// is logged, not returned: the tokens are refused either way, and the
// sessions still close when they notice.
func endRoom(ctx context.Context, store *Store, ender RoomEnder, id string, log *slog.Logger) int {
	store.EndRoom(id)
	if ender == nil {
		log.Warn("end room: no media side to end it; its participants stay until they leave", "room", id)
		return 0
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	n, err := ender.End(ctx, id)
	if err != nil {
		log.Error("end room", "room", id, "err", fmt.Errorf("end room %s: %w", id, err))
	}
	return n
}
