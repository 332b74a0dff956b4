package framing

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// testClock is the injected clock: tests move it, nothing sleeps.
type testClock struct{ t time.Time }

func newTestClock() *testClock               { return &testClock{t: time.Unix(1_700_000_000, 0)} }
func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// fill writes a pattern that never contains 0, so no accidental Annex-B start codes.
func fill(b []byte, seed int) []byte {
	for i := range b {
		b[i] = byte((i+seed)%251 + 1)
	}
	return b
}

// vp8TestFrame builds a VP8 frame of size bytes with a real frame tag: a keyframe carries
// the 9d 01 2a start code and a 320x240 size, as libvpx writes it.
func vp8TestFrame(size int, key bool, seed int) []byte {
	f := fill(make([]byte, size), seed)
	if key {
		if size < 10 {
			panic("vp8 keyframe needs 10 bytes")
		}
		copy(f, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00})
		return f
	}
	f[0] = 0x11 // P=1 (interframe), version 0, show_frame
	return f
}

// h264TestAU builds an Annex-B access unit with 4-byte start codes whose slice has
// sliceSize bytes; an IDR unit carries SPS and PPS first, as encoders send them.
func h264TestAU(sliceSize int, idr bool, seed int) []byte {
	var b []byte
	sc := []byte{0, 0, 0, 1}
	if idr {
		b = append(b, sc...)
		b = append(b, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x05, 0x07, 0xec)
		b = append(b, sc...)
		b = append(b, 0x68, 0xce, 0x0f, 0xc8)
	}
	b = append(b, sc...)
	slice := fill(make([]byte, sliceSize), seed)
	if idr {
		slice[0] = 0x65
	} else {
		slice[0] = 0x41
	}
	return append(b, slice...)
}

// testFrame is one encoded frame for a stream under test.
type testFrame struct {
	data []byte
	key  bool
}

// packetize cuts frames into packets (copies) with a packetizer starting at seq.
func packetize(t testing.TB, c Codec, seq uint16, frames []testFrame) []*rtp.Packet {
	t.Helper()
	p := NewPacketizer(c, 0x1234, 96, 90000)
	p.SetNext(seq, 1000)
	var out []*rtp.Packet
	for i, f := range frames {
		err := p.Packetize(f.data, 3000, func(pkt *rtp.Packet) error {
			out = append(out, pkt.Clone())
			return nil
		})
		if err != nil {
			t.Fatalf("packetize frame %d: %v", i, err)
		}
	}
	return out
}

// popAll drains the assembler, copying the frames out.
func popAll(a *Assembler) []Frame {
	var out []Frame
	for {
		f, ok := a.Pop()
		if !ok {
			return out
		}
		f.Data = bytes.Clone(f.Data)
		out = append(out, f)
	}
}

// feed pushes packets in order, failing on any error, and returns what came out.
func feed(t testing.TB, a *Assembler, pkts []*rtp.Packet) []Frame {
	t.Helper()
	var out []Frame
	for _, p := range pkts {
		if err := a.Push(p); err != nil {
			t.Fatalf("push seq %d: %v", p.SequenceNumber, err)
		}
		out = append(out, popAll(a)...)
	}
	return out
}

// packetsPerFrame groups packets by RTP timestamp, in order.
func packetsPerFrame(pkts []*rtp.Packet) [][]*rtp.Packet {
	var out [][]*rtp.Packet
	for i, p := range pkts {
		if i == 0 || p.Timestamp != pkts[i-1].Timestamp {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}
