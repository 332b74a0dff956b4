package mixer

import (
	"image"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// videoKey identifies a shared encoder.
type videoKey struct {
	view ViewID
	tier Tier
}

// videoSub is one subscriber of an encoder; the id tells apart equal outputs.
type videoSub struct {
	id  uint64
	out VideoOutput
}

// videoEncoder is one (view, tier): its canvas, its codec encoder and its goroutine. The
// compose tick writes the canvas only while busy is false and then hands it over on jobs;
// the goroutine encodes it, clears busy, and writes the frame to a snapshot of the outputs.
type videoEncoder struct {
	key      videoKey
	excluded ParticipantID
	log      *slog.Logger
	m        *Mixer

	enc    *codec.VideoEncoder // encoder goroutine
	canvas *image.YCbCr
	jobs   chan uint64 // compose tick number; capacity 1, sent to only while not busy
	stop   chan struct{}
	done   chan struct{} // closed when the goroutine has freed the encoder and returned
	busy   atomic.Bool

	outs      atomic.Pointer[[]videoSub] // copy on write under Mixer.mu
	keyWanted atomic.Bool
	tiles     atomic.Pointer[[]Tile] // the last composed arrangement, for CellOf

	// compose loop
	acc      int // frame-rate divider: tiers slower than the mixer clock skip ticks evenly
	slots    []Slot
	srcs     []*videoSource
	parts    []*participant
	arranged []Tile

	// encoder goroutine
	lastForced time.Time
	lastTick   uint64
	errors     int
}

func newVideoEncoder(m *Mixer, key videoKey, excluded ParticipantID) (*videoEncoder, error) {
	t := key.tier
	enc, err := codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: t.Codec, Width: t.Width, Height: t.Height, FPS: t.FPS, BitrateKbps: t.BitrateKbps})
	if err != nil {
		return nil, err
	}
	e := newVideoView(m, key, excluded)
	e.enc = enc
	return e, nil
}

// newVideoView is everything of a videoEncoder but the codec (benchmarks compose into it).
func newVideoView(m *Mixer, key videoKey, excluded ParticipantID) *videoEncoder {
	t := key.tier
	e := &videoEncoder{
		key:      key,
		excluded: excluded,
		log:      m.log.With("view", key.view, "tier", t.Name, "codec", t.Codec.String(), "size", [2]int{t.Width, t.Height}),
		m:        m,
		canvas:   codec.NewPicture(t.Width, t.Height),
		jobs:     make(chan uint64, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		acc:      m.cfg.FPS - t.FPS, // the first tick is due
	}
	e.outs.Store(&[]videoSub{})
	e.tiles.Store(&[]Tile{})
	fillRect(e.canvas, e.canvas.Rect, blackY, neutralChroma, neutralChroma)
	return e
}

// run is the encoder goroutine. It owns the codec encoder and frees it on stop.
func (e *videoEncoder) run() {
	defer e.m.workers.Done()
	defer close(e.done)
	defer e.enc.Close()
	for {
		select {
		case <-e.stop:
			return
		case tick := <-e.jobs:
			e.encode(tick)
		}
	}
}

// encode encodes the canvas of compose tick number tick and fans the frame out.
func (e *videoEncoder) encode(tick uint64) {
	wanted := e.keyWanted.Swap(false)
	force := false
	if wanted {
		now := e.m.cfg.Now()
		if e.lastForced.IsZero() || now.Sub(e.lastForced) >= e.m.cfg.KeyframeInterval {
			force, e.lastForced = true, now
		}
	}
	f, err := e.enc.Encode(e.canvas, force)
	e.busy.Store(false) // the encoder copied the canvas in: the next tick may compose
	if wanted && !force && !(err == nil && f.Keyframe) {
		e.keyWanted.Store(true) // not served yet: the next frame past the interval will be
	}
	if err != nil {
		e.m.stats.encodeErrors.Add(1)
		if e.errors++; e.errors&(e.errors-1) == 0 { // 1st, 2nd, 4th, 8th… not 15 lines a second
			e.log.Error("encode video", "err", err, "errors", e.errors)
		}
		return
	}
	if force {
		e.m.stats.keyframesForced.Add(1)
	}
	if len(f.Data) == 0 {
		return
	}
	e.m.stats.videoEncoded.Add(1)
	frameTicks := uint64(e.m.cfg.FPS / max(e.key.tier.FPS, 1))
	if e.lastTick != 0 && tick > e.lastTick {
		frameTicks = tick - e.lastTick
	}
	e.lastTick = tick
	d := time.Duration(frameTicks) * time.Second / time.Duration(e.m.cfg.FPS)
	for _, s := range *e.outs.Load() {
		s.out.WriteVideo(f, d)
	}
}

// due advances the frame-rate divider by one mixer tick (compose loop).
func (e *videoEncoder) due() bool {
	e.acc += e.key.tier.FPS
	if e.acc < e.m.cfg.FPS {
		return false
	}
	e.acc -= e.m.cfg.FPS
	return true
}

// publishTiles keeps the arrangement for CellOf when it changed (compose loop; allocates
// only on a layout change).
func (e *videoEncoder) publishTiles() {
	if old := *e.tiles.Load(); slices.Equal(old, e.arranged) {
		return
	}
	t := slices.Clone(e.arranged)
	e.tiles.Store(&t)
}
