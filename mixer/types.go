package mixer

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// ParticipantID names a participant of one mixer (one room). rooms chooses it.
type ParticipantID string

// ViewID names what a receiver sees and hears: ViewAll or ViewExcluding(id).
type ViewID string

// ViewAll is the view of receive-only participants: every publisher.
const ViewAll ViewID = "all"

// viewExcludingPrefix starts the view of a publisher, who is left out of their own picture
// and mix (the page shows the local camera, and nobody wants to hear their own echo).
const viewExcludingPrefix = "all-but:"

// ViewExcluding returns the view of publisher id: everyone except id.
func ViewExcluding(id ParticipantID) ViewID { return ViewID(viewExcludingPrefix + string(id)) }

// ErrBadView is wrapped by ParseView for a string that names no view.
var ErrBadView = errors.New("not a view id")

// ParseView splits a view into the participant it leaves out ("" for ViewAll). View ids
// may arrive from signalling, so anything else is a clear error rather than an empty view.
func ParseView(v ViewID) (excluded ParticipantID, err error) {
	if v == ViewAll {
		return "", nil
	}
	s := string(v)
	if id, ok := strings.CutPrefix(s, viewExcludingPrefix); ok && id != "" {
		return ParticipantID(id), nil
	}
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return "", fmt.Errorf("parse view %q: %w", s, ErrBadView)
}

// Tier is one resolution/frame-rate/bitrate/codec step of a view. A tier is a fixed-bitrate
// encoder (FFmpeg cannot change the rate of an open encoder): a receiver whose link changes
// moves to another tier. Receivers of the same view and the same Tier value share an encoder.
type Tier struct {
	Name          string
	Width, Height int // even; the canvas size
	FPS           int // at most the mixer's FPS; lower rates drop ticks evenly
	BitrateKbps   int
	Codec         codec.Kind // zero means codec.KindVP8
}

// DefaultTier is the "high" tier of DESIGN.md.
var DefaultTier = Tier{Name: "high", Width: 640, Height: 360, FPS: 15, BitrateKbps: 400, Codec: codec.KindVP8}

// normalize fills the defaults so that equal tiers compare equal as map keys.
func (t Tier) normalize(mixerFPS int) Tier {
	if t.Codec == 0 {
		t.Codec = codec.KindVP8
	}
	if t.FPS <= 0 || t.FPS > mixerFPS {
		t.FPS = mixerFPS
	}
	return t
}

// validate rejects tiers an encoder cannot be opened for.
func (t Tier) validate() error {
	switch {
	case t.Width < 16 || t.Height < 16 || t.Width%2 != 0 || t.Height%2 != 0 || t.Width > 4096 || t.Height > 4096:
		return fmt.Errorf("tier %q: size %dx%d must be even and between 16 and 4096", t.Name, t.Width, t.Height)
	case t.BitrateKbps <= 0:
		return fmt.Errorf("tier %q: bitrate %d kbit/s must be positive", t.Name, t.BitrateKbps)
	case t.Codec != codec.KindVP8 && t.Codec != codec.KindH264:
		return fmt.Errorf("tier %q: codec %v is not a video codec", t.Name, t.Codec)
	}
	return nil
}

// Layout chooses how the sources of a view are arranged on the canvas.
type Layout int

const (
	// LayoutAuto is LayoutPresenter while someone in the view shares a screen, else
	// LayoutGrid (which, for one other party, is the 1:1 full frame).
	LayoutAuto Layout = iota
	// LayoutGrid gives every source an equal cell, rows and columns chosen so the pictures
	// are as large as possible.
	LayoutGrid
	// LayoutSpeaker shows the active speaker large and everyone else as a thumbnail strip.
	LayoutSpeaker
	// LayoutPresenter shows the first shared screen large and the people as thumbnails.
	LayoutPresenter
)

// String names the layout for logs and the UI.
func (l Layout) String() string {
	switch l {
	case LayoutAuto:
		return "auto"
	case LayoutGrid:
		return "grid"
	case LayoutSpeaker:
		return "speaker"
	case LayoutPresenter:
		return "presenter"
	default:
		return fmt.Sprintf("layout(%d)", int(l))
	}
}

// VideoOutput receives the encoded frames of one (view, tier). WriteVideo is called from
// that encoder's goroutine; f.Data is only valid during the call (copy it to keep it), and
// d is the time since the previous frame (skipped ticks included) for RTP timestamps. It
// must not block for long: a slow output delays only its own encoder, which then skips ticks.
type VideoOutput interface {
	WriteVideo(f codec.EncodedFrame, d time.Duration)
}

// AudioOutput receives the Opus packets of one audio view, every 20 ms, from that view's
// goroutine. opus is only valid during the call. During silence (DTX, audio.go) opus is a
// 1-byte packet every 400 ms and nil in between: d passed without a packet.
type AudioOutput interface {
	WriteAudio(opus []byte, d time.Duration)
}

// Config configures a Mixer. The zero value works: every field has a default.
type Config struct {
	FPS              int              // video clock; default 15
	Layout           Layout           // default LayoutAuto; SetLayout changes it live
	Logger           *slog.Logger     // default discards
	Now              func() time.Time // injected clock for staleness and keyframe pacing; default time.Now
	StaleAfter       time.Duration    // a source without a new picture for this long shows its placeholder; default 2 s
	KeyframeInterval time.Duration    // at most one forced keyframe per encoder per interval; default 1 s
	AudioBitrateKbps int              // Opus bitrate per audio view; default 24
	AudioDelay       time.Duration    // jitter ring target delay; default 40 ms (bounded by AudioMaxDelay)
	AudioMaxDelay    time.Duration    // jitter ring capacity; the oldest audio is dropped beyond it; default 200 ms
}

func (c Config) withDefaults() Config {
	if c.FPS <= 0 {
		c.FPS = 15
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 2 * time.Second
	}
	if c.KeyframeInterval <= 0 {
		c.KeyframeInterval = time.Second
	}
	if c.AudioBitrateKbps <= 0 {
		c.AudioBitrateKbps = 24
	}
	if c.AudioMaxDelay <= 0 {
		c.AudioMaxDelay = 200 * time.Millisecond
	}
	if c.AudioMaxDelay < 2*audioFrameDuration {
		c.AudioMaxDelay = 2 * audioFrameDuration
	}
	if c.AudioDelay <= 0 {
		c.AudioDelay = 40 * time.Millisecond
	}
	if c.AudioDelay > c.AudioMaxDelay-audioFrameDuration {
		c.AudioDelay = c.AudioMaxDelay - audioFrameDuration
	}
	return c
}
