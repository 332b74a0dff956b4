package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// GatewayConfig configures a Gateway.
type GatewayConfig struct {
	// Resolve maps the client's first message (join) to the signalling URL
	// of the node that hosts its room, e.g. ws://10.0.0.3:8080/ws/node. It is
	// asked again while the host cannot be reached, with unreachable set to
	// the URL that just failed, so it can move the room off a dead host
	// (Router.Failover) rather than wait for its registration to expire.
	Resolve func(ctx context.Context, join []byte, unreachable string) (Target, error)
	// Header goes with every dial to a node (the cluster's bearer key).
	Header http.Header
	// OriginPatterns are accepted besides the request's own host.
	OriginPatterns []string
	// ReadLimit bounds a client message (rooms.MaxClientMessageSize), and
	// NodeReadLimit a node's (rooms.MaxMessageSize).
	ReadLimit, NodeReadLimit int64
	// JoinTimeout bounds the wait for join (default 10 s); FailoverWait how
	// long a join waits for its room to get a reachable host (default 10 s),
	// retrying every RetryInterval (default 250 ms).
	JoinTimeout, FailoverWait, RetryInterval time.Duration
	Logger                                   *slog.Logger
}

// Target is where a gateway relays a join: the host's signalling URL and
// headers for that dial besides GatewayConfig.Header (e.g. the grant the
// gateway's node already checked).
type Target struct {
	URL    string
	Header http.Header
}

// Gateway is the signalling entry of a cluster node: it reads the client's
// join, finds the node hosting the room and relays the WebSocket there, so
// any node can answer any page. Media does not pass through it: ICE
// candidates in the relayed SDP point at the hosting node. When the host
// goes away the gateway closes the client's socket with 1012 (service
// restart); the client rejoins with its token and lands on the new host.
type Gateway struct{ cfg GatewayConfig }

// NewGateway checks cfg and fills in defaults.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Resolve == nil {
		return nil, errors.New("cluster gateway: Resolve is required")
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 64 << 10
	}
	if cfg.NodeReadLimit <= 0 {
		cfg.NodeReadLimit = 1 << 20
	}
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = 10 * time.Second
	}
	if cfg.FailoverWait <= 0 {
		cfg.FailoverWait = 10 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Gateway{cfg: cfg}, nil
}

// ServeWS relays one signalling session; it returns when either side ends it.
func (g *Gateway) ServeWS(w http.ResponseWriter, r *http.Request) {
	client, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: g.cfg.OriginPatterns})
	if err != nil {
		g.cfg.Logger.Info("signalling upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	client.SetReadLimit(g.cfg.ReadLimit)
	log := g.cfg.Logger.With("remote", r.RemoteAddr)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	jctx, jcancel := context.WithTimeout(ctx, g.cfg.JoinTimeout)
	typ, join, err := client.Read(jctx)
	jcancel()
	if err != nil {
		log.Info("no join message", "err", err)
		_ = client.CloseNow()
		return
	}
	node, target, err := g.dialHost(ctx, join)
	if err != nil {
		log.Warn("no node for the join", "err", err)
		_ = client.Close(websocket.StatusTryAgainLater, "no media node available")
		return
	}
	log = log.With("node", target)
	if err := node.Write(ctx, typ, join); err != nil {
		log.Info("relay join", "err", err)
		_ = node.CloseNow()
		_ = client.Close(websocket.StatusServiceRestart, "media node unreachable")
		return
	}
	g.relay(ctx, client, node, log)
}

// dialHost resolves and dials until a host answers or FailoverWait passes.
func (g *Gateway) dialHost(ctx context.Context, join []byte) (*websocket.Conn, string, error) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.FailoverWait)
	defer cancel()
	retry := time.NewTicker(g.cfg.RetryInterval)
	defer retry.Stop()
	var lastErr error
	var unreachable string
	for {
		t, err := g.cfg.Resolve(ctx, join, unreachable)
		target := t.URL
		if err == nil {
			h := g.cfg.Header.Clone()
			if h == nil {
				h = http.Header{}
			}
			for k, v := range t.Header {
				h[k] = v
			}
			dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
			var conn *websocket.Conn
			conn, _, err = websocket.Dial(dctx, target, &websocket.DialOptions{HTTPHeader: h})
			dcancel()
			if err == nil {
				conn.SetReadLimit(g.cfg.NodeReadLimit)
				return conn, target, nil
			}
			err = fmt.Errorf("dial %s: %w", target, err)
			unreachable = target
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, "", fmt.Errorf("find a host: %w (last: %w)", ctx.Err(), lastErr)
		case <-retry.C:
		}
	}
}

// relay copies messages both ways until one side ends; the other side then
// learns why: a client that left closes the node's socket normally, a node
// that vanished closes the client's with 1012 so it rejoins.
func (g *Gateway) relay(ctx context.Context, client, node *websocket.Conn, log *slog.Logger) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nodeDone := make(chan error, 1)
	clientDone := make(chan error, 1)
	go func() { nodeDone <- pipe(ctx, node, client) }()
	go func() { clientDone <- pipe(ctx, client, node) }()
	var nodeErr, clientErr error
	select { // the first side to end decides; closing the other ends its pipe
	case nodeErr = <-nodeDone:
		if st := websocket.CloseStatus(nodeErr); st != -1 { // the node closed: pass its status on
			_ = client.Close(st, "")
		} else {
			log.Info("media node connection lost", "err", nodeErr)
			_ = client.Close(websocket.StatusServiceRestart, "media node lost")
		}
		cancel()
		<-clientDone
		_ = node.CloseNow()
	case clientErr = <-clientDone:
		st := websocket.CloseStatus(clientErr)
		if st == -1 {
			log.Info("client connection lost", "err", clientErr)
			st = websocket.StatusGoingAway
		}
		_ = node.Close(st, "")
		cancel()
		<-nodeDone
		_ = client.CloseNow()
	}
}

// pipe copies src's messages to dst until an error; it returns src's read
// error (the close status when src closed) or dst's write error.
func pipe(ctx context.Context, src, dst *websocket.Conn) error {
	for {
		typ, b, err := src.Read(ctx)
		if err != nil {
			return err
		}
		if err := dst.Write(ctx, typ, b); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}
