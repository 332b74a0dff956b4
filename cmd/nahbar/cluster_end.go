package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/web"
)

// Ending a call reaches every node over one Redis pub/sub channel
// (<prefix>:end): the console or API of one node ends a room that may be
// hosted by another. Each node ends the room if it hosts it and marks it
// ended in its token store, so the room's API links are refused there too
// (an appointment's links are refused everywhere through the shared
// database). A node that is down when the message goes out does not host
// the room any more; one started later finds the API room marked ended in
// the cluster's room directory (web.Store.EndRoom puts it there).

type endMessage struct {
	Node string `json:"node"`
	Room string `json:"room"`
}

// endTimeout bounds one remote end on this node.
const endTimeout = 10 * time.Second

// clusterEnder is web.Config.Ender in a cluster: it ends the room here and
// tells the other nodes.
type clusterEnder struct {
	n   *clusterNode
	mgr *rooms.Manager
}

// End implements web.RoomEnder. The count is this node's participants; the
// other nodes' end asynchronously, within milliseconds.
func (e clusterEnder) End(ctx context.Context, roomID string) (int, error) {
	b, err := json.Marshal(endMessage{Node: e.n.cfg.NodeID, Room: roomID})
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = e.n.rdb.Publish(pctx, e.n.cfg.RedisPrefix+":end", b).Err()
		cancel()
	}
	if err != nil {
		err = fmt.Errorf("publish the end of room %s to the cluster: %w", roomID, err)
	}
	n, lerr := e.mgr.End(ctx, roomID)
	return n, errors.Join(err, lerr)
}

// ender returns what web calls to end a room: the manager itself on a
// single node; in a cluster, clusterEnder, and a subscriber that ends the
// rooms other nodes announce.
func (n *clusterNode) ender(ctx context.Context, mgr *rooms.Manager, store *web.Store) (web.RoomEnder, error) {
	if !n.clustered() {
		return mgr, nil
	}
	channel := n.cfg.RedisPrefix + ":end"
	sub := n.rdb.Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil { // the subscription is confirmed
		_ = sub.Close()
		return nil, fmt.Errorf("subscribe to %s: %w", channel, err)
	}
	done := make(chan struct{})
	n.stopEnd = func() { _ = sub.Close(); <-done }
	go func() {
		defer close(done)
		for m := range sub.Channel() {
			var msg endMessage
			if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil || msg.Node == n.cfg.NodeID || msg.Room == "" {
				continue
			}
			store.EndRoom(msg.Room)
			ectx, cancel := context.WithTimeout(context.Background(), endTimeout)
			count, err := mgr.End(ectx, msg.Room)
			cancel()
			if err != nil {
				n.log.Warn("end room announced by another node", "room", msg.Room, "from", msg.Node, "err", err)
			} else if count > 0 {
				n.log.Info("ended room announced by another node", "room", msg.Room, "from", msg.Node, "participants", count)
			}
		}
	}()
	return clusterEnder{n: n, mgr: mgr}, nil
}
