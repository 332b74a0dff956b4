package rooms

import (
	"errors"
	"fmt"
	"io"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// handleOffer applies a client offer (the first one, or a renegotiation) and
// answers. If the server's own offer is outstanding (glare), the server
// yields: it drops its offer, answers the client's, and offers again
// afterwards. pion cannot roll back a local offer, so the server applies its
// offers only when the answer arrives (see offer): a dropped one never
// touched the PeerConnection.
func (p *Participant) handleOffer(sdp string) {
	if p.outstanding != nil {
		p.log.Debug("offers crossed; the server yields")
		p.outstanding = nil
		p.wantOffer = true
	}
	if st := p.pc.SignalingState(); st != webrtc.SignalingStateStable {
		p.sendError(CodeBadMessage, "offer while the connection is "+st.String())
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		p.log.Info("bad offer", "err", err)
		p.sendError(CodeBadSDP, fmt.Sprintf("apply offer: %v", err))
		return
	}
	if !p.attached {
		if err := p.attachOutputs(); err != nil {
			p.log.Warn("attach outputs", "err", err)
			p.sendError(CodeBadSDP, fmt.Sprintf("attach outputs: %v", err))
			return
		}
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(answer)
	}
	if err != nil {
		p.log.Warn("answer", "err", err)
		p.sendError(CodeBadSDP, fmt.Sprintf("answer: %v", err))
		return
	}
	p.send(Message{Type: TypeAnswer, SDP: answer.SDP})
	p.flushCandidates()
	if p.wantOffer {
		p.offer()
	}
}

// handleAnswer applies the client's answer to the outstanding server offer.
// It reports false when the PeerConnection is left unusable (the offer was
// applied but the answer was not, and pion cannot roll back).
func (p *Participant) handleAnswer(answer string) bool {
	if p.outstanding == nil {
		p.sendError(CodeBadMessage, "answer without a server offer")
		return true
	}
	offer := *p.outstanding
	p.outstanding = nil
	parsed := &sdp.SessionDescription{}
	if err := parsed.UnmarshalString(answer); err != nil {
		p.sendError(CodeBadSDP, fmt.Sprintf("parse answer: %v", err))
		p.wantOffer = true
		return true
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		p.log.Warn("apply server offer", "err", err)
		p.wantOffer = true
		p.offer()
		return true
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		p.log.Info("bad answer", "err", err)
		p.sendError(CodeBadSDP, fmt.Sprintf("apply answer: %v", err))
		return false
	}
	p.flushCandidates()
	if p.wantOffer {
		p.offer()
	}
	return true
}

// offer sends a server offer when pion needs a renegotiation (for example to
// add a transceiver the client's offer lacked). The client makes the first
// offer; until then, and while an exchange is under way, the wish is kept.
// The offer is applied locally only when its answer arrives, so that a
// crossing client offer can still be answered (handleOffer).
func (p *Participant) offer() {
	if p.pc.RemoteDescription() == nil || p.pc.SignalingState() != webrtc.SignalingStateStable || p.outstanding != nil {
		p.wantOffer = true
		return
	}
	p.wantOffer = false
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.log.Warn("server offer", "err", err)
		return
	}
	p.outstanding = &offer
	p.send(Message{Type: TypeOffer, SDP: offer.SDP})
}

// handleCandidate adds a trickled remote candidate; nil or an empty string is
// end-of-candidates. Candidates that arrive before the first offer wait.
func (p *Participant) handleCandidate(c *Candidate) {
	var init webrtc.ICECandidateInit
	if c != nil {
		init = webrtc.ICECandidateInit{
			Candidate: c.Candidate, SDPMid: c.SDPMid,
			SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment,
		}
	}
	if p.pc.RemoteDescription() == nil {
		if len(p.pending) >= maxCandidate {
			p.sendError(CodeBadCandidate, "too many candidates before the offer")
			return
		}
		p.pending = append(p.pending, init)
		return
	}
	p.addCandidate(init)
}

func (p *Participant) addCandidate(init webrtc.ICECandidateInit) {
	if err := p.pc.AddICECandidate(init); err != nil {
		p.log.Info("bad remote candidate", "candidate", init.Candidate, "err", err)
		p.sendError(CodeBadCandidate, fmt.Sprintf("add candidate: %v", err))
	}
}

func (p *Participant) flushCandidates() {
	for _, c := range p.pending {
		p.addCandidate(c)
	}
	p.pending = nil
}

// onICECandidate trickles a local candidate; nil is end-of-candidates.
func (p *Participant) onICECandidate(c *webrtc.ICECandidate) {
	if c == nil {
		p.send(Message{Type: TypeCandidate})
		return
	}
	init := c.ToJSON()
	p.send(Message{Type: TypeCandidate, Candidate: &Candidate{
		Candidate: init.Candidate, SDPMid: init.SDPMid,
		SDPMLineIndex: init.SDPMLineIndex, UsernameFragment: init.UsernameFragment,
	}})
}

// attachOutputs adds this receiver's shared (view, tier) video track and its
// audio view track. AddTrack reuses the transceivers the client offered; a
// kind the client did not offer gets a new transceiver and a server offer.
func (p *Participant) attachOutputs() error {
	vo, ao, err := p.room.attach(p)
	if err != nil {
		return err
	}
	p.attached = true
	vs, err := p.pc.AddTrack(vo.track)
	if err != nil {
		return fmt.Errorf("add video track: %w", err)
	}
	p.sendingVideo.Store(vo)
	as, err := p.pc.AddTrack(ao.track)
	if err != nil {
		return fmt.Errorf("add audio track: %w", err)
	}
	p.goMedia(func() { p.readVideoRTCP(vs) })
	p.goMedia(func() { p.drainRTCP(as) })
	return nil
}

// readVideoRTCP turns the receiver's PLI and FIR into a keyframe request to
// the shared encoder (the mixer coalesces them). Reading also lets the
// interceptors (NACK responder, reports) see the receiver's feedback.
func (p *Participant) readVideoRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue // RTCP from the browser's stack; nothing the user can fix
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if vo := p.sendingVideo.Load(); vo != nil {
					p.room.mix.RequestKeyframe(vo.key.view, vo.key.tier)
				}
			}
		}
	}
}

// drainRTCP reads a sender's RTCP so that the interceptors process it.
func (p *Participant) drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			if !errors.Is(err, io.EOF) {
				p.log.Debug("rtcp read ended", "err", err)
			}
			return
		}
	}
}
