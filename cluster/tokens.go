package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnknownToken is returned by Tokens.Get for a hash never shared or expired.
var ErrUnknownToken = errors.New("token unknown to the cluster")

// Tokens shares invitation tokens between nodes, so a token issued by one
// node admits its holder on any other (after failover too). Only the
// token's SHA-256 is stored, as the issuing node does, with the grant as an
// opaque value and the token's own expiry.
type Tokens struct {
	rdb  *redis.Client
	p    string
	kind string
	now  func() time.Time
}

// NewTokens returns the shared token store under prefix.
func NewTokens(rdb *redis.Client, prefix string, now func() time.Time) *Tokens {
	return NewShared(rdb, prefix, "token", now)
}

// NewShared returns a store of the same kind for other values every node
// needs (e.g. "api-room": the API's room directory), keyed <prefix>:<kind>:<hex key>.
func NewShared(rdb *redis.Client, prefix, kind string, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{rdb: rdb, p: prefix, kind: kind, now: now}
}

func (t *Tokens) key(hash []byte) string { return t.p + ":" + t.kind + ":" + hex.EncodeToString(hash) }

// Put stores value under hash until expires.
func (t *Tokens) Put(ctx context.Context, hash, value []byte, expires time.Time) error {
	ttl := expires.Sub(t.now())
	if ttl <= 0 {
		return nil // already expired: nothing to share
	}
	if err := t.rdb.Set(ctx, t.key(hash), value, ttl).Err(); err != nil {
		return fmt.Errorf("share token: %w", err)
	}
	return nil
}

// Get returns the value stored under hash, or an error wrapping ErrUnknownToken.
func (t *Tokens) Get(ctx context.Context, hash []byte) ([]byte, error) {
	v, err := t.rdb.Get(ctx, t.key(hash)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("look up shared token: %w", ErrUnknownToken)
	}
	if err != nil {
		return nil, fmt.Errorf("look up shared token: %w", err)
	}
	return v, nil
}
