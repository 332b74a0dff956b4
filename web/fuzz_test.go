package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// FuzzAuthorize: any presented token is either a grant or a wrapped
// ErrInvalidToken, never a panic; only the issued token authorizes.
func FuzzAuthorize(f *testing.F) {
	s := NewStore(StoreConfig{})
	room, _ := s.CreateRoom("r")
	inv, _ := s.Issue(room.ID, rooms.RoleCitizen, "x", time.Hour)
	for _, seed := range []string{"", inv.Token, inv.Token[:42] + "=", strings.Repeat("A", 43), "\x00", "ä"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		g, err := s.Authorize(context.Background(), token)
		if token == inv.Token {
			if err != nil || g.RoomID != room.ID {
				t.Fatalf("issued token: %+v %v", g, err)
			}
			return
		}
		if !errors.Is(err, rooms.ErrInvalidToken) {
			t.Fatalf("Authorize(%q) = %+v, %v; want ErrInvalidToken", token, g, err)
		}
	})
}

// FuzzCreateParticipant feeds arbitrary bodies to the API: the answer is
// always a clear 201, 400 or 413, never a 500 or a panic.
func FuzzCreateParticipant(f *testing.F) {
	for _, seed := range []string{
		`{"role":"citizen","display_name":"Erika"}`,
		`{"role":"attendee","display_name":"Gast","expires_in":60}`,
		`{"role":"citizen","display_name":"` + "\u202e" + `"}`,
		`{"role":1}`, `[]`, `null`, `{"role":"citizen","display_name":"x"} {}`, "",
	} {
		f.Add(seed)
	}
	ts := newTestServer(f, nil)
	room, _ := ts.store.CreateRoom("r")
	path := "/api/v1/rooms/" + room.ID + "/participants"
	f.Fuzz(func(t *testing.T, body string) {
		rec := ts.do(call{method: "POST", path: path, body: body, header: authed()})
		ts.clock.advance(25 * time.Hour) // issued tokens expire, so the store never fills up
		switch rec.Code {
		case http.StatusCreated, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusCreated && !strings.Contains(rec.Body.String(), `"message":`) {
			t.Fatalf("body %q: error without a message: %s", body, rec.Body)
		}
	})
}
