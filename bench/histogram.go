package bench

import "math"

// histMaxMs is the largest latency the histogram keeps apart; slower ones
// share its last bucket.
const histMaxMs = 10_000

// Histogram counts latencies in 1 ms buckets, so adding one allocates nothing
// and percentiles are exact to the millisecond.
type Histogram struct {
	buckets [histMaxMs + 1]uint32
	n       uint64
	sum     float64
	max     float64
}

// Add counts one latency in ms (negative counts as 0).
func (h *Histogram) Add(ms float64) {
	ms = math.Max(ms, 0)
	h.buckets[min(int(ms), histMaxMs)]++
	h.n++
	h.sum += ms
	h.max = math.Max(h.max, ms)
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.buckets {
		h.buckets[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = math.Max(h.max, o.max)
}

// Count is how many latencies were added.
func (h *Histogram) Count() uint64 { return h.n }

// Mean is the mean latency (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Max is the largest latency added.
func (h *Histogram) Max() float64 { return h.max }

// Percentile is the smallest bucket (ms) at or below which p percent of the
// latencies lie (0 when empty).
func (h *Histogram) Percentile(p float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.buckets {
		seen += uint64(c)
		if seen >= rank {
			return float64(i)
		}
	}
	return histMaxMs
}
