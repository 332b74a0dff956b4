package rooms

import (
	"time"

	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Retransmission (NACK answers) is the downTrack's own, not pion's NACK
// responder: the track knows what the responder cannot, and each of these
// made a lost packet on a weak link freeze the picture for 2 s or more
// (TestWeakLink at 150 kbit/s, 5 % loss, 300 ms RTT; logged per NACK):
//
//   - where the receiver's last keyframe starts. Chromium goes on NACKing
//     what the higher tier lost in the link's full queue long after the
//     switch to the lower tier's keyframe made it useless; answered oldest
//     first, those stale packets used the whole retransmission budget and the
//     packet the picture waited for was never sent. Packets before the last
//     keyframe are not resent;
//   - the RTT now. pion spaces two resends of a packet by the mean of every
//     RTT the stream ever had: 1.28 s after the switch's full queue, so a
//     lost retransmission waited that long for its next try. Here the
//     spacing is half the latest RTT (Chromium itself asks again only once
//     per RTT; this only keeps one burst of NACKs from being answered twice);
//   - what cannot be repaired. A NACKed packet since the last keyframe that
//     has left the history asks the encoder for a keyframe at once, rather
//     than leaving the browser to wait ~3 s before it sends a PLI;
//   - paused video (audio only): its NACKs are not answered, so repairs never
//     crowd out the audio of a link that just proved too weak for video.
//
// It also copies each packet once into a slot it reuses, where pion's
// responder allocated per packet and receiver.

// resendHistory is how many sent packets a video downTrack keeps: seconds of
// video at any tier (~45 packets a second at the top one), far more than a
// retransmission that still helps (one RTT, a few hundred ms).
const resendHistory = 256

// retransmitShare is the part of the receiver's estimate (in percent) that
// retransmissions may use, as a bucket refilled at that rate and holding
// retransmitWindow of it. 15 % (an earlier setting) let one packet per
// 500 ms through on a 150 kbit/s link, too few for 5 % loss; half lets a
// burst of 2-3 through and leaves most of the link to new media.
const (
	retransmitShare  = 50
	retransmitWindow = 500 * time.Millisecond
)

// Bounds of the spacing between two resends of one packet.
const (
	minResendGap = 20 * time.Millisecond
	maxResendGap = 250 * time.Millisecond
)

// sentPacket is one slot of the history: the header as the receiver got it
// (extensions are the interceptors' to add again) and a payload buffer that
// grows once and is reused.
type sentPacket struct {
	hdr      rtp.Header
	payload  []byte
	valid    bool
	lastSent time.Time // of the last resend; zero: never resent
}

// sentHistory is a video downTrack's record of what it sent (under writeMu).
type sentHistory struct {
	slots    [resendHistory]sentPacket
	keyStart uint16 // sequence number of the last keyframe's first packet
	haveKey  bool
	tokens   float64 // retransmission bytes allowed now
	tokensAt time.Time
}

// add records a packet as sent (h as written, without extensions).
func (s *sentHistory) add(h *rtp.Header, payload []byte, keyframeStart bool) {
	slot := &s.slots[h.SequenceNumber%resendHistory]
	slot.hdr = *h
	slot.hdr.Extensions = nil
	if len(payload) > 0 && cap(slot.payload) < framing.MaxPayloadSize {
		slot.payload = make([]byte, 0, framing.MaxPayloadSize) // once per slot
	}
	slot.payload = append(slot.payload[:0], payload...)
	slot.valid = true
	slot.lastSent = time.Time{}
	if keyframeStart {
		s.keyStart, s.haveKey = h.SequenceNumber, true
	}
}

// allow takes size bytes from the retransmission budget if they are there.
func (s *sentHistory) allow(size int, now time.Time, estimateBps float64) bool {
	rate := estimateBps * retransmitShare / 100 / 8 // bytes a second
	depth := rate * retransmitWindow.Seconds()
	if s.tokensAt.IsZero() {
		s.tokens = depth
	} else if d := now.Sub(s.tokensAt); d > 0 {
		s.tokens = min(depth, s.tokens+rate*d.Seconds())
	}
	s.tokensAt = now
	if s.tokens < float64(size) {
		return false
	}
	s.tokens -= float64(size)
	return true
}

// resendResult is what answering one NACK did.
type resendResult struct {
	sent, stale, spaced, limited int
	needKeyframe                 bool // a packet since the last keyframe is gone
}

// resend answers a receiver's NACK for this (video) track: the packets it
// lists that are since the last keyframe and still kept go out again, no one
// packet more often than every resendGap(rtt), within the budget that
// estimateBps allows. It runs on the track's RTCP reader and allocates
// nothing.
func (d *downTrack) resend(nack *rtcp.TransportLayerNack, now time.Time, rtt time.Duration, estimateBps float64) (r resendResult) {
	b := d.binding.Load()
	if b == nil || d.hist == nil || nack.MediaSSRC != b.ssrc {
		return r
	}
	gap := min(max(rtt/2, minResendGap), maxResendGap)
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if d.want.Load() == 0 || d.cur.Load() == 0 || !d.started {
		return r // paused: video resumes with a keyframe
	}
	h := d.hist
	for _, pair := range nack.Nacks {
		pair.Range(func(seq uint16) bool {
			switch {
			case int16(seq-d.lastSeq) > 0:
				return true // not sent yet: nothing to repair
			case h.haveKey && int16(seq-h.keyStart) < 0:
				r.stale++
				return true
			}
			slot := &h.slots[seq%resendHistory]
			if !slot.valid || slot.hdr.SequenceNumber != seq {
				r.needKeyframe = true
				return true
			}
			if !slot.lastSent.IsZero() && now.Sub(slot.lastSent) < gap {
				r.spaced++
				return true
			}
			size := len(slot.payload) + int(slot.hdr.PaddingSize) + packetOverheadBytes
			if !h.allow(size, now, estimateBps) {
				r.limited++
				return false // the rest of this NACK waits for the browser's next one
			}
			d.hdr = slot.hdr // the write path's scratch header: writeMu is held
			d.hdr.Extensions = d.ext[:0]
			if _, err := b.write.WriteRTP(&d.hdr, slot.payload); err != nil {
				d.errs.report(err)
				return false
			}
			slot.lastSent = now
			r.sent++
			d.packets.Add(1)
			d.bytes.Add(uint64(size))
			return true
		})
		if r.limited > 0 {
			break
		}
	}
	return r
}

// answerNACKs resends what the receiver's NACKs for its video track d ask
// for, and asks for a keyframe when something it needs is gone.
func (p *Participant) answerNACKs(pkts []rtcp.Packet, d *downTrack) {
	for _, pkt := range pkts {
		nack, ok := pkt.(*rtcp.TransportLayerNack)
		if !ok {
			continue
		}
		r := d.resend(nack, time.Now(), p.link.rtt(), p.estimateKbps()*1000)
		if r.needKeyframe {
			p.requestKeyframe()
		}
		if r.needKeyframe || r.limited > 0 {
			p.log.Debug("nack", "resent", r.sent, "stale", r.stale, "spaced", r.spaced, "limited", r.limited, "keyframe", r.needKeyframe)
		}
	}
}
