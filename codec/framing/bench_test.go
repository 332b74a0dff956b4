package framing

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// benchStream returns the packets of one keyframe and one delta frame of deltaSize
// bytes; the benchmark then replays the delta frame forever with fresh sequence
// numbers and timestamps, as a camera stream looks between keyframes.
func benchStream(b *testing.B, c Codec, deltaSize int) (key, delta []*rtp.Packet) {
	var frames []testFrame
	if c == VP8 {
		frames = []testFrame{{vp8TestFrame(20000, true, 0), true}, {vp8TestFrame(deltaSize, false, 1), false}}
	} else {
		frames = []testFrame{{h264TestAU(20000, true, 0), true}, {h264TestAU(deltaSize, false, 1), false}}
	}
	f := packetsPerFrame(packetize(b, c, 0, frames))
	return f[0], f[1]
}

func benchmarkAssembler(b *testing.B, c Codec, deltaSize int, reorder bool) {
	key, delta := benchStream(b, c, deltaSize)
	clk := newTestClock()
	a := NewAssembler(c, clk.now)
	for _, p := range key {
		if err := a.Push(p); err != nil {
			b.Fatal(err)
		}
	}
	if f, ok := a.Pop(); !ok || !f.Keyframe {
		b.Fatal("no keyframe")
	}
	seq := key[len(key)-1].SequenceNumber + 1
	ts := key[0].Timestamp
	order := make([]int, len(delta))
	for i := range order {
		order[i] = i
	}
	if reorder {
		for i := 0; i+1 < len(order); i += 2 {
			order[i], order[i+1] = order[i+1], order[i]
		}
	}
	b.SetBytes(int64(deltaSize))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ts += 6000
		clk.advance(66 * time.Millisecond)
		for _, i := range order {
			p := delta[i]
			p.SequenceNumber = seq + uint16(i)
			p.Timestamp = ts
			if err := a.Push(p); err != nil {
				b.Fatal(err)
			}
		}
		seq += uint16(len(delta))
		if _, ok := a.Pop(); !ok {
			b.Fatal("frame missing")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(delta)), "ns/packet")
	if s := a.Stats(); s.Lost != 0 || s.FramesDropped != 0 {
		b.Fatalf("stats %+v", s)
	}
}

// Push and Pop of a 6 kB delta frame (5-6 packets) per op.
func BenchmarkAssemblerVP8(b *testing.B)           { benchmarkAssembler(b, VP8, 6000, false) }
func BenchmarkAssemblerVP8Reordered(b *testing.B)  { benchmarkAssembler(b, VP8, 6000, true) }
func BenchmarkAssemblerH264(b *testing.B)          { benchmarkAssembler(b, H264, 6000, false) }
func BenchmarkAssemblerH264Reordered(b *testing.B) { benchmarkAssembler(b, H264, 6000, true) }

func benchmarkPacketize(b *testing.B, c Codec, frame []byte, samples uint32) {
	p := NewPacketizer(c, 1, 96, 90000)
	packets, bytes := 0, 0
	emit := func(pkt *rtp.Packet) error {
		packets++
		bytes += len(pkt.Payload)
		return nil
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := p.Packetize(frame, samples, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if bytes < len(frame)*b.N {
		b.Fatalf("%d bytes sent for %d", bytes, len(frame)*b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/packet")
}

func BenchmarkPacketizeVP8(b *testing.B) {
	benchmarkPacketize(b, VP8, vp8TestFrame(6000, false, 0), 6000)
}
func BenchmarkPacketizeH264(b *testing.B) {
	benchmarkPacketize(b, H264, h264TestAU(6000, true, 0), 6000)
}
func BenchmarkPacketizeOpus(b *testing.B) {
	benchmarkPacketize(b, Opus, fill(make([]byte, 80), 0), 960)
}
