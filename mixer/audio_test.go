package mixer

import (
	"runtime"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// audioSink is an AudioOutput that keeps copies of the Opus packets.
type audioSink struct{ packets chan []byte }

func newAudioSink() *audioSink { return &audioSink{packets: make(chan []byte, 512)} }

func (s *audioSink) WriteAudio(opus []byte, d time.Duration) {
	if d != 20*time.Millisecond {
		panic("audio frame duration is not 20 ms")
	}
	s.packets <- append([]byte(nil), opus...)
}

func (s *audioSink) next(t *testing.T) []byte {
	t.Helper()
	select {
	case p := <-s.packets:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("no audio packet within 30 s")
		return nil
	}
}

// toneRoom has publishers a, b, c sending 440, 660 and 880 Hz at amp and a receive-only d.
// It runs n ticks and returns each view's decoded PCM.
func toneRoom(t *testing.T, amp float64, n int) map[ViewID][]int16 {
	m := newTestMixer(t, newFakeClock())
	freqs := map[ParticipantID]float64{"a": 440, "b": 660, "c": 880}
	for _, id := range []ParticipantID{"a", "b", "c"} {
		m.AddParticipant(id, string(id), true)
	}
	m.AddParticipant("d", "d", false)
	views := []ViewID{m.ViewFor("a"), m.ViewFor("b"), m.ViewFor("c"), m.ViewFor("d")}
	sinks := map[ViewID]*audioSink{}
	for _, v := range views {
		sinks[v] = newAudioSink()
		if _, err := m.SubscribeAudio(v, sinks[v]); err != nil {
			t.Fatal(err)
		}
	}
	if s := m.Stats(); s.AudioEncoders != 4 {
		t.Fatalf("%d audio encoders for 4 views", s.AudioEncoders)
	}
	pcm := map[ViewID][]int16{}
	decs := map[ViewID]*codec.AudioDecoder{}
	for _, v := range views {
		d, err := codec.NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		decs[v] = d
	}
	buf := make([]int16, FrameSamples*6)
	for i := 0; i < n; i++ {
		for id, f := range freqs {
			if err := m.PushAudio(id, tone(f, amp, i*FrameSamples, FrameSamples)); err != nil {
				t.Fatal(err)
			}
		}
		m.AudioTick()
		for _, v := range views {
			k, err := decs[v].Decode(sinks[v].next(t), buf)
			if err != nil {
				t.Fatalf("decode %s: %v", v, err)
			}
			pcm[v] = append(pcm[v], buf[:k]...)
		}
	}
	return pcm
}

func TestEachPublisherHearsTheOthersNotThemselves(t *testing.T) {
	pcm := toneRoom(t, 6000, 100)
	want := map[ViewID][]float64{ // present, then absent
		"all-but:a": {660, 880, 440},
		"all-but:b": {440, 880, 660},
		"all-but:c": {440, 660, 880},
		ViewAll:     {440, 660, 880},
	}
	for v, f := range want {
		tail := pcm[v][len(pcm[v])-SampleRate/2:] // the last 0.5 s, past jitter and codec start-up
		present := f[:2]
		if v == ViewAll {
			present = f
		}
		for _, hz := range present {
			if p := goertzel(tail, hz); p < 0.01 {
				t.Errorf("%s: %v Hz power %.4f, want the tone", v, hz, p)
			}
		}
		if v != ViewAll {
			absent, ref := goertzel(tail, f[2]), goertzel(tail, f[0])
			if absent > ref/1000 {
				t.Errorf("%s hears its own %v Hz: power %.6f vs %.4f of another", v, f[2], absent, ref)
			}
		}
	}
}

func TestLoudInputsDoNotClip(t *testing.T) {
	pcm := toneRoom(t, 30000, 100) // three near-full-scale tones: the sum is ~3x full scale
	for v, s := range pcm {
		tail := s[len(s)-SampleRate/2:]
		var peak int
		railed := 0
		for _, x := range tail {
			a := int(x)
			if a < 0 {
				a = -a
			}
			peak = max(peak, a)
			if a >= 32767 {
				railed++
			}
		}
		t.Logf("%s: decoded peak %d", v, peak)
		if railed > 0 || peak > 32000 {
			t.Errorf("%s: peak %d, %d samples at the rail", v, peak, railed)
		}
		if peak < 20000 {
			t.Errorf("%s: peak %d, limited far more than needed", v, peak)
		}
		// Clipping would spray harmonics; a limited mix keeps its tones clean.
		if v == ViewAll {
			if p := goertzel(tail, 3*440); p > goertzel(tail, 440)/100 {
				t.Errorf("%s: 3rd harmonic of 440 Hz at %.5f: distortion", v, p)
			}
		}
	}
}

func TestActiveSpeakerAndLevels(t *testing.T) {
	m := newTestMixer(t, newFakeClock())
	for _, id := range []ParticipantID{"a", "b"} {
		m.AddParticipant(id, string(id), true)
	}
	m.AddParticipant("d", "d", false)
	run := func(frames int, ampA, ampB float64) {
		for i := 0; i < frames; i++ {
			_ = m.PushAudio("a", tone(300, ampA, i*FrameSamples, FrameSamples))
			_ = m.PushAudio("b", tone(500, ampB, i*FrameSamples, FrameSamples))
			m.AudioTick()
		}
	}
	run(20, 0, 0)
	if sp := m.ActiveSpeaker(); sp != "" {
		t.Fatalf("speaker %q in silence", sp)
	}
	run(20, 3000, 30) // a talks (-21 dBFS), b is near silent
	if sp := m.ActiveSpeaker(); sp != "a" {
		t.Fatalf("speaker %q, want a", sp)
	}
	lv := m.Levels()
	if len(lv) != 2 || lv[0].Participant != "a" || !lv[0].Speaking || lv[1].Speaking || lv[0].DBFS < -25 || lv[0].DBFS > -18 {
		t.Fatalf("levels %+v", lv)
	}
	run(40, 3000, 12000) // b louder by 12 dB for 0.8 s: not yet
	if sp := m.ActiveSpeaker(); sp != "a" {
		t.Fatalf("speaker switched to %q within a second", sp)
	}
	run(20, 3000, 12000) // past a second (the 300 ms level window needs ~4 frames to show the margin): b
	if sp := m.ActiveSpeaker(); sp != "b" {
		t.Fatalf("speaker %q, want b after a second of louder speech", sp)
	}
	m.RemoveParticipant("b")
	run(1, 3000, 0)
	if sp := m.ActiveSpeaker(); sp != "a" {
		t.Fatalf("speaker %q after b left, want a", sp)
	}
}

func TestUnderrunAndReceiveOnlyAudio(t *testing.T) {
	m := newTestMixer(t, newFakeClock())
	m.AddParticipant("a", "a", true)
	m.AddParticipant("d", "d", false)
	if err := m.PushAudio("d", make([]int16, FrameSamples)); err == nil {
		t.Fatal("a receive-only participant pushed audio")
	}
	sink := newAudioSink()
	unsub, err := m.SubscribeAudio(ViewAll, sink)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ { // nothing pushed: silence, still a tick for every frame (DTX: nil after 200 ms)
		m.AudioTick()
		sink.next(t)
	}
	unsub()
	if s := m.Stats(); s.AudioEncoders != 0 || s.AudioFramesEncoded != 5 {
		t.Fatalf("stats %+v", s)
	}
}

// TestCloseLeavesNoGoroutines runs the real clocks with video and audio subscribers.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	m := New(Config{})
	m.AddParticipant("a", "Anna", true)
	m.AddParticipant("b", "Ben", true)
	v := newVideoSink()
	if _, err := m.SubscribeVideo(m.ViewFor("a"), DefaultTier, v); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SubscribeVideo(ViewAll, Tier{Name: "low", Width: 320, Height: 180, FPS: 10, BitrateKbps: 150}, newVideoSink()); err != nil {
		t.Fatal(err)
	}
	a := newAudioSink()
	if _, err := m.SubscribeAudio(m.ViewFor("a"), a); err != nil {
		t.Fatal(err)
	}
	m.Start()
	m.Start() // once
	if err := m.PublishVideo("b", solid(320, 180, green)); err != nil {
		t.Fatal(err)
	}
	v.next(t) // the clocks run on their own
	a.next(t)
	m.Close()
	m.Close()
	if s := m.Stats(); s.VideoEncoders != 0 || s.AudioEncoders != 0 {
		t.Fatalf("after Close: %+v", s)
	}
	// The goroutines have called Done; give them the moment to return.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestDTX: a view whose mix is silent sends its frames in full for 200 ms,
// then a 1-byte Opus packet every 400 ms and nothing in between; the first
// sound goes out at once, in full.
func TestDTX(t *testing.T) {
	m := newTestMixer(t, newFakeClock())
	m.AddParticipant("a", "a", true)
	m.AddParticipant("b", "b", true)
	sink := newAudioSink()
	if _, err := m.SubscribeAudio(m.ViewFor("b"), sink); err != nil { // b hears a
		t.Fatal(err)
	}
	var sizes []int
	for range 60 { // 1.2 s of silence from a
		if err := m.PushAudio("a", make([]int16, FrameSamples)); err != nil {
			t.Fatal(err)
		}
		m.AudioTick()
		sizes = append(sizes, len(sink.next(t)))
	}
	for i, n := range sizes {
		var ok bool
		switch {
		case i < dtxHangover:
			ok = n > 1
		case (i-dtxHangover)%dtxInterval == 0:
			ok = n == 1
		default:
			ok = n == 0
		}
		if !ok {
			t.Fatalf("silent frame %d: %d bytes sent (all: %v)", i, n, sizes)
		}
	}
	// The sound comes out of a's jitter ring a few ticks later, and goes out in full.
	for i := range 10 {
		if err := m.PushAudio("a", tone(440, 8000, i*FrameSamples, FrameSamples)); err != nil {
			t.Fatal(err)
		}
		m.AudioTick()
		if n := len(sink.next(t)); n > 1 {
			return
		}
	}
	t.Fatal("no full packet within 10 frames of sound after silence")
}
