package mixer

import (
	"fmt"
	"slices"
	"sync"
)

// SubscribeVideo attaches out to the shared encoder of (v, t), starting the encoder if it is
// the first subscriber; a later subscriber gets a keyframe request so it can start decoding.
// unsubscribe detaches it (idempotent); the last one stops the encoder and frees it. The
// error reports a bad view or tier, a codec that would not open, or a closed mixer.
func (m *Mixer) SubscribeVideo(v ViewID, t Tier, out VideoOutput) (unsubscribe func(), err error) {
	excluded, err := ParseView(v)
	if err != nil {
		return nil, fmt.Errorf("subscribe video: %w", err)
	}
	if out == nil {
		return nil, fmt.Errorf("subscribe video to %s: nil output", v)
	}
	t = t.normalize(m.cfg.FPS)
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("subscribe video to %s: %w", v, err)
	}
	key := videoKey{view: v, tier: t}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("subscribe video to %s: %w", v, ErrClosed)
	}
	e := m.videoEncs[key]
	if e == nil {
		e, err = newVideoEncoder(m, key, excluded)
		if err != nil {
			return nil, fmt.Errorf("subscribe video to %s tier %q: %w", v, t.Name, err)
		}
		m.videoEncs[key] = e
		m.storeVideoList()
		m.workers.Add(1)
		go e.run()
		e.log.Info("video encoder started")
	} else {
		e.keyWanted.Store(true)
	}
	m.nextSubID++
	id := m.nextSubID
	subs := append(slices.Clone(*e.outs.Load()), videoSub{id: id, out: out})
	e.outs.Store(&subs)

	var once sync.Once
	return func() { once.Do(func() { m.unsubscribeVideo(e, id) }) }, nil
}

func (m *Mixer) unsubscribeVideo(e *videoEncoder, id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	subs := slices.DeleteFunc(slices.Clone(*e.outs.Load()), func(s videoSub) bool { return s.id == id })
	e.outs.Store(&subs)
	if len(subs) > 0 || m.videoEncs[e.key] != e {
		return // still watched, or already stopped by Close
	}
	delete(m.videoEncs, e.key)
	m.storeVideoList()
	close(e.stop)
	e.log.Info("video encoder stopped")
}

// storeVideoList publishes the encoder set for the compose tick (under mu). Sorted by key,
// so the order the tick visits encoders does not depend on map iteration.
func (m *Mixer) storeVideoList() {
	list := make([]*videoEncoder, 0, len(m.videoEncs))
	for _, e := range m.videoEncs {
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b *videoEncoder) int {
		if a.key.view != b.key.view {
			if a.key.view < b.key.view {
				return -1
			}
			return 1
		}
		return b.key.tier.Width*b.key.tier.Height - a.key.tier.Width*a.key.tier.Height
	})
	m.videoList.Store(&list)
}

// RequestKeyframe asks the encoder of (v, t) for a keyframe (a receiver sent a PLI or FIR).
// Requests from any number of receivers are coalesced: at most one forced keyframe per
// Config.KeyframeInterval per encoder; a request inside the interval is served when it ends.
func (m *Mixer) RequestKeyframe(v ViewID, t Tier) {
	key := videoKey{view: v, tier: t.normalize(m.cfg.FPS)}
	m.mu.Lock()
	e := m.videoEncs[key]
	m.mu.Unlock()
	if e != nil {
		e.keyWanted.Store(true)
	}
}

// Tiles returns the arrangement last composed for (v, t): where each participant's camera
// and screen are on that canvas. Nil when nothing is subscribed to (v, t) or nothing was
// composed yet.
func (m *Mixer) Tiles(v ViewID, t Tier) []Tile {
	key := videoKey{view: v, tier: t.normalize(m.cfg.FPS)}
	m.mu.Lock()
	e := m.videoEncs[key]
	m.mu.Unlock()
	if e == nil {
		return nil
	}
	return slices.Clone(*e.tiles.Load())
}

// CellOf returns the tile of participant id's camera in the last composition of (v, t).
func (m *Mixer) CellOf(v ViewID, t Tier, id ParticipantID) (Tile, bool) {
	for _, tile := range m.Tiles(v, t) {
		if tile.Participant == id && !tile.Screen {
			return tile, true
		}
	}
	return Tile{}, false
}
