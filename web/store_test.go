package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// testClock is a clock the test moves by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestStore(t testing.TB) (*Store, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	return NewStore(StoreConfig{Now: clk.now}), clk
}

func TestStoreIssueAndAuthorize(t *testing.T) {
	s, clk := newTestStore(t)
	room, err := s.CreateRoom("Beratung 12")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := s.Issue(room.ID, rooms.RoleCitizen, "Erika Mustermann", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Token) != 43 {
		t.Errorf("token %q has %d characters, want 43 (32 bytes base64url)", inv.Token, len(inv.Token))
	}
	if want := clk.t.Add(time.Hour); !inv.ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want %v", inv.ExpiresAt, want)
	}
	got, err := s.Authorize(context.Background(), inv.Token)
	if err != nil {
		t.Fatalf("authorize fresh token: %v", err)
	}
	want := rooms.Grant{RoomID: room.ID, DisplayName: "Erika Mustermann", Role: rooms.RoleCitizen}
	if got != want {
		t.Errorf("grant %+v, want %+v", got, want)
	}

	// The token stays usable (reconnects) until it expires, then never again.
	clk.advance(time.Hour - time.Second)
	if _, err := s.Authorize(context.Background(), inv.Token); err != nil {
		t.Errorf("authorize one second before expiry: %v", err)
	}
	clk.advance(time.Second)
	if _, err := s.Authorize(context.Background(), inv.Token); !errors.Is(err, rooms.ErrInvalidToken) {
		t.Errorf("authorize at expiry: err %v, want ErrInvalidToken", err)
	}
}

func TestStoreKeepsOnlyHashes(t *testing.T) {
	s, _ := newTestStore(t)
	room, _ := s.CreateRoom("r")
	inv, err := s.Issue(room.ID, rooms.RoleAdvisor, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := parseToken(inv.Token)
	for k, e := range s.tokens {
		if k != sha256.Sum256(raw) {
			t.Errorf("store key %x is not the SHA-256 of the token", k)
		}
		if dump := fmt.Sprintf("%+v", e); strings.Contains(dump, inv.Token) {
			t.Errorf("store entry %s holds the token itself", dump)
		}
	}
}

func TestStoreRejects(t *testing.T) {
	s, _ := newTestStore(t)
	room, _ := s.CreateRoom("r")
	valid, _ := s.Issue(room.ID, rooms.RoleAdvisor, "A", time.Hour)
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"short", "abc"},
		{"unknown", strings.Repeat("A", 43)},
		{"padding", valid.Token[:42] + "="},
		{"std alphabet", strings.Repeat("+", 43)},
		{"too long", valid.Token + "A"},
		{"non-canonical last char", valid.Token[:42] + nonCanonical(valid.Token[42])},
		{"unicode", strings.Repeat("ä", 21) + "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Authorize(context.Background(), tt.token); !errors.Is(err, rooms.ErrInvalidToken) {
				t.Errorf("Authorize(%q): err %v, want ErrInvalidToken", tt.token, err)
			}
		})
	}
}

// nonCanonical returns a different last character that decodes to the same
// bytes under a lax decoder (the low 2 bits of the last sextet are unused).
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i^1])
}

func TestStoreIssueErrors(t *testing.T) {
	s, _ := newTestStore(t)
	room, _ := s.CreateRoom("r")
	if _, err := s.Issue("nope", rooms.RoleCitizen, "x", time.Hour); !errors.Is(err, ErrRoomNotFound) {
		t.Errorf("issue for unknown room: %v, want ErrRoomNotFound", err)
	}
	if _, err := s.Issue(room.ID, rooms.RoleCitizen, "x", 0); err == nil {
		t.Error("issue with zero ttl succeeded")
	}
	broken := NewStore(StoreConfig{Rand: bytes.NewReader(nil)})
	if _, err := broken.CreateRoom("r"); err == nil {
		t.Error("create room without randomness succeeded")
	}
}

func TestStoreLimitsAndSweep(t *testing.T) {
	clk := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := NewStore(StoreConfig{Now: clk.now, MaxRooms: 1, MaxTokens: 2})
	room, err := s.CreateRoom("one")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRoom("two"); err == nil {
		t.Error("second room beyond MaxRooms succeeded")
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Issue(room.ID, rooms.RoleCitizen, "x", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Issue(room.ID, rooms.RoleCitizen, "x", time.Minute); err == nil {
		t.Error("token beyond MaxTokens succeeded")
	}
	clk.advance(time.Minute) // both expire; Issue sweeps them to make room
	if _, err := s.Issue(room.ID, rooms.RoleCitizen, "x", time.Minute); err != nil {
		t.Errorf("issue after expiry: %v", err)
	}
	clk.advance(time.Minute)
	s.Sweep()
	if n := len(s.tokens); n != 0 {
		t.Errorf("%d tokens left after sweep, want 0", n)
	}
}

// TestStoreForgetsIdleRooms: the rooms of past appointments do not pile up
// until MaxRooms refuses new ones; a room is kept while a token for it lives
// and for a day after.
func TestStoreForgetsIdleRooms(t *testing.T) {
	clk := &testClock{t: time.Unix(1_700_000_000, 0)}
	s := NewStore(StoreConfig{Now: clk.now, MaxRooms: 2})
	old, err := s.CreateRoom("yesterday")
	if err != nil {
		t.Fatal(err)
	}
	busy, err := s.EnsureRoom("appt-7", "with a long link")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Issue(busy.ID, rooms.RoleCitizen, "x", 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRoom("third"); err == nil {
		t.Fatal("a third room beyond MaxRooms while both others are in use")
	}
	clk.advance(roomIdle + time.Minute)
	third, err := s.CreateRoom("third")
	if err != nil {
		t.Fatalf("a room after the idle one's day passed: %v", err)
	}
	if _, ok := s.Room(old.ID); ok {
		t.Error("the idle room is still known")
	}
	if _, ok := s.Room(busy.ID); !ok {
		t.Error("a room whose link still lives was forgotten")
	}
	if _, ok := s.Room(third.ID); !ok {
		t.Error("the new room is not known")
	}
	clk.advance(48*time.Hour + roomIdle)
	s.Sweep()
	if n := len(s.rooms); n != 0 {
		t.Errorf("%d rooms left a day after every link expired, want 0", n)
	}
}
