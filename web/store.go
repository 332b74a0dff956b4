package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

// tokenBytes is the entropy of one invitation token: 256 bits, so guessing
// one is hopeless even without rate limits.
const tokenBytes = 32

// ErrRoomNotFound is returned when an invitation names a room that was never
// created (or is gone).
var ErrRoomNotFound = errors.New("room not found")

// Room is what the API knows about a room; the media side (rooms.Manager)
// creates its own state lazily when the first participant joins.
type Room struct {
	ID   string
	Name string
	// Ended is set in a cluster's directory once the call was ended
	// (EndRoom), so that nodes started later refuse the room too.
	Ended bool `json:",omitempty"`
}

// Invitation is a freshly issued token. The token itself is returned exactly
// once; the store keeps only its SHA-256 hash.
type Invitation struct {
	Token     string
	RoomID    string
	ExpiresAt time.Time
}

// StoreConfig injects the clock and the randomness so tests can drive expiry
// and reproduce identifiers.
type StoreConfig struct {
	Now  func() time.Time // default time.Now
	Rand io.Reader        // default crypto/rand.Reader
	// MaxRooms and MaxTokens bound memory against a runaway API client;
	// 0 means 10,000 rooms and 100,000 live tokens.
	MaxRooms, MaxTokens int
	// Issued, when set, is told of every new token (its SHA-256, never the
	// token) so a cluster can admit it on every node (cluster.Tokens).
	Issued func(hash [sha256.Size]byte, g rooms.Grant, expiresAt time.Time)
	// Directory, when set, shares the API's rooms with a cluster, so any
	// node can issue links for a room another node created.
	Directory RoomDirectory
}

// RoomDirectory is a cluster-wide list of the API's rooms; cmd implements
// it over Redis. Both calls are best effort and made outside the store's lock.
type RoomDirectory interface {
	PutRoom(r Room)
	LookupRoom(id string) (Room, bool)
}

// Store is the in-memory room directory and token store. It implements
// rooms.Authorizer until storage/ provides persistent invitations. Tokens are
// kept only as SHA-256 hashes, so a memory dump does not reveal usable links.
type Store struct {
	now       func() time.Time
	rand      io.Reader
	maxRooms  int
	maxTokens int
	issued    func(hash [sha256.Size]byte, g rooms.Grant, expiresAt time.Time)
	directory RoomDirectory

	mu    sync.Mutex
	rooms map[string]Room
	// keep maps a room to when it may be forgotten: a day after it was made or
	// after its last token expires, so the directory does not fill up with the
	// rooms of past appointments until MaxRooms refuses new ones.
	keep   map[string]time.Time
	tokens map[[sha256.Size]byte]tokenEntry
	// ended maps an ended room to when its last token expires: until then
	// its tokens are refused with rooms.ErrRoomEnded; then sweep forgets it.
	ended map[string]time.Time
}

type tokenEntry struct {
	grant     rooms.Grant
	expiresAt time.Time
}

var _ rooms.Authorizer = (*Store)(nil)

// NewStore returns an empty store.
func NewStore(cfg StoreConfig) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.MaxRooms <= 0 {
		cfg.MaxRooms = 10_000
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 100_000
	}
	return &Store{
		now:       cfg.Now,
		rand:      cfg.Rand,
		maxRooms:  cfg.MaxRooms,
		maxTokens: cfg.MaxTokens,
		issued:    cfg.Issued,
		directory: cfg.Directory,
		rooms:     make(map[string]Room),
		keep:      make(map[string]time.Time),
		tokens:    make(map[[sha256.Size]byte]tokenEntry),
		ended:     make(map[string]time.Time),
	}
}

// CreateRoom registers a room under a fresh random identifier.
func (s *Store) CreateRoom(name string) (Room, error) {
	id, err := s.randomString(12)
	if err != nil {
		return Room{}, fmt.Errorf("create room %q: %w", name, err)
	}
	room := Room{ID: id, Name: name}
	s.mu.Lock()
	if err := s.addRoomLocked(room, s.now()); err != nil {
		s.mu.Unlock()
		return Room{}, fmt.Errorf("create room %q: %w", name, err)
	}
	s.mu.Unlock()
	if s.directory != nil {
		s.directory.PutRoom(room)
	}
	return room, nil
}

// Room looks a room up by identifier, here and then in the cluster's
// directory (a room found there is remembered).
func (s *Store) Room(id string) (Room, bool) {
	s.mu.Lock()
	r, ok := s.rooms[id]
	s.mu.Unlock()
	if ok || !s.inDirectory(id) {
		return r, ok
	}
	if r, ok = s.directory.LookupRoom(id); !ok || r.ID != id {
		return Room{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Ended { // ended on another node, maybe before this one started
		if _, known := s.ended[id]; !known {
			s.ended[id] = s.now().Add(roomIdle) // then asked again
		}
		return Room{}, false
	}
	_ = s.addRoomLocked(r, s.now()) // found is found; only remembering it may fail
	return r, true
}

// inDirectory reports whether room id is one the cluster's directory holds:
// the API's rooms (CreateRoom), not an appointment's (EnsureRoom), whose
// state the shared database keeps.
func (s *Store) inDirectory(id string) bool {
	_, appointment := appointmentOfRoom(id)
	return s.directory != nil && !appointment
}

// roomIdle is how long a room without live tokens stays in the directory.
const roomIdle = 24 * time.Hour

// addRoomLocked registers r, forgetting idle rooms first when the directory is full.
func (s *Store) addRoomLocked(r Room, now time.Time) error {
	if len(s.rooms) >= s.maxRooms {
		s.sweepLocked(now)
		if len(s.rooms) >= s.maxRooms {
			return fmt.Errorf("limit of %d rooms reached", s.maxRooms)
		}
	}
	s.rooms[r.ID] = r
	s.keep[r.ID] = now.Add(roomIdle)
	return nil
}

// Issue creates a token that lets one person join roomID with the given
// role and display name until ttl has passed.
func (s *Store) Issue(roomID string, role rooms.Role, displayName string, ttl time.Duration) (Invitation, error) {
	if ttl <= 0 {
		return Invitation{}, fmt.Errorf("issue token for room %s: ttl %v is not positive", roomID, ttl)
	}
	raw := make([]byte, tokenBytes)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return Invitation{}, fmt.Errorf("issue token for room %s: read random: %w", roomID, err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	entry := tokenEntry{
		grant:     rooms.Grant{RoomID: roomID, DisplayName: displayName, Role: role},
		expiresAt: now.Add(ttl),
	}

	sum := sha256.Sum256(raw)
	s.Room(roomID) // a room of another node becomes known here
	if err := s.addToken(roomID, sum, entry, now); err != nil {
		return Invitation{}, err
	}
	if s.issued != nil {
		s.issued(sum, entry.grant, entry.expiresAt) // outside the lock
	}
	return Invitation{Token: token, RoomID: roomID, ExpiresAt: entry.expiresAt}, nil
}

func (s *Store) addToken(roomID string, sum [sha256.Size]byte, entry tokenEntry, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ended := s.ended[roomID]; ended {
		return fmt.Errorf("issue token for room %s: %w", roomID, rooms.ErrRoomEnded)
	}
	if _, ok := s.rooms[roomID]; !ok {
		return fmt.Errorf("issue token for room %s: %w", roomID, ErrRoomNotFound)
	}
	if len(s.tokens) >= s.maxTokens {
		s.sweepLocked(now)
		if len(s.tokens) >= s.maxTokens {
			return fmt.Errorf("issue token for room %s: limit of %d live tokens reached", roomID, s.maxTokens)
		}
	}
	s.tokens[sum] = entry
	if until := entry.expiresAt.Add(roomIdle); until.After(s.keep[roomID]) {
		s.keep[roomID] = until
	}
	return nil
}

// Authorize implements rooms.Authorizer: it maps a token to the grant it was
// issued for, or fails with an error wrapping rooms.ErrInvalidToken.
func (s *Store) Authorize(_ context.Context, token string) (rooms.Grant, error) {
	raw, err := parseToken(token)
	if err != nil {
		return rooms.Grant{}, err
	}
	sum := sha256.Sum256(raw)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tokens[sum]
	if !ok {
		return rooms.Grant{}, fmt.Errorf("authorize: unknown token: %w", rooms.ErrInvalidToken)
	}
	if !now.Before(e.expiresAt) {
		delete(s.tokens, sum)
		return rooms.Grant{}, fmt.Errorf("authorize: token expired at %s: %w", e.expiresAt.UTC().Format(time.RFC3339), rooms.ErrInvalidToken)
	}
	if _, ended := s.ended[e.grant.RoomID]; ended {
		return rooms.Grant{}, fmt.Errorf("authorize: room %s: %w", e.grant.RoomID, rooms.ErrRoomEnded)
	}
	return e.grant, nil
}

// Sweep forgets expired tokens; Issue also does it when the store is full.
func (s *Store) Sweep() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
}

func (s *Store) sweepLocked(now time.Time) {
	for k, e := range s.tokens {
		if !now.Before(e.expiresAt) {
			delete(s.tokens, k)
		}
	}
	for id, until := range s.ended {
		if !now.Before(until) {
			delete(s.ended, id)
		}
	}
	for id, until := range s.keep {
		if !now.Before(until) {
			delete(s.keep, id)
			delete(s.rooms, id)
		}
	}
}

// parseToken checks the shape of a presented token before any lookup, so
// garbage is rejected with a clear reason and never reaches the map.
func parseToken(token string) ([]byte, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, fmt.Errorf("authorize: token has %d characters, want %d: %w",
			len(token), base64.RawURLEncoding.EncodedLen(tokenBytes), rooms.ErrInvalidToken)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("authorize: token is not base64url: %w", rooms.ErrInvalidToken)
	}
	return raw, nil
}

func (s *Store) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// EndRoom records that the call in room id was ended: the room leaves the
// directory (freeing its place under MaxRooms), no new tokens are issued for
// it, and its tokens are refused with rooms.ErrRoomEnded until they expire.
// It returns whether the room was known here.
func (s *Store) EndRoom(id string) bool {
	known, r := s.endRoom(id)
	if known && s.inDirectory(id) {
		r.ID, r.Ended = id, true
		s.directory.PutRoom(r) // outside the lock
	}
	return known
}

func (s *Store) endRoom(id string) (bool, Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, known := s.rooms[id]
	delete(s.rooms, id)
	delete(s.keep, id)
	until := s.now()
	for _, e := range s.tokens {
		if e.grant.RoomID == id && e.expiresAt.After(until) {
			until = e.expiresAt
			known = true
		}
	}
	if known {
		s.ended[id] = until.Add(time.Minute) // outlives its tokens, so none of them is "unknown"
	}
	return known, r
}

// Ended reports whether room id was ended (EndRoom) and still has live
// tokens, here or, for a room this node does not know, in the cluster's
// directory.
func (s *Store) Ended(id string) bool {
	s.mu.Lock()
	_, ended := s.ended[id]
	_, known := s.rooms[id]
	s.mu.Unlock()
	if ended || known || !s.inDirectory(id) {
		return ended
	}
	s.Room(id) // records an ended room
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ended = s.ended[id]
	return ended
}
