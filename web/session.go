package web

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// sessionIDBytes is the entropy of a console session id: 256 bits.
const sessionIDBytes = 32

// errTooManySessions is returned when the session table is full of live
// sessions, so a login flood cannot exhaust memory.
var errTooManySessions = errors.New("too many console sessions")

// session is one logged-in advisor. The id that names it lives only in the
// browser's cookie; the server keeps its SHA-256, so a memory dump does not
// hand out usable sessions.
type session struct {
	AdvisorID uint
	TenantID  uint
	Name      string
	Admin     bool
	// CSRF is the synchroniser token every state-changing form of this
	// session must carry.
	CSRF    string
	Created time.Time
	Seen    time.Time
}

// sessionStore keeps console sessions in memory with an idle and an absolute
// expiry. A restart logs everyone out, which is acceptable for a console and
// keeps secrets out of the database.
type sessionStore struct {
	now       func() time.Time
	rand      io.Reader
	idle, max time.Duration
	limit     int

	mu sync.Mutex
	m  map[[sha256.Size]byte]*session
}

func newSessionStore(now func() time.Time, rnd io.Reader, idle, max time.Duration, limit int) *sessionStore {
	return &sessionStore{now: now, rand: rnd, idle: idle, max: max, limit: limit,
		m: make(map[[sha256.Size]byte]*session)}
}

// create starts a session for an authenticated advisor and returns the raw id
// for the cookie. Every login gets a fresh id (no session fixation).
func (s *sessionStore) create(u session) (string, session, error) {
	raw := make([]byte, sessionIDBytes)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return "", session{}, fmt.Errorf("create session: read random: %w", err)
	}
	csrf := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, csrf); err != nil {
		return "", session{}, fmt.Errorf("create session: read random: %w", err)
	}
	now := s.now()
	u.CSRF = base64.RawURLEncoding.EncodeToString(csrf)
	u.Created, u.Seen = now, now
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.limit {
		s.sweepLocked(now)
		if len(s.m) >= s.limit {
			return "", session{}, fmt.Errorf("create session for advisor %d: %w", u.AdvisorID, errTooManySessions)
		}
	}
	v := u
	s.m[sha256.Sum256(raw)] = &v
	return base64.RawURLEncoding.EncodeToString(raw), u, nil
}

// get returns the live session named by a cookie value and marks it used.
// Expired sessions are deleted on sight.
func (s *sessionStore) get(id string) (session, bool) {
	key, ok := sessionKey(id)
	if !ok {
		return session{}, false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return session{}, false
	}
	if s.expired(v, now) {
		delete(s.m, key)
		return session{}, false
	}
	v.Seen = now
	return *v, true
}

func (s *sessionStore) expired(v *session, now time.Time) bool {
	return !now.Before(v.Seen.Add(s.idle)) || !now.Before(v.Created.Add(s.max))
}

// alive reports whether a session is still live without marking it used,
// so a long-lived event stream neither outlives a logout or an expiry nor
// keeps an idle session alive by itself.
func (s *sessionStore) alive(id string) bool {
	key, ok := sessionKey(id)
	if !ok {
		return false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return ok && !s.expired(v, now)
}

// delete ends one session (logout).
func (s *sessionStore) delete(id string) {
	key, ok := sessionKey(id)
	if !ok {
		return
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// deleteAdvisor ends every session of an advisor, after a deactivation or a
// password reset.
func (s *sessionStore) deleteAdvisor(advisorID uint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if v.AdvisorID == advisorID {
			delete(s.m, k)
		}
	}
}

func (s *sessionStore) sweepLocked(now time.Time) {
	for k, v := range s.m {
		if s.expired(v, now) {
			delete(s.m, k)
		}
	}
}

// sessionKey checks a cookie value's shape before hashing it, so garbage never
// reaches the map.
func sessionKey(id string) ([sha256.Size]byte, bool) {
	if len(id) != base64.RawURLEncoding.EncodedLen(sessionIDBytes) {
		return [sha256.Size]byte{}, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(raw), true
}
