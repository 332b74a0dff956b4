package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/web"
)

// server is the real nahbar server (web + rooms) started in-process on the
// namespace's server address.
type server struct {
	base    string
	store   *web.Store
	clock   *testClock
	logs    *syncBuffer
	log     *slog.Logger
	mgr     atomic.Pointer[rooms.Manager]
	handler atomic.Pointer[http.Handler]
}

// testClock is the store's clock: real time plus an offset a test can add
// to, e.g. to let a token expire without waiting.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n lines, for failure messages.
func (b *syncBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func startServer(t *testing.T) *server {
	t.Helper()
	logs := &syncBuffer{}
	clock := &testClock{}
	s := &server{
		store: web.NewStore(web.StoreConfig{Now: clock.now}),
		clock: clock,
		logs:  logs,
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if err := s.startMedia(); err != nil {
		t.Fatal(err)
	}
	s.listen(t)
	return s
}

// listen serves s's current handler on the namespace's server address until
// the test ends, then closes its current rooms manager.
func (s *server) listen(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(serverIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s.base = fmt.Sprintf("http://%s", ln.Addr())
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*s.handler.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := s.mgr.Load().Close(ctx); err != nil {
			t.Errorf("close rooms manager: %v", err)
		}
	})
}

// startMedia builds a rooms manager and the web handler in front of it, and
// puts them in service; rooms and links (the store) carry over.
func (s *server) startMedia() error {
	mgr, err := rooms.NewManager(rooms.Config{Logger: s.log.With("component", "rooms")}, s.store)
	if err != nil {
		return err
	}
	h, err := web.New(web.Config{
		APIKey: "e2e-test-key-0123456789",
		Store:  s.store,
		// Pure test tones would be suppressed by echo cancellation and noise
		// suppression, so the page asks for raw microphone audio.
		AudioProcessing: false,
		Logger:          s.log.With("component", "web"),
	}, mgr)
	if err != nil {
		return err
	}
	s.mgr.Store(mgr)
	s.handler.Store(&h)
	return nil
}

// restartMedia replaces the media server as a restart would: the old
// manager says bye{shutdown} to everyone and the pages must come back by
// themselves.
func (s *server) restartMedia() error {
	old := s.mgr.Load()
	if err := s.startMedia(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return old.Close(ctx)
}
