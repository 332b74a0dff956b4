package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nahbar/nahbar/cluster"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
	"github.com/redis/go-redis/v9"
)

// clusterNode is this server's place in the cluster: the router (in-process
// or Redis), the agent's loop (heartbeat, placements, capacity, drain), the
// shared tokens and the signalling gateway. serve wires it in five places:
// the store's Issued hook, the Authorizer, the Signaller, the HTTP handler
// and the shutdown.
type clusterNode struct {
	cfg     clusterConfig
	apiKey  string
	log     *slog.Logger
	router  cluster.Router
	rdb     *redis.Client   // nil on a single node
	tokens  *cluster.Tokens // nil on a single node
	roomDir *cluster.Tokens // the API's rooms; nil on a single node
	agent   *cluster.Agent
	// capacity receives the bookable units; nil on a single node, where the
	// admin page sets them.
	capacity cluster.CapacityStore

	stopAgent context.CancelFunc
	agentDone chan struct{}
	passed    passedGrants  // grants relayed by gateways, for the join that follows
	stopLobby func()        // ends the lobby's replication; nil on one node
	drained   chan struct{} // closed when a drain finished: serve exits
	drainOnce sync.Once
}

// newClusterNode connects to Redis when configured; otherwise the node runs
// alone with the in-process router (drain still works).
func newClusterNode(ctx context.Context, cfg clusterConfig, listen, apiKey string, db *storage.Store, log *slog.Logger) (*clusterNode, error) {
	cfg = cfg.withDefaults(listen)
	n := &clusterNode{cfg: cfg, apiKey: apiKey, log: log, drained: make(chan struct{}), agentDone: make(chan struct{})}
	self := cluster.Node{ID: cfg.NodeID, URL: cfg.NodeURL, Region: cfg.Region, Capacity: cfg.CapacityUnits}
	var capacity cluster.CapacityStore
	if cfg.RedisURL == "" {
		r, err := cluster.NewLocalRouter(self)
		if err != nil {
			return nil, err
		}
		n.router = r
	} else {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("redis URL: %w", err)
		}
		n.rdb = redis.NewClient(opts)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = n.rdb.Ping(pctx).Err()
		cancel()
		if err != nil {
			_ = n.rdb.Close()
			return nil, fmt.Errorf("connect to redis at %s: %w", opts.Addr, err)
		}
		r, err := cluster.NewRedisRouter(cluster.RedisConfig{Client: n.rdb, Prefix: cfg.RedisPrefix, Self: self,
			HeartbeatTTL: cfg.HeartbeatTTL, HeartbeatInterval: cfg.HeartbeatInterval})
		if err != nil {
			_ = n.rdb.Close()
			return nil, err
		}
		n.router = r
		n.tokens = cluster.NewTokens(n.rdb, cfg.RedisPrefix, time.Now)
		n.roomDir = cluster.NewShared(n.rdb, cfg.RedisPrefix, "api-room", time.Now)
		capacity = db // the cluster, not the admin page, sets the bookable units
	}
	n.capacity = capacity
	return n, nil
}

func (n *clusterNode) clustered() bool { return n.rdb != nil }

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
	return shared, nil
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

// signaller is what /ws serves: the rooms.Manager itself on a single node, the
// gateway that relays to the room's host in a cluster.
func (n *clusterNode) signaller(mgr *rooms.Manager, auth rooms.Authorizer) (interface {
	ServeWS(http.ResponseWriter, *http.Request)
}, error) {
	if !n.clustered() {
		return mgr, nil
	}
	self := strings.TrimRight(n.cfg.NodeURL, "/")
	return cluster.NewGateway(cluster.GatewayConfig{
		Resolve: func(ctx context.Context, join []byte, unreachable string) (cluster.Target, error) {
			local := cluster.Target{URL: wsURL(self)}
			msg, err := rooms.DecodeMessage(join)
			if err != nil || msg.Type != rooms.TypeJoin {
				return local, nil // the local node refuses it in the protocol's words
			}
			g, err := n.grant(ctx, auth, msg.Token)
			if err != nil {
				return local, nil
			}
			host, err := n.router.Place(ctx, g.RoomID, n.cfg.Region)
			if err == nil && unreachable != "" && wsURL(host.URL) == unreachable {
				host, err = n.router.Failover(ctx, g.RoomID, n.cfg.Region, host.ID)
			}
			if err != nil {
				return cluster.Target{}, err
			}
			return cluster.Target{URL: wsURL(host.URL), Header: grantHeader(msg.Token, g)}, nil
		},
		Header:        http.Header{"Authorization": []string{"Bearer " + n.apiKey}},
		ReadLimit:     rooms.MaxClientMessageSize,
		NodeReadLimit: rooms.MaxMessageSize,
		Logger:        n.log.With("part", "gateway"),
	})
}

// wsURL is a node's internal signalling endpoint.
func wsURL(nodeURL string) string {
	u := strings.TrimRight(nodeURL, "/") + "/ws/node"
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(u, "http://")
}

// handler adds the node's own routes to the web application: the internal
// signalling endpoint other nodes relay to (bearer API key) and the node
// API (GET /api/v1/node, POST /api/v1/node/drain).
func (n *clusterNode) handler(next http.Handler, mgr *rooms.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.HandleFunc("GET /ws/node", func(w http.ResponseWriter, r *http.Request) {
		if !n.clustered() || !n.authorized(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		n.passed.accept(r.Header.Get(grantHeaderName), time.Now())
		mgr.ServeWS(w, r)
	})
	mux.HandleFunc("GET /api/v1/node", func(w http.ResponseWriter, r *http.Request) {
		if !n.authorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		st, err := n.agent.Status(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		nodes, _ := n.router.Nodes(ctx)
		writeJSON(w, http.StatusOK, map[string]any{"node": st.Node.ID, "region": st.Node.Region,
			"capacity_units": st.Node.Capacity, "rooms": st.Rooms, "draining": st.Draining,
			"bookable_units": st.Capacity, "nodes": nodes})
	})
	mux.HandleFunc("POST /api/v1/node/drain", func(w http.ResponseWriter, r *http.Request) {
		if !n.authorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		deadline := time.Now().Add(n.cfg.DrainTimeout)
		n.agent.Drain(deadline)
		writeJSON(w, http.StatusAccepted, map[string]any{"draining": true, "deadline": deadline.UTC()})
	})
	return mux
}

func (n *clusterNode) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && n.apiKey != "" && subtle.ConstantTimeCompare([]byte(got), []byte(n.apiKey)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// start runs the agent over the manager's rooms and drains on SIGUSR1.
func (n *clusterNode) start(mgr *rooms.Manager) error {
	agent, err := cluster.NewAgent(cluster.AgentConfig{Router: n.router, Rooms: mgr.RoomIDs,
		Capacity: n.capacity, Planned: n.cfg.PlannedUnits, Interval: n.cfg.HeartbeatInterval,
		Drained: n.finishDrain, Logger: n.log})
	if err != nil {
		return err
	}
	n.agent = agent
	ctx, cancel := context.WithCancel(context.Background())
	n.stopAgent = cancel
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		defer close(n.agentDone)
		agent.Run(ctx)
	}()
	go func() {
		defer signal.Stop(usr1)
		for {
			select {
			case <-ctx.Done():
				return
			case <-usr1:
				agent.Drain(time.Now().Add(n.cfg.DrainTimeout))
			}
		}
	}()
	n.log.Info("cluster node started", "node", n.cfg.NodeID, "url", n.cfg.NodeURL, "region", n.cfg.Region,
		"capacity_units", n.cfg.CapacityUnits, "redis", n.clustered())
	return nil
}

// finishDrain is the agent's Drained: serve stops as on SIGTERM.
func (n *clusterNode) finishDrain() { n.drainOnce.Do(func() { close(n.drained) }) }

// done is closed when a drain has finished and the node should exit.
func (n *clusterNode) done() <-chan struct{} { return n.drained }

// leave stops the agent and deregisters the node, releasing its rooms so
// their clients are re-placed at once; call it before closing the media.
func (n *clusterNode) leave() {
	if n.stopAgent != nil {
		n.stopAgent()
		<-n.agentDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := n.router.Leave(ctx); err != nil {
		n.log.Warn("leave the cluster", "err", err)
	}
}

// close releases the Redis client (after leave).
func (n *clusterNode) close() {
	if n.stopLobby != nil {
		n.stopLobby()
	}
	if n.rdb != nil {
		_ = n.rdb.Close()
	}
}

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
