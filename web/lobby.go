package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Lobby states of a WaitingEntry.
const (
	LobbyWaiting  = "waiting"
	LobbyAdmitted = "admitted"
	LobbyDeclined = "declined"
)

// Device check results for DeviceStatus.Camera and .Microphone.
const (
	DeviceOK      = "ok"
	DeviceDenied  = "denied"
	DeviceMissing = "missing"
)

// ErrNotWaiting is returned by Admit and Decline for an entry that is not
// (or no longer) in that room's lobby.
var ErrNotWaiting = errors.New("no such entry in the lobby")

// DeviceStatus is what the citizen's device check found; the advisor sees it
// before admitting, so a call does not start with a muted microphone.
type DeviceStatus struct {
	Browser, OS string
	// Camera and Microphone are DeviceOK, DeviceDenied or DeviceMissing.
	Camera, Microphone string
	// Connection is the measured link in plain words, e.g. "good 2.1 Mbit/s 45 ms".
	Connection  string
	CheckPassed bool
}

// WaitingEntry is one person in (or just let out of) a room's waiting room.
type WaitingEntry struct {
	ID     string
	RoomID string
	Name   string
	Role   string
	Since  time.Time
	Device DeviceStatus
	// State is LobbyWaiting, LobbyAdmitted or LobbyDeclined.
	State string
}

// Lobby is the waiting room: citizens wait with their device status until an
// advisor admits them. The Authorizer consults it, so admission is enforced
// on the server and not just by the page. It is in memory: after a restart
// citizens re-arrive by themselves (their page reconnects) and are admitted
// again; the advisor's console shows them waiting once more.
type Lobby struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*WaitingEntry
	subs    map[string]map[*lobbySub]struct{} // room id → subscribers
	publish func(LobbyEvent)                  // cluster replication (cluster_lobby.go); nil: this node only
}

type lobbySub struct{ ch chan struct{} }

// NewLobby returns an empty lobby on the given clock (nil: time.Now).
func NewLobby(now func() time.Time) *Lobby {
	if now == nil {
		now = time.Now
	}
	return &Lobby{
		now:     now,
		entries: make(map[string]*WaitingEntry),
		subs:    make(map[string]map[*lobbySub]struct{}),
	}
}

// Arrive puts e into roomID's waiting room and returns its id. An empty e.ID
// gets a random one; a known id (the same invitation arriving again after a
// reload or a dropped connection) keeps its place and its state, so an
// admitted citizen who reconnects is not sent back to the queue and a
// declined one is not queued again.
func (l *Lobby) Arrive(roomID string, e WaitingEntry) (id string) {
	if e.ID == "" {
		e.ID = randomLobbyID()
	}
	l.mu.Lock()
	if old, ok := l.entries[e.ID]; ok && old.RoomID == roomID {
		old.Name, old.Role = e.Name, e.Role
		if e.Device != (DeviceStatus{}) {
			old.Device = e.Device
		}
	} else {
		e.RoomID = roomID
		e.Since = l.now()
		e.State = LobbyWaiting
		if ok {
			l.changedLocked(old.RoomID)
		}
		l.entries[e.ID] = &e
	}
	subs := l.subsLocked(roomID)
	ev := l.eventLocked(e.ID)
	l.mu.Unlock()
	signalAll(subs)
	l.replicate(ev)
	return e.ID
}

// UpdateDevice records a new device check result; unknown ids are ignored
// (the entry left meanwhile).
func (l *Lobby) UpdateDevice(id string, d DeviceStatus) {
	l.mu.Lock()
	e, ok := l.entries[id]
	if !ok {
		l.mu.Unlock()
		return
	}
	e.Device = d
	subs := l.subsLocked(e.RoomID)
	ev := l.eventLocked(id)
	l.mu.Unlock()
	signalAll(subs)
	l.replicate(ev)
}

// Admit lets a waiting (or earlier declined) entry of roomID into the call.
func (l *Lobby) Admit(roomID, id string) error {
	return l.setState(roomID, id, LobbyAdmitted)
}

// Decline turns an entry of roomID away; its page shows a clear message.
func (l *Lobby) Decline(roomID, id string) error {
	return l.setState(roomID, id, LobbyDeclined)
}

func (l *Lobby) setState(roomID, id, state string) error {
	l.mu.Lock()
	e, ok := l.entries[id]
	if !ok || e.RoomID != roomID {
		l.mu.Unlock()
		return fmt.Errorf("%s %q in room %q: %w", state, id, roomID, ErrNotWaiting)
	}
	e.State = state
	subs := l.subsLocked(roomID)
	ev := l.eventLocked(id)
	l.mu.Unlock()
	signalAll(subs)
	l.replicate(ev)
	return nil
}

// Waiting lists the entries of roomID still waiting, longest waiting first.
func (l *Lobby) Waiting(roomID string) []WaitingEntry {
	l.mu.Lock()
	var out []WaitingEntry
	for _, e := range l.entries {
		if e.RoomID == roomID && e.State == LobbyWaiting {
			out = append(out, *e)
		}
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Since.Equal(out[j].Since) {
			return out[i].Since.Before(out[j].Since)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// State returns a copy of entry id.
func (l *Lobby) State(id string) (WaitingEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[id]
	if !ok {
		return WaitingEntry{}, false
	}
	return *e, true
}

// Changes returns a channel that receives a value after any change in
// roomID's lobby, and a function to stop. Signals coalesce (capacity one):
// a slow reader sees one signal for many changes and then reads the current
// state, and the lobby never blocks on it.
func (l *Lobby) Changes(roomID string) (<-chan struct{}, func()) {
	s := &lobbySub{ch: make(chan struct{}, 1)}
	l.mu.Lock()
	m := l.subs[roomID]
	if m == nil {
		m = make(map[*lobbySub]struct{})
		l.subs[roomID] = m
	}
	m[s] = struct{}{}
	l.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs[roomID], s)
			if len(l.subs[roomID]) == 0 {
				delete(l.subs, roomID)
			}
			l.mu.Unlock()
		})
	}
}

// Leave forgets an entry (the citizen closed the waiting room, or the call
// is over).
func (l *Lobby) Leave(id string) {
	l.mu.Lock()
	e, ok := l.entries[id]
	if !ok {
		l.mu.Unlock()
		return
	}
	delete(l.entries, id)
	subs := l.subsLocked(e.RoomID)
	l.mu.Unlock()
	signalAll(subs)
	l.replicate(LobbyEvent{ID: id, Gone: true})
}

// changedLocked notifies roomID's subscribers; safe under the lock because
// the sends never block.
func (l *Lobby) changedLocked(roomID string) { signalAll(l.subsLocked(roomID)) }

// subsLocked snapshots roomID's subscriber channels so they are signalled
// after the lock is released.
func (l *Lobby) subsLocked(roomID string) []chan struct{} {
	m := l.subs[roomID]
	if len(m) == 0 {
		return nil
	}
	out := make([]chan struct{}, 0, len(m))
	for s := range m {
		out = append(out, s.ch)
	}
	return out
}

func signalAll(chs []chan struct{}) {
	for _, ch := range chs {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}

func randomLobbyID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "w-" + base64.RawURLEncoding.EncodeToString(b)
}

// Sweep forgets decided (admitted or declined) entries that arrived more
// than maxAge ago, so a long-running server does not keep every day's
// citizens; waiting entries stay until their page leaves. It returns how
// many were forgotten.
func (l *Lobby) Sweep(maxAge time.Duration) int {
	cutoff := l.now().Add(-maxAge)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for id, e := range l.entries {
		if e.State != LobbyWaiting && e.Since.Before(cutoff) {
			delete(l.entries, id)
			n++
		}
	}
	return n
}
