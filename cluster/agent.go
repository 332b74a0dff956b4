package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// CapacityStore is where the booking calendar reads its media capacity;
// *storage.Store implements it.
type CapacityStore interface {
	Capacity(ctx context.Context) (int, error)
	SetCapacity(ctx context.Context, tenantID, actorID uint, units int) error
}

// AgentConfig configures a node's cluster loop.
type AgentConfig struct {
	Router Router
	// Rooms lists the rooms this node hosts now (rooms.Manager.RoomIDs).
	Rooms func() []string
	// Capacity, when set, receives the cluster's bookable units (live nodes
	// plus Planned) whenever they change; nil leaves the capacity to the admin.
	Capacity CapacityStore
	Planned  int
	// Interval between heartbeats (default 1 s); Tick, when set, replaces the
	// ticker (tests drive the loop with it).
	Interval time.Duration
	Tick     <-chan time.Time
	Now      func() time.Time
	// Drained is called once when a draining node has no rooms left or its
	// deadline passed: the node should shut down.
	Drained func()
	Logger  *slog.Logger
}

// Agent is a node's membership in the cluster: one loop owns the heartbeat,
// the placements of the hosted rooms, the capacity push and the drain.
type Agent struct {
	cfg   AgentConfig
	drain chan time.Time // drain requests with their deadline, into the loop
	state chan chan Status
}

// Status is what an agent reports about its node.
type Status struct {
	Node          Node
	Rooms         int
	Draining      bool
	DrainDeadline time.Time
	Capacity      int // bookable units last computed (0 before the first beat)
}

// NewAgent checks cfg and returns an agent; Run starts it.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if cfg.Router == nil || cfg.Rooms == nil {
		return nil, errors.New("cluster agent: Router and Rooms are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Drained == nil {
		cfg.Drained = func() {}
	}
	return &Agent{cfg: cfg, drain: make(chan time.Time, 1), state: make(chan chan Status)}, nil
}

// Drain asks the node to take no new rooms and to finish (Drained) when its
// rooms are empty or at deadline. It never blocks; a later call replaces the
// deadline of an earlier one not yet seen by the loop.
func (a *Agent) Drain(deadline time.Time) {
	select {
	case a.drain <- deadline:
	default:
		select {
		case <-a.drain:
		default:
		}
		select {
		case a.drain <- deadline:
		default:
		}
	}
}

// Status asks the loop for its state; it fails when ctx ends first (or the
// loop is not running).
func (a *Agent) Status(ctx context.Context) (Status, error) {
	reply := make(chan Status, 1)
	select {
	case a.state <- reply:
	case <-ctx.Done():
		return Status{}, fmt.Errorf("cluster status: %w", ctx.Err())
	}
	select {
	case s := <-reply:
		return s, nil
	case <-ctx.Done():
		return Status{}, fmt.Errorf("cluster status: %w", ctx.Err())
	}
}

// Run beats until ctx ends, then returns (it does not Leave: the caller
// decides when the node's rooms may move).
func (a *Agent) Run(ctx context.Context) {
	tick := a.cfg.Tick
	if tick == nil {
		t := time.NewTicker(a.cfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	l := loop{a: a, log: a.cfg.Logger}
	l.beat(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			l.beat(ctx)
		case d := <-a.drain:
			l.startDrain(ctx, d)
			l.beat(ctx)
		case reply := <-a.state:
			reply <- l.status
		}
	}
}

// loop is the state owned by Run's goroutine.
type loop struct {
	a        *Agent
	log      *slog.Logger
	status   Status
	drained  bool
	pushed   int // capacity last written (or found) in the store; -1 unknown
	havePush bool
	failing  bool // last beat failed: log recovery once
}

func (l *loop) startDrain(ctx context.Context, deadline time.Time) {
	l.status.Draining, l.status.DrainDeadline = true, deadline
	if err := l.a.cfg.Router.SetDraining(ctx, true); err != nil {
		l.log.Warn("drain", "err", err)
	}
	l.log.Info("draining: no new rooms", "deadline", deadline)
}

// beat is one heartbeat: announce, keep placements, push capacity, check drain.
func (l *loop) beat(ctx context.Context) {
	cfg := l.a.cfg
	rooms := cfg.Rooms()
	l.status.Rooms = len(rooms)
	l.status.Node = cfg.Router.Self()
	err := cfg.Router.Heartbeat(ctx, len(rooms))
	if err == nil && l.status.Draining {
		err = cfg.Router.SetDraining(ctx, true) // a registration that expired meanwhile forgot it
	}
	var conflicts []string
	if err == nil {
		conflicts, err = cfg.Router.Sync(ctx, rooms)
	}
	var nodes []Node
	if err == nil {
		nodes, err = cfg.Router.Nodes(ctx)
	}
	if err != nil {
		if ctx.Err() == nil && !l.failing {
			l.log.Warn("cluster heartbeat failed", "err", err)
		}
		l.failing = true
	} else {
		if l.failing {
			l.log.Info("cluster heartbeat recovered")
		}
		l.failing = false
		if len(conflicts) > 0 {
			l.log.Warn("rooms hosted here are placed on another live node", "rooms", conflicts)
		}
		l.status.Capacity = BookableUnits(nodes, cfg.Planned)
		l.pushCapacity(ctx, nodes)
	}
	if l.status.Draining && !l.drained && (len(rooms) == 0 || !cfg.Now().Before(l.status.DrainDeadline)) {
		l.drained = true
		l.log.Info("drained", "rooms_left", len(rooms))
		cfg.Drained()
	}
}

// pushCapacity writes the bookable units when they changed; only the live
// node with the lowest id writes, so a change costs one write.
func (l *loop) pushCapacity(ctx context.Context, nodes []Node) {
	cfg := l.a.cfg
	if cfg.Capacity == nil || !capacityLeader(nodes, cfg.Router.Self().ID) {
		l.havePush = false // another node writes; read the store again when we lead
		return
	}
	units := l.status.Capacity
	if l.havePush && l.pushed == units {
		return
	}
	cur, err := cfg.Capacity.Capacity(ctx)
	if err == nil && cur == units {
		l.pushed, l.havePush = units, true
		return
	}
	if err := cfg.Capacity.SetCapacity(ctx, 0, 0, units); err != nil {
		l.log.Warn("push capacity", "units", units, "err", err)
		return
	}
	l.log.Info("booking capacity follows the cluster", "units", units, "was", cur, "nodes", len(nodes))
	l.pushed, l.havePush = units, true
}
