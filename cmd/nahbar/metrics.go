package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/metrics"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// metricsConfig is where Prometheus scrapes this node. /metrics is served on
// the main listener to requests carrying the API key as a bearer token, and,
// when Listen is set, on a listener of its own without a key (bind it to a
// private address: what is reachable there is readable by anyone).
type metricsConfig struct {
	Listen string // NAHBAR_METRICS_LISTEN, e.g. 127.0.0.1:9090; empty: no extra listener
}

func (c *metricsConfig) register(fs *flag.FlagSet, env envReader) {
	env.str(&c.Listen, "NAHBAR_METRICS_LISTEN")
	fs.StringVar(&c.Listen, "metrics-listen", c.Listen, "extra listen `address` serving only /metrics, without the API key, e.g. 127.0.0.1:9090 (NAHBAR_METRICS_LISTEN)")
}

func (c metricsConfig) check() []error {
	if c.Listen == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		return []error{fmt.Errorf("metrics listen address %q: want host:port", c.Listen)}
	}
	return nil
}

// monitoring joins the media side, the cluster registry and the Prometheus
// registry: /metrics and the admins' live view read the same snapshot.
type monitoring struct {
	m   *metrics.Metrics
	mgr *rooms.Manager
	cl  *clusterNode
}

func newMonitoring(mgr *rooms.Manager, cl *clusterNode) (*monitoring, error) {
	mon := &monitoring{mgr: mgr, cl: cl}
	m, err := metrics.New(metrics.SourceFunc(mon.local))
	if err != nil {
		return nil, err
	}
	mon.m = m
	return mon, nil
}

func (mon *monitoring) events() *metrics.Events { return mon.m.Events }

// joinTimes is rooms' OnJoined. The manager is made before the metrics (they
// read its Monitor), so the events are attached once they exist; a join
// reported before that is not counted.
type joinTimes struct {
	ev atomic.Pointer[metrics.Events]
}

func (j *joinTimes) observe(d time.Duration) { j.ev.Load().Joined(d) } // a nil *Events records nothing

// local is this node's snapshot (what /metrics exports).
func (mon *monitoring) local() metrics.Snapshot {
	s := snapshotOf(mon.mgr.Monitor())
	s.Node, s.CapacityRooms = mon.cl.cfg.NodeID, mon.cl.cfg.CapacityUnits
	return s
}

// Snapshot is the live view's: this node plus every node of the registry.
func (mon *monitoring) Snapshot() metrics.Snapshot {
	s := mon.local()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	nodes, err := mon.cl.router.Nodes(ctx)
	if err != nil {
		mon.cl.log.Warn("live view: list nodes", "err", err)
		return s
	}
	for _, n := range nodes {
		s.Nodes = append(s.Nodes, metrics.Node{ID: n.ID, Rooms: n.Load, Capacity: n.Capacity, Draining: n.Draining,
			Self: n.ID == s.Node})
	}
	return s
}

// snapshotOf converts the rooms' picture to the metrics package's types.
func snapshotOf(mon rooms.Monitor) metrics.Snapshot {
	var s metrics.Snapshot
	for _, r := range mon.Rooms {
		mr := metrics.Room{ID: r.ID, KeyframesForced: r.KeyframesForced, EncodeErrors: r.EncodeErrors}
		for _, p := range r.Participants {
			mr.Participants = append(mr.Participants, metrics.Participant{Key: p.Key, Role: string(p.Role), Tier: p.Tier,
				Codec: p.Codec, RTTSeconds: p.RTT.Seconds(), LossFraction: p.LossFraction, JitterSeconds: p.Jitter.Seconds(), BytesIn: p.BytesIn,
				BytesOut: p.BytesOut, BadMedia: p.BadMedia})
		}
		for _, e := range r.Encoders {
			mr.Encoders = append(mr.Encoders, metrics.Encoder{Tier: e.Tier, Codec: e.Codec, Receivers: e.Receivers})
		}
		s.Rooms = append(s.Rooms, mr)
	}
	return s
}

// handler answers /metrics on the main listener for requests with the API
// key as bearer token, and passes everything else to next.
func (mon *monitoring) handler(next http.Handler, apiKey string) http.Handler {
	h := mon.m.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || apiKey == "" || subtle.ConstantTimeCompare([]byte(got), []byte(apiKey)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="nahbar metrics"`)
			http.Error(w, "metrics need the API key as bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// listen serves /metrics alone on addr (no key) until the returned stop.
func (mon *monitoring) listen(addr string, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mon.m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// callWriteTimeout bounds writing one call record; it runs on the last
// leaver's goroutine, and during shutdown inside the shutdown timeout.
const callWriteTimeout = 5 * time.Second

// recordCalls is rooms' OnCallEnd: each finished call is written at once,
// so a crash loses at most the calls still in progress, and Manager.Close
// (which ends every call and waits) flushes the rest before storage closes.
func recordCalls(db *storage.Store, log *slog.Logger) func(rooms.CallSummary) {
	return func(s rooms.CallSummary) {
		ctx, cancel := context.WithTimeout(context.Background(), callWriteTimeout)
		defer cancel()
		rec, err := db.RecordCall(ctx, callRecord(s))
		if err != nil {
			log.Error("record call", "room", s.RoomID, "err", err)
			return
		}
		log.Info("call recorded", "room", s.RoomID, "minutes", rec.Minutes, "reconnects", rec.Reconnects)
	}
}

// callRecord turns a room's summary into a call record: counts by role and
// quality figures, no names. Figures outside their range are clamped so one
// odd reading never loses the record.
func callRecord(s rooms.CallSummary) storage.CallRecord {
	c := storage.CallRecord{RoomID: s.RoomID, Start: s.Start, End: s.End,
		Advisors: s.Participants[rooms.RoleAdvisor], Citizens: s.Participants[rooms.RoleCitizen],
		Interpreters: s.Participants[rooms.RoleInterpreter], Guardians: s.Participants[rooms.RoleGuardian],
		Counsels: s.Participants[rooms.RoleCounsel], Attendees: s.Participants[rooms.RoleAttendee],
		WorstRTTMillis: int(s.WorstRTT.Milliseconds()), WorstLossPct: min(max(s.WorstLossPct, 0), 100),
		Reconnects: max(s.Reconnects, 0), TierShares: storage.TierShares{}}
	if id, ok := web.AppointmentOfRoom(s.RoomID); ok {
		c.AppointmentID = &id
	}
	if len(c.RoomID) > 64 {
		c.RoomID = c.RoomID[:64]
	}
	if c.End.Before(c.Start) {
		c.End = c.Start
	}
	c.WorstRTTMillis = max(c.WorstRTTMillis, 0)
	if c.WorstLossPct != c.WorstLossPct { // NaN
		c.WorstLossPct = 0
	}
	for tier, v := range s.TierShares {
		if tier != "" && v == v {
			c.TierShares[tier] = min(max(v, 0), 1)
		}
	}
	return c
}
