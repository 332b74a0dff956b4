package web

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// sharedRooms stands in for the cluster's Redis directory between two stores
// (the real one is exercised by cmd/nahbar's cluster test).
type sharedRooms struct {
	mu sync.Mutex
	m  map[string]Room
}

func (s *sharedRooms) PutRoom(r Room) { s.mu.Lock(); s.m[r.ID] = r; s.mu.Unlock() }
func (s *sharedRooms) LookupRoom(id string) (Room, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[id]
	return r, ok
}

func TestStoreSharesRoomsAndTokens(t *testing.T) {
	dir := &sharedRooms{m: map[string]Room{}}
	type issued struct {
		hash [sha256.Size]byte
		g    rooms.Grant
	}
	var got []issued
	a := NewStore(StoreConfig{Directory: dir})
	b := NewStore(StoreConfig{Directory: dir, Issued: func(h [sha256.Size]byte, g rooms.Grant, _ time.Time) {
		got = append(got, issued{h, g})
	}})
	room, err := a.CreateRoom("Beratung")
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := b.Room(room.ID); !ok || r.Name != "Beratung" {
		t.Fatalf("node b does not find node a's room: %v %v", r, ok)
	}
	inv, err := b.Issue(room.ID, rooms.Role("citizen"), "Erika", time.Hour)
	if err != nil {
		t.Fatalf("node b cannot invite to node a's room: %v", err)
	}
	if len(got) != 1 || got[0].g.RoomID != room.ID || got[0].g.DisplayName != "Erika" {
		t.Fatalf("Issued hook saw %+v", got)
	}
	if _, err := b.Issue("nope", rooms.Role("citizen"), "X", time.Hour); !errors.Is(err, ErrRoomNotFound) {
		t.Fatalf("unknown room: %v", err)
	}
	if g, err := b.Authorize(context.Background(), inv.Token); err != nil || g.RoomID != room.ID {
		t.Fatalf("Authorize = %v, %v", g, err)
	}
}
