package mixer

import "sync/atomic"

// Stats is a snapshot of what the mixer is doing, for metrics, the console and tests.
type Stats struct {
	Participants  int
	VideoEncoders int // running (view, tier) encoders
	AudioEncoders int // running audio views
	VideoOutputs  int // subscribers over all video encoders
	AudioOutputs  int

	ComposeTicks       uint64
	AudioTicks         uint64
	VideoFramesEncoded uint64
	VideoFramesSkipped uint64 // ticks an encoder was still busy with the previous canvas
	AudioFramesEncoded uint64
	AudioFramesSkipped uint64
	KeyframesForced    uint64
	EncodeErrors       uint64
	Scales             uint64 // source pictures scaled: at most one per source, cell size and new picture
	ComposeErrors      uint64 // scaling or placeholder failures (the tile stays black)
	RejectedPictures   uint64 // pictures PublishVideo/PublishScreen refused

	AudioUnderruns      uint64 // over the current participants' jitter rings
	AudioSamplesDropped uint64
}

// counters are the monotonic parts of Stats, updated by the ticks and workers.
type counters struct {
	composeTicks, audioTicks        atomic.Uint64
	videoEncoded, videoSkipped      atomic.Uint64
	audioEncoded, audioSkipped      atomic.Uint64
	keyframesForced, encodeErrors   atomic.Uint64
	composeErrors, rejectedPictures atomic.Uint64
	scales                          atomic.Uint64
}

// Stats returns the current figures.
func (m *Mixer) Stats() Stats {
	m.mu.Lock()
	s := Stats{VideoEncoders: len(m.videoEncs), AudioEncoders: len(m.audioViews)}
	for _, e := range m.videoEncs {
		s.VideoOutputs += len(*e.outs.Load())
	}
	for _, v := range m.audioViews {
		s.AudioOutputs += len(*v.outs.Load())
	}
	m.mu.Unlock()

	r := m.roster.Load()
	s.Participants = len(r.order)
	for _, p := range r.order {
		if p.jitter != nil {
			p.jitter.mu.Lock()
			s.AudioUnderruns += p.jitter.underruns
			s.AudioSamplesDropped += p.jitter.dropped
			p.jitter.mu.Unlock()
		}
	}
	c := &m.stats
	s.ComposeTicks = c.composeTicks.Load()
	s.AudioTicks = c.audioTicks.Load()
	s.VideoFramesEncoded = c.videoEncoded.Load()
	s.VideoFramesSkipped = c.videoSkipped.Load()
	s.AudioFramesEncoded = c.audioEncoded.Load()
	s.AudioFramesSkipped = c.audioSkipped.Load()
	s.KeyframesForced = c.keyframesForced.Load()
	s.EncodeErrors = c.encodeErrors.Load()
	s.Scales = c.scales.Load()
	s.ComposeErrors = c.composeErrors.Load()
	s.RejectedPictures = c.rejectedPictures.Load()
	return s
}
