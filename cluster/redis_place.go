package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// placeScript places a room atomically: the current owner wins while its
// heartbeat key exists; otherwise the candidate takes the room if it is alive
// and not draining. Two nodes racing for a room therefore agree on one host.
// It returns the owner's id, or "" when the room has no live owner and no
// candidate was given. Keys are built from the prefix inside the script, so
// it needs a single Redis server (not Redis Cluster).
//
// ARGV: prefix, room, candidate ("" = only look), room TTL in ms.
var placeScript = redis.NewScript(`
local p, room, cand, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local rk = p .. ':room:' .. room
local owner = redis.call('GET', rk)
if owner then
  if redis.call('HEXISTS', p .. ':node:' .. owner, 'id') == 1 then return owner end
  redis.call('SREM', p .. ':rooms:' .. owner, room)
  redis.call('DEL', rk)
end
if cand == '' then return '' end
local nk = p .. ':node:' .. cand
if redis.call('HEXISTS', nk, 'id') == 0 then return redis.error_reply('candidate gone') end
if redis.call('HGET', nk, 'draining') == '1' then return redis.error_reply('candidate draining') end
redis.call('SET', rk, cand, 'PX', ttl)
redis.call('SADD', p .. ':rooms:' .. cand, room)
return cand
`)

// syncScript refreshes this node's placements of the rooms it hosts (taking
// back a room whose placement expired or whose owner is dead), releases the
// rooms of its set it no longer hosts, and returns hosted rooms another live
// node owns.
//
// ARGV: prefix, self, room TTL in ms, then the hosted rooms.
var syncScript = redis.NewScript(`
local p, self, ttl = ARGV[1], ARGV[2], ARGV[3]
local mine = p .. ':rooms:' .. self
local hosted = {}
local conflicts = {}
for i = 4, #ARGV do
  local room = ARGV[i]
  hosted[room] = true
  local rk = p .. ':room:' .. room
  local owner = redis.call('GET', rk)
  if owner and owner ~= self and redis.call('HEXISTS', p .. ':node:' .. owner, 'id') == 1 then
    table.insert(conflicts, room)
  else
    if owner and owner ~= self then redis.call('SREM', p .. ':rooms:' .. owner, room) end
    redis.call('SET', rk, self, 'PX', ttl)
    redis.call('SADD', mine, room)
  end
end
for _, room in ipairs(redis.call('SMEMBERS', mine)) do
  if not hosted[room] then
    local rk = p .. ':room:' .. room
    local owner = redis.call('GET', rk)
    if owner ~= self then
      redis.call('SREM', mine, room)
    elseif redis.call('PTTL', rk) < tonumber(ttl) / 2 then
      -- placed here but not joined for half a TTL, or ended: release it
      redis.call('DEL', rk)
      redis.call('SREM', mine, room)
    end
  end
end
return conflicts
`)

// failoverScript releases a room from its host when a caller could not
// reach that host and the host's last heartbeat is older than 1.5
// intervals: both together mean the process is gone. It returns 1 when it
// released the room.
//
// ARGV: prefix, room, unreachable node, heartbeat TTL in ms, staleness in ms.
var failoverScript = redis.NewScript(`
local p, room, suspect = ARGV[1], ARGV[2], ARGV[3]
local ttl, stale = tonumber(ARGV[4]), tonumber(ARGV[5])
local rk = p .. ':room:' .. room
if redis.call('GET', rk) ~= suspect then return 0 end
local left = redis.call('PTTL', p .. ':node:' .. suspect)
if left > 0 and left > ttl - stale then return 0 end
redis.call('SREM', p .. ':rooms:' .. suspect, room)
redis.call('DEL', rk)
return 1
`)

// releaseAllScript drops every placement this node holds.
var releaseAllScript = redis.NewScript(`
local p, self = ARGV[1], ARGV[2]
local mine = p .. ':rooms:' .. self
for _, room in ipairs(redis.call('SMEMBERS', mine)) do
  local rk = p .. ':room:' .. room
  if redis.call('GET', rk) == self then redis.call('DEL', rk) end
end
redis.call('DEL', mine)
return 0
`)

// maxPlaceAttempts bounds retries when the chosen candidate vanished or
// started draining between reading the nodes and placing.
const maxPlaceAttempts = 4

// Place implements Router.
func (r *RedisRouter) Place(ctx context.Context, room, region string) (Node, error) {
	return r.place(ctx, room, region, "")
}

// Failover implements Router.
func (r *RedisRouter) Failover(ctx context.Context, room, region, unreachable string) (Node, error) {
	stale := r.hbEvery + r.hbEvery/2
	moved, err := failoverScript.Run(ctx, r.rdb, nil, r.p, room, unreachable, r.hbTTL.Milliseconds(), stale.Milliseconds()).Int()
	if err != nil {
		return Node{}, fmt.Errorf("fail room %s over from %s: %w", room, unreachable, err)
	}
	if moved == 0 {
		return r.place(ctx, room, region, "") // the host still beats: not (yet) dead
	}
	return r.place(ctx, room, region, unreachable)
}

// place places room on the best node other than exclude.
func (r *RedisRouter) place(ctx context.Context, room, region, exclude string) (Node, error) {
	if room == "" {
		return Node{}, errors.New("place room: empty room id")
	}
	var lastErr error
	for range maxPlaceAttempts {
		nodes, err := r.Nodes(ctx)
		if err != nil {
			return Node{}, fmt.Errorf("place room %s: %w", room, err)
		}
		cand, _ := RegionAware(without(nodes, exclude), region)
		owner, err := placeScript.Run(ctx, r.rdb, nil, r.p, room, cand.ID, r.roomTT.Milliseconds()).Text()
		if err != nil {
			if strings.Contains(err.Error(), "candidate") {
				lastErr = err
				continue // the picture changed under us: read it again
			}
			return Node{}, fmt.Errorf("place room %s: %w", room, err)
		}
		if owner == "" {
			return Node{}, fmt.Errorf("place room %s: %w", room, ErrNoNode)
		}
		for _, n := range nodes {
			if n.ID == owner {
				if owner == cand.ID {
					n.Load++ // the placement just made
				}
				return n, nil
			}
		}
		lastErr = fmt.Errorf("owner %s not among the nodes read", owner) // registered since: read again
	}
	return Node{}, fmt.Errorf("place room %s: %w (%w)", room, ErrNoNode, lastErr)
}

// Sync implements Router.
func (r *RedisRouter) Sync(ctx context.Context, hosted []string) ([]string, error) {
	args := make([]any, 0, 3+len(hosted))
	args = append(args, r.p, r.self.ID, r.roomTT.Milliseconds())
	for _, h := range hosted {
		args = append(args, h)
	}
	conflicts, err := syncScript.Run(ctx, r.rdb, nil, args...).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("sync rooms of node %s: %w", r.self.ID, err)
	}
	return conflicts, nil
}

func (r *RedisRouter) releaseAll(ctx context.Context) error {
	if err := releaseAllScript.Run(ctx, r.rdb, nil, r.p, r.self.ID).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("release rooms of node %s: %w", r.self.ID, err)
	}
	return nil
}

func without(nodes []Node, id string) []Node {
	if id == "" {
		return nodes
	}
	out := make([]Node, 0, len(nodes))
	for _, n := range nodes {
		if n.ID != id {
			out = append(out, n)
		}
	}
	return out
}
