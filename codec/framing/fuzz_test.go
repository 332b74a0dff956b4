package framing

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// Fuzz input for the assemblers: a sequence of records
//
//	ctl, seqStep, n, payload[n]
//
// ctl bit 0: timestamp advances by a frame; bit 1: marker; bit 2: the clock moves 40 ms;
// bit 3: NeedKeyframe is asked; bit 4: payload length n*64 instead of n; bit 5: the
// sequence jumps by seqStep*1024. seqStep is a signed step from the previous packet.
func fuzzPackets(data []byte, each func(pkt *rtp.Packet, ctl byte)) {
	var seq uint16 = 65000
	var ts uint32 = 1 << 31
	for len(data) >= 3 {
		ctl, step, n := data[0], int8(data[1]), int(data[2])
		data = data[3:]
		if ctl&0x10 != 0 {
			n *= 64
		}
		n = min(n, len(data))
		if ctl&0x20 != 0 {
			seq += uint16(int(step) * 1024)
		} else {
			seq += uint16(int(step))
		}
		if ctl&1 != 0 {
			ts += 3000
		}
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: ctl&2 != 0}, Payload: data[:n]}
		data = data[n:]
		each(pkt, ctl)
	}
}

// fuzzRecords encodes packets in the fuzz input format, for seeds.
func fuzzRecords(pkts []*rtp.Packet, order []int) []byte {
	var out []byte
	prevSeq := uint16(65000)
	prevTS := uint32(1 << 31)
	for _, i := range order {
		p := pkts[i]
		var ctl byte
		if p.Timestamp != prevTS {
			ctl |= 1
		}
		if p.Marker {
			ctl |= 2
		}
		n := len(p.Payload)
		if n > 255 {
			ctl |= 0x10
			n = (n + 63) / 64
		}
		payload := append([]byte(nil), p.Payload...)
		for len(payload) < n*64 && ctl&0x10 != 0 {
			payload = append(payload, 0x55)
		}
		out = append(out, ctl, byte(int8(int16(p.SequenceNumber-prevSeq))), byte(n))
		out = append(out, payload...)
		prevSeq, prevTS = p.SequenceNumber, p.Timestamp
	}
	return out
}

func fuzzSeeds(f *testing.F, c Codec) {
	stream := testStream(c)
	for i := range stream {
		stream[i].data = stream[i].data[:min(len(stream[i].data), 600)]
	}
	pkts := packetize(f, c, 65001, stream)
	inOrder := make([]int, len(pkts))
	for i := range inOrder {
		inOrder[i] = i
	}
	f.Add(fuzzRecords(pkts, inOrder))
	swapped := append([]int(nil), inOrder...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	f.Add(fuzzRecords(pkts, swapped))
	f.Add(fuzzRecords(pkts, append(inOrder[:2:2], inOrder[3:]...))) // a loss
	f.Add([]byte{0x03, 0x01, 0x02, 0x10, 0x00})
	f.Add([]byte{})
}

// fuzzAssembler pushes the fuzz packets and checks what a decoder would rely on:
// nothing panics, memory stays bounded, no frame is handed out between a loss or a
// drop and the next keyframe, and every keyframe really starts a picture.
func fuzzAssembler(t *testing.T, c Codec, data []byte) {
	clk := newTestClock()
	a := NewAssembler(c, clk.now)
	keyed := false
	emits := 0
	a.onEvent = func(e event) {
		switch e {
		case eventLoss, eventDrop:
			keyed = false
		case eventEmitKey:
			keyed = true
			emits++
		case eventEmit:
			if !keyed {
				t.Fatal("a delta frame was handed out without a keyframe before it")
			}
			emits++
		}
	}
	pops := 0
	pop := func() {
		for {
			f, ok := a.Pop()
			if !ok {
				return
			}
			pops++
			checkFuzzFrame(t, c, f)
		}
	}
	fuzzPackets(data, func(pkt *rtp.Packet, ctl byte) {
		if ctl&4 != 0 {
			clk.advance(40 * time.Millisecond)
		}
		_ = a.Push(pkt) // errors are fine; panics and broken invariants are not
		if ctl&8 != 0 {
			a.NeedKeyframe()
		}
		checkBounds(t, a)
		pop()
	})
	clk.advance(time.Second)
	pop()
	if pops != emits || uint64(pops) != a.Stats().FramesEmitted {
		t.Fatalf("%d frames popped, %d emitted, stats say %d", pops, emits, a.Stats().FramesEmitted)
	}
}

func checkFuzzFrame(t *testing.T, c Codec, f Frame) {
	if len(f.Data) == 0 || len(f.Data) > MaxFrameSize {
		t.Fatalf("frame of %d bytes", len(f.Data))
	}
	if c == VP8 {
		if f.Keyframe != vp8Keyframe(f.Data) {
			t.Fatalf("keyframe flag %v on a frame whose tag says otherwise", f.Keyframe)
		}
		return
	}
	// The payload bytes are the sender's, escaped or not, so only the structure the
	// assembler writes is checked: a leading start code, and an SPS or IDR header
	// behind some start code in a keyframe.
	if !bytes.HasPrefix(f.Data, annexBStartCode) {
		t.Fatalf("frame does not start with a start code: % x", f.Data[:min(len(f.Data), 4)])
	}
	hasKeyNAL := false
	for _, nal := range bytes.Split(f.Data, annexBStartCode)[1:] {
		if len(nal) > 0 {
			typ := nal[0] & nalTypeMask
			hasKeyNAL = hasKeyNAL || typ == nalSPS || typ == nalIDR
		}
	}
	if f.Keyframe && !hasKeyNAL {
		t.Fatal("keyframe without SPS or IDR")
	}
}

func checkBounds(t *testing.T, a *Assembler) {
	s := &a.seq
	used := 0
	for i := range s.ring {
		if s.ring[i].used {
			used++
		}
		if len(s.ring[i].buf) > MaxPacketPayload {
			t.Fatalf("ring slot holds %d bytes", len(s.ring[i].buf))
		}
	}
	if used != s.buffered || used > ringSize {
		t.Fatalf("%d slots used, %d counted", used, s.buffered)
	}
	if len(a.cur.buf) > MaxFrameSize || cap(a.cur.buf) > 2*MaxFrameSize || a.qLen > queueSize {
		t.Fatalf("frame buffer %d/%d bytes, %d queued", len(a.cur.buf), cap(a.cur.buf), a.qLen)
	}
}

func FuzzAssemblerVP8(f *testing.F) {
	fuzzSeeds(f, VP8)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzAssembler(t, VP8, data) })
}

func FuzzAssemblerH264(f *testing.F) {
	fuzzSeeds(f, H264)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzAssembler(t, H264, data) })
}

// The descriptor parser agrees with pion's wherever it accepts a payload.
func FuzzVP8Descriptor(f *testing.F) {
	for _, s := range [][]byte{
		{0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0},
		{0x90, 0x80, 0x81, 0x02, 0x11, 0x22},
		{0x90, 0xf0, 0x05, 0x01, 0x02, 0xff},
		{0x80, 0x40, 0x01},
		{0x90},
		{},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		d, err := parseVP8Descriptor(p)
		if err != nil {
			return
		}
		if d.size < 1 || d.size >= len(p) {
			t.Fatalf("descriptor of %d bytes in %d", d.size, len(p))
		}
		var pp codecs.VP8Packet
		payload, perr := pp.Unmarshal(p)
		if perr != nil || !bytes.Equal(payload, p[d.size:]) {
			t.Fatalf("pion: %v, payload at %d, ours at %d", perr, len(p)-len(payload), d.size)
		}
		if d.start != (pp.S == 1) || d.pid != pp.PID {
			t.Fatalf("S/PID %v/%d, pion %d/%d", d.start, d.pid, pp.S, pp.PID)
		}
	})
}

// Whatever Annex-B the encoder side gives, packetizing never panics, and what the
// packetizer sends assembles back into the same NAL units.
func FuzzPacketizeH264(f *testing.F) {
	f.Add(h264TestAU(3000, true, 1))
	f.Add([]byte{0, 0, 1, 0x65, 0, 0, 0, 1, 0x41, 1, 0, 0})
	f.Add([]byte{0, 0, 0, 1, 0x09, 0xf0})
	f.Fuzz(func(t *testing.T, frame []byte) {
		p := NewPacketizer(H264, 1, 102, 90000)
		var e emitted
		if err := p.Packetize(frame, 3000, e.emit); err != nil {
			return
		}
		nals, _ := splitAnnexB(frame, nil)
		var want []byte
		for _, n := range nals {
			if h := frame[n.start]; h&nalForbid != 0 || !nalTypeAllowed(h&nalTypeMask) {
				return // the assembler refuses such units, as it should
			}
			want = append(want, annexBStartCode...)
			want = append(want, frame[n.start:n.end]...)
		}
		for i, pkt := range e.pkts {
			if len(pkt.Payload) > MaxPayloadSize || pkt.Marker != (i == len(e.pkts)-1) {
				t.Fatalf("packet %d: %d bytes, marker %v", i, len(pkt.Payload), pkt.Marker)
			}
		}
		a := NewAssembler(H264, newTestClock().now)
		a.haveSPS = true // judge the reassembly, not whether a decoder could start here
		a.gapBefore = false
		a.waitKey = false
		a.seq.primed, a.seq.started, a.seq.next = true, true, e.pkts[0].SequenceNumber
		for _, pkt := range e.pkts {
			if err := a.Push(pkt); err != nil {
				t.Fatalf("own packet refused: %v", err)
			}
		}
		got, ok := a.Pop()
		if !ok || !bytes.Equal(got.Data, want) {
			t.Fatalf("reassembled %d bytes (ok %v), want %d", len(got.Data), ok, len(want))
		}
	})
}

// The fuzz record format carries a real stream: the in-order seed assembles into
// every frame, so the fuzzers start from states that matter.
func TestFuzzRecordsCarryAStream(t *testing.T) {
	for _, c := range videoCodecs {
		stream := testStream(c)
		pkts := packetize(t, c, 65001, stream)
		order := make([]int, len(pkts))
		for i := range order {
			order[i] = i
		}
		a := NewAssembler(c, newTestClock().now)
		var got []Frame
		fuzzPackets(fuzzRecords(pkts, order), func(p *rtp.Packet, _ byte) {
			if err := a.Push(p); err != nil {
				t.Fatal(err)
			}
			got = append(got, popAll(a)...)
		})
		if len(got) != len(stream) {
			t.Fatalf("%s: %d frames from the seed, want %d", c, len(got), len(stream))
		}
	}
}
