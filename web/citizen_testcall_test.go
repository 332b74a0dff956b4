package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// The device check's "Test call" gets a short-lived selftest token for a
// private room of the invitation's own; pressing again reuses the room.
func TestCitizenTestCall(t *testing.T) {
	s := newCitizenServer(t)
	path := "/i/" + s.seeded.JoinToken + "/testcall"

	join := func() rooms.Grant {
		t.Helper()
		rec := s.do(call{method: "POST", path: path})
		if rec.Code != http.StatusOK {
			t.Fatalf("POST %s: %d %s", "testcall", rec.Code, rec.Body)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		var body struct{ Token string }
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Token == "" {
			t.Fatalf("answer %s: %v", rec.Body, err)
		}
		g, err := s.auth.Authorize(context.Background(), body.Token)
		if err != nil {
			t.Fatalf("test call token does not authorize: %v", err)
		}
		return g
	}
	g := join()
	if g.Role != rooms.RoleSelfTest || !strings.HasPrefix(g.RoomID, "test-") || g.DisplayName != "Demo Bürgerin" {
		t.Errorf("grant = %+v, want role selftest in a test- room for Demo Bürgerin", g)
	}
	if g.RoomID == AppointmentRoomID(s.seeded.Appointment.ID) {
		t.Error("test call joins the appointment's room")
	}
	if again := join(); again.RoomID != g.RoomID {
		t.Errorf("second test call in room %q, first in %q: want one room per invitation", again.RoomID, g.RoomID)
	}

	// The token is short-lived.
	rec := s.do(call{method: "POST", path: path})
	var body struct{ Token string }
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	s.clock.advance(testCallTTL + time.Second)
	if _, err := s.auth.Authorize(context.Background(), body.Token); err == nil {
		t.Error("test call token still valid after its TTL")
	}
}

func TestCitizenTestCallBadLink(t *testing.T) {
	s := newCitizenServer(t)
	for _, tc := range []struct{ name, path string }{
		{"unknown token", "/i/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/testcall"},
		{"garbage token", "/i/%00%ff/testcall"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := s.do(call{method: "POST", path: tc.path})
			if rec.Code != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404", tc.path, rec.Code)
			}
			if strings.Contains(rec.Body.String(), `"token"`) {
				t.Errorf("a bad link got a token: %s", rec.Body)
			}
		})
	}
}

// An attendee does not publish, so there is nothing to loop back.
func TestCitizenTestCallAttendee(t *testing.T) {
	s := newCitizenServer(t)
	_, token, err := s.db.Invite(context.Background(), s.seeded.Advisor.ID, storage.NewInvitation{
		AppointmentID: s.seeded.Appointment.ID, Role: storage.InviteAttendee, DisplayName: "Zuhörer"})
	if err != nil {
		t.Fatal(err)
	}
	rec := s.do(call{method: "POST", path: "/i/" + token + "/testcall"})
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), `"token"`) {
		t.Errorf("attendee test call: %d %s, want 403 without a token", rec.Code, rec.Body)
	}
}
