package rooms_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

// grants is the in-test Authorizer: a token is valid if it is in the map
// (and has no refusal recorded, see refuse).
type grants struct {
	mu   sync.Mutex
	m    map[string]rooms.Grant
	errs map[string]error
}

func (g *grants) Authorize(_ context.Context, token string) (rooms.Grant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.errs[token]; err != nil {
		return rooms.Grant{}, err
	}
	gr, ok := g.m[token]
	if !ok {
		return rooms.Grant{}, rooms.ErrInvalidToken
	}
	return gr, nil
}

func (g *grants) add(token string, gr rooms.Grant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]rooms.Grant{}
	}
	g.m[token] = gr
}

// refuse makes Authorize answer err for token from now on, as a real
// Authorizer does once the appointment behind the token is over.
func (g *grants) refuse(token string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.errs == nil {
		g.errs = map[string]error{}
	}
	g.errs[token] = err
}

type server struct {
	mgr  *rooms.Manager
	url  string
	auth *grants
}

// logger writes warnings and errors to stderr (t.Log cannot be used from
// goroutines that may outlive a test).
func logger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("NAHBAR_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// startServer runs a Manager behind httptest on 127.0.0.1.
func startServer(t testing.TB, mut func(*rooms.Config)) *server {
	t.Helper()
	auth := &grants{}
	cfg := rooms.Config{IncludeLoopback: true, Logger: logger()}
	if mut != nil {
		mut(&cfg)
	}
	mgr, err := rooms.NewManager(cfg, auth)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(mgr.ServeWS))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := mgr.Close(ctx); err != nil {
			t.Errorf("Manager.Close: %v", err)
		}
		srv.Close()
	})
	return &server{mgr: mgr, url: "ws" + strings.TrimPrefix(srv.URL, "http"), auth: auth}
}

// dial joins room as name with role and registers Close for cleanup.
func (s *server) dial(t testing.TB, ctx context.Context, room, name string, role rooms.Role, o testpeer.Options) *testpeer.Peer {
	t.Helper()
	p := s.dialNoCleanup(t, ctx, room, name, role, o)
	t.Cleanup(p.Close)
	return p
}

// dialNoCleanup is dial for a caller that closes the peer itself (so that
// the test keeps no reference to it afterwards).
func (s *server) dialNoCleanup(t testing.TB, ctx context.Context, room, name string, role rooms.Role, o testpeer.Options) *testpeer.Peer {
	t.Helper()
	token := "tok-" + room + "-" + name
	s.auth.add(token, rooms.Grant{RoomID: room, DisplayName: name, Role: role})
	o.URL, o.Token = s.url, token
	o.Publish = role.Publishes()
	p, err := testpeer.Dial(ctx, o)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	return p
}

func waitFor(t *testing.T, ctx context.Context, p *testpeer.Peer, what string, cond func() bool) {
	t.Helper()
	if err := p.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// pictureShows reports whether p's latest picture has exactly the expected
// colours in the cells its latest layout names (and nothing else: no other
// cells), and none of the forbidden colour anywhere.
func pictureShows(p *testpeer.Peer, want map[string]color.RGBA, forbidden *color.RGBA) (bool, string) {
	l, ok := p.Layout()
	if !ok {
		return false, "no layout yet"
	}
	if len(l.Cells) != len(want) {
		return false, fmt.Sprintf("layout has %d cells, want %d", len(l.Cells), len(want))
	}
	pic := p.Picture()
	if pic == nil {
		return false, "no picture yet"
	}
	for id, c := range want {
		cell, ok := l.Cell(id)
		if !ok {
			return false, "no cell for " + id
		}
		got := testpeer.MeanRGB(pic, testpeer.CellRect(pic, cell, 0.3))
		if !testpeer.Near(got, c, 40) {
			return false, "cell of " + id + " shows " + rgb(got) + ", want " + rgb(c)
		}
	}
	if forbidden != nil {
		if at, found := findColour(pic, *forbidden); found {
			return false, "own colour visible at " + at.String()
		}
	}
	return true, ""
}

// findColour scans pic in 16x16 blocks for one whose mean is the colour.
func findColour(pic *image.YCbCr, c color.RGBA) (image.Point, bool) {
	const b = 16
	for y := pic.Rect.Min.Y; y+b <= pic.Rect.Max.Y; y += b {
		for x := pic.Rect.Min.X; x+b <= pic.Rect.Max.X; x += b {
			if testpeer.Near(testpeer.MeanRGB(pic, image.Rect(x, y, x+b, y+b)), c, 30) {
				return image.Pt(x, y), true
			}
		}
	}
	return image.Point{}, false
}

func rgb(c color.RGBA) string { return fmt.Sprintf("rgb(%d,%d,%d)", c.R, c.G, c.B) }
