package rooms

import (
	"sync"
	"time"
)

// rateLimit lets one event through per interval and counts the ones it held
// back, so a flood of bad packets costs one log line and one error message.
type rateLimit struct {
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether an event may be reported now and how many were held
// back since the last one that was.
func (l *rateLimit) allow() (ok bool, suppressed int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.suppressed++
		return false, 0
	}
	l.last = now
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}
