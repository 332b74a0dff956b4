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

// TestEndedRoomKnownToLaterNodes: a room ended on one node is ended for a
// node that starts afterwards too (it never heard the cluster's end
// message): it issues no more tokens for it and reports it ended.
func TestEndedRoomKnownToLaterNodes(t *testing.T) {
	dir := &sharedRooms{m: map[string]Room{}}
	a := NewStore(StoreConfig{Directory: dir})
	room, err := a.CreateRoom("Beratung")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Issue(room.ID, rooms.Role("citizen"), "Erika", time.Hour); err != nil {
		t.Fatal(err)
	}
	if !a.EndRoom(room.ID) {
		t.Fatal("EndRoom: the room was not known")
	}
	later := NewStore(StoreConfig{Directory: dir})
	if !later.Ended(room.ID) {
		t.Fatal("a node started after the end does not know the room ended")
	}
	if _, ok := later.Room(room.ID); ok {
		t.Fatal("a node started after the end finds the ended room")
	}
	if _, err := later.Issue(room.ID, rooms.Role("citizen"), "X", time.Hour); !errors.Is(err, rooms.ErrRoomEnded) {
		t.Fatalf("issue for an ended room on a later node: %v, want ErrRoomEnded", err)
	}
	if other, err := a.CreateRoom("Andere"); err != nil || later.Ended(other.ID) {
		t.Fatalf("a live room reads as ended: %v", err)
	}
	// An appointment's room is the database's to refuse, not the directory's.
	if _, err := a.EnsureRoom("appt-7", "Termin"); err != nil {
		t.Fatal(err)
	}
	a.EndRoom("appt-7")
	if _, ok := dir.LookupRoom("appt-7"); ok {
		t.Fatal("ending an appointment's room wrote it into the API's room directory")
	}
}
