package web

import "fmt"

// ensureRoom registers a room under a given id (an appointment's
// "appt-<id>") so the in-memory store can issue tokens for it, e.g. the
// advisor's call link from the console. An existing room is kept.
func (s *Store) ensureRoom(id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rooms[id]; ok {
		return nil
	}
	if len(s.rooms) >= s.maxRooms {
		return fmt.Errorf("register room %s: limit of %d rooms reached", id, s.maxRooms)
	}
	s.rooms[id] = Room{ID: id, Name: name}
	return nil
}
