package mixer

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nahbar/nahbar/codec"
)

// maxOpusPacket bounds one encoded 20 ms frame (RFC 6716 allows 1275 bytes per frame).
const maxOpusPacket = 1500

// audioState belongs to whoever holds Mixer.audioMu: the audio clock, or a test calling
// AudioTick.
type audioState struct {
	sum      []int32 // all sources of this tick
	mix      []int32 // one view: sum minus its publisher
	ids      []ParticipantID
	levels   []float64
	detector speakerDetector
}

func (a *audioState) init() {
	a.sum = make([]int32, FrameSamples)
	a.mix = make([]int32, FrameSamples)
}

type audioSub struct {
	id  uint64
	out AudioOutput
}

// audioView is one audio view: its limiter (audio loop), its Opus encoder and goroutine.
// Like video, the tick fills pcm only while busy is false and hands it over without waiting.
type audioView struct {
	view     ViewID
	excluded ParticipantID
	log      *slog.Logger
	m        *Mixer

	lim  limiter // audio loop
	pcm  []int16 // the limited mix, handed to the goroutine
	enc  *codec.AudioEncoder
	out  []byte
	jobs chan struct{}
	stop chan struct{}
	busy atomic.Bool
	outs atomic.Pointer[[]audioSub]

	errors int // encoder goroutine
	quiet  int // silent frames in a row (encoder goroutine), for DTX
}

// Discontinuous transmission (DTX): a view whose mix is silent (everyone it
// hears is muted or quiet) sends one tiny packet every 400 ms instead of 50
// a second, as libopus's own DTX does. libopus's is not reachable through
// FFmpeg 5.1's wrapper, so the mixer does it from the PCM it has: after
// dtxHangover silent frames it sends a TOC-only Opus packet (1 byte, an
// empty frame: Chromium's NetEq takes packets of at most 2 bytes as DTX and
// plays comfort silence, not concealment) every dtxInterval frames, and
// tells the output the other frames' time passed without a packet
// (WriteAudio with nil). On a weak link a silent minute then costs ~2 kbit/s
// instead of ~47 (the headers of 50 packets a second are as much as the
// Opus itself). The encoder still encodes every frame, so its state follows
// the signal; the first sound after silence goes out at once.
const (
	dtxLevel    = 100 // peak sample magnitude (about -50 dBFS) at or under which a mixed frame is silence
	dtxHangover = 10  // silent frames still sent in full (200 ms), so a pause in speech is not cut
	dtxInterval = 20  // during DTX, one packet every 20 frames (400 ms)
)

// silent reports whether a mixed frame is silence for DTX.
func silent(pcm []int16) bool {
	for _, s := range pcm {
		if s > dtxLevel || s < -dtxLevel {
			return false
		}
	}
	return true
}

// AudioTick is one 20 ms audio clock tick: it takes 20 ms from every publisher's jitter
// ring (silence on underrun), updates levels and the active speaker, and for every
// subscribed audio view subtracts that view's publisher from the sum, limits it and hands
// it to the view's Opus encoder. Start calls it every 20 ms; tests call it directly.
func (m *Mixer) AudioTick() {
	m.audioMu.Lock()
	defer m.audioMu.Unlock()
	if m.down.Load() {
		return
	}
	a := &m.audio
	m.stats.audioTicks.Add(1)
	r := m.roster.Load()
	clear(a.sum)
	a.ids, a.levels = a.ids[:0], a.levels[:0]
	for _, p := range r.order {
		if !p.publishes {
			continue
		}
		p.hasAudio = p.jitter.pop(p.frame)
		if p.hasAudio {
			for i, s := range p.frame {
				a.sum[i] += int32(s)
			}
		}
		p.meter.add(p.frame)
		db := p.meter.dBFS()
		p.level.Store(math.Float64bits(db))
		a.ids = append(a.ids, p.id)
		a.levels = append(a.levels, db)
	}
	sp := a.detector.update(a.ids, a.levels)
	if cur := m.speaker.Load(); sp == "" && cur != nil || sp != "" && (cur == nil || cur.id != sp) {
		m.speaker.Store(r.byID[sp])
	}
	for _, v := range *m.audioList.Load() {
		if v.busy.Load() {
			m.stats.audioSkipped.Add(1)
			continue
		}
		a.mixView(v, r)
		v.busy.Store(true)
		select {
		case v.jobs <- struct{}{}:
		default:
			v.busy.Store(false)
		}
	}
}

// mixView writes the limited mix of view v into v.pcm (audio loop).
func (a *audioState) mixView(v *audioView, r *roster) {
	if p := r.byID[v.excluded]; p != nil && p.hasAudio {
		for i, s := range p.frame {
			a.mix[i] = a.sum[i] - int32(s)
		}
	} else {
		copy(a.mix, a.sum)
	}
	v.lim.process(a.mix, v.pcm)
}

// newAudioView is everything of an audio view but the codec (benchmarks mix into it).
func newAudioView(m *Mixer, v ViewID, excluded ParticipantID) *audioView {
	av := &audioView{
		view: v, excluded: excluded, m: m,
		log:  m.log.With("view", v, "codec", "opus"),
		lim:  newLimiter(),
		pcm:  make([]int16, FrameSamples),
		out:  make([]byte, maxOpusPacket),
		jobs: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
	av.outs.Store(&[]audioSub{})
	return av
}

func (v *audioView) run() {
	defer v.m.workers.Done()
	defer v.enc.Close()
	for {
		select {
		case <-v.stop:
			return
		case <-v.jobs:
			v.encode()
		}
	}
}

func (v *audioView) encode() {
	quiet := silent(v.pcm) // before busy is cleared: then the tick writes pcm again
	n, err := v.enc.Encode(v.pcm, v.out)
	v.busy.Store(false)
	if err != nil {
		v.m.stats.encodeErrors.Add(1)
		if v.errors++; v.errors&(v.errors-1) == 0 {
			v.log.Error("encode audio", "err", err, "errors", v.errors)
		}
		return
	}
	v.m.stats.audioEncoded.Add(1)
	pkt := v.out[:n]
	if quiet {
		v.quiet++
	} else {
		v.quiet = 0
	}
	if v.quiet > dtxHangover && n > 0 {
		if (v.quiet-dtxHangover-1)%dtxInterval == 0 {
			v.out[0] &^= 0x3 // code 0: one frame, here of no bytes
			pkt = v.out[:1]
		} else {
			pkt = nil
		}
	}
	for _, s := range *v.outs.Load() {
		s.out.WriteAudio(pkt, audioFrameDuration)
	}
}

// SubscribeAudio attaches out to the audio view v, starting its Opus encoder if it is the
// first subscriber; unsubscribe detaches it (idempotent) and the last one stops the encoder.
func (m *Mixer) SubscribeAudio(v ViewID, out AudioOutput) (unsubscribe func(), err error) {
	excluded, err := ParseView(v)
	if err != nil {
		return nil, fmt.Errorf("subscribe audio: %w", err)
	}
	if out == nil {
		return nil, fmt.Errorf("subscribe audio to %s: nil output", v)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("subscribe audio to %s: %w", v, ErrClosed)
	}
	av := m.audioViews[v]
	if av == nil {
		enc, err := codec.NewOpusEncoder(m.cfg.AudioBitrateKbps)
		if err != nil {
			return nil, fmt.Errorf("subscribe audio to %s: %w", v, err)
		}
		av = newAudioView(m, v, excluded)
		av.enc = enc
		m.audioViews[v] = av
		m.storeAudioList()
		m.workers.Add(1)
		go av.run()
		av.log.Info("audio encoder started")
	}
	m.nextSubID++
	id := m.nextSubID
	subs := append(slices.Clone(*av.outs.Load()), audioSub{id: id, out: out})
	av.outs.Store(&subs)
	var once sync.Once
	return func() { once.Do(func() { m.unsubscribeAudio(av, id) }) }, nil
}

func (m *Mixer) unsubscribeAudio(av *audioView, id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	subs := slices.DeleteFunc(slices.Clone(*av.outs.Load()), func(s audioSub) bool { return s.id == id })
	av.outs.Store(&subs)
	if len(subs) > 0 || m.audioViews[av.view] != av {
		return
	}
	delete(m.audioViews, av.view)
	m.storeAudioList()
	close(av.stop)
	av.log.Info("audio encoder stopped")
}

func (m *Mixer) storeAudioList() {
	list := make([]*audioView, 0, len(m.audioViews))
	for _, v := range m.audioViews {
		list = append(list, v)
	}
	slices.SortFunc(list, func(a, b *audioView) int {
		switch {
		case a.view < b.view:
			return -1
		case a.view > b.view:
			return 1
		}
		return 0
	})
	m.audioList.Store(&list)
}
