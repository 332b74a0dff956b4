package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Events counts what exists only as an event at a web handler (or, for join
// times, once per participant in rooms). A nil *Events is valid and records
// nothing, so handlers need no checks.
type Events struct {
	bookings     *prometheus.CounterVec
	failedLogins prometheus.Counter
	wait         prometheus.Histogram
	join         prometheus.Histogram
}

func newEvents() *Events {
	return &Events{
		bookings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nahbar_bookings_total",
			Help: "Appointments booked (kind: citizen booking page or advisor console or API)."}, []string{"channel"}),
		failedLogins: prometheus.NewCounter(prometheus.CounterOpts{Name: "nahbar_console_failed_logins_total",
			Help: "Console logins refused (wrong e-mail or password, or rate limited)."}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nahbar_join_wait_seconds",
			Help:    "Time from a citizen entering the waiting room to being admitted.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800}}),
		join: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nahbar_join_seconds",
			Help:    "Time from a participant's join to the first composed video frame (audio at audio only) sent to it.",
			Buckets: []float64{0.25, 0.5, 1, 2, 3, 5, 8, 13, 20}}),
	}
}

// Booked counts one booking through channel ("citizen", "console", "api").
func (e *Events) Booked(channel string) {
	if e != nil {
		e.bookings.WithLabelValues(channel).Inc()
	}
}

// LoginFailed counts one refused console login.
func (e *Events) LoginFailed() {
	if e != nil {
		e.failedLogins.Inc()
	}
}

// Admitted records how long someone waited before being let into the call.
func (e *Events) Admitted(waited time.Duration) {
	if e != nil && waited >= 0 {
		e.wait.Observe(waited.Seconds())
	}
}

// Joined records how long a participant waited from its join to the first
// picture (or sound) of the call; rooms reports it once per participant.
func (e *Events) Joined(d time.Duration) {
	if e != nil && d >= 0 {
		e.join.Observe(d.Seconds())
	}
}
