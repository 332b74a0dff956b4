package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// A gateway has already authorized the join it relays, with everything its
// node knows (the waiting room's admission lives in that node's memory). It
// passes the grant to the host in a header of the authenticated /ws/node
// request, so the host does not ask its own Lobby, which never saw the
// citizen. The grant is bound to the token's hash and used once.

const grantHeaderName = "X-Nahbar-Grant"

// passedGrantTTL bounds how long a passed grant waits for its join.
const passedGrantTTL = 30 * time.Second

type passedGrant struct {
	Hash string      `json:"h"` // hex SHA-256 of the token
	G    rooms.Grant `json:"g"`
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// grantHeader is the header a gateway sends with the relayed join.
func grantHeader(token string, g rooms.Grant) http.Header {
	b, err := json.Marshal(passedGrant{Hash: tokenHash(token), G: g})
	if err != nil {
		return nil
	}
	return http.Header{grantHeaderName: []string{base64.RawURLEncoding.EncodeToString(b)}}
}

// passedGrants holds grants from gateways until their join arrives.
type passedGrants struct {
	mu sync.Mutex
	m  map[string]passedEntry
}

type passedEntry struct {
	g       rooms.Grant
	expires time.Time
}

// accept stores the grant of a header; garbage is ignored (the join is then
// authorized the ordinary way).
func (p *passedGrants) accept(header string, now time.Time) {
	if header == "" || len(header) > 4096 {
		return
	}
	b, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return
	}
	var pg passedGrant
	if json.Unmarshal(b, &pg) != nil || len(pg.Hash) != 2*sha256.Size || pg.G.RoomID == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]passedEntry{}
	}
	for k, e := range p.m { // few entries: each lives until its join, seconds at most
		if now.After(e.expires) {
			delete(p.m, k)
		}
	}
	p.m[pg.Hash] = passedEntry{g: pg.G, expires: now.Add(passedGrantTTL)}
}

// take returns and forgets the grant passed for token.
func (p *passedGrants) take(token string, now time.Time) (rooms.Grant, bool) {
	h := tokenHash(token)
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[h]
	if !ok {
		return rooms.Grant{}, false
	}
	delete(p.m, h)
	return e.g, now.Before(e.expires)
}
