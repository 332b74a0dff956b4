package framing

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// testStream is a short GOP: a keyframe, three deltas of various sizes, a keyframe and
// a delta. Frames span one to five packets.
func testStream(c Codec) []testFrame {
	sizes := []int{3000, 2500, 100, 5000, 4000, 700}
	keys := []bool{true, false, false, false, true, false}
	out := make([]testFrame, len(sizes))
	for i := range sizes {
		if c == VP8 {
			out[i] = testFrame{vp8TestFrame(sizes[i], keys[i], i), keys[i]}
		} else {
			out[i] = testFrame{h264TestAU(sizes[i], keys[i], i), keys[i]}
		}
	}
	return out
}

// wantFrames checks that got are exactly the frames of stream with the given indexes.
func wantFrames(t *testing.T, got []Frame, stream []testFrame, idx ...int) {
	t.Helper()
	if len(got) != len(idx) {
		t.Fatalf("got %d frames, want %d (frames %v)", len(got), len(idx), idx)
	}
	for n, i := range idx {
		if !bytes.Equal(got[n].Data, stream[i].data) {
			t.Errorf("frame %d (stream frame %d): %d bytes differ from the %d sent", n, i, len(got[n].Data), len(stream[i].data))
		}
		if got[n].Keyframe != stream[i].key {
			t.Errorf("frame %d (stream frame %d): keyframe %v, want %v", n, i, got[n].Keyframe, stream[i].key)
		}
		if want := uint32(1000 + 3000*i); got[n].RTPTimestamp != want {
			t.Errorf("frame %d: timestamp %d, want %d", n, got[n].RTPTimestamp, want)
		}
	}
}

func all(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

var videoCodecs = []Codec{VP8, H264}

func TestAssemblerDeliversEveryFrame(t *testing.T) {
	orders := []struct {
		name  string
		order func([]*rtp.Packet) []*rtp.Packet
	}{
		{"in order", func(p []*rtp.Packet) []*rtp.Packet { return p }},
		{"adjacent swaps", func(p []*rtp.Packet) []*rtp.Packet {
			out := append([]*rtp.Packet(nil), p...)
			for i := 0; i+1 < len(out); i += 2 {
				out[i], out[i+1] = out[i+1], out[i]
			}
			return out
		}},
		{"each frame reversed", func(p []*rtp.Packet) []*rtp.Packet {
			var out []*rtp.Packet
			for _, f := range packetsPerFrame(p) {
				for i := len(f) - 1; i >= 0; i-- {
					out = append(out, f[i])
				}
			}
			return out
		}},
		{"late by ten packets", func(p []*rtp.Packet) []*rtp.Packet {
			out := append([]*rtp.Packet(nil), p[1:11]...)
			out = append(out, p[0])
			return append(out, p[11:]...)
		}},
		{"every packet twice", func(p []*rtp.Packet) []*rtp.Packet {
			var out []*rtp.Packet
			for _, q := range p {
				out = append(out, q, q)
			}
			return out
		}},
		{"duplicates while reordered", func(p []*rtp.Packet) []*rtp.Packet {
			out := []*rtp.Packet{p[2], p[2], p[1], p[2], p[0], p[1]}
			return append(out, p[3:]...)
		}},
	}
	for _, c := range videoCodecs {
		for _, o := range orders {
			t.Run(c.String()+"/"+o.name, func(t *testing.T) {
				stream := testStream(c)
				clk := newTestClock()
				a := NewAssembler(c, clk.now)
				got := feed(t, a, o.order(packetize(t, c, 100, stream)))
				wantFrames(t, got, stream, all(len(stream))...)
				if s := a.Stats(); s.Lost != 0 || s.FramesDropped != 0 {
					t.Errorf("stats %+v: want no loss and no drop", s)
				}
				if a.NeedKeyframe() {
					t.Error("NeedKeyframe true on a clean stream")
				}
			})
		}
	}
}

func TestAssemblerLoss(t *testing.T) {
	// The stream as packets: frame i spans frames[i]. Losing a packet drops its frame
	// and every frame up to the next keyframe (frame 4).
	cases := []struct {
		name  string
		lose  func(frames [][]*rtp.Packet) []*rtp.Packet
		want  []int
		lost  uint64 // a packet lost before the first one seen is never known
		drops uint64
	}{
		{"middle of a delta frame", func(f [][]*rtp.Packet) []*rtp.Packet { return f[1][1:2] }, []int{0, 4, 5}, 1, 3},
		{"marker packet of a delta frame", func(f [][]*rtp.Packet) []*rtp.Packet { return f[3][len(f[3])-1:] }, []int{0, 1, 2, 4, 5}, 1, 1},
		{"a whole delta frame", func(f [][]*rtp.Packet) []*rtp.Packet { return f[2] }, []int{0, 1, 4, 5}, 1, 1},
		{"a whole delta frame and the next one's head", func(f [][]*rtp.Packet) []*rtp.Packet { return append(f[2], f[3][0]) }, []int{0, 1, 4, 5}, 2, 1},
		{"first packet of the first keyframe", func(f [][]*rtp.Packet) []*rtp.Packet { return f[0][:1] }, []int{4, 5}, 0, 4},
		{"first packet of the second keyframe", func(f [][]*rtp.Packet) []*rtp.Packet { return f[4][:1] }, []int{0, 1, 2, 3}, 1, 2},
	}
	for _, c := range videoCodecs {
		for _, tc := range cases {
			t.Run(c.String()+"/"+tc.name, func(t *testing.T) {
				stream := testStream(c)
				pkts := packetize(t, c, 65500, stream)
				lose := tc.lose(packetsPerFrame(pkts))
				clk := newTestClock()
				a := NewAssembler(c, clk.now)
				var got []Frame
				for _, p := range pkts {
					clk.advance(10 * time.Millisecond) // packets paced as a sender would
					if p == lose[0] || (len(lose) > 1 && containsPacket(lose, p)) {
						continue
					}
					if err := a.Push(p); err != nil {
						t.Fatal(err)
					}
					got = append(got, popAll(a)...)
				}
				clk.advance(DefaultReorderDelay)
				got = append(got, popAll(a)...)
				wantFrames(t, got, stream, tc.want...)
				if s := a.Stats(); s.Lost != tc.lost || s.FramesDropped != tc.drops {
					t.Errorf("lost %d, dropped %d; want %d, %d", s.Lost, s.FramesDropped, tc.lost, tc.drops)
				}
			})
		}
	}
}

func containsPacket(ps []*rtp.Packet, p *rtp.Packet) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// A gap stays open for the reorder window: the frames behind it wait, and the loss is
// declared only when the injected clock passes the window.
func TestAssemblerReorderWindow(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String(), func(t *testing.T) {
			stream := testStream(c)
			frames := packetsPerFrame(packetize(t, c, 0, stream))
			clk := newTestClock()
			a := NewAssembler(c, clk.now)
			wantFrames(t, feed(t, a, frames[0]), stream, 0)
			feed(t, a, frames[1][1:]) // frame 1's first packet is missing
			if got := feed(t, a, frames[2]); len(got) != 0 {
				t.Fatalf("frame behind an open gap came out: %d frames", len(got))
			}
			clk.advance(DefaultReorderDelay - time.Millisecond)
			if _, ok := a.Pop(); ok || a.NeedKeyframe() || a.Stats().Lost != 0 {
				t.Fatal("gap given up before the reorder window passed")
			}
			clk.advance(time.Millisecond)
			if _, ok := a.Pop(); ok {
				t.Fatal("a frame came out after the loss; want none until a keyframe")
			}
			if s := a.Stats(); s.Lost != 1 || s.FramesDropped != 2 {
				t.Fatalf("stats %+v: want 1 lost, 2 dropped", s)
			}
			if !a.NeedKeyframe() {
				t.Fatal("NeedKeyframe false after a loss")
			}
		})
	}
}

func TestNeedKeyframe(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String()+"/rate limited until a keyframe", func(t *testing.T) {
			stream := testStream(c)
			frames := packetsPerFrame(packetize(t, c, 0, stream))
			clk := newTestClock()
			a := NewAssembler(c, clk.now)
			feed(t, a, frames[0])
			feed(t, a, frames[1][1:])
			feed(t, a, frames[2])
			clk.advance(DefaultReorderDelay)
			steps := []struct {
				advance time.Duration
				want    bool
			}{
				{0, true},
				{0, false},
				{KeyframeRequestInterval - time.Millisecond, false},
				{time.Millisecond, true},
				{KeyframeRequestInterval / 2, false},
				{KeyframeRequestInterval / 2, true},
			}
			for i, s := range steps {
				clk.advance(s.advance)
				if got := a.NeedKeyframe(); got != s.want {
					t.Fatalf("step %d: NeedKeyframe %v, want %v", i, got, s.want)
				}
			}
			if got := feed(t, a, frames[3]); len(got) != 0 {
				t.Fatalf("delta frame came out while waiting for a keyframe")
			}
			wantFrames(t, feed(t, a, append(frames[4], frames[5]...)), stream, 4, 5)
			clk.advance(10 * KeyframeRequestInterval)
			if a.NeedKeyframe() {
				t.Fatal("NeedKeyframe true after the keyframe arrived")
			}
			if got := a.Stats().KeyframeRequests; got != 3 {
				t.Fatalf("%d keyframe requests, want 3", got)
			}
		})
		t.Run(c.String()+"/joining after the keyframe", func(t *testing.T) {
			stream := testStream(c)
			frames := packetsPerFrame(packetize(t, c, 0, stream))
			clk := newTestClock()
			a := NewAssembler(c, clk.now)
			if got := feed(t, a, frames[1]); len(got) != 0 {
				t.Fatal("a delta frame came out before any keyframe")
			}
			if a.NeedKeyframe() {
				t.Fatal("NeedKeyframe true while earlier packets may still come")
			}
			clk.advance(DefaultReorderDelay)
			if _, ok := a.Pop(); ok {
				t.Fatal("a delta frame came out before any keyframe")
			}
			if !a.NeedKeyframe() {
				t.Fatal("NeedKeyframe false although the stream started without a keyframe")
			}
		})
	}
}

func TestAssemblerWrapAround(t *testing.T) {
	// Sequence number 0 is lost; which frames survive depends on where it falls.
	cases := []struct {
		start uint16
		want  map[Codec][]int // frames delivered when packet 0 is lost
		lost  uint64
	}{
		// VP8: 0 is frame 2 (one packet); H.264: the tail of frame 1 (SPS/PPS take a packet).
		{65530, map[Codec][]int{VP8: {0, 1, 4, 5}, H264: {0, 4, 5}}, 1},
		{65535, map[Codec][]int{VP8: {4, 5}, H264: {4, 5}}, 1}, // inside the first keyframe
		{1, map[Codec][]int{VP8: all(6), H264: all(6)}, 0},     // 0 is never sent
	}
	for _, c := range videoCodecs {
		for _, tc := range cases {
			stream := testStream(c)
			pkts := packetize(t, c, tc.start, stream)
			name := fmt.Sprintf("%s/from %d", c, tc.start)
			t.Run(name+"/reordered across the wrap", func(t *testing.T) {
				order := append([]*rtp.Packet(nil), pkts...)
				for i := 0; i+2 < len(order); i += 3 {
					order[i], order[i+2] = order[i+2], order[i]
				}
				a := NewAssembler(c, newTestClock().now)
				wantFrames(t, feed(t, a, order), stream, all(len(stream))...)
			})
			t.Run(name+"/packet 0 lost", func(t *testing.T) {
				clk := newTestClock()
				a := NewAssembler(c, clk.now)
				var got []Frame
				for _, p := range pkts {
					if p.SequenceNumber == 0 {
						continue
					}
					if err := a.Push(p); err != nil {
						t.Fatal(err)
					}
					got = append(got, popAll(a)...)
				}
				clk.advance(DefaultReorderDelay)
				got = append(got, popAll(a)...)
				wantFrames(t, got, stream, tc.want[c]...)
				if a.Stats().Lost != tc.lost {
					t.Fatalf("lost %d, want %d", a.Stats().Lost, tc.lost)
				}
			})
		}
	}
}

func TestAssemblerLateAndDuplicate(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String(), func(t *testing.T) {
			stream := testStream(c)
			pkts := packetize(t, c, 10, stream)
			a := NewAssembler(c, newTestClock().now)
			got := feed(t, a, pkts[:4])
			got = append(got, feed(t, a, []*rtp.Packet{pkts[0], pkts[2], pkts[6], pkts[6], pkts[5], pkts[6]})...)
			got = append(got, feed(t, a, pkts[4:])...)
			wantFrames(t, got, stream, all(len(stream))...)
			s := a.Stats()
			if s.Late != 4 || s.Duplicates != 2 || s.Lost != 0 {
				t.Fatalf("stats %+v: want 4 late, 2 duplicates, 0 lost", s)
			}
		})
	}
}

// Garbage is refused with a clear error and changes nothing: garbage that reuses the
// sequence numbers of the real stream does not keep the real packets out.
func TestAssemblerGarbage(t *testing.T) {
	cases := []struct {
		codec   Codec
		name    string
		payload []byte
		want    error
	}{
		{VP8, "extension byte missing", []byte{0x90}, ErrShortPayload},
		{VP8, "picture id missing", []byte{0x90, 0x80}, ErrShortPayload},
		{VP8, "15-bit picture id cut", []byte{0x90, 0x80, 0x81}, ErrShortPayload},
		{VP8, "descriptor only", []byte{0x10}, ErrShortPayload},
		{VP8, "all extensions, no payload", []byte{0x90, 0xf0, 0x81, 0x02, 0x03, 0x04}, ErrShortPayload},
		{VP8, "frame tag version 7", []byte{0x10, 0x0f, 0, 0}, ErrBadPayload},
		{VP8, "keyframe without start code", []byte{0x10, 0x10, 0x02, 0x00, 0x11, 0x22, 0x33}, ErrBadPayload},
		{VP8, "too large", make([]byte, MaxPacketPayload+1), ErrPacketTooLarge},
		{H264, "forbidden bit", []byte{0x85, 1, 2}, ErrBadPayload},
		{H264, "nal type 0", []byte{0x00, 1, 2}, ErrBadPayload},
		{H264, "reserved nal type 17", []byte{0x11, 1, 2}, ErrBadPayload},
		{H264, "stap-b", []byte{0x19, 0, 1, 0x65}, ErrBadPayload},
		{H264, "fu-b", []byte{0x1d, 0x85, 1}, ErrBadPayload},
		{H264, "fu-a cut", []byte{0x7c}, ErrShortPayload},
		{H264, "fu-a start and end", []byte{0x7c, 0xc5, 1}, ErrBadPayload},
		{H264, "fu-a of a stap-a", []byte{0x7c, 0x98, 1}, ErrBadPayload},
		{H264, "stap-a empty", []byte{0x78}, ErrShortPayload},
		{H264, "stap-a length cut", []byte{0x78, 0x00}, ErrShortPayload},
		{H264, "stap-a nal too long", []byte{0x78, 0x00, 0x09, 0x67, 0x42}, ErrShortPayload},
		{H264, "stap-a zero length", []byte{0x78, 0x00, 0x00}, ErrBadPayload},
		{H264, "stap-a nested fu-a", []byte{0x78, 0x00, 0x02, 0x7c, 0x85}, ErrBadPayload},
		{H264, "vp8 payload", []byte{0x90, 0x80, 0x81, 0x02, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, ErrBadPayload},
		{H264, "too large", make([]byte, MaxPacketPayload+1), ErrPacketTooLarge},
		{Opus, "opus is not assembled", []byte{0x78}, ErrUnsupportedCodec},
	}
	for _, tc := range cases {
		t.Run(tc.codec.String()+"/"+tc.name, func(t *testing.T) {
			a := NewAssembler(tc.codec, newTestClock().now)
			err := a.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 7}, Payload: tc.payload})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Push: %v, want %v", err, tc.want)
			}
			if tc.codec == Opus {
				return
			}
			stream := testStream(tc.codec)
			var got []Frame
			for _, p := range packetize(t, tc.codec, 5, stream) {
				bad := &rtp.Packet{Header: p.Header, Payload: tc.payload}
				if err := a.Push(bad); !errors.Is(err, tc.want) {
					t.Fatalf("Push garbage as seq %d: %v, want %v", p.SequenceNumber, err, tc.want)
				}
				if err := a.Push(p); err != nil {
					t.Fatal(err)
				}
				got = append(got, popAll(a)...)
			}
			wantFrames(t, got, stream, all(len(stream))...)
			if a.Stats().Lost != 0 || a.NeedKeyframe() {
				t.Fatal("garbage caused a loss")
			}
		})
	}
	if err := NewAssembler(VP8, nil).Push(nil); !errors.Is(err, ErrBadPayload) {
		t.Fatalf("Push(nil): %v", err)
	}
}

func TestAssemblerFrameTooLarge(t *testing.T) {
	a := NewAssembler(VP8, newTestClock().now)
	chunk := vp8TestFrame(MaxPacketPayload-1, true, 0)
	var seq uint16
	push := func(payload []byte, ts uint32, marker bool) error {
		seq++
		return a.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload})
	}
	first := append([]byte{0x10}, chunk...)
	rest := append([]byte{0x00}, chunk...)
	var err error
	if err = push(first, 1, false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxFrameSize/len(chunk) && err == nil; i++ {
		err = push(rest, 1, false)
	}
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("after %d bytes: %v, want ErrFrameTooLarge", MaxFrameSize, err)
	}
	if err := push(rest, 1, true); err != nil {
		t.Fatalf("push after the frame broke: %v", err)
	}
	if _, ok := a.Pop(); ok || a.Stats().FramesDropped != 1 {
		t.Fatalf("oversized frame came out (dropped %d)", a.Stats().FramesDropped)
	}
	key := append([]byte{0x10}, vp8TestFrame(500, true, 1)...)
	if err := push(key, 2, true); err != nil {
		t.Fatal(err)
	}
	if f, ok := a.Pop(); !ok || !f.Keyframe || len(f.Data) != 500 {
		t.Fatalf("next keyframe: %v %v", ok, len(f.Data))
	}
}

func TestAssemblerSequenceJump(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String()+"/stray packet far away", func(t *testing.T) {
			stream := testStream(c)
			pkts := packetize(t, c, 1000, stream)
			a := NewAssembler(c, newTestClock().now)
			got := feed(t, a, pkts[:5])
			stray := pkts[5].Clone()
			stray.SequenceNumber += 30000
			got = append(got, feed(t, a, []*rtp.Packet{stray})...)
			got = append(got, feed(t, a, pkts[5:])...)
			wantFrames(t, got, stream, all(len(stream))...)
			if s := a.Stats(); s.Resyncs != 0 || s.Lost != 0 {
				t.Fatalf("a single stray packet disturbed the stream: %+v", s)
			}
		})
		for _, jump := range []uint16{5000, 40000, 65000} {
			t.Run(c.String()+"/sender restarts its sequence", func(t *testing.T) {
				stream := testStream(c)
				pkts := packetize(t, c, 1000, stream)
				frames := packetsPerFrame(pkts)
				a := NewAssembler(c, newTestClock().now)
				got := feed(t, a, append(frames[0], frames[1]...))
				var after []*rtp.Packet
				for _, f := range frames[4:] {
					for _, p := range f {
						q := p.Clone()
						q.SequenceNumber += jump
						after = append(after, q)
					}
				}
				got = append(got, feed(t, a, after)...)
				wantFrames(t, got, stream, 0, 1, 4, 5)
				if s := a.Stats(); s.Resyncs != 1 {
					t.Fatalf("resyncs %d, want 1", s.Resyncs)
				}
			})
		}
	}
}

// Padding-only packets (bandwidth probes) take sequence numbers but belong to no frame.
func TestAssemblerPadding(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String(), func(t *testing.T) {
			stream := testStream(c)
			var seq uint16 = 65000
			var pkts []*rtp.Packet
			for _, p := range packetize(t, c, 0, stream) {
				q := p.Clone()
				q.SequenceNumber = seq
				seq++
				pkts = append(pkts, q)
				if p.Marker {
					pad := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: p.Timestamp, Padding: true}, PaddingSize: 200}
					seq++
					pkts = append(pkts, pad)
				}
			}
			a := NewAssembler(c, newTestClock().now)
			wantFrames(t, feed(t, a, pkts), stream, all(len(stream))...)
			if a.Stats().Lost != 0 || a.NeedKeyframe() {
				t.Fatal("padding counted as loss")
			}
		})
	}
}

// Without markers a frame ends when the next timestamp begins.
func TestAssemblerFrameEndsAtTimestampChange(t *testing.T) {
	for _, c := range videoCodecs {
		t.Run(c.String(), func(t *testing.T) {
			stream := testStream(c)
			var pkts []*rtp.Packet
			for _, p := range packetize(t, c, 0, stream) {
				q := p.Clone()
				q.Marker = false
				pkts = append(pkts, q)
			}
			a := NewAssembler(c, newTestClock().now)
			wantFrames(t, feed(t, a, pkts), stream, all(len(stream)-1)...)
		})
	}
}

// Frames nobody pops do not pile up: beyond the queue they are dropped.
func TestAssemblerQueueIsBounded(t *testing.T) {
	var frames []testFrame
	for i := range queueSize + 2 {
		frames = append(frames, testFrame{vp8TestFrame(50, i == 0, i), i == 0})
	}
	a := NewAssembler(VP8, newTestClock().now)
	for _, p := range packetize(t, VP8, 0, frames) {
		if err := a.Push(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(popAll(a)); got != queueSize {
		t.Fatalf("%d frames queued, want %d", got, queueSize)
	}
	if s := a.Stats(); s.FramesDropped != 2 || !a.NeedKeyframe() {
		t.Fatalf("stats %+v: want 2 dropped and a keyframe request", s)
	}
}

func TestCodecString(t *testing.T) {
	for c, want := range map[Codec]string{VP8: "vp8", H264: "h264", Opus: "opus", 9: "codec(9)"} {
		if c.String() != want {
			t.Errorf("%d: %q, want %q", int(c), c.String(), want)
		}
	}
}
