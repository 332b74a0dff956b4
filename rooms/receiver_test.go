package rooms

import (
	"testing"
	"time"
)

// TestInterrupted: a participant is interrupted once it was heard and then
// nothing arrived for silentAfter; one never heard (still connecting) is not.
func TestInterrupted(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name  string
		heard uint64
		since time.Duration // from the last growth to now
		want  bool
	}{
		{"never heard", 0, time.Minute, false},
		{"heard just now", 10, 0, false},
		{"quiet for less", 10, silentAfter - time.Millisecond, false},
		{"quiet for silentAfter", 10, silentAfter, true},
		{"quiet for long", 10, time.Minute, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rx := newReceiver(t0)
			rx.heard, rx.heardAt = c.heard, t0
			if got := rx.interrupted(t0.Add(c.since)); got != c.want {
				t.Errorf("interrupted after %v = %v, want %v", c.since, got, c.want)
			}
		})
	}
}
