package cluster

import (
	"context"
	"errors"
)

// Node is one nahbar server as the cluster sees it.
type Node struct {
	ID       string `json:"id"`             // unique and stable across restarts, e.g. the host name
	URL      string `json:"url"`            // where other nodes reach its HTTP server, e.g. http://10.0.0.2:8080
	Region   string `json:"region"`         // data-centre label; placement prefers the joining user's region
	Capacity int    `json:"capacity_units"` // media units it can host (one unit ≈ one concurrent appointment)
	Load     int    `json:"rooms"`          // rooms placed on it now
	Draining bool   `json:"draining"`       // takes no new rooms
}

// Free is the number of units still available, never negative.
func (n Node) Free() int {
	if n.Load >= n.Capacity {
		return 0
	}
	return n.Capacity - n.Load
}

// Errors of routing; they are wrapped with context, test with errors.Is.
var (
	// ErrNoNode means no live node can take a new room (all dead, draining or full).
	ErrNoNode = errors.New("no live node can take the room")
	// ErrBadNode means a node's registration is unusable (empty id, bad capacity).
	ErrBadNode = errors.New("bad node")
)

// Router decides which node hosts a room. One per process; safe for
// concurrent use. LocalRouter serves a single node, RedisRouter a cluster.
type Router interface {
	// Self is this node's registration (without live load).
	Self() Node
	// Heartbeat announces this node as alive with its current load.
	Heartbeat(ctx context.Context, load int) error
	// Nodes lists the live nodes with their load, sorted by id.
	Nodes(ctx context.Context) ([]Node, error)
	// Place returns the node hosting room, placing it first on the best live
	// node (preferring region) when it has none or its host is gone. Two
	// callers racing for the same room get the same node.
	Place(ctx context.Context, room, region string) (Node, error)
	// Failover is Place for a caller that could not reach the room's host
	// unreachable: if that node also missed a heartbeat it is taken for dead
	// at once (its registration may take the whole TTL to expire) and the
	// room moves to another node; otherwise it is Place.
	Failover(ctx context.Context, room, region, unreachable string) (Node, error)
	// Sync keeps the placements of the rooms this node hosts now and releases
	// the ones it no longer hosts. It returns rooms another live node owns
	// (which should not happen: a split placement to log).
	Sync(ctx context.Context, hosted []string) (conflicts []string, err error)
	// SetDraining flags this node so it takes no new rooms.
	SetDraining(ctx context.Context, draining bool) error
	// Leave deregisters this node and releases its rooms, so its clients are
	// re-placed at once (graceful shutdown).
	Leave(ctx context.Context) error
}

// checkSelf validates a node's own registration.
func checkSelf(n Node) error {
	switch {
	case n.ID == "":
		return errors.Join(ErrBadNode, errors.New("node id is empty"))
	case n.Capacity < 0:
		return errors.Join(ErrBadNode, errors.New("capacity is negative"))
	}
	return nil
}
