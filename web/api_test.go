package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testKey = "test-api-key-0123456789abcdef"

// noSignalling stands in for the rooms manager in tests that never open /ws.
type noSignalling struct{}

func (noSignalling) ServeWS(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "no signalling in this test", http.StatusServiceUnavailable)
}

type testServer struct {
	h     http.Handler
	store *Store
	clock *testClock
	logs  *bytes.Buffer
}

func newTestServer(t testing.TB, mutate func(*Config)) *testServer {
	t.Helper()
	store, clk := newTestStore(t)
	logs := &bytes.Buffer{}
	cfg := Config{
		PublicURL: "https://termine.example.org/",
		APIKey:    testKey,
		Store:     store,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := New(cfg, noSignalling{})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{h: h, store: store, clock: clk, logs: logs}
}

type call struct {
	method, path, body string
	header             map[string]string
}

func (s *testServer) do(c call) *httptest.ResponseRecorder {
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func authed(extra ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + testKey, "Content-Type": "application/json"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response %q is not the expected JSON: %v", rec.Body.String(), err)
	}
	return v
}

func TestHealthz(t *testing.T) {
	s := newTestServer(t, nil)
	rec := s.do(call{method: "GET", path: "/healthz"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ok"`) {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}
}

func TestAPIAuth(t *testing.T) {
	tests := []struct {
		name   string
		key    string // configured
		header map[string]string
		want   int
	}{
		{"no header", testKey, nil, 401},
		{"wrong key", testKey, map[string]string{"Authorization": "Bearer nope"}, 401},
		{"basic scheme", testKey, map[string]string{"Authorization": "Basic " + testKey}, 401},
		{"key prefix", testKey, map[string]string{"Authorization": "Bearer " + testKey[:10]}, 401},
		{"api disabled", "", map[string]string{"Authorization": "Bearer x"}, 401},
		{"right key", testKey, map[string]string{"Authorization": "Bearer " + testKey}, 201},
		{"scheme case-insensitive", testKey, map[string]string{"Authorization": "bearer " + testKey}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) { c.APIKey = tt.key })
			rec := s.do(call{method: "POST", path: "/api/v1/rooms", body: `{"name":"x"}`, header: tt.header})
			if rec.Code != tt.want {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tt.want)
			}
			if tt.want == 401 {
				e := decodeBody[apiError](t, rec)
				if e.Error != "unauthorized" || e.Message == "" {
					t.Errorf("401 body %+v, want error=unauthorized with a message", e)
				}
			}
		})
	}
}

func TestCreateRoom(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		header    map[string]string
		want      int
		wantError string
	}{
		{"ok", `{"name":"  Beratung Raum 3 "}`, authed(), 201, ""},
		{"no content type is fine", `{"name":"x"}`, map[string]string{"Authorization": "Bearer " + testKey}, 201, ""},
		{"missing name", `{}`, authed(), 400, "invalid_request"},
		{"blank name", `{"name":"   "}`, authed(), 400, "invalid_request"},
		{"long name", `{"name":"` + strings.Repeat("x", 101) + `"}`, authed(), 400, "invalid_request"},
		{"control char", `{"name":"a\u0007b"}`, authed(), 400, "invalid_request"},
		{"unknown field", `{"name":"x","admin":true}`, authed(), 400, "invalid_json"},
		{"not json", `name=x`, authed(), 400, "invalid_json"},
		{"empty body", ``, authed(), 400, "invalid_json"},
		{"two objects", `{"name":"x"}{"name":"y"}`, authed(), 400, "invalid_json"},
		{"wrong type", `{"name":3}`, authed(), 400, "invalid_json"},
		{"form content type", `{"name":"x"}`, authed("Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"},
		{"too big", `{"name":"` + strings.Repeat("x", 20000) + `"}`, authed(), 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			rec := s.do(call{method: "POST", path: "/api/v1/rooms", body: tt.body, header: tt.header})
			if rec.Code != tt.want {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tt.want)
			}
			if tt.wantError != "" {
				if e := decodeBody[apiError](t, rec); e.Error != tt.wantError || e.Message == "" {
					t.Errorf("error body %+v, want error=%s with a message", e, tt.wantError)
				}
				return
			}
			r := decodeBody[roomResponse](t, rec)
			if r.ID == "" {
				t.Error("room without id")
			}
			if got, ok := s.store.Room(r.ID); !ok || got.Name != r.Name {
				t.Errorf("room %+v not in store (got %+v)", r, got)
			}
		})
	}
}

func TestCreateParticipant(t *testing.T) {
	s := newTestServer(t, nil)
	room, err := s.store.CreateRoom("Beratung")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/rooms/" + room.ID + "/participants"
	tests := []struct {
		name      string
		path      string
		body      string
		want      int
		wantError string
		wantTTL   time.Duration
	}{
		{"citizen", path, `{"role":"citizen","display_name":"Erika Mustermann"}`, 201, "", 24 * time.Hour},
		{"attendee with ttl", path, `{"role":"attendee","display_name":"Gast","expires_in":600}`, 201, "", 10 * time.Minute},
		{"unknown room", "/api/v1/rooms/nope/participants", `{"role":"citizen","display_name":"x"}`, 404, "room_not_found", 0},
		{"unknown role", path, `{"role":"admin","display_name":"x"}`, 400, "invalid_request", 0},
		{"missing role", path, `{"display_name":"x"}`, 400, "invalid_request", 0},
		{"missing name", path, `{"role":"citizen"}`, 400, "invalid_request", 0},
		{"long name", path, `{"role":"citizen","display_name":"` + strings.Repeat("ü", 65) + `"}`, 400, "invalid_request", 0},
		{"bidi override", path, `{"role":"citizen","display_name":"a\u202eb"}`, 400, "invalid_request", 0},
		{"negative ttl", path, `{"role":"citizen","display_name":"x","expires_in":-1}`, 400, "invalid_request", 0},
		{"ttl too long", path, `{"role":"citizen","display_name":"x","expires_in":99999999}`, 400, "invalid_request", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(call{method: "POST", path: tt.path, body: tt.body, header: authed()})
			if rec.Code != tt.want {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tt.want)
			}
			if tt.wantError != "" {
				if e := decodeBody[apiError](t, rec); e.Error != tt.wantError || e.Message == "" {
					t.Errorf("error body %+v, want error=%s with a message", e, tt.wantError)
				}
				return
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store for a response carrying a token", cc)
			}
			p := decodeBody[participantResponse](t, rec)
			if want := "https://termine.example.org/j/" + p.Token; p.JoinURL != want {
				t.Errorf("join_url %q, want %q", p.JoinURL, want)
			}
			if want := s.clock.t.Add(tt.wantTTL); !p.ExpiresAt.Equal(want) {
				t.Errorf("expires_at %v, want %v", p.ExpiresAt, want)
			}
			g, err := s.store.Authorize(context.Background(), p.Token)
			if err != nil {
				t.Fatalf("issued token does not authorize: %v", err)
			}
			if g.RoomID != room.ID {
				t.Errorf("grant for room %q, want %q", g.RoomID, room.ID)
			}
		})
	}
}

func TestJoinURLFromRequestHost(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.PublicURL = "" })
	room, _ := s.store.CreateRoom("r")
	rec := s.do(call{method: "POST", path: "/api/v1/rooms/" + room.ID + "/participants",
		body: `{"role":"advisor","display_name":"A"}`, header: authed()})
	p := decodeBody[participantResponse](t, rec)
	if !strings.HasPrefix(p.JoinURL, "http://example.com/j/") {
		t.Errorf("join_url %q, want it on the request's host", p.JoinURL)
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	s := newTestServer(t, nil)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/nope", 404},
		{"GET", "/api/v1/rooms", 405},
		{"DELETE", "/healthz", 405},
	} {
		rec := s.do(call{method: c.method, path: c.path})
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.want)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: content type %q, want JSON", c.method, c.path, ct)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	store := NewStore(StoreConfig{})
	for _, cfg := range []Config{
		{},
		{Store: store, PublicURL: "ftp://x"},
		{Store: store, PublicURL: "https://"},
		{Store: store, TokenTTL: 2 * time.Hour, MaxTokenTTL: time.Hour},
	} {
		if _, err := New(cfg, noSignalling{}); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
	if _, err := New(Config{Store: store}, nil); err == nil {
		t.Error("New without a Signaller succeeded")
	}
}

func TestDecodeStrictTrailingGarbage(t *testing.T) {
	var v createRoomRequest
	if err := decodeStrict(io.MultiReader(strings.NewReader(`{"name":"x"} x`)), &v); err == nil {
		t.Error("trailing garbage accepted")
	}
	if err := decodeStrict(strings.NewReader(" {\"name\":\"x\"}\n "), &v); err != nil {
		t.Errorf("whitespace around the object rejected: %v", err)
	}
}
