package bench

import (
	"fmt"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/internal/testpeer"
)

// Clock is where the load generator takes time from: Now stamps frames, Tick
// paces them. Tests pass their own; Main uses the wall clock.
type Clock struct {
	Now  func() time.Time
	Tick func(d time.Duration) (c <-chan time.Time, stop func())
}

// WallClock is the real clock.
func WallClock() Clock {
	return Clock{Now: time.Now, Tick: func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}}
}

// Clip is a pre-encoded loop of one source's frames, replayed by publishers
// that only make load: they cost the server the same decode as a live camera
// but the load generator no encoder. Its first frame is the only keyframe, so
// a keyframe request restarts the loop.
type Clip struct {
	Source Source
	Frames [][]byte
	Kbps   float64 // measured bitrate of the loop
}

// clipFrames is the length of a replay loop: 4 s.
const clipFrames = 4 * SourceFPS

// NewClip encodes clipFrames frames of src with FFmpeg's libvpx (the same
// realtime settings as the server's encoders) at kbps. Offline encoding needs
// an encoder that takes frame times from its input, which mediadevices' does
// not (it reads the wall clock), hence codec here.
func NewClip(src Source, kbps int) (*Clip, error) {
	enc, err := codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: codec.KindVP8, Width: SourceWidth, Height: SourceHeight, FPS: SourceFPS, BitrateKbps: kbps})
	if err != nil {
		return nil, fmt.Errorf("clip of source %d: %w", src.Index, err)
	}
	defer enc.Close()
	pic := codec.NewPicture(SourceWidth, SourceHeight)
	c := &Clip{Source: src}
	total := 0
	for n := range clipFrames {
		src.Render(pic, uint16(n), uint32(n*1000/SourceFPS))
		f, err := enc.Encode(pic, n == 0)
		if err != nil {
			return nil, fmt.Errorf("clip of source %d: frame %d: %w", src.Index, n, err)
		}
		if n == 0 && !f.Keyframe {
			return nil, fmt.Errorf("clip of source %d: first frame is no keyframe", src.Index)
		}
		c.Frames = append(c.Frames, append([]byte(nil), f.Data...))
		total += len(f.Data)
	}
	c.Kbps = float64(total*8) / (float64(clipFrames) / SourceFPS) / 1000
	return c, nil
}

// AudioLoop is one second of a 440 Hz tone as 50 Opus packets (testpeer's
// tone encoder: libopus through pion/mediadevices), replayed by every publisher: a whole number of cycles,
// so the loop has no click.
type AudioLoop struct{ Packets [][]byte }

const (
	audioRate     = 48000
	audioFrame    = 960 // 20 ms
	audioInterval = 20 * time.Millisecond
)

// NewAudioLoop encodes the loop.
func NewAudioLoop() (*AudioLoop, error) {
	enc, err := testpeer.NewToneEncoder(440, 0.25)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	l := &AudioLoop{}
	for range audioRate / audioFrame {
		b, release, err := enc.Read()
		if err != nil {
			return nil, fmt.Errorf("encode tone: %w", err)
		}
		l.Packets = append(l.Packets, append([]byte(nil), b...))
		release()
	}
	return l, nil
}
