package mixer

import "testing"

// ramp returns n samples counting up from start, so order and loss are visible.
func ramp(start, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(start + i)
	}
	return s
}

func TestJitterRing(t *testing.T) {
	const f = FrameSamples
	dst := make([]int16, f)

	t.Run("waits for the target delay, then plays in order", func(t *testing.T) {
		j := newJitterRing(10*f, 2*f)
		j.push(ramp(0, f))
		if j.pop(dst) {
			t.Fatal("played before the target delay was buffered")
		}
		if dst[0] != 0 || dst[f-1] != 0 {
			t.Fatal("silence expected while buffering")
		}
		j.push(ramp(f, f))
		if !j.pop(dst) || dst[0] != 0 || dst[f-1] != int16(f-1) {
			t.Fatalf("first frame: ok=false or wrong samples %d..%d", dst[0], dst[f-1])
		}
		j.push(ramp(2*f, f))
		if !j.pop(dst) || dst[0] != int16(f) {
			t.Fatalf("second frame starts at %d, want %d", dst[0], f)
		}
	})

	t.Run("underrun gives silence and re-buffers", func(t *testing.T) {
		j := newJitterRing(10*f, 2*f)
		j.push(ramp(0, 2*f))
		j.pop(dst)
		j.pop(dst)
		if j.pop(dst) {
			t.Fatal("played from an empty ring")
		}
		j.push(ramp(5, f))
		if j.pop(dst) {
			t.Fatal("played one frame after an underrun instead of re-buffering to the target")
		}
		if j.underruns != 1 {
			t.Fatalf("underruns %d, want 1", j.underruns)
		}
	})

	t.Run("overflow drops the oldest", func(t *testing.T) {
		j := newJitterRing(4*f, 2*f)
		j.push(ramp(0, 3*f))
		j.push(ramp(3*f, 3*f)) // 6 frames into 4: the first 2 go
		if j.dropped != uint64(2*f) {
			t.Fatalf("dropped %d samples, want %d", j.dropped, 2*f)
		}
		if !j.pop(dst) {
			t.Fatal("no audio")
		}
		// 4 frames buffered > trimAt (capacity) is not reached; trim applies above target+3 frames.
		if dst[0] != int16(2*f) {
			t.Fatalf("oldest kept sample %d, want %d", dst[0], 2*f)
		}
	})

	t.Run("a push larger than the ring keeps its tail", func(t *testing.T) {
		j := newJitterRing(2*f, f)
		j.push(ramp(0, 5*f))
		j.pop(dst)
		if dst[0] != int16(3*f) {
			t.Fatalf("got %d, want %d", dst[0], 3*f)
		}
	})

	t.Run("creeping latency is trimmed back to the target", func(t *testing.T) {
		j := newJitterRing(10*f, 2*f)
		j.push(ramp(0, 6*f)) // 6 frames > target+3
		j.pop(dst)
		if got := j.buffered(); got != f {
			t.Fatalf("buffered %d after trim and pop, want %d (target minus the frame played)", got, f)
		}
		if dst[0] != int16(4*f) {
			t.Fatalf("played from %d, want the newest audio at %d", dst[0], 4*f)
		}
	})

	t.Run("wraps around", func(t *testing.T) {
		j := newJitterRing(3*f+7, f) // a capacity that is no multiple of the frame
		in := make([]int16, f)
		for i := 0; i < 20; i++ {
			for k := range in {
				in[k] = int16((i*f + k) % 20000)
			}
			j.push(in)
			if !j.pop(dst) {
				t.Fatalf("round %d: no audio", i)
			}
			for k, v := range dst {
				if want := int16((i*f + k) % 20000); v != want {
					t.Fatalf("round %d sample %d: %d, want %d", i, k, v, want)
				}
			}
		}
	})
}

func TestJitterRingAllocatesNothing(t *testing.T) {
	j := newJitterRing(10*FrameSamples, 2*FrameSamples)
	in, out := make([]int16, FrameSamples), make([]int16, FrameSamples)
	j.push(in)
	if a := testing.AllocsPerRun(100, func() { j.push(in); j.pop(out) }); a != 0 {
		t.Fatalf("%.1f allocations per push+pop", a)
	}
}
