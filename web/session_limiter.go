package web

import (
	"sync"
	"time"
)

// loginLimiter counts failed logins per key (an IP address, an account) in a
// sliding window. After max failures within window the key is blocked until
// the oldest of them leaves the window. It is bounded in memory: when full it
// forgets the keys whose failures are all out of the window, and if still
// full it blocks new keys (fail closed) rather than grow.
type loginLimiter struct {
	now     func() time.Time
	max     int
	window  time.Duration
	maxKeys int

	mu    sync.Mutex
	fails map[string][]time.Time
}

func newLoginLimiter(now func() time.Time, max int, window time.Duration, maxKeys int) *loginLimiter {
	return &loginLimiter{now: now, max: max, window: window, maxKeys: maxKeys, fails: make(map[string][]time.Time)}
}

// blocked says whether any of keys is over the limit and for how long.
func (l *loginLimiter) blocked(keys ...string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		ts := l.recentLocked(k, now)
		if len(ts) >= l.max {
			if w := ts[len(ts)-l.max].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	if wait == 0 && len(l.fails) >= l.maxKeys {
		l.sweepLocked(now)
		if len(l.fails) >= l.maxKeys {
			return l.window, true
		}
	}
	return wait, wait > 0
}

// fail records one failed attempt for each key.
func (l *loginLimiter) fail(keys ...string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		ts := l.recentLocked(k, now)
		if len(ts) >= l.max { // keep only what decides the block
			ts = ts[1:]
		}
		l.fails[k] = append(ts, now)
	}
}

// reset forgets a key's failures (a successful login of that account).
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// recentLocked drops failures older than the window and returns the rest.
func (l *loginLimiter) recentLocked(k string, now time.Time) []time.Time {
	ts := l.fails[k]
	i := 0
	for i < len(ts) && !now.Before(ts[i].Add(l.window)) {
		i++
	}
	if i == len(ts) {
		delete(l.fails, k)
		return nil
	}
	ts = ts[i:]
	l.fails[k] = ts
	return ts
}

func (l *loginLimiter) sweepLocked(now time.Time) {
	for k := range l.fails {
		l.recentLocked(k, now)
	}
}
