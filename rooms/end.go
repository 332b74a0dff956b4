package rooms

import (
	"context"
	"fmt"
)

// End ends the call in room id for everyone: each participant gets
// bye{ended}, its PeerConnection and socket close, and the room (mixer,
// encoders, outputs) is freed. The room leaves the manager's list at once,
// so a join that its Authorizer still lets through gets a fresh room; the
// Authorizer is what refuses later joins (ErrRoomEnded), because only it
// knows whether the appointment is over.
//
// End waits until the room is closed or ctx ends and returns how many
// participants it ended. A room this manager does not host is no error
// (0, nil): it may already be empty, or live on another node.
func (m *Manager) End(ctx context.Context, id string) (int, error) {
	m.mu.Lock()
	r := m.rooms[id]
	n := 0
	if r != nil {
		n = r.members
		delete(m.rooms, id) // release still closes it: it checks m.rooms[id] == r
	}
	m.mu.Unlock()
	if r == nil {
		return 0, nil
	}
	r.endOnce.Do(func() { close(r.ended) })
	m.log.Info("room ended", "room", id, "participants", n)
	select {
	case <-r.done:
		return n, nil
	case <-ctx.Done():
		return n, fmt.Errorf("end room %s: waiting for %d participants to leave: %w", id, n, ctx.Err())
	}
}
