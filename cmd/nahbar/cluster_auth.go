package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nahbar/nahbar/cluster"
	"github.com/nahbar/nahbar/rooms"
)

// shareToken is web.StoreConfig.Issued: the API's tokens become valid on
// every node. Without Redis it does nothing.
func (n *clusterNode) shareToken(hash [sha256.Size]byte, g rooms.Grant, expires time.Time) {
	if n.tokens == nil {
		return
	}
	b, err := json.Marshal(g)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = n.tokens.Put(ctx, hash[:], b, expires)
		cancel()
	}
	if err != nil {
		n.log.Warn("share token with the cluster", "room", g.RoomID, "err", err)
	}
}

// grant authorizes a token here first, then among the cluster's tokens.
func (n *clusterNode) grant(ctx context.Context, local rooms.Authorizer, token string) (rooms.Grant, error) {
	g, err := local.Authorize(ctx, token)
	if err == nil || n.tokens == nil || !errors.Is(err, rooms.ErrInvalidToken) {
		return g, err
	}
	raw, derr := base64.RawURLEncoding.Strict().DecodeString(token)
	if derr != nil {
		return g, err
	}
	sum := sha256.Sum256(raw)
	b, gerr := n.tokens.Get(ctx, sum[:])
	if errors.Is(gerr, cluster.ErrUnknownToken) {
		return g, err // the local reason (unknown, expired) stands
	}
	if gerr != nil {
		return rooms.Grant{}, fmt.Errorf("authorize: %w", gerr)
	}
	var shared rooms.Grant
	if err := json.Unmarshal(b, &shared); err != nil {
		return rooms.Grant{}, fmt.Errorf("authorize: shared grant: %w", err)
	}
	// Another node issued it (e.g. the advisor's link): its room may have
	// been ended since (an appointment done, an API room ended).
	if c, ok := local.(roomChecker); ok {
		if err := c.CheckRoom(ctx, shared.RoomID); err != nil {
			return rooms.Grant{}, fmt.Errorf("authorize: shared grant: %w", err)
		}
	}
	return shared, nil
}

// roomChecker is the part of web.StoreAuthorizer that refuses rooms whose
// call is over, whichever node issued the token.
type roomChecker interface {
	CheckRoom(ctx context.Context, roomID string) error
}

// hostAuthorizer is the rooms.Manager's Authorizer in a cluster: a join is
// served here only when the room is placed here, so two nodes never host
// one room even if a gateway's view was stale (the client is told to retry).
type hostAuthorizer struct {
	n     *clusterNode
	local rooms.Authorizer
}

func (a hostAuthorizer) Authorize(ctx context.Context, token string) (rooms.Grant, error) {
	g, ok := a.n.passed.take(token, time.Now())
	if !ok {
		var err error
		if g, err = a.n.grant(ctx, a.local, token); err != nil {
			return g, err
		}
	}
	host, err := a.n.router.Place(ctx, g.RoomID, a.n.cfg.Region)
	if err != nil {
		return rooms.Grant{}, fmt.Errorf("place room %s: %w", g.RoomID, err)
	}
	if host.ID != a.n.cfg.NodeID {
		return rooms.Grant{}, fmt.Errorf("room %s is hosted by node %s, not here", g.RoomID, host.ID)
	}
	return g, nil
}

// authorizer wraps the server's Authorizer for the rooms.Manager.
func (n *clusterNode) authorizer(local rooms.Authorizer) rooms.Authorizer {
	if !n.clustered() {
		return local
	}
	return hostAuthorizer{n: n, local: local}
}
