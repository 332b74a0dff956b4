package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/rooms"
)

func TestRequestLogNeverShowsSecrets(t *testing.T) {
	s := newTestServer(t, nil)
	room, _ := s.store.CreateRoom("r")
	inv, _ := s.store.Issue(room.ID, rooms.RoleCitizen, "x", time.Hour)

	s.do(call{method: "GET", path: "/j/" + inv.Token + "?token=" + inv.Token})
	s.do(call{method: "POST", path: "/api/v1/rooms", body: `{"name":"x"}`, header: authed()})
	s.do(call{method: "POST", path: "/api/v1/rooms", body: `{"name":"x"}`,
		header: map[string]string{"Authorization": "Bearer wrong-secret-key"}})
	rec := s.do(call{method: "POST", path: "/api/v1/rooms/" + room.ID + "/participants",
		body: `{"role":"citizen","display_name":"x"}`, header: authed()})
	issued := decodeBody[participantResponse](t, rec).Token

	logs := s.logs.String()
	for _, secret := range []string{inv.Token, testKey, "wrong-secret-key", issued} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains a secret %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "path=/j/[redacted]") || !strings.Contains(logs, "status=401") {
		t.Errorf("log lacks the redacted join request or the 401:\n%s", logs)
	}
}

func TestRecovery(t *testing.T) {
	var logs bytes.Buffer
	r := gin.New()
	r.Use(recovery(slog.New(slog.NewTextHandler(&logs, nil))))
	r.GET("/j/:token", func(*gin.Context) { panic("boom") })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/j/secret-token", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"error":"internal"`) {
		t.Errorf("panic answered %d %s, want a 500 JSON error", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "boom") || strings.Contains(logs.String(), "secret-token") {
		t.Errorf("panic log should name the panic and not the token:\n%s", logs.String())
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	s := newTestServer(t, nil)
	for _, p := range []string{"/healthz", "/nope", "/api/v1/rooms"} {
		rec := s.do(call{method: "GET", path: p})
		h := rec.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: missing security headers: %v", p, h)
		}
	}
}
