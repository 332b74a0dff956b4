package cluster

import (
	"context"
	"fmt"
	"sync"
)

// LocalRouter is the Router of a single node: every room is hosted here. It
// keeps the same rules as the cluster (a draining node takes no new room) so
// drain works the same with and without Redis.
type LocalRouter struct {
	self Node

	mu       sync.Mutex
	rooms    map[string]bool
	draining bool
}

var _ Router = (*LocalRouter)(nil)

// NewLocalRouter returns the in-process router of node self.
func NewLocalRouter(self Node) (*LocalRouter, error) {
	if err := checkSelf(self); err != nil {
		return nil, fmt.Errorf("local router: %w", err)
	}
	return &LocalRouter{self: self, rooms: map[string]bool{}}, nil
}

// Self implements Router.
func (l *LocalRouter) Self() Node { return l.self }

// Heartbeat implements Router; a single node is always alive.
func (l *LocalRouter) Heartbeat(context.Context, int) error { return nil }

// Nodes implements Router: this node alone.
func (l *LocalRouter) Nodes(context.Context) ([]Node, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.self
	n.Load, n.Draining = len(l.rooms), l.draining
	return []Node{n}, nil
}

// Place implements Router: a known room stays here; a new one only while
// not draining.
func (l *LocalRouter) Place(_ context.Context, room, _ string) (Node, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.rooms[room] && l.draining {
		return Node{}, fmt.Errorf("place room %s: node %s is draining: %w", room, l.self.ID, ErrNoNode)
	}
	l.rooms[room] = true
	return l.self, nil
}

// Failover implements Router: a single node has nowhere else to go.
func (l *LocalRouter) Failover(ctx context.Context, room, region, _ string) (Node, error) {
	return l.Place(ctx, room, region)
}

// Sync implements Router: the hosted rooms are the placed ones.
func (l *LocalRouter) Sync(_ context.Context, hosted []string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.rooms)
	for _, r := range hosted {
		l.rooms[r] = true
	}
	return nil, nil
}

// SetDraining implements Router.
func (l *LocalRouter) SetDraining(_ context.Context, d bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draining = d
	return nil
}

// Leave implements Router.
func (l *LocalRouter) Leave(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.rooms)
	return nil
}
