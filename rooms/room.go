package rooms

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/mixer"
)

// The room loop's clock: every roomTick it follows the mixer's layouts and
// finishes tier switches; the slower duties run every so many ticks.
const (
	roomTick    = 100 * time.Millisecond
	adaptEvery  = 5  // tier choice: every 500 ms
	sampleEvery = 10 // usage counters: every second
	statusEvery = 20 // live status to advisors: every 2 s
	reportEvery = 50 // data usage to each receiver: every 5 s
)

// Room is one call: its mixer, its participants and the shared outputs they
// receive. Its state is owned by one goroutine (loop); participants talk to it
// through do, and it talks back only through their non-blocking send.
type Room struct {
	id  string
	cfg Config
	log *slog.Logger
	mix *mixer.Mixer

	members int // guarded by Manager.mu: joins counted before the room loop knows them

	actions chan func()
	stop    chan struct{}
	done    chan struct{}
	ended   chan struct{} // closed by Manager.End: every participant says bye{ended}
	endOnce sync.Once
	snap    atomic.Pointer[roomStats]
	sent    *atomic.Uint64 // the Manager's count of RTP packets sent (outputs add to it)

	// Owned by loop.
	parts       []*Participant // join order
	videoOuts   map[outKey]*videoOut
	audioOuts   map[mixer.ViewID]*audioOut
	nextSrc     uint64 // source ids of outputs (0 means none)
	ticks       uint64
	rosterDirty bool
	chat        chatLog

	// The rosters last sent (roster.go).
	fullSent       []byte
	compactSent    []byte
	compactEntries []RosterEntry
	compactCount   int
	compactAt      time.Time
	call           callStats
}

type roomStats struct {
	Participants, VideoEncoders, AudioEncoders int
}

func newRoom(id string, cfg Config, log *slog.Logger, sent *atomic.Uint64) *Room {
	mix := mixer.New(mixer.Config{FPS: cfg.FPS, Logger: log, Now: cfg.Now})
	mix.Start()
	r := &Room{
		id:        id,
		cfg:       cfg,
		log:       log,
		mix:       mix,
		actions:   make(chan func()),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		ended:     make(chan struct{}),
		videoOuts: map[outKey]*videoOut{},
		audioOuts: map[mixer.ViewID]*audioOut{},
		call:      newCallStats(cfg.Now()),
		sent:      sent,
	}
	r.snap.Store(&roomStats{})
	go r.loop()
	return r
}

func (r *Room) loop() {
	defer close(r.done)
	tick := time.NewTicker(roomTick)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			r.onTick()
			r.storeStats()
		case f := <-r.actions:
			f()
			r.storeStats()
		case <-r.stop:
			r.shutdown()
			return
		}
	}
}

func (r *Room) onTick() {
	now := r.cfg.Now()
	r.ticks++
	r.settleSwitches(now)
	if r.ticks%adaptEvery == 0 {
		r.adaptAll(now)
	}
	r.refreshLayouts()
	if r.ticks%adaptEvery == 0 {
		r.refreshHints()
	}
	if r.ticks%sampleEvery == 0 {
		r.sampleUsage(now)
	}
	if r.ticks%statusEvery == 0 {
		r.sendStatus()
	}
	if r.ticks%reportEvery == 0 {
		for _, p := range r.parts {
			r.sendUsage(p)
		}
	}
	if r.rosterDirty {
		r.flushRoster(now)
	}
}

// shutdown stops every output and the mixer (room loop, last thing it does).
func (r *Room) shutdown() {
	for _, o := range r.videoOuts {
		o.unsubscribe()
		o.fan.stop()
	}
	for _, o := range r.audioOuts {
		o.unsubscribe()
		o.fan.stop()
	}
	r.videoOuts, r.audioOuts = nil, nil
	r.mix.Close()
}

func (r *Room) storeStats() {
	r.snap.Store(&roomStats{
		Participants:  len(r.parts),
		VideoEncoders: len(r.videoOuts),
		AudioEncoders: len(r.audioOuts),
	})
}

// do runs f on the room's loop and waits for it. It reports false when the
// room is already closed. f must not block: it may call the mixer and
// Participant.send, nothing that waits on a participant.
func (r *Room) do(f func()) bool {
	ran := make(chan struct{})
	select {
	case r.actions <- func() { f(); close(ran) }:
		<-ran
		return true
	case <-r.done:
		return false
	}
}

// close stops the loop, the outputs and the mixer, and reports the call
// summary; Manager.release calls it after the last member left.
func (r *Room) close() {
	close(r.stop)
	<-r.done
	if r.cfg.OnCallEnd == nil {
		return
	}
	if s := r.call.summary(r.id, r.cfg.Now()); !onlySelfTest(s) {
		r.cfg.OnCallEnd(s)
	}
}

// onlySelfTest reports whether a call had nobody but test-call participants:
// a citizen's device check is not an appointment and stays out of the statistics.
func onlySelfTest(s CallSummary) bool {
	return len(s.Participants) == 1 && s.Participants[RoleSelfTest] > 0
}

func (r *Room) stats() roomStats { return *r.snap.Load() }

// join adds p to the mixer and tells everyone the new roster; p itself gets
// the roster and the recent chat at once.
func (r *Room) join(p *Participant) {
	r.do(func() {
		p.rx = newReceiver(r.cfg.Now())
		r.parts = append(r.parts, p)
		r.mix.AddParticipant(p.id, p.name, p.publishing.Load())
		r.call.joined(p)
		p.send(r.rosterFor(p))
		if m, ok := r.chat.history(); ok {
			p.send(m)
		}
		r.rosterDirty = true
	})
}

// leave removes p: its outputs lose a receiver (the last one stops the
// encoder), the mixer forgets it, everyone else gets the new roster and layouts.
func (r *Room) leave(p *Participant) {
	r.do(func() {
		if p.rx == nil {
			return
		}
		r.call.left(p, r.cfg.Now())
		r.detachReceiver(p)
		for i, q := range r.parts {
			if q == p {
				r.parts = append(r.parts[:i], r.parts[i+1:]...)
				break
			}
		}
		r.mix.RemoveParticipant(p.id)
		r.rosterDirty = true
	})
}

// setMuted records p's mute state and tells everyone.
func (r *Room) setMuted(p *Participant, audio, video *bool) {
	r.do(func() {
		if audio != nil {
			p.audioMuted.Store(*audio)
		}
		if video != nil {
			p.videoMuted.Store(*video)
			r.mix.SetCameraOff(p.id, *video)
		}
		r.rosterDirty = true
	})
}

func (r *Room) sendAll(m Message) {
	b, err := encodeMessage(m)
	if err != nil {
		r.log.Error("encode signalling message", "type", m.Type, "err", err)
		return
	}
	for _, p := range r.parts {
		p.sendRaw(b)
	}
}

// find returns the participant with id (room loop).
func (r *Room) find(id string) *Participant {
	for _, p := range r.parts {
		if string(p.id) == id {
			return p
		}
	}
	return nil
}
