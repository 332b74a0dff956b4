package rooms

// RoomIDs lists the rooms this manager hosts now (a room exists from its
// first join until its last member leaves), for the cluster's placements.
func (m *Manager) RoomIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.rooms))
	for id := range m.rooms {
		ids = append(ids, id)
	}
	return ids
}
