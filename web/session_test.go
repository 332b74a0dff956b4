package web

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

func TestSessionStore(t *testing.T) {
	clk := &consoleClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	s := newSessionStore(clk.now, rand.Reader, 30*time.Minute, 10*time.Hour, 3)
	id, sess, err := s.create(session{AdvisorID: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 43 || len(sess.CSRF) != 43 || sess.CSRF == id {
		t.Fatalf("id %q csrf %q", id, sess.CSRF)
	}
	for _, bad := range []string{"", "x", id + "A", id[:42] + "*"} {
		if _, ok := s.get(bad); ok {
			t.Errorf("get(%q) found a session", bad)
		}
	}
	// Used every 20 minutes, it lives until the absolute limit.
	for clk.now().Before(time.Date(2026, 3, 2, 17, 59, 0, 0, time.UTC)) {
		if _, ok := s.get(id); !ok {
			t.Fatalf("session gone at %s", clk.now())
		}
		clk.advance(20 * time.Minute)
	}
	clk.advance(time.Hour)
	if _, ok := s.get(id); ok {
		t.Fatal("session outlived the absolute limit")
	}
	// The table is bounded; expired sessions make room.
	for range 3 {
		if _, _, err := s.create(session{AdvisorID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.create(session{AdvisorID: 1}); !errors.Is(err, errTooManySessions) {
		t.Fatalf("4th session: %v", err)
	}
	clk.advance(time.Hour)
	if _, _, err := s.create(session{AdvisorID: 2}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	a, _, _ := s.create(session{AdvisorID: 9})
	s.deleteAdvisor(9)
	if _, ok := s.get(a); ok {
		t.Fatal("deleteAdvisor left a session")
	}
}

func TestLoginLimiter(t *testing.T) {
	clk := &consoleClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(clk.now, 5, 15*time.Minute, 3)
	for i := range 5 {
		if _, b := l.blocked("ip:a", "acct:x"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("ip:a", "acct:x")
		clk.advance(time.Minute)
	}
	wait, b := l.blocked("ip:other", "acct:x")
	if !b || wait != 10*time.Minute { // the oldest failure (minute 0) leaves at minute 15
		t.Fatalf("account after 5 failures: blocked %v wait %v", b, wait)
	}
	if _, b := l.blocked("ip:a", "acct:y"); !b {
		t.Fatal("the address is not blocked for another account")
	}
	if _, b := l.blocked("ip:b", "acct:y"); b {
		t.Fatal("an unrelated address and account are blocked")
	}
	clk.advance(11 * time.Minute)
	if _, b := l.blocked("ip:a", "acct:x"); b {
		t.Fatal("still blocked after the window")
	}
	l.fail("acct:x")
	l.reset("acct:x")
	if _, b := l.blocked("acct:x"); b {
		t.Fatal("reset did not clear")
	}
	// Memory is bounded: with the key table full of live keys, new keys fail closed.
	l.fail("k1")
	l.fail("k2")
	l.fail("k3")
	if _, b := l.blocked("k4"); !b {
		t.Fatal("a full table let a new key through")
	}
	clk.advance(16 * time.Minute)
	if _, b := l.blocked("k4"); b {
		t.Fatal("the table was not swept")
	}
}

func TestCSRFEqual(t *testing.T) {
	tests := []struct {
		got, want string
		ok        bool
	}{{"abc", "abc", true}, {"abc", "abd", false}, {"", "", false}, {"abc", "", false}, {"ab", "abc", false}}
	for _, tt := range tests {
		if csrfEqual(tt.got, tt.want) != tt.ok {
			t.Errorf("csrfEqual(%q, %q) != %v", tt.got, tt.want, tt.ok)
		}
	}
}
