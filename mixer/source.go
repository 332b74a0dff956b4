package mixer

import (
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// videoSource is one participant's camera or shared screen. Producers (the participant's
// decoder) write through the triple buffer; everything below "compose loop" belongs to the
// compose tick alone.
type videoSource struct {
	screen bool

	produce     sync.Mutex // serialises producers only; the compose tick never takes it
	tb          tripleBuffer
	lastPublish atomic.Int64 // unix nanoseconds (injected clock) of the last picture

	// compose loop
	pic    *image.YCbCr // the picture this tick shows; nil: none, stale or muted
	gen    uint64       // bumped whenever pic changes, invalidating scaled copies
	scaled []scaledCopy
}

// scaledCopy is the source scaled to one cell size, valid while gen matches the source's.
type scaledCopy struct {
	pic      *image.YCbCr
	gen      uint64
	lastUsed uint64 // compose tick
}

func (s *videoSource) init(screen bool) {
	s.screen = screen
	s.tb.init()
}

// publish copies pic in. It never waits for the compose tick.
func (s *videoSource) publish(pic *image.YCbCr, now time.Time) error {
	if err := checkSource(pic); err != nil {
		return err
	}
	s.produce.Lock()
	defer s.produce.Unlock()
	// The time first: a tick that sees the new time with the previous picture shows that
	// picture once more, while the other order could show a fresh picture as stale.
	s.lastPublish.Store(now.UnixNano())
	return s.tb.write(pic)
}

// latch takes the newest picture for this tick (compose loop). A camera that sent nothing
// for staleAfter shows its placeholder; a screen share does not go stale, because browsers
// send nothing while the shared content does not change.
func (s *videoSource) latch(now time.Time, staleAfter time.Duration, hidden bool) {
	pic, fresh := s.tb.latest()
	if fresh {
		s.gen++
	}
	if pic != nil && !s.screen && now.UnixNano()-s.lastPublish.Load() > int64(staleAfter) {
		pic = nil
	}
	if hidden {
		pic = nil
	}
	if pic != s.pic {
		s.gen++
		s.pic = pic
	}
}

// scaledTo returns the latched picture at w x h, scaling it at most once per size per new
// picture however many views show it (compose loop).
func (s *videoSource) scaledTo(w, h int, tick uint64, sc *codec.Scaler, pool *codec.PicturePool, scales *atomic.Uint64) (*image.YCbCr, error) {
	if s.pic.Rect.Dx() == w && s.pic.Rect.Dy() == h {
		return s.pic, nil
	}
	var c *scaledCopy
	for i := range s.scaled {
		if p := s.scaled[i].pic; p.Rect.Dx() == w && p.Rect.Dy() == h {
			c = &s.scaled[i]
			break
		}
	}
	if c == nil {
		s.scaled = append(s.scaled, scaledCopy{pic: pool.Get(w, h), gen: s.gen - 1})
		c = &s.scaled[len(s.scaled)-1]
	}
	c.lastUsed = tick
	if c.gen != s.gen {
		if err := sc.Scale(c.pic, s.pic); err != nil {
			return nil, err
		}
		c.gen = s.gen
		scales.Add(1)
	}
	return c.pic, nil
}

// evict gives back scaled copies not used since tick minus keep (compose loop): a cell
// size that is gone (a layout change, an unsubscribed tier) stops holding memory.
func (s *videoSource) evict(tick, keep uint64, pool *codec.PicturePool) {
	kept := s.scaled[:0]
	for _, c := range s.scaled {
		if tick-c.lastUsed > keep {
			pool.Put(c.pic)
			continue
		}
		kept = append(kept, c)
	}
	clear(s.scaled[len(kept):])
	s.scaled = kept
}

// release gives every scaled copy back (the participant left; compose loop).
func (s *videoSource) release(pool *codec.PicturePool) {
	for _, c := range s.scaled {
		pool.Put(c.pic)
	}
	s.scaled = nil
	s.pic = nil
}
