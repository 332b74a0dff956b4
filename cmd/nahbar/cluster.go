package main

import (
	"context"
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
	stopEnd   func()        // ends the subscription to other nodes' room ends; nil on one node
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

// signaller is what /ws serves: the rooms.Manager itself on a single node, the
// gateway that relays to the room's host in a cluster.
func (n *clusterNode) signaller(mgr *rooms.Manager, auth rooms.Authorizer) (web.Signaller, error) {
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
	if n.stopEnd != nil {
		n.stopEnd()
	}
	if n.rdb != nil {
		_ = n.rdb.Close()
	}
}
