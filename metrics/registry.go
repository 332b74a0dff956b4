package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the registry of one server: media (pulled from src), events,
// and the standard process and Go runtime collectors (CPU, memory, threads).
type Metrics struct {
	reg    *prometheus.Registry
	Events *Events
}

// New registers everything on a fresh registry (not the global one, so tests
// and several servers in one process do not collide).
func New(src Source) (*Metrics, error) {
	if src == nil {
		src = SourceFunc(func() Snapshot { return Snapshot{} })
	}
	reg := prometheus.NewRegistry()
	ev := newEvents()
	for _, c := range []prometheus.Collector{
		newMediaCollector(src), ev.bookings, ev.failedLogins, ev.wait, ev.join,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return &Metrics{reg: reg, Events: ev}, nil
}

// Handler serves the exposition format. Errors while gathering are logged
// by promhttp in the response and never stop the scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer lets tests read the values without HTTP.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }
