package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nahbar/nahbar/cluster"
	"github.com/nahbar/nahbar/web"
)

// apiRoomTTL is how long the directory keeps an API room: as long as the
// longest link the API issues for it.
const apiRoomTTL = 31 * 24 * time.Hour

// directory is web.StoreConfig.Directory: the API's rooms on every node.
// Nil on a single node.
func (n *clusterNode) directory() web.RoomDirectory {
	if n.roomDir == nil {
		return nil
	}
	return roomDirectory{n}
}

type roomDirectory struct{ n *clusterNode }

func (d roomDirectory) PutRoom(r web.Room) {
	b, err := json.Marshal(r)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = d.n.roomDir.Put(ctx, []byte(r.ID), b, time.Now().Add(apiRoomTTL))
		cancel()
	}
	if err != nil {
		d.n.log.Warn("share room with the cluster", "room", r.ID, "err", err)
	}
}

func (d roomDirectory) LookupRoom(id string) (web.Room, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := d.n.roomDir.Get(ctx, []byte(id))
	if err != nil {
		if !errors.Is(err, cluster.ErrUnknownToken) {
			d.n.log.Warn("look up room in the cluster", "room", id, "err", err)
		}
		return web.Room{}, false
	}
	var r web.Room
	if json.Unmarshal(b, &r) != nil {
		return web.Room{}, false
	}
	return r, true
}
