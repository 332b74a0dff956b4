package rooms

import (
	"errors"
	"time"
)

// Audio for a large audience in fewer packets: receive-only attendees all
// get the same mix (the "all" view), and at 20 ms per packet audio is about
// half of the packets a session sends each attendee, so half of what an
// attendee costs the server (SRTP, interceptors and a syscall per packet,
// docs/group-sessions.md). Above groupAudioMin receivers, that view's
// output joins groupAudioFrames 20 ms Opus frames into one Opus packet
// (RFC 6716 §3.2.5, code 3): a third of the packets, for 40 ms more delay
// from presenter to audience, which a one-way talk does not notice. Smaller
// rooms, and everyone who speaks, keep 20 ms packets (a lost packet loses
// less, and conversations keep their delay).
const (
	groupAudioMin    = 20
	groupAudioFrames = 3
)

// opusJoiner collects 20 ms Opus packets and joins them into one. It is
// owned by the output's goroutine and allocates nothing after the first
// packets.
type opusJoiner struct {
	toc  byte  // the TOC byte all collected frames share (code 0)
	lens []int // length of each collected frame, in buf
	buf  []byte
	dur  time.Duration
	out  []byte
}

var errOpusFrame = errors.New("opus packet cannot be joined")

// add appends one single-frame Opus packet (code 0). It refuses a packet of
// another mode, bandwidth or channel count than the frames collected (the
// caller sends those first and starts again) and one with more than one frame.
func (j *opusJoiner) add(pkt []byte, d time.Duration) error {
	if len(pkt) == 0 || pkt[0]&0x3 != 0 {
		return errOpusFrame
	}
	if len(j.lens) > 0 && pkt[0] != j.toc {
		return errOpusFrame
	}
	if len(j.lens) == 0 {
		j.toc, j.buf = pkt[0], j.buf[:0]
	}
	j.buf = append(j.buf, pkt[1:]...)
	j.lens = append(j.lens, len(pkt)-1)
	j.dur += d
	return nil
}

func (j *opusJoiner) len() int { return len(j.lens) }

// join returns the collected frames as one Opus packet and its duration, and
// empties the joiner. One frame comes back as it was (code 0); more become a
// VBR code 3 packet: TOC, frame count, the length of each frame but the last,
// the frames.
func (j *opusJoiner) join() ([]byte, time.Duration) {
	d, n := j.dur, len(j.lens)
	j.dur = 0
	j.out = j.out[:0]
	switch n {
	case 0:
		return nil, 0
	case 1:
		j.out = append(j.out, j.toc)
	default:
		j.out = append(j.out, j.toc|0x3, 0x80|byte(n)) // v=1 (VBR), no padding, M=n
		for _, l := range j.lens[:n-1] {
			if l < 252 {
				j.out = append(j.out, byte(l))
			} else { // 252..1275: first byte 252..255, length = 4*second + first
				first := 252 + l&3
				j.out = append(j.out, byte(first), byte((l-first)/4))
			}
		}
	}
	j.out = append(j.out, j.buf...)
	j.lens = j.lens[:0]
	return j.out, d
}
