package mixer

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// benchRoom has n publishers with 640x360 cameras and either only the "all" view or the
// full set of n+1 views (one per publisher plus "all") at the 640x360 tier. The views have
// no codec: drain hands their canvases back, so the figures are composition alone.
// publish gives every source a new picture, as decoders do between ticks, so every tick
// really scales.
func benchRoom(b *testing.B, n int, allViews bool) (m *Mixer, publish func(int), drain func()) {
	m = New(Config{})
	b.Cleanup(m.Close)
	var ids []ParticipantID
	for i := 0; i < n; i++ {
		id := ParticipantID(fmt.Sprintf("p%d", i))
		ids = append(ids, id)
		m.AddParticipant(id, fmt.Sprintf("Person %d", i), true)
	}
	views := []ViewID{ViewAll}
	if allViews {
		for _, id := range ids {
			views = append(views, ViewExcluding(id))
		}
	}
	var list []*videoEncoder
	for _, v := range views {
		ex, _ := ParseView(v)
		list = append(list, newVideoView(m, videoKey{view: v, tier: DefaultTier.normalize(m.cfg.FPS)}, ex))
	}
	m.videoList.Store(&list)
	var frames [2][]*image.YCbCr
	for k := range frames {
		for i := range ids {
			frames[k] = append(frames[k], solid(640, 360, ycc{uint8(40 + 10*i + 5*k), 100, 150}))
		}
	}
	publish = func(iter int) {
		for i, id := range ids {
			if err := m.PublishVideo(id, frames[iter%2][i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	drain = func() {
		for _, e := range list {
			select {
			case <-e.jobs:
			default:
			}
			e.busy.Store(false)
		}
	}
	return m, publish, drain
}

func benchCompose(b *testing.B, n int) {
	for _, all := range []bool{false, true} {
		name := "views=1"
		if all {
			name = fmt.Sprintf("views=%d", n+1)
		}
		b.Run(name, func(b *testing.B) {
			m, publish, drain := benchRoom(b, n, all)
			for i := 0; i < 3; i++ { // warm the slots, scale caches and layouts
				publish(i)
				m.ComposeTick()
				drain()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				publish(i)
				m.ComposeTick()
				drain()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
			if s := m.Stats(); s.ComposeErrors != 0 || s.VideoFramesSkipped != 0 {
				b.Fatalf("stats %+v", s)
			}
		})
	}
}

// BenchmarkCompose4 is one video tick of 4 fresh 640x360 sources into 640x360 canvases.
func BenchmarkCompose4(b *testing.B) { benchCompose(b, 4) }

// BenchmarkCompose9 is the same with 9 sources (a 3x3 grid).
func BenchmarkCompose9(b *testing.B) { benchCompose(b, 9) }

// frameSignal is a VideoOutput that only says a frame came (no copy, no allocation).
type frameSignal chan int

func (s frameSignal) WriteVideo(f codec.EncodedFrame, d time.Duration) { s <- len(f.Data) }

// BenchmarkTickEncode4 is a full tick of a 1:1-plus-two room: 4 fresh sources composed for
// the "all" view and encoded with real VP8 at 640x360, 400 kbit/s.
func BenchmarkTickEncode4(b *testing.B) {
	for _, tier := range []Tier{DefaultTier, {Name: "low", Width: 320, Height: 180, FPS: 15, BitrateKbps: 110}} {
		b.Run(fmt.Sprintf("%dx%d", tier.Width, tier.Height), func(b *testing.B) {
			m := New(Config{})
			b.Cleanup(m.Close)
			var frames [2][]*image.YCbCr
			for i := 0; i < 4; i++ {
				id := ParticipantID(fmt.Sprint(i))
				m.AddParticipant(id, id2name(i), true)
				for k := range frames {
					// Moving content, so the encoder works as on camera video.
					frames[k] = append(frames[k], gradient(640, 360, i*7+k*3))
				}
			}
			sig := make(frameSignal, 1)
			if _, err := m.SubscribeVideo(ViewAll, tier, sig); err != nil {
				b.Fatal(err)
			}
			ids := []ParticipantID{"0", "1", "2", "3"}
			tick := func(i int) int {
				for k, id := range ids {
					_ = m.PublishVideo(id, frames[i%2][k])
				}
				m.ComposeTick()
				return <-sig
			}
			for i := 0; i < 3; i++ { // first tiles, scaled copies, keyframe
				tick(i)
			}
			bytes := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				bytes += tick(i)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(bytes)*8/float64(b.N)*float64(tier.FPS)/1000, "kbit/s@tierfps")
		})
	}
}

func id2name(i int) string { return fmt.Sprintf("Person %d", i) }

// gradient is camera-like content: a gradient with a bright square placed by n.
func gradient(w, h, n int) *image.YCbCr {
	p := codec.NewPicture(w, h)
	sq := h / 4
	sx, sy := (n*13)%(w-sq), (n*7)%(h-sq)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(16 + (x*200/w+y*20/h)%220)
			if x >= sx && x < sx+sq && y >= sy && y < sy+sq {
				v = 235
			}
			p.Y[y*p.YStride+x] = v
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			p.Cb[y*p.CStride+x] = uint8(64 + x*128/w)
			p.Cr[y*p.CStride+x] = uint8(192 - y*128/h)
		}
	}
	return p
}

// BenchmarkAudioMix is one 20 ms audio tick of n talking publishers into n+1 views (one per
// publisher plus "all"): jitter rings, sum, per-view subtraction, limiter, levels and the
// active speaker. The views have no codec (see BenchmarkAudioTickEncode).
func BenchmarkAudioMix(b *testing.B) {
	for _, n := range []int{4, 9} {
		b.Run(fmt.Sprintf("sources=%d", n), func(b *testing.B) {
			m := New(Config{})
			b.Cleanup(m.Close)
			var ids []ParticipantID
			var pcm [][]int16
			list := []*audioView{newAudioView(m, ViewAll, "")}
			for i := 0; i < n; i++ {
				id := ParticipantID(fmt.Sprint(i))
				ids = append(ids, id)
				m.AddParticipant(id, id2name(i), true)
				pcm = append(pcm, tone(200+float64(i)*110, 9000, 0, FrameSamples))
				list = append(list, newAudioView(m, ViewExcluding(id), id))
			}
			m.audioList.Store(&list)
			tick := func() {
				for i, id := range ids {
					_ = m.PushAudio(id, pcm[i])
				}
				m.AudioTick()
				for _, v := range list {
					select {
					case <-v.jobs:
					default:
					}
					v.busy.Store(false)
				}
			}
			for i := 0; i < 5; i++ {
				tick()
			}
			b.ReportAllocs()
			for b.Loop() {
				tick()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		})
	}
}

// audioSignal is an AudioOutput that only says a packet came.
type audioSignal chan int

func (s audioSignal) WriteAudio(opus []byte, d time.Duration) { s <- len(opus) }

// BenchmarkAudioTickEncode is BenchmarkAudioMix/sources=4 with the 5 real Opus encoders.
func BenchmarkAudioTickEncode(b *testing.B) {
	m := New(Config{})
	b.Cleanup(m.Close)
	const n = 4
	var pcm [][]int16
	sigs := []audioSignal{}
	views := []ViewID{ViewAll}
	for i := 0; i < n; i++ {
		id := ParticipantID(fmt.Sprint(i))
		m.AddParticipant(id, id2name(i), true)
		pcm = append(pcm, tone(200+float64(i)*110, 9000, 0, FrameSamples))
		views = append(views, ViewExcluding(id))
	}
	for _, v := range views {
		s := make(audioSignal, 1)
		sigs = append(sigs, s)
		if _, err := m.SubscribeAudio(v, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < n; i++ {
			_ = m.PushAudio(ParticipantID(fmt.Sprint(i)), pcm[i])
		}
		m.AudioTick()
		for _, s := range sigs {
			<-s
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
}
