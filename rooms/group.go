package rooms

// Group information sessions: presenters (advisors and other publishing
// roles) and receive-only attendees. Attendees raise a hand; the advisor can
// lower it, mute every non-advisor publisher, let an attendee speak
// (promote) and take that back (demote).

// raiseHand raises or lowers a hand. Anyone may raise or lower their own;
// an advisor may lower anyone's (other is then that participant's id) and
// that participant is told with hand{raised: false}.
func (r *Room) raiseHand(p *Participant, raised bool, other string) {
	if other != "" && other != string(p.id) && p.role != RoleAdvisor {
		p.sendError(CodeForbidden, "only an advisor can lower someone else's hand")
		return
	}
	r.do(func() {
		target := p
		if other != "" {
			if target = r.find(other); target == nil {
				p.sendError(CodeNotFound, "no participant "+other)
				return
			}
		}
		if target.handRaised == raised {
			return
		}
		target.handRaised = raised
		if target != p {
			f := false
			target.send(Message{Type: TypeHand, Raised: &f, ParticipantID: string(p.id)})
		}
		r.rosterDirty = true
	})
}

// muteAll mutes every publisher except advisors: the server stops mixing
// their microphones at once, and asks their clients to turn them off
// (mute_request). A participant may unmute again with mute{audio: false}.
func (r *Room) muteAll(p *Participant) {
	if p.role != RoleAdvisor {
		p.sendError(CodeForbidden, "only an advisor can mute everyone")
		return
	}
	r.do(func() {
		on := true
		req := Message{Type: TypeMuteRequest, Audio: &on, ParticipantID: string(p.id)}
		for _, q := range r.parts {
			if q.role == RoleAdvisor || !q.publishing.Load() || q.audioMuted.Load() {
				continue
			}
			q.audioMuted.Store(true)
			q.send(req)
		}
		r.rosterDirty = true
	})
}

// promote lets an attendee publish (on) or makes a publisher receive-only
// again (off). Only advisors may, and never to an advisor. The participant
// gets promoted / demoted; on promoted the client puts its camera and
// microphone on its transceivers and re-offers (pion cannot flip a
// transceiver it answered as send-only to sendrecv in an offer of its own).
// Its view changes (a publisher does not see or hear itself), so its outputs
// switch too.
func (r *Room) promote(p *Participant, id string, on bool) {
	if p.role != RoleAdvisor {
		p.sendError(CodeForbidden, "only an advisor can promote or demote")
		return
	}
	r.do(func() {
		q := r.find(id)
		if q == nil {
			p.sendError(CodeNotFound, "no participant "+id)
			return
		}
		if q.role == RoleAdvisor || q.publishing.Load() == on {
			return
		}
		q.publishing.Store(on)
		q.handRaised = false
		r.mix.AddParticipant(q.id, q.name, on) // replaces: publishing or not, the tile order follows
		r.mix.SetCameraOff(q.id, q.videoMuted.Load())
		if !on {
			q.stopScreen()
		}
		if err := r.routeVideo(q); err != nil {
			q.log.Error("switch view", "err", err)
		}
		if err := r.routeAudio(q); err != nil {
			q.log.Error("switch audio view", "err", err)
		}
		if on {
			q.send(Message{Type: TypePromoted})
		} else {
			q.send(Message{Type: TypeDemoted})
		}
		q.log.Info("publishing changed", "publishing", on, "by", string(p.id), "view", string(r.viewOf(q)))
		r.rosterDirty = true
	})
}
