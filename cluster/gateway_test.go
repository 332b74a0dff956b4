package cluster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoNode is a node's signalling endpoint reduced to what the gateway
// relies on: it checks the bearer key, answers every message with
// "echo:"+message, closes with 4000 on "bye" and drops the connection on "die".
func echoNode(t *testing.T, key string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			switch string(b) {
			case "bye":
				_ = c.Close(4000, "bye")
				return
			case "die": // the TCP connection drops without a close frame, as when the process is killed
				_ = c.CloseNow()
				return
			}
			if err := c.Write(r.Context(), typ, append([]byte("echo:"), b...)); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func wsOf(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

func gatewayServer(t *testing.T, resolve func(context.Context, []byte, string) (Target, error), key string) string {
	t.Helper()
	g, err := NewGateway(GatewayConfig{Resolve: resolve, Header: http.Header{"Authorization": {"Bearer " + key}},
		FailoverWait: time.Second, RetryInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(g.ServeWS))
	t.Cleanup(srv.Close)
	return wsOf(srv)
}

func dialClient(t *testing.T, ctx context.Context, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func roundTrip(t *testing.T, ctx context.Context, c *websocket.Conn, msg string) string {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGatewayRelaysToTheHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := echoNode(t, "k")
	var seen atomic.Value
	url := gatewayServer(t, func(_ context.Context, join []byte, _ string) (Target, error) {
		seen.Store(string(join))
		return Target{URL: wsOf(host)}, nil
	}, "k")
	c := dialClient(t, ctx, url)
	if got := roundTrip(t, ctx, c, `{"type":"join"}`); got != `echo:{"type":"join"}` {
		t.Fatalf("join answered %q", got)
	}
	if seen.Load() != `{"type":"join"}` {
		t.Fatalf("Resolve saw %v", seen.Load())
	}
	if got := roundTrip(t, ctx, c, "offer"); got != "echo:offer" {
		t.Fatalf("relay answered %q", got)
	}
	// The host's close status reaches the client.
	_ = c.Write(ctx, websocket.MessageText, []byte("bye"))
	_, _, err := c.Read(ctx)
	if st := websocket.CloseStatus(err); st != 4000 {
		t.Fatalf("client saw %v, want the host's 4000", err)
	}
}

func TestGatewayHostLostClosesWith1012(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := echoNode(t, "k")
	url := gatewayServer(t, func(context.Context, []byte, string) (Target, error) { return Target{URL: wsOf(host)}, nil }, "k")
	c := dialClient(t, ctx, url)
	roundTrip(t, ctx, c, "join")
	_ = c.Write(ctx, websocket.MessageText, []byte("die"))
	_, _, err := c.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusServiceRestart {
		t.Fatalf("client saw %v, want 1012 (service restart) so it rejoins", err)
	}
}

func TestGatewayWaitsForANewHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := wsOf(dead)
	dead.Close() // refuses connections, as a killed node does
	host := echoNode(t, "k")
	var asked atomic.Int32
	url := gatewayServer(t, func(context.Context, []byte, string) (Target, error) {
		if asked.Add(1) < 4 {
			return Target{URL: deadURL}, nil // the placement still names the dead node
		}
		return Target{URL: wsOf(host)}, nil // its heartbeat expired: re-placed
	}, "k")
	c := dialClient(t, ctx, url)
	if got := roundTrip(t, ctx, c, "join"); got != "echo:join" {
		t.Fatalf("got %q", got)
	}
	if asked.Load() < 4 {
		t.Fatalf("resolved %d times", asked.Load())
	}
}

func TestGatewayGivesUpWithTryAgainLater(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := gatewayServer(t, func(context.Context, []byte, string) (Target, error) { return Target{}, ErrNoNode }, "k")
	c := dialClient(t, ctx, url)
	_ = c.Write(ctx, websocket.MessageText, []byte("join"))
	_, _, err := c.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusTryAgainLater {
		t.Fatalf("client saw %v, want 1013", err)
	}
	if _, err := NewGateway(GatewayConfig{}); err == nil || errors.Is(err, ErrNoNode) {
		t.Fatalf("a gateway without Resolve: %v", err)
	}
}

func TestGatewayWrongKeyIsRefusedByTheNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := echoNode(t, "right")
	url := gatewayServer(t, func(context.Context, []byte, string) (Target, error) { return Target{URL: wsOf(host)}, nil }, "wrong")
	c := dialClient(t, ctx, url)
	_ = c.Write(ctx, websocket.MessageText, []byte("join"))
	_, _, err := c.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusTryAgainLater {
		t.Fatalf("client saw %v, want 1013 after the failover wait", err)
	}
}
