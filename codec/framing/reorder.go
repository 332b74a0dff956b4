package framing

import (
	"time"

	"github.com/pion/rtp"
)

// slot holds one packet that arrived ahead of a gap; buf is reused.
type slot struct {
	used    bool
	marker  bool
	seq     uint16
	ts      uint32
	arrival time.Time
	buf     []byte
}

// sequencer is the reorder buffer: packets are consumed strictly in sequence order,
// those ahead of a gap wait in a ring indexed by sequence number (no map, no
// allocation once the slots have grown).
type sequencer struct {
	started  bool
	primed   bool   // consumption has begun; before that, next may still move back
	highest  uint16 // the highest sequence number parked before priming
	next     uint16 // the sequence number to consume next
	ring     [ringSize]slot
	buffered int       // used slots in ring
	gapSince time.Time // arrival of the oldest packet waiting behind a gap
	// far is a packet far outside the window. One alone is ignored (a stray or
	// corrupt header); a second just after it confirms that the stream jumped.
	far slot
}

// accept places a validated packet relative to the emitted point; 16-bit sequence
// numbers compare through their signed difference, so wrap-around needs no case.
func (a *Assembler) accept(pkt *rtp.Packet, now time.Time) {
	s := &a.seq
	if !s.primed {
		a.prime(pkt, now)
		return
	}
	diff := int(int16(pkt.SequenceNumber - s.next))
	switch {
	case diff >= ringSize || diff < -reorderPackets:
		a.farPacket(pkt, now)
	case diff < 0:
		a.stats.Late++
	default:
		s.far.used = false
		a.place(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload, now)
	}
}

// prime parks the first packets of a stream. Consumption starts at once when the
// earliest packet begins a keyframe; otherwise earlier packets may still be on their
// way, so it starts when the reorder window passes or the ring is half full.
func (a *Assembler) prime(pkt *rtp.Packet, now time.Time) {
	s := &a.seq
	seq := pkt.SequenceNumber
	if !s.started {
		s.started, s.next, s.highest = true, seq, seq
	}
	switch diff := int(int16(seq - s.next)); {
	case diff < 0 && int(int16(s.highest-seq)) < ringSize:
		s.next = seq
	case diff > 0 && diff < ringSize:
		if diff > int(int16(s.highest-s.next)) {
			s.highest = seq
		}
	case diff != 0:
		a.stats.Late++ // too far from the packets already parked
		return
	}
	sl := &s.ring[seq%ringSize]
	if sl.used {
		a.stats.Duplicates++
		return
	}
	sl.used, sl.seq, sl.ts, sl.marker, sl.arrival = true, seq, pkt.Timestamp, pkt.Marker, now
	sl.buf = append(sl.buf[:0], pkt.Payload...)
	if s.buffered == 0 {
		s.gapSince = now
	}
	s.buffered++
	if first := &s.ring[s.next%ringSize]; a.keyframeStart(first.buf) || s.buffered >= reorderPackets {
		a.startConsuming()
	}
}

func (a *Assembler) startConsuming() {
	a.seq.primed = true
	a.drain()
}

// place consumes a packet that is next in line, or parks it in the ring.
// seq must lie in [next, next+ringSize).
func (a *Assembler) place(seq uint16, ts uint32, marker bool, payload []byte, now time.Time) {
	s := &a.seq
	if seq == s.next {
		a.consume(ts, marker, payload)
		s.next++
		a.drain()
		return
	}
	sl := &s.ring[seq%ringSize]
	if sl.used { // every used slot holds a sequence number in the window: same packet
		a.stats.Duplicates++
		return
	}
	sl.used, sl.seq, sl.ts, sl.marker, sl.arrival = true, seq, ts, marker, now
	sl.buf = append(sl.buf[:0], payload...)
	if s.buffered == 0 {
		s.gapSince = now
	}
	s.buffered++
	for s.buffered > 0 && int(int16(seq-s.next)) >= reorderPackets {
		a.skipGap()
	}
}

// drain consumes the packets that are now in sequence.
func (a *Assembler) drain() {
	s := &a.seq
	n := 0
	for {
		sl := &s.ring[s.next%ringSize]
		if !sl.used {
			break
		}
		sl.used = false
		s.buffered--
		a.consume(sl.ts, sl.marker, sl.buf)
		s.next++
		n++
	}
	if n > 0 && s.buffered > 0 {
		s.gapSince = a.oldestWaiting()
	}
}

// oldestWaiting returns the arrival time of the oldest packet behind the next gap,
// so each gap gets its own reorder window.
func (a *Assembler) oldestWaiting() time.Time {
	var t time.Time
	for i := range a.seq.ring {
		sl := &a.seq.ring[i]
		if sl.used && (t.IsZero() || sl.arrival.Before(t)) {
			t = sl.arrival
		}
	}
	return t
}

// expire gives up the gaps whose reorder window has passed.
func (a *Assembler) expire(now time.Time) {
	if !a.seq.primed {
		if a.seq.buffered == 0 || now.Sub(a.seq.gapSince) < a.reorderDelay {
			return
		}
		a.startConsuming()
	}
	for a.seq.buffered > 0 && now.Sub(a.seq.gapSince) >= a.reorderDelay {
		a.skipGap()
	}
}

// skipGap declares the packets before the first waiting one lost and moves on.
func (a *Assembler) skipGap() {
	s := &a.seq
	n := 0
	for !s.ring[s.next%ringSize].used {
		s.next++
		n++
	}
	a.stats.Lost += uint64(n)
	a.lost()
	a.drain()
}

// farPacket keeps a packet far outside the window as a candidate, and restarts the
// sequence at it when the next packet confirms the jump (a long outage, or the sender
// restarted its sequence numbers).
func (a *Assembler) farPacket(pkt *rtp.Packet, now time.Time) {
	s := &a.seq
	f := &s.far
	if d := pkt.SequenceNumber - f.seq; f.used && d >= 1 && d < reorderPackets {
		a.resync(pkt, now)
		return
	}
	f.used, f.seq, f.ts, f.marker, f.arrival = true, pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, now
	f.buf = append(f.buf[:0], pkt.Payload...)
}

func (a *Assembler) resync(pkt *rtp.Packet, now time.Time) {
	s := &a.seq
	a.stats.Resyncs++
	if fwd := s.far.seq - s.next; fwd < 0x8000 {
		a.stats.Lost += uint64(int(fwd) - s.buffered)
	}
	for i := range s.ring {
		s.ring[i].used = false
	}
	s.buffered = 0
	a.lost()
	s.far.used = false
	s.primed = true
	s.next = s.far.seq
	a.consume(s.far.ts, s.far.marker, s.far.buf)
	s.next++
	a.place(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload, now)
}
