package rooms

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// Audio redundancy (RFC 2198 RED, as Chromium sends and receives it for
// Opus): on a lossy link each audio packet also carries the previous one, so
// a single lost packet costs the listener nothing.
//
// Why not Opus's in-band FEC alone: libopus codes its low-bitrate copy
// (LBRR) only for frames its voice detector calls active, and only in its
// SILK modes; a steady sound (the test's tone, a hum under the voice) after
// a while is not, and at 5 % loss Chromium concealed 2.7-4.3 % of the
// samples (TestWeakLink, 150 kbit/s) — about as much as it lost. A full copy
// costs the audio's bitrate again (~26 kbit/s with the RED headers), so it is
// sent only to a receiver that loses audio, gets video (a link that carries
// at least the lowest tier) and whose estimate has room for it, and not to
// one who chose to save data. Audio only is left alone: on a link that
// barely carries the audio, a second copy would make it lose more. Video
// FEC is another matter (NACKs repair video, resend.go).

// audioClockRate is Opus's RTP clock rate.
const audioClockRate = 48000

// redPT is the payload type the server offers for RED (Chromium's).
const redPT = 63

// capRED is RED over Opus: the fmtp names Opus's payload type twice (a
// primary and one redundant block). A browser whose Opus is not 111 does not
// match it and simply gets plain Opus.
var capRED = webrtc.RTPCodecCapability{
	MimeType: "audio/red", ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111",
}

// RED switching thresholds: on when the receiver's audio reports lose at
// least redOnLoss and the estimate carries what the receiver gets plus
// redKbps (GCC's estimate sits at 0.85-1 of what the link delivers); off when
// the loss stays under redOffLoss for redOffHold, or the estimate falls under
// lowFloor of that, as the lowest tier's pause does.
const (
	redOnLoss  = 0.01
	redOffLoss = 0.005
	redOffHold = 10 * time.Second
	redKbps    = 26 // a second copy of 24 kbit/s Opus, plus 5 header bytes a packet
)

// maxREDBlock is the largest redundant block RED can describe (10 bits of
// length); maxREDOffset the largest timestamp offset (14 bits).
const (
	maxREDBlock  = 1<<10 - 1
	maxREDOffset = 1<<14 - 1
)

// redState is an audio downTrack's redundancy (under writeMu): the previous
// packet as sent, and a scratch buffer for the RED payload.
type redState struct {
	prev      []byte // payload of the previous packet; grows once
	prevTS    uint32
	prevSeq   uint16
	prevValid bool
	out       []byte // RED payload scratch; grows once
}

// wrap returns the RED payload for a packet with payload p, timestamp ts and
// sequence number seq (as the receiver gets them): a block with the previous
// packet when it directly precedes this one and fits RED's fields, then the
// primary. It remembers p for the next packet. pt is Opus's payload type.
func (s *redState) wrap(p []byte, ts uint32, seq uint16, pt uint8) []byte {
	s.out = s.out[:0]
	off := ts - s.prevTS
	if s.prevValid && seq == s.prevSeq+1 && off > 0 && off <= maxREDOffset && len(s.prev) <= maxREDBlock && len(s.prev) > 0 {
		n := len(s.prev)
		s.out = append(s.out, 0x80|pt, byte(off>>6), byte(off<<2)|byte(n>>8), byte(n))
		s.out = append(s.out, pt) // the primary's header: F=0
		s.out = append(s.out, s.prev...)
	} else {
		s.out = append(s.out, pt)
	}
	s.out = append(s.out, p...)
	s.remember(p, ts, seq)
	return s.out
}

// remember keeps p as the previous packet (also while redundancy is off, so
// that the first RED packet already carries one).
func (s *redState) remember(p []byte, ts uint32, seq uint16) {
	s.prev = append(s.prev[:0], p...)
	s.prevTS, s.prevSeq, s.prevValid = ts, seq, true
}

// redDecision is one receiver's choice of audio redundancy, with hysteresis
// (room loop).
type redDecision struct {
	on        bool
	cleanFrom time.Time // the loss has been under redOffLoss since (zero: it is not)
}

// update returns whether the receiver should get RED now, from its audio loss
// (smoothed over receiver reports), its estimate and what its level needs
// (kbit/s of payload, GCC's unit; 0: audio only, no RED). saveData turns it
// off.
func (d *redDecision) update(now time.Time, audioLoss, estimateKbps, needKbps float64, saveData bool) bool {
	if audioLoss < redOffLoss {
		if d.cleanFrom.IsZero() {
			d.cleanFrom = now
		}
	} else {
		d.cleanFrom = time.Time{}
	}
	with := needKbps + redKbps
	switch {
	case saveData || needKbps == 0:
		d.on = false
	case !d.on:
		d.on = audioLoss >= redOnLoss && estimateKbps >= with*gccUndershoot
	case estimateKbps < with*lowFloor,
		!d.cleanFrom.IsZero() && now.Sub(d.cleanFrom) >= redOffHold:
		d.on = false
	}
	return d.on
}

// redPayloadType is the payload type of RED over opusPT among the
// negotiated codecs, 0 if there is none.
func redPayloadType(codecs []webrtc.RTPCodecParameters, opusPT webrtc.PayloadType) uint8 {
	want := fmt.Sprintf("%d/%d", opusPT, opusPT)
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, capRED.MimeType) && strings.HasPrefix(c.SDPFmtpLine, want) {
			return uint8(c.PayloadType)
		}
	}
	return 0
}

// setRedundancy turns RED on or off for this (audio) track.
func (d *downTrack) setRedundancy(on bool) {
	if d != nil && d.red != nil {
		d.redOn.Store(on)
	}
}
