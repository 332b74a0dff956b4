package mixer

import "math"

// The limiter keeps a view's mix below limitCeiling. -3 dBFS leaves room for Opus, whose
// decoded peaks overshoot the input by up to +1.8 dB at 24 kbit/s on loud multi-tone mixes
// (TestLoudInputsDoNotClip; -1 dBFS came back at the rail). It sees the whole 20 ms frame before applying it, so the attack
// needs no lookahead delay: a frame whose peak would pass the ceiling gets the lower gain
// after a 1 ms ramp (samples in the ramp are held at the ceiling). The release is slow
// (time constant releaseTime) so speech after a loud moment does not pump; a mix that stays
// below the ceiling passes bit-exact.
const (
	limitCeiling   = 23197 // ≈ -3 dBFS
	attackSamples  = SampleRate / 1000
	releaseTimeSec = 0.5
)

// releaseStep is the fraction of the distance to the target gain recovered per frame.
var releaseStep = float32(1 - math.Exp(-float64(audioFrameDuration.Seconds())/releaseTimeSec))

// limiter is the gain state of one audio view, owned by the audio tick.
type limiter struct {
	gain float32
}

func newLimiter() limiter { return limiter{gain: 1} }

// process writes mix (sums of int16 sources) limited into out (same length).
func (l *limiter) process(mix []int32, out []int16) {
	var peak int32
	for _, v := range mix {
		peak = max(peak, v, -v)
	}
	target := float32(1)
	if peak > limitCeiling {
		target = float32(limitCeiling) / float32(peak)
	}
	g0 := l.gain
	if g0 == 1 && target == 1 {
		for i, v := range mix { // below the ceiling: bit-exact
			out[i] = int16(v)
		}
		return
	}
	var g1 float32
	ramp := len(mix)
	if target < g0 {
		g1, ramp = target, min(attackSamples, len(mix))
	} else {
		g1 = min(g0+(target-g0)*releaseStep, target)
		if 1-g1 < 0.002 { // 0.02 dB from unity: snap, so the mix is bit-exact again
			g1 = 1
		}
	}
	for i, v := range mix {
		g := g1
		if i < ramp {
			g = g0 + (g1-g0)*float32(i)/float32(ramp)
		}
		y := float32(v) * g
		y = min(max(y, -limitCeiling), limitCeiling)
		if y >= 0 { // round half away from zero, without a float64 round trip
			out[i] = int16(y + 0.5)
		} else {
			out[i] = int16(y - 0.5)
		}
	}
	l.gain = g1
}
