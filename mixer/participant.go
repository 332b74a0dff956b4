package mixer

import (
	"math"
	"sync/atomic"
)

// participant is one member of the room. Its identity fields never change after
// AddParticipant; the sources and the jitter ring take concurrent producers; the fields
// marked "audio loop" and "compose loop" belong to those ticks alone.
type participant struct {
	id        ParticipantID
	name      string
	publishes bool

	cam, screen videoSource
	screenOn    atomic.Bool
	cameraOff   atomic.Bool
	jitter      *jitterRing
	level       atomic.Uint64 // float64 bits of the current dBFS, for Levels

	// audio loop
	frame    []int16 // this tick's 20 ms
	hasAudio bool
	meter    levelMeter

	// compose loop
	placeholder placeholderCache
}

func newParticipant(id ParticipantID, name string, publishes bool, cfg Config) *participant {
	p := &participant{id: id, name: name, publishes: publishes}
	p.cam.init(false)
	p.screen.init(true)
	p.level.Store(math.Float64bits(silenceDBFS))
	p.placeholder.text = initials(name, string(id))
	if publishes {
		p.jitter = newJitterRing(samplesFor(cfg.AudioMaxDelay), samplesFor(cfg.AudioDelay))
		p.frame = make([]int16, FrameSamples)
	}
	return p
}

// roster is an immutable snapshot of the participants: the ticks and the producers read it
// without a lock; the control path replaces it whole (copy on write).
type roster struct {
	byID  map[ParticipantID]*participant
	order []*participant // join order: the order of the tiles
}

func (r *roster) with(p *participant) *roster {
	n := &roster{byID: make(map[ParticipantID]*participant, len(r.byID)+1), order: make([]*participant, 0, len(r.order)+1)}
	for _, q := range r.order {
		n.byID[q.id] = q
		n.order = append(n.order, q)
	}
	n.byID[p.id] = p
	n.order = append(n.order, p)
	return n
}

func (r *roster) without(id ParticipantID) *roster {
	n := &roster{byID: make(map[ParticipantID]*participant, len(r.byID)), order: make([]*participant, 0, len(r.order))}
	for _, q := range r.order {
		if q.id != id {
			n.byID[q.id] = q
			n.order = append(n.order, q)
		}
	}
	return n
}
