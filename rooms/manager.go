package rooms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// errClosing refuses joins once Close has begun.
var errClosing = errors.New("rooms manager is closing")

// Manager owns every room of this server and the one webrtc.API they share.
// A room exists from its first join until its last participant leaves.
type Manager struct {
	cfg  Config
	auth Authorizer
	api  *webrtc.API
	bwe  *bweHandoff
	udp  io.Closer // the ICE UDP mux, when Config.UDPPort is set
	log  *slog.Logger
	sent atomic.Uint64 // RTP packets written to receivers by all rooms, ever

	// ctx ends every session when Close begins.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	rooms    map[string]*Room
	closing  bool
	sessions sync.WaitGroup // one per ServeWS call that got past begin
}

// Stats is a snapshot of the manager's load, for metrics and placement.
type Stats struct {
	Rooms         int
	Participants  int
	VideoEncoders int // shared (view, tier) video outputs
	AudioEncoders int // shared audio view outputs
	// PacketsSent counts the RTP packets written to receivers since start
	// (not retransmissions or RTCP): with the process's CPU time it gives the
	// cost per packet sent, the unit a group session's cost grows with.
	PacketsSent uint64
}

// NewManager builds the pion API from cfg and returns an empty manager.
func NewManager(cfg Config, auth Authorizer) (*Manager, error) {
	if auth == nil {
		return nil, errors.New("new rooms manager: nil Authorizer")
	}
	cfg = cfg.withDefaults()
	handoff := &bweHandoff{}
	api, udp, err := newAPI(cfg, handoff)
	if err != nil {
		return nil, fmt.Errorf("new rooms manager: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg:    cfg,
		auth:   auth,
		api:    api,
		bwe:    handoff,
		udp:    udp,
		log:    cfg.Logger,
		ctx:    ctx,
		cancel: cancel,
		rooms:  map[string]*Room{},
	}, nil
}

// begin registers a session unless the manager is closing.
func (m *Manager) begin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return false
	}
	m.sessions.Add(1)
	return true
}

// acquire returns the room with id, creating (and starting) it on its first
// join, and counts the caller as a member until release.
func (m *Manager) acquire(id string) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return nil, errClosing
	}
	r := m.rooms[id]
	if r == nil {
		r = newRoom(id, m.cfg, m.log.With("room", id), &m.sent)
		m.rooms[id] = r
	}
	r.members++
	return r, nil
}

// release drops a member; the last one out closes the room. A later join
// with the same id gets a fresh room.
func (m *Manager) release(r *Room) {
	m.mu.Lock()
	r.members--
	last := r.members == 0
	if last && m.rooms[r.id] == r {
		delete(m.rooms, r.id)
	}
	m.mu.Unlock()
	if last {
		r.close()
	}
}

// Stats returns the current number of rooms, participants and shared outputs.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	s := Stats{Rooms: len(rooms), PacketsSent: m.sent.Load()}
	for _, r := range rooms {
		rs := r.stats()
		s.Participants += rs.Participants
		s.VideoEncoders += rs.VideoEncoders
		s.AudioEncoders += rs.AudioEncoders
	}
	return s
}

// Close says bye to every client, closes every PeerConnection and room, and
// waits for all of it until ctx ends. New joins are refused from the start.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closing = true
	m.mu.Unlock()
	m.cancel()

	done := make(chan struct{})
	go func() {
		m.sessions.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("close rooms manager: %w", ctx.Err())
	}
	if m.udp != nil {
		if cerr := m.udp.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close ice udp mux: %w", cerr)
		}
	}
	return err
}
