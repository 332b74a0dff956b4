package mixer

import (
	"sync"
	"time"
)

// Audio everywhere in nahbar is 48 kHz mono int16 in 20 ms frames, so nothing resamples.
const (
	SampleRate         = 48000
	FrameSamples       = SampleRate / 50 // 960 samples = 20 ms
	audioFrameDuration = 20 * time.Millisecond
)

func samplesFor(d time.Duration) int { return int(d * SampleRate / time.Second) }

// jitterRing smooths one source's PCM between its decoder (pushing whenever packets arrive)
// and the 20 ms audio clock (popping one frame per tick). It starts playing once target
// samples are buffered, plays silence and re-buffers on an underrun, trims back to target
// when the buffer has crept well above it (sender clock drift, a burst after a stall), and
// drops the oldest samples when full. The mutex is held only to copy at most one push or
// one frame, so the producer never waits on a slow consumer.
type jitterRing struct {
	mu     sync.Mutex
	buf    []int16
	r, n   int // read position and samples buffered
	target int
	trimAt int // buffered samples above which a pop trims back to target
	primed bool

	dropped   uint64 // samples lost to overflow or trimming
	underruns uint64
}

func newJitterRing(capacity, target int) *jitterRing {
	return &jitterRing{
		buf:    make([]int16, capacity),
		target: target,
		trimAt: min(target+3*FrameSamples, capacity),
	}
}

// push appends pcm, dropping the oldest samples if the ring would overflow.
func (j *jitterRing) push(pcm []int16) {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := len(j.buf)
	if len(pcm) > c {
		j.dropped += uint64(len(pcm) - c)
		pcm = pcm[len(pcm)-c:]
	}
	if over := j.n + len(pcm) - c; over > 0 {
		j.r = (j.r + over) % c
		j.n -= over
		j.dropped += uint64(over)
	}
	w := (j.r + j.n) % c
	k := copy(j.buf[w:], pcm)
	copy(j.buf, pcm[k:])
	j.n += len(pcm)
}

// pop fills dst with the next len(dst) samples and reports whether they are real audio;
// on false dst holds silence.
func (j *jitterRing) pop(dst []int16) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.primed {
		if j.n < max(j.target, len(dst)) {
			clear(dst)
			return false
		}
		j.primed = true
	}
	if j.n < len(dst) {
		j.primed = false
		j.underruns++
		clear(dst)
		return false
	}
	c := len(j.buf)
	if j.n > j.trimAt {
		skip := j.n - j.target
		j.r = (j.r + skip) % c
		j.n -= skip
		j.dropped += uint64(skip)
	}
	k := copy(dst, j.buf[j.r:min(j.r+len(dst), c)])
	copy(dst[k:], j.buf)
	j.r = (j.r + len(dst)) % c
	j.n -= len(dst)
	return true
}

// buffered returns the samples waiting (for tests and stats).
func (j *jitterRing) buffered() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n
}
