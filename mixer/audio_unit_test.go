package mixer

import (
	"math"
	"testing"
)

// tone returns n samples of a sine at freq Hz and amplitude amp, starting at sample start.
func tone(freq, amp float64, start, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(start+i)/SampleRate)))
	}
	return s
}

// goertzel returns the power of freq in pcm, normalised so a full-scale sine gives ~1.
func goertzel(pcm []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2 float64
	for _, v := range pcm {
		s0 := float64(v)/32768 + k*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	n := float64(len(pcm))
	return 4 * p / (n * n)
}

func TestLimiter(t *testing.T) {
	mix := make([]int32, FrameSamples)
	out := make([]int16, FrameSamples)
	fill := func(amp float64, frame int) {
		for i, v := range tone(440, amp, frame*FrameSamples, FrameSamples) {
			mix[i] = int32(v)
		}
	}

	t.Run("normal speech passes bit-exact", func(t *testing.T) {
		l := newLimiter()
		for f := 0; f < 100; f++ {
			fill(8000, f)
			l.process(mix, out)
			for i := range out {
				if int32(out[i]) != mix[i] {
					t.Fatalf("frame %d sample %d: %d, want %d", f, i, out[i], mix[i])
				}
			}
		}
	})

	t.Run("three loud sources never pass the ceiling", func(t *testing.T) {
		l := newLimiter()
		for f := 0; f < 100; f++ {
			for i := range mix {
				mix[i] = 3 * 30000 * int32(math.Round(math.Sin(2*math.Pi*660*float64(f*FrameSamples+i)/SampleRate)*1000)) / 1000
			}
			l.process(mix, out)
			for i, v := range out {
				if v > limitCeiling || v < -limitCeiling {
					t.Fatalf("frame %d sample %d: %d beyond the ceiling", f, i, v)
				}
			}
		}
		// Steady state: the peak sits near the ceiling, not far below (no over-limiting).
		var peak int16
		for _, v := range out {
			peak = max(peak, v)
		}
		if peak < limitCeiling*9/10 {
			t.Fatalf("steady peak %d, want close to %d", peak, limitCeiling)
		}
	})

	t.Run("releases slowly after a loud burst", func(t *testing.T) {
		l := newLimiter()
		for i := range mix {
			mix[i] = 90000
		}
		l.process(mix, out)
		burstGain := l.gain
		fill(8000, 0)
		l.process(mix, out)
		if l.gain <= burstGain || l.gain > burstGain+0.1 {
			t.Fatalf("gain %v → %v in 20 ms: release too fast or none", burstGain, l.gain)
		}
		for f := 0; f < 150; f++ { // 3 s = 6 time constants
			l.process(mix, out)
		}
		if l.gain != 1 {
			t.Fatalf("gain %v after 3 s of normal speech, want back to 1", l.gain)
		}
	})
}

func TestLevelMeter(t *testing.T) {
	var m levelMeter
	if got := m.dBFS(); got != silenceDBFS {
		t.Fatalf("silence: %v dBFS", got)
	}
	for f := 0; f < levelWindowFrames; f++ {
		m.add(tone(440, 32768*math.Sqrt2*0.1, f*FrameSamples, FrameSamples)) // RMS = 0.1 FS
	}
	if got := m.dBFS(); math.Abs(got-(-20)) > 0.1 {
		t.Fatalf("RMS 0.1 full scale reads %.2f dBFS, want -20", got)
	}
}

func TestSpeakerHysteresis(t *testing.T) {
	ids := []ParticipantID{"a", "b", "c"}
	var d speakerDetector
	run := func(frames int, la, lb, lc float64) ParticipantID {
		var s ParticipantID
		for i := 0; i < frames; i++ {
			s = d.update(ids, []float64{la, lb, lc})
		}
		return s
	}
	steps := []struct {
		name    string
		frames  int
		a, b, c float64
		want    ParticipantID
	}{
		{"all silent: nobody", 10, -90, -90, -127, ""},
		{"noise below the floor: nobody", 10, -55, -60, -127, ""},
		{"a talks: a at once", 1, -25, -60, -127, "a"},
		{"b slightly louder for long: still a", 200, -25, -22, -127, "a"},
		{"b much louder for 0.9 s: still a", 45, -25, -10, -127, "a"},
		{"a back on top resets the hold", 1, -25, -25, -127, "a"},
		{"b much louder for 0.9 s again: still a", 45, -40, -20, -127, "a"},
		{"…and 0.2 s more: b", 10, -40, -20, -127, "b"},
		{"everyone silent: b stays", 100, -127, -127, -127, "b"},
		{"c talks alone for 1 s: c", 50, -127, -127, -30, "c"},
	}
	for _, s := range steps {
		if got := run(s.frames, s.a, s.b, s.c); got != s.want {
			t.Fatalf("%s: speaker %q, want %q", s.name, got, s.want)
		}
	}
	// The speaker leaves: the loudest remaining takes over at once.
	if got := d.update([]ParticipantID{"a", "b"}, []float64{-30, -35}); got != "a" {
		t.Fatalf("after c left: %q, want a", got)
	}
}
