package mixer

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Mixer composes and mixes one room. Its methods are safe for concurrent use. Producers
// (PublishVideo, PublishScreen, PushAudio) never wait for the ticks; the ticks never wait
// for encoders or outputs.
type Mixer struct {
	cfg Config
	log *slog.Logger

	// Control path: roster changes and subscriptions. Never held while composing, mixing,
	// encoding or calling an output.
	mu         sync.Mutex
	closed     bool
	videoEncs  map[videoKey]*videoEncoder
	audioViews map[ViewID]*audioView
	nextSubID  uint64

	// Snapshots the hot paths read without a lock, replaced whole under mu.
	roster    atomic.Pointer[roster]
	videoList atomic.Pointer[[]*videoEncoder]
	audioList atomic.Pointer[[]*audioView]

	layout  atomic.Int32
	speaker atomic.Pointer[participant]
	down    atomic.Bool // set by Close: the ticks do nothing any more

	composeMu sync.Mutex // makes the compose state single-owner when tests call ComposeTick
	compose   composeState
	audioMu   sync.Mutex // same for AudioTick
	audio     audioState

	workers   sync.WaitGroup // encoder goroutines
	startOnce sync.Once
	stopClock chan struct{}
	clocks    sync.WaitGroup

	stats counters
}

// New returns a mixer with no participants. Call Start to run its clocks (or drive
// ComposeTick and AudioTick yourself) and Close to free it.
func New(cfg Config) *Mixer {
	cfg = cfg.withDefaults()
	m := &Mixer{
		cfg:        cfg,
		log:        cfg.Logger,
		videoEncs:  make(map[videoKey]*videoEncoder),
		audioViews: make(map[ViewID]*audioView),
		stopClock:  make(chan struct{}),
	}
	m.roster.Store(&roster{byID: map[ParticipantID]*participant{}})
	m.videoList.Store(&[]*videoEncoder{})
	m.audioList.Store(&[]*audioView{})
	m.layout.Store(int32(cfg.Layout))
	m.compose.init(cfg)
	m.audio.init()
	return m
}

// Start runs the video clock (cfg.FPS) and the 20 ms audio clock until Close.
func (m *Mixer) Start() {
	m.startOnce.Do(func() {
		if m.down.Load() {
			return
		}
		m.clocks.Add(2)
		go m.runClock(time.Second/time.Duration(m.cfg.FPS), m.ComposeTick)
		go m.runClock(audioFrameDuration, m.AudioTick)
	})
}

func (m *Mixer) runClock(period time.Duration, tick func()) {
	defer m.clocks.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-m.stopClock:
			return
		case <-t.C:
			tick()
		}
	}
}

// Close stops the clocks and every encoder goroutine and frees all encoders and the scaler.
// It waits for them, so no goroutine of the mixer is left when it returns. Idempotent.
func (m *Mixer) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.down.Store(true)
	var stops []chan struct{}
	for _, e := range m.videoEncs {
		stops = append(stops, e.stop)
	}
	for _, v := range m.audioViews {
		stops = append(stops, v.stop)
	}
	clear(m.videoEncs)
	clear(m.audioViews)
	m.videoList.Store(&[]*videoEncoder{})
	m.audioList.Store(&[]*audioView{})
	m.mu.Unlock()

	close(m.stopClock)
	m.clocks.Wait()
	for _, s := range stops {
		close(s)
	}
	m.workers.Wait()

	m.composeMu.Lock()
	m.compose.close(m.roster.Load())
	m.composeMu.Unlock()
}

// ErrClosed is returned by calls on a closed mixer.
var ErrClosed = errors.New("mixer closed")

// ErrUnknownParticipant is wrapped when an id is not in the room (or does not publish).
var ErrUnknownParticipant = errors.New("unknown participant")

// AddParticipant adds a participant; its tile appears from the next tick, after the tiles
// of everyone who joined before. A receive-only participant (publishes false) has no tile
// and sees ViewAll. Adding an id again replaces the participant (a rejoin goes to the end).
func (m *Mixer) AddParticipant(id ParticipantID, name string, publishes bool) {
	p := newParticipant(id, name, publishes, m.cfg)
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.roster.Load()
	if _, ok := r.byID[id]; ok {
		r = r.without(id)
	}
	m.roster.Store(r.with(p))
	m.log.Debug("participant added", "participant", id, "publishes", publishes)
}

// RemoveParticipant removes a participant; the layouts change on the next tick. Their own
// view's subscriptions stay until unsubscribed (rooms does that when they leave).
func (m *Mixer) RemoveParticipant(id ParticipantID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.roster.Load()
	if _, ok := r.byID[id]; !ok {
		return
	}
	m.roster.Store(r.without(id))
	m.log.Debug("participant removed", "participant", id)
}

// ViewFor returns the view a participant should receive: ViewExcluding(id) for a publisher,
// ViewAll for a receive-only participant (or an unknown id).
func (m *Mixer) ViewFor(id ParticipantID) ViewID {
	if p := m.roster.Load().byID[id]; p != nil && p.publishes {
		return ViewExcluding(id)
	}
	return ViewAll
}

// publisher finds a publishing participant for a producer call.
func (m *Mixer) publisher(id ParticipantID, what string) (*participant, error) {
	p := m.roster.Load().byID[id]
	if p == nil || !p.publishes {
		return nil, fmt.Errorf("%s from %q: %w", what, id, ErrUnknownParticipant)
	}
	return p, nil
}

// PublishVideo copies a decoded camera picture in as the participant's latest. It never
// waits for the compose tick; one goroutine per participant is expected (more are safe).
// Pictures must be 4:2:0 (odd sizes lose their last row/column).
func (m *Mixer) PublishVideo(id ParticipantID, pic *image.YCbCr) error {
	p, err := m.publisher(id, "publish video")
	if err != nil {
		return err
	}
	if err := p.cam.publish(pic, m.cfg.Now()); err != nil {
		m.stats.rejectedPictures.Add(1)
		return fmt.Errorf("publish video from %q: %w", id, err)
	}
	return nil
}

// PublishScreen copies a decoded screen-share picture in. The first one starts the share
// (LayoutAuto switches to the presenter layout); it lasts until StopScreen, however rarely
// pictures come (browsers send none while the screen does not change).
func (m *Mixer) PublishScreen(id ParticipantID, pic *image.YCbCr) error {
	p, err := m.publisher(id, "publish screen")
	if err != nil {
		return err
	}
	if err := p.screen.publish(pic, m.cfg.Now()); err != nil {
		m.stats.rejectedPictures.Add(1)
		return fmt.Errorf("publish screen from %q: %w", id, err)
	}
	p.screenOn.Store(true)
	return nil
}

// StopScreen ends a participant's screen share from the next tick.
func (m *Mixer) StopScreen(id ParticipantID) {
	if p := m.roster.Load().byID[id]; p != nil {
		p.screenOn.Store(false)
	}
}

// SetCameraOff shows the participant's placeholder instead of their camera (muted in the
// UI), from the next tick, whatever pictures still arrive.
func (m *Mixer) SetCameraOff(id ParticipantID, off bool) {
	if p := m.roster.Load().byID[id]; p != nil {
		p.cameraOff.Store(off)
	}
}

// SetLayout switches every view's layout from the next tick.
func (m *Mixer) SetLayout(l Layout) { m.layout.Store(int32(l)) }

// PushAudio copies 48 kHz mono PCM (normally 960 samples = 20 ms, any length works) into
// the participant's jitter ring. It never waits for the audio tick.
func (m *Mixer) PushAudio(id ParticipantID, pcm []int16) error {
	p, err := m.publisher(id, "push audio")
	if err != nil {
		return err
	}
	p.jitter.push(pcm)
	return nil
}

// ActiveSpeaker returns who speaks now ("" before anyone spoke): the loudest source above the
// noise floor, changed only when another is clearly louder for about a second.
func (m *Mixer) ActiveSpeaker() ParticipantID {
	if p := m.speaker.Load(); p != nil {
		return p.id
	}
	return ""
}

// Level is one publisher's audio level for the UI and the advisor console.
type Level struct {
	Participant ParticipantID
	DBFS        float64 // RMS over ~300 ms; -127 is silence
	Speaking    bool    // above the noise floor
}

// Levels returns every publisher's current level in join order.
func (m *Mixer) Levels() []Level {
	r := m.roster.Load()
	out := make([]Level, 0, len(r.order))
	for _, p := range r.order {
		if !p.publishes {
			continue
		}
		db := math.Float64frombits(p.level.Load())
		out = append(out, Level{Participant: p.id, DBFS: db, Speaking: db > speechFloorDBFS})
	}
	return out
}
