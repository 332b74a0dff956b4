package rooms

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nahbar/nahbar/codec"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// handleOffer applies a client offer (the first one, or a renegotiation) and
// answers. If the server's own offer is outstanding (glare), the server
// yields: it drops its offer, answers the client's, and offers again
// afterwards. pion cannot roll back a local offer, so the server applies its
// offers only when the answer arrives (see offer): a dropped one never
// touched the PeerConnection.
func (p *Participant) handleOffer(offer string) {
	if p.outstanding != nil {
		p.log.Debug("offers crossed; the server yields")
		p.outstanding = nil
		p.wantOffer = true
	}
	if st := p.pc.SignalingState(); st != webrtc.SignalingStateStable {
		p.sendError(CodeBadMessage, "offer while the connection is "+st.String())
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		p.log.Info("bad offer", "err", err)
		p.sendError(CodeBadSDP, fmt.Sprintf("apply offer: %v", err))
		return
	}
	if !p.attached {
		if err := p.attachOutputs(offer); err != nil {
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

// attachOutputs adds this receiver's video and audio downTracks, in the
// codec its offer allows (VP8, or H.264 for a client that offers no VP8).
// AddTrack reuses the transceivers the client offered; a kind the client did
// not offer gets a new transceiver and a server offer.
func (p *Participant) attachOutputs(offer string) error {
	k := receiverCodec(offer)
	vdown, adown, err := p.room.attach(p, k)
	if err != nil {
		return err
	}
	p.attached = true
	vs, err := p.pc.AddTrack(vdown)
	if err != nil {
		return fmt.Errorf("add video track: %w", err)
	}
	as, err := p.pc.AddTrack(adown)
	if err != nil {
		return fmt.Errorf("add audio track: %w", err)
	}
	p.goMedia(func() { p.readRTCP(vs, vdown) })
	p.goMedia(func() { p.readRTCP(as, adown) })
	if k != codec.KindVP8 {
		p.log.Info("receiver gets H.264: its offer has no VP8")
	}
	return nil
}

// receiverCodec is the video codec a client gets: VP8 if its offer has it
// (every desktop browser), else H.264 if it has that (Safari/iOS may offer
// only H.264), else VP8 (no video offered: the server's offer adds it).
func receiverCodec(offer string) codec.Kind {
	parsed := &sdp.SessionDescription{}
	if err := parsed.UnmarshalString(offer); err != nil {
		return codec.KindVP8
	}
	var vp8, h264 bool
	for _, m := range parsed.MediaDescriptions {
		if m.MediaName.Media != "video" {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			_, enc, _ := strings.Cut(a.Value, " ")
			name, _, _ := strings.Cut(enc, "/")
			switch strings.ToUpper(name) {
			case "VP8":
				vp8 = true
			case "H264":
				h264 = true
			}
		}
	}
	if !vp8 && h264 {
		return codec.KindH264
	}
	return codec.KindVP8
}

// readRTCP reads what the receiver says about one of our tracks: PLI and FIR
// become a keyframe request to the encoder it should receive (the mixer
// coalesces them), receiver reports feed its loss and RTT, NACKs are answered
// from the track's history. Reading also lets the interceptors (congestion
// control, reports) see the feedback.
func (p *Participant) readRTCP(s *webrtc.RTPSender, d *downTrack) {
	buf := make([]byte, 1500)
	for {
		n, attrs, err := s.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.log.Debug("rtcp read ended", "err", err)
			}
			return
		}
		p.rtcpIn.Add(1)
		if attrs == nil {
			attrs = interceptor.Attributes{}
		}
		// The interceptors (congestion control, reports) have parsed
		// these packets already and left them in the attributes: parsing a
		// receiver's transport-wide feedback again, ten times a second per
		// attendee, was a good part of the RTCP path's cost.
		pkts, err := attrs.GetRTCPPackets(buf[:n])
		if err != nil {
			continue // RTCP from the browser's stack; nothing the user can fix
		}
		ssrc := uint32(0)
		if b := d.binding.Load(); b != nil {
			ssrc = b.ssrc
		}
		p.handleRTCP(pkts, ssrc, d.codec.ClockRate)
		if d.video {
			p.answerNACKs(pkts, d)
		}
	}
}
