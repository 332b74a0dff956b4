package web

// LobbyEvent is one change of the waiting room, replicated to the other
// nodes of a cluster so a citizen waiting on one node can be admitted from
// the console on another and join through a third: the entry as it is now,
// or Gone when it left.
type LobbyEvent struct {
	ID    string        `json:"id"`
	Entry *WaitingEntry `json:"entry,omitempty"`
	Gone  bool          `json:"gone,omitempty"`
}

// ReplicateTo makes every local change of the lobby go to publish (called
// outside the lobby's lock, never for changes applied with ApplyRemote).
// Set it once, before the lobby is used.
func (l *Lobby) ReplicateTo(publish func(LobbyEvent)) {
	l.mu.Lock()
	l.publish = publish
	l.mu.Unlock()
}

// ApplyRemote takes a change made on another node: the entry replaces the
// local one (last writer wins) or is forgotten, and the room's subscribers
// (waiting pages, consoles) are signalled as for a local change.
func (l *Lobby) ApplyRemote(ev LobbyEvent) {
	if ev.ID == "" || (!ev.Gone && (ev.Entry == nil || ev.Entry.ID != ev.ID || ev.Entry.RoomID == "")) {
		return
	}
	l.mu.Lock()
	var rooms []string
	if old, ok := l.entries[ev.ID]; ok {
		rooms = append(rooms, old.RoomID)
	}
	if ev.Gone {
		delete(l.entries, ev.ID)
	} else {
		e := *ev.Entry
		l.entries[ev.ID] = &e
		rooms = append(rooms, e.RoomID)
	}
	var subs []chan struct{}
	for _, r := range rooms {
		subs = append(subs, l.subsLocked(r)...)
	}
	l.mu.Unlock()
	signalAll(subs)
}

// eventLocked is the replication event of entry id as it is now.
func (l *Lobby) eventLocked(id string) LobbyEvent {
	if l.publish == nil {
		return LobbyEvent{}
	}
	e, ok := l.entries[id]
	if !ok {
		return LobbyEvent{ID: id, Gone: true}
	}
	c := *e
	return LobbyEvent{ID: id, Entry: &c}
}

// replicate hands a local change to the cluster, outside the lock.
func (l *Lobby) replicate(ev LobbyEvent) {
	l.mu.Lock()
	publish := l.publish
	l.mu.Unlock()
	if publish != nil && ev.ID != "" {
		publish(ev)
	}
}
