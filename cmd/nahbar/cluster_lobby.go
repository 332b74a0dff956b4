package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nahbar/nahbar/web"
)

// The waiting room is replicated between nodes over one Redis pub/sub
// channel (<prefix>:lobby): a citizen waits on one node, the advisor admits
// on another, the call's gateway on a third checks the admission. A node
// started later learns an entry with its next change (the waiting page
// re-arrives when it reconnects).

type lobbyMessage struct {
	Node  string         `json:"node"`
	Event web.LobbyEvent `json:"event"`
}

// lobbyQueue bounds the changes waiting for Redis; a full queue drops (and
// logs) rather than blocking the page or console that made the change.
const lobbyQueue = 256

// replicateLobby links l to the other nodes' lobbies; nothing on one node.
func (n *clusterNode) replicateLobby(ctx context.Context, l *web.Lobby) error {
	if n.rdb == nil {
		return nil
	}
	channel := n.cfg.RedisPrefix + ":lobby"
	sub := n.rdb.Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil { // the subscription is confirmed
		_ = sub.Close()
		return fmt.Errorf("subscribe to %s: %w", channel, err)
	}
	lctx, stop := context.WithCancel(context.Background())
	queue := make(chan []byte, lobbyQueue)
	n.stopLobby = func() { stop(); _ = sub.Close() }
	l.ReplicateTo(func(ev web.LobbyEvent) {
		b, err := json.Marshal(lobbyMessage{Node: n.cfg.NodeID, Event: ev})
		if err != nil {
			return
		}
		select {
		case queue <- b:
		default:
			n.log.Warn("lobby replication queue full: change not shared", "entry", ev.ID)
		}
	})
	go func() { // publisher: one at a time, in order
		for {
			select {
			case <-lctx.Done():
				return
			case b := <-queue:
				pctx, cancel := context.WithTimeout(lctx, 2*time.Second)
				if err := n.rdb.Publish(pctx, channel, b).Err(); err != nil && lctx.Err() == nil {
					n.log.Warn("share lobby change", "err", err)
				}
				cancel()
			}
		}
	}()
	go func() { // subscriber: apply the other nodes' changes
		for m := range sub.Channel() {
			var msg lobbyMessage
			if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil || msg.Node == n.cfg.NodeID {
				continue
			}
			l.ApplyRemote(msg.Event)
		}
	}()
	return nil
}
