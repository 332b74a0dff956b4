package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig configures a RedisRouter.
type RedisConfig struct {
	Client *redis.Client // shared; the router does not close it
	Prefix string        // key prefix, e.g. "nahbar" (tests use one per run)
	Self   Node
	// HeartbeatTTL is how long a node stays registered without a heartbeat
	// (default 3 s); HeartbeatInterval is how often nodes beat (default
	// TTL/3): a node whose last beat is 1.5 intervals old has missed one.
	HeartbeatTTL, HeartbeatInterval time.Duration
	// RoomTTL is how long a placement outlives its last refresh (default
	// 30 s): rooms placed but never joined are forgotten after it.
	RoomTTL time.Duration
}

// RedisRouter is the Router of a cluster: nodes, placements and their loads
// live in Redis, so every node sees the same picture.
//
// Keys: <p>:nodes (set of ids), <p>:node:<id> (hash, expires with the
// heartbeat), <p>:room:<room> (the hosting node's id, expires unless
// refreshed), <p>:rooms:<id> (set of the rooms placed on a node: its load).
type RedisRouter struct {
	rdb     *redis.Client
	p       string
	self    Node
	hbTTL   time.Duration
	hbEvery time.Duration
	roomTT  time.Duration
}

var _ Router = (*RedisRouter)(nil)

// NewRedisRouter returns the cluster router of cfg.Self.
func NewRedisRouter(cfg RedisConfig) (*RedisRouter, error) {
	if cfg.Client == nil {
		return nil, errors.New("redis router: nil client")
	}
	if err := checkSelf(cfg.Self); err != nil {
		return nil, fmt.Errorf("redis router: %w", err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "nahbar"
	}
	if cfg.HeartbeatTTL <= 0 {
		cfg.HeartbeatTTL = 3 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 || cfg.HeartbeatInterval > cfg.HeartbeatTTL {
		cfg.HeartbeatInterval = cfg.HeartbeatTTL / 3
	}
	if cfg.RoomTTL <= 0 {
		cfg.RoomTTL = 30 * time.Second
	}
	return &RedisRouter{rdb: cfg.Client, p: cfg.Prefix, self: cfg.Self, hbTTL: cfg.HeartbeatTTL,
		hbEvery: cfg.HeartbeatInterval, roomTT: cfg.RoomTTL}, nil
}

func (r *RedisRouter) nodeKey(id string) string  { return r.p + ":node:" + id }
func (r *RedisRouter) roomsKey(id string) string { return r.p + ":rooms:" + id }
func (r *RedisRouter) nodesKey() string          { return r.p + ":nodes" }

// Self implements Router.
func (r *RedisRouter) Self() Node { return r.self }

// Heartbeat implements Router: it (re)writes the node's hash and its expiry.
// The draining flag is kept as set by SetDraining; load (the rooms hosted) is
// informative: placement counts the placements themselves.
func (r *RedisRouter) Heartbeat(ctx context.Context, load int) error {
	k := r.nodeKey(r.self.ID)
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, "id", r.self.ID, "url", r.self.URL, "region", r.self.Region,
			"capacity", r.self.Capacity, "rooms", load)
		p.HSetNX(ctx, k, "draining", "0")
		p.PExpire(ctx, k, r.hbTTL)
		p.SAdd(ctx, r.nodesKey(), r.self.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("heartbeat of node %s: %w", r.self.ID, err)
	}
	return nil
}

// Nodes implements Router. A node's load is the number of rooms placed on it
// (counted in Redis, so a placement shows at once, before its first join).
func (r *RedisRouter) Nodes(ctx context.Context) ([]Node, error) {
	ids, err := r.rdb.SMembers(ctx, r.nodesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	slices.Sort(ids)
	hashes := make([]*redis.MapStringStringCmd, len(ids))
	loads := make([]*redis.IntCmd, len(ids))
	_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			hashes[i] = p.HGetAll(ctx, r.nodeKey(id))
			loads[i] = p.SCard(ctx, r.roomsKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	nodes := make([]Node, 0, len(ids))
	var gone []any
	for i, id := range ids {
		h := hashes[i].Val()
		if len(h) == 0 || h["id"] == "" {
			gone = append(gone, id)
			continue
		}
		capacity, _ := strconv.Atoi(h["capacity"])
		nodes = append(nodes, Node{ID: id, URL: h["url"], Region: h["region"], Capacity: capacity,
			Load: int(loads[i].Val()), Draining: h["draining"] == "1"})
	}
	if len(gone) > 0 { // forget expired nodes; a restarted one adds itself again
		_ = r.rdb.SRem(ctx, r.nodesKey(), gone...).Err()
	}
	return nodes, nil
}

// SetDraining implements Router; the heartbeats keep the flag.
func (r *RedisRouter) SetDraining(ctx context.Context, d bool) error {
	v := "0"
	if d {
		v = "1"
	}
	k := r.nodeKey(r.self.ID)
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, "draining", v)
		p.PExpire(ctx, k, r.hbTTL) // an expired node's hash must not stay forever
		return nil
	})
	if err != nil {
		return fmt.Errorf("set draining of node %s: %w", r.self.ID, err)
	}
	return nil
}

// Leave implements Router.
func (r *RedisRouter) Leave(ctx context.Context) error {
	if err := r.releaseAll(ctx); err != nil {
		return err
	}
	if err := r.rdb.Del(ctx, r.nodeKey(r.self.ID)).Err(); err != nil {
		return fmt.Errorf("deregister node %s: %w", r.self.ID, err)
	}
	if err := r.rdb.SRem(ctx, r.nodesKey(), r.self.ID).Err(); err != nil {
		return fmt.Errorf("deregister node %s: %w", r.self.ID, err)
	}
	return nil
}
