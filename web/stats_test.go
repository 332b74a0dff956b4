package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// TestStatsEndpoint asks the real rooms.Manager through /api/v1/stats: an idle server
// reports zero rooms and encoders, and the endpoint needs the API key like the rest of v1.
func TestStatsEndpoint(t *testing.T) {
	store, _ := newTestStore(t)
	mgr, err := rooms.NewManager(rooms.Config{IncludeLoopback: true}, store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = mgr.Close(ctx)
	})
	h, err := New(Config{APIKey: testKey, Store: store}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		auth   string
		status int
	}{
		{"with key", "Bearer " + testKey, http.StatusOK},
		{"without key", "", http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/stats", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != http.StatusOK {
				return
			}
			var got map[string]int
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			if got["heap_allocs"] <= 0 {
				t.Errorf("heap_allocs = %d, want the process's allocation count", got["heap_allocs"])
			}
			for _, k := range []string{"rooms", "participants", "video_encoders", "audio_encoders", "rtp_packets_sent"} {
				if v, ok := got[k]; !ok || v != 0 {
					t.Errorf("%s = %d (present %v), want 0 on an idle server", k, v, ok)
				}
			}
		})
	}
}
