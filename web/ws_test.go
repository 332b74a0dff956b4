package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nahbar/nahbar/rooms"
)

// TestSignallingThroughWeb joins through /ws with the real rooms.Manager,
// whose Authorizer is the web Store: an issued token is welcomed with
// joined, a forged one is refused with invalid_token.
func TestSignallingThroughWeb(t *testing.T) {
	store, _ := newTestStore(t)
	mgr, err := rooms.NewManager(rooms.Config{IncludeLoopback: true}, store)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{APIKey: testKey, Store: store}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := mgr.Close(ctx); err != nil {
			t.Errorf("close manager: %v", err)
		}
		srv.Close()
	})
	room, _ := store.CreateRoom("Beratung")
	inv, _ := store.Issue(room.ID, rooms.RoleCitizen, "Erika", time.Hour)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"

	tests := []struct {
		name     string
		token    string
		wantType string
		check    func(t *testing.T, m map[string]any)
	}{
		{"issued token", inv.Token, "joined", func(t *testing.T, m map[string]any) {
			if m["room_id"] != room.ID || m["name"] != "Erika" || m["role"] != "citizen" {
				t.Errorf("joined %v, want room %s, name Erika, role citizen", m, room.ID)
			}
		}},
		{"forged token", strings.Repeat("x", 43), "error", func(t *testing.T, m map[string]any) {
			if m["code"] != "invalid_token" {
				t.Errorf("error %v, want code invalid_token", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, wsURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			join, _ := json.Marshal(map[string]any{"type": "join", "v": rooms.ProtocolVersion, "token": tt.token})
			if err := conn.Write(ctx, websocket.MessageText, join); err != nil {
				t.Fatal(err)
			}
			_, b, err := conn.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["type"] != tt.wantType {
				t.Fatalf("first message %s, want type %s", b, tt.wantType)
			}
			tt.check(t, m)
			_ = conn.Close(websocket.StatusNormalClosure, "")
		})
	}
}
