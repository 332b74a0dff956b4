package rooms

import (
	"bytes"
	"time"
)

// The roster is sent in two shapes, so that a group session with hundreds of
// attendees does not cost O(n²) per join: participants who publish (and
// advisors) get every entry; receive-only attendees get only the publishers'
// entries plus the number of attendees. Changes are coalesced: the room marks
// the roster dirty and sends it at its next tick (within 100 ms). When only
// the attendee count changed, attendees get it at most every
// countInterval, so a wave of joins costs each attendee a few messages.
const countInterval = 2 * time.Second

// seesFullRoster reports whether p gets every entry.
func seesFullRoster(p *Participant) bool {
	return p.role == RoleAdvisor || p.publishing.Load()
}

func (r *Room) rosterEntry(p *Participant) RosterEntry {
	return RosterEntry{
		ID: string(p.id), Name: p.name, Role: p.role,
		AudioMuted: p.audioMuted.Load(), VideoMuted: p.videoMuted.Load(),
		Publishing: p.publishing.Load(), HandRaised: p.handRaised,
	}
}

// rosters builds both shapes (room loop).
func (r *Room) rosters() (full, compact Message) {
	full = Message{Type: TypeRoster, Participants: make([]RosterEntry, 0, len(r.parts))}
	compact = Message{Type: TypeRoster}
	attendees := 0
	for _, p := range r.parts {
		e := r.rosterEntry(p)
		full.Participants = append(full.Participants, e)
		if p.publishing.Load() {
			compact.Participants = append(compact.Participants, e)
		} else {
			attendees++
		}
	}
	full.Attendees, compact.Attendees = attendees, attendees
	return full, compact
}

// rosterFor is the roster in the shape p gets.
func (r *Room) rosterFor(p *Participant) Message {
	full, compact := r.rosters()
	if seesFullRoster(p) {
		return full
	}
	return compact
}

// flushRoster sends everyone the roster in their shape, each shape encoded
// once (room loop).
func (r *Room) flushRoster(now time.Time) {
	r.rosterDirty = false
	full, compact := r.rosters()
	fb, err := encodeMessage(full)
	if err != nil {
		r.log.Error("encode roster", "err", err)
		return
	}
	cb, err := encodeMessage(compact)
	if err != nil {
		r.log.Error("encode roster", "err", err)
		return
	}
	sendFull := !bytes.Equal(fb, r.fullSent)
	r.fullSent = fb
	sendCompact := !bytes.Equal(cb, r.compactSent)
	if sendCompact && compact.Attendees != r.compactCount && r.sameEntries(compact) && now.Sub(r.compactAt) < countInterval {
		sendCompact = false // only the count changed, and recently: later
		r.rosterDirty = true
	}
	if sendCompact {
		r.compactSent, r.compactCount, r.compactAt = cb, compact.Attendees, now
		r.compactEntries = compact.Participants
	}
	for _, p := range r.parts {
		switch {
		case seesFullRoster(p):
			if sendFull {
				p.sendRaw(fb)
			}
		case sendCompact:
			p.sendRaw(cb)
		}
	}
}

// sameEntries reports whether the compact roster's entries are those sent last.
func (r *Room) sameEntries(compact Message) bool {
	if len(compact.Participants) != len(r.compactEntries) {
		return false
	}
	for i, e := range compact.Participants {
		if e != r.compactEntries[i] {
			return false
		}
	}
	return true
}
