package mixer

import (
	"image"
	"slices"

	"github.com/nahbar/nahbar/codec"
)

// composeState belongs to whoever holds Mixer.composeMu: the video clock, or a test or
// benchmark calling ComposeTick.
type composeState struct {
	scaler *codec.Scaler
	pool   codec.PicturePool
	tick   uint64
	last   *roster // the roster of the previous tick, to free the caches of who left
	keep   uint64  // ticks an unused scaled copy is kept (a tier at a lower frame rate skips ticks)
}

func (c *composeState) init(cfg Config) {
	c.scaler = codec.NewScaler()
	c.keep = uint64(2 * cfg.FPS)
}

// forget frees the scaled copies of participants who left since the last tick.
func (c *composeState) forget(now *roster) {
	if c.last == nil {
		return
	}
	for _, p := range c.last.order {
		if now.byID[p.id] != p {
			p.cam.release(&c.pool)
			p.screen.release(&c.pool)
		}
	}
}

func (c *composeState) close(r *roster) {
	c.forget(&roster{})
	for _, p := range r.order {
		p.cam.release(&c.pool)
		p.screen.release(&c.pool)
	}
	c.scaler.Close()
}

// ComposeTick is one video clock tick: it takes the latest picture of every source, and for
// every subscribed (view, tier) whose frame is due composes its canvas and hands it to its
// encoder without waiting (an encoder still busy with the previous canvas skips this tick).
// Start calls it at Config.FPS; tests and benchmarks call it directly.
func (m *Mixer) ComposeTick() {
	m.composeMu.Lock()
	defer m.composeMu.Unlock()
	if m.down.Load() {
		return
	}
	c := &m.compose
	c.tick++
	m.stats.composeTicks.Add(1)
	r := m.roster.Load()
	if r != c.last {
		c.forget(r)
		c.last = r
	}
	now := m.cfg.Now()
	for _, p := range r.order {
		if p.publishes {
			p.cam.latch(now, m.cfg.StaleAfter, p.cameraOff.Load())
			p.screen.latch(now, m.cfg.StaleAfter, !p.screenOn.Load())
		}
	}
	layout := Layout(m.layout.Load())
	var speaker ParticipantID
	if p := m.speaker.Load(); p != nil {
		speaker = p.id
	}
	for _, e := range *m.videoList.Load() {
		if !e.due() {
			continue
		}
		if e.busy.Load() {
			m.stats.videoSkipped.Add(1)
			continue
		}
		m.composeInto(e, r, layout, speaker)
		e.busy.Store(true)
		select {
		case e.jobs <- c.tick:
		default: // cannot happen while busy was false; never block the clock anyway
			e.busy.Store(false)
		}
	}
	for _, p := range r.order {
		if p.publishes {
			p.cam.evict(c.tick, c.keep, &c.pool)
			p.screen.evict(c.tick, c.keep, &c.pool)
		}
	}
}

// composeInto arranges the view of e and paints its canvas (compose loop).
func (m *Mixer) composeInto(e *videoEncoder, r *roster, layout Layout, speaker ParticipantID) {
	c := &m.compose
	e.slots, e.srcs, e.parts = e.slots[:0], e.srcs[:0], e.parts[:0]
	for _, p := range r.order {
		if !p.publishes || p.id == e.excluded {
			continue
		}
		for _, src := range [2]*videoSource{&p.cam, &p.screen} {
			s := Slot{Participant: p.id, Screen: src.screen}
			if src.pic != nil {
				s.Width, s.Height = src.pic.Rect.Dx(), src.pic.Rect.Dy()
			} else if src.screen {
				continue // no share: no tile (a camera without video gets its placeholder)
			}
			e.slots = append(e.slots, s)
			e.srcs = append(e.srcs, src)
			e.parts = append(e.parts, p)
		}
	}
	t := e.key.tier
	e.arranged = Arrange(e.arranged, layout, t.Width, t.Height, e.slots, speaker)
	if !slices.Equal(*e.tiles.Load(), e.arranged) {
		// A new arrangement: repaint the bars. Otherwise they are still black from the last
		// tick, since only the compose loop writes the canvas.
		fillRect(e.canvas, e.canvas.Rect, blackY, neutralChroma, neutralChroma)
		e.publishTiles()
	}
	for i, tile := range e.arranged {
		w, h := tile.Picture.Dx(), tile.Picture.Dy()
		var pic *image.YCbCr
		var err error
		if tile.Placeholder() {
			pic, err = e.parts[i].placeholder.get(w, h)
		} else {
			pic, err = e.srcs[i].scaledTo(w, h, c.tick, c.scaler, &c.pool, &m.stats.scales)
		}
		if err != nil {
			if n := m.stats.composeErrors.Add(1); n&(n-1) == 0 { // 1st, 2nd, 4th… not every tick
				m.log.Error("compose tile", "participant", tile.Participant, "screen", tile.Screen, "size", [2]int{w, h}, "err", err, "errors", n)
			}
			fillRect(e.canvas, tile.Picture, blackY, neutralChroma, neutralChroma)
			continue
		}
		copyPicture(e.canvas, tile.Picture.Min, pic, pic.Rect.Min, w, h)
	}
}
