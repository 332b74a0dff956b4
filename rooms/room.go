package rooms

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/mixer"
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
	snap    atomic.Pointer[roomStats]

	// Owned by loop.
	parts     []*Participant // join order
	videoOuts map[outKey]*videoOut
	audioOuts map[mixer.ViewID]*audioOut
}

type roomStats struct {
	Participants, VideoEncoders, AudioEncoders int
}

func newRoom(id string, cfg Config, log *slog.Logger) *Room {
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
		videoOuts: map[outKey]*videoOut{},
		audioOuts: map[mixer.ViewID]*audioOut{},
	}
	r.snap.Store(&roomStats{})
	go r.loop()
	return r
}

func (r *Room) loop() {
	defer close(r.done)
	tick := time.NewTicker(layoutPoll * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			r.refreshLayouts()
		case f := <-r.actions:
			f()
			r.snap.Store(&roomStats{
				Participants:  len(r.parts),
				VideoEncoders: len(r.videoOuts),
				AudioEncoders: len(r.audioOuts),
			})
		case <-r.stop:
			for _, o := range r.videoOuts {
				o.unsubscribe()
			}
			for _, o := range r.audioOuts {
				o.unsubscribe()
			}
			r.videoOuts, r.audioOuts = nil, nil
			r.mix.Close()
			return
		}
	}
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

// close stops the loop, the outputs and the mixer; Manager.release calls it
// after the last member left.
func (r *Room) close() {
	close(r.stop)
	<-r.done
}

func (r *Room) stats() roomStats { return *r.snap.Load() }

// join adds p to the mixer and tells everyone the new roster and layouts.
func (r *Room) join(p *Participant) {
	r.do(func() {
		r.parts = append(r.parts, p)
		r.mix.AddParticipant(p.id, p.name, p.role.Publishes())
		r.broadcast()
	})
}

// leave removes p: its outputs lose a receiver (the last one stops the
// encoder), the mixer forgets it, everyone else gets the new roster and layouts.
func (r *Room) leave(p *Participant) {
	r.do(func() {
		r.detach(p)
		for i, q := range r.parts {
			if q == p {
				r.parts = append(r.parts[:i], r.parts[i+1:]...)
				break
			}
		}
		r.mix.RemoveParticipant(p.id)
		r.broadcast()
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
		r.sendAll(r.roster())
	})
}

// broadcast sends everyone the roster; layouts follow from refreshLayouts
// once the mixer has composed the change.
func (r *Room) broadcast() {
	r.sendAll(r.roster())
}

func (r *Room) sendAll(m Message) {
	for _, p := range r.parts {
		p.send(m)
	}
}

func (r *Room) roster() Message {
	entries := make([]RosterEntry, 0, len(r.parts))
	for _, p := range r.parts {
		entries = append(entries, RosterEntry{
			ID: string(p.id), Name: p.name, Role: p.role,
			AudioMuted: p.audioMuted.Load(), VideoMuted: p.videoMuted.Load(),
		})
	}
	return Message{Type: TypeRoster, Participants: entries}
}
