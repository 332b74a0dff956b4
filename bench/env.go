package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/pion/webrtc/v4"
)

// env is what every scenario of one run shares: the server, the client side
// of WebRTC, the pre-encoded media and the clock. Scenarios run one after
// another on the run's goroutine, which owns env.
type env struct {
	api       *API
	serverPID int // 0: the server is not on this machine's /proc (only --url)
	webrtc    *webrtc.API
	audio     *AudioLoop
	clips     []*Clip
	clock     Clock
	log       *slog.Logger
	progress  func(format string, args ...any)
	opts      Options
	nextLive  int
	hasStats  bool      // the server answers /api/v1/stats
	deadline  time.Time // ramps stop before it (the run's time budget)
}

// Indices of the stamps: live sources count up from 0, the shared replay
// clips use the top of the range.
const (
	liveSources = 200
	clipBase    = 200
	clipCount   = 9 // one per publisher of the largest room, so every cell shows another source
)

// member is one participant of a scenario.
type member struct {
	peer      *testpeer.Peer
	pub       *Publisher // nil for a receive-only attendee
	analyser  *Analyser  // nil for a counting receiver
	room      int
	step      int // the ramp step it joined in
	role      string
	invitedAt time.Time // just before the API call that issued its token
}

// joinMs is the time from the invitation to the first composed frame
// (decoded, for a decoding member), or -1 before it.
func (m *member) joinMs() float64 {
	ns := m.peer.Stats().FirstFrame.Load()
	if ns == 0 {
		return -1
	}
	return float64(time.Unix(0, ns).Sub(m.invitedAt)) / float64(time.Millisecond)
}

func (m *member) close() {
	leave(m.peer)
	if m.pub != nil {
		m.pub.Close()
	}
	if m.analyser != nil {
		m.analyser.Close()
	}
}

// joinSpec says how to join one participant.
type joinSpec struct {
	room     string // API room id
	roomIdx  int
	role     string // "advisor", "citizen", "attendee", …
	name     string
	live     bool // a live publisher (else a replayed clip) — publishers only
	decode   bool // decode and analyse what it receives
	clip     int  // which clip a replaying publisher sends
	sources  *Directory
	psnrEach int
	step     int
}

// newLiveSource returns the next live source.
func (e *env) newLiveSource() Source {
	s := NewSource(uint8(e.nextLive % liveSources))
	e.nextLive++
	return s
}

// join invites and connects one participant (not yet waiting for media).
func (e *env) join(ctx context.Context, js joinSpec, src Source) (*member, error) {
	m := &member{room: js.roomIdx, role: js.role, step: js.step}
	publishes := js.role != "attendee"
	var err error
	if publishes {
		if js.live {
			m.pub, err = NewLivePublisher(src, e.opts.UpKbps, e.audio, e.clock)
		} else {
			m.pub, err = NewReplayPublisher(e.clips[max(js.clip, 0)%len(e.clips)], e.audio, e.clock)
		}
		if err != nil {
			return nil, err
		}
	}
	if js.decode {
		m.analyser = NewAnalyser(AnalyserConfig{Sources: js.sources, Now: e.clock.Now, PSNREvery: js.psnrEach})
	}
	fail := func(err error) (*member, error) {
		if m.pub != nil {
			m.pub.Close()
		}
		if m.analyser != nil {
			m.analyser.Close()
		}
		return nil, err
	}
	m.invitedAt = e.clock.Now()
	tok, err := e.api.Invite(ctx, js.room, js.role, js.name)
	if err != nil {
		return fail(err)
	}
	m.peer, err = Dial(ctx, PeerConfig{URL: e.api.WebSocketURL(), Token: tok, API: e.webrtc, Publisher: m.pub, Analyser: m.analyser, Logger: e.log})
	if err != nil {
		return fail(fmt.Errorf("join %s: %w", js.name, err))
	}
	if publishes && js.sources != nil {
		info := SourceInfo{Index: m.pub.Source().Index, Live: js.live}
		if js.live {
			info.EncodeMs = m.pub.EncodeMs
		}
		js.sources.Set(m.peer.ID(), info)
	}
	return m, nil
}

// joinAll joins specs with a few at a time (as a crowd arriving at a session
// would, not all in the same millisecond) and waits until each has its first
// composed frame or the timeout passes. Sources of live publishers are
// allocated here, on the run goroutine.
func (e *env) joinAll(ctx context.Context, specs []joinSpec, parallel int) ([]*member, error) {
	srcs := make([]Source, len(specs))
	for i, js := range specs {
		if js.live && js.role != "attendee" {
			srcs[i] = e.newLiveSource()
		}
	}
	out := make([]*member, len(specs))
	errs := make([]error, len(specs))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, js := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			m, err := e.join(jctx, js, srcs[i])
			if err == nil {
				err = waitConnected(jctx, m.peer)
			}
			out[i], errs[i] = m, err
		}()
	}
	wg.Wait()
	var joined []*member
	var firstErr error
	for i, m := range out {
		if errs[i] != nil {
			if firstErr == nil {
				firstErr = errs[i]
			}
			if m != nil {
				m.close()
			}
			continue
		}
		joined = append(joined, m)
	}
	if firstErr != nil {
		closeAll(joined)
		return nil, firstErr
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for _, m := range joined {
		if err := waitFirstFrame(wctx, m.peer); err != nil {
			e.log.Warn("no composed video yet", "participant", m.peer.ID(), "err", err)
			break
		}
	}
	return joined, nil
}

func closeAll(ms []*member) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, m := range ms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m.close()
		}()
	}
	wg.Wait()
}

// wait lets d pass on the run's clock (or until ctx ends).
func (e *env) wait(ctx context.Context, d time.Duration) {
	c, stop := e.clock.Tick(d)
	defer stop()
	select {
	case <-ctx.Done():
	case <-c:
	}
}

// procSelf is this process, for the load generator's own CPU.
var procSelf = os.Getpid()
