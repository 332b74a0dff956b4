package rooms

import "time"

// usageWindow is how far back "how much data does the call use" looks.
const usageWindow = 10 * time.Second

// rateWindow turns a growing counter (bytes, frames) sampled now and then into
// a rate over the last span. Pure: the caller passes the sample times in.
type rateWindow struct {
	span    time.Duration
	samples [32]counterSample
	n, next int
}

type counterSample struct {
	at    time.Time
	total uint64
}

func newRateWindow(span time.Duration) rateWindow { return rateWindow{span: span} }

// add records the counter's value at a time (times must not go backwards).
func (w *rateWindow) add(at time.Time, total uint64) {
	w.samples[w.next] = counterSample{at: at, total: total}
	w.next = (w.next + 1) % len(w.samples)
	w.n = min(w.n+1, len(w.samples))
}

// rate is the counter's growth per second over the newest samples spanning
// at most over (at least two samples; 0 before that).
func (w *rateWindow) rate(over time.Duration) float64 {
	if w.n < 2 {
		return 0
	}
	newest := w.samples[(w.next-1+len(w.samples))%len(w.samples)]
	oldest := newest
	for i := 2; i <= w.n; i++ {
		s := w.samples[(w.next-i+2*len(w.samples))%len(w.samples)]
		if newest.at.Sub(s.at) > over {
			break
		}
		oldest = s
	}
	d := newest.at.Sub(oldest.at)
	if d <= 0 || newest.total < oldest.total {
		return 0
	}
	return float64(newest.total-oldest.total) / d.Seconds()
}
