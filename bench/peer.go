package bench

import (
	"context"
	"fmt"
	"image"
	"log/slog"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/pion/webrtc/v4"
)

// PeerConfig configures one synthetic participant.
type PeerConfig struct {
	URL   string // the signalling WebSocket, ws://host/ws
	Token string
	// API is the pion API all participants share (testpeer.NewSharedAPI).
	API *webrtc.API
	// Publisher sends camera and microphone; nil joins receive-only.
	Publisher *Publisher
	// Analyser, when set, makes the peer decode the composed video and hand
	// every picture to it; without one the peer only counts packets and frames
	// (as cheap as a receiver can be, so hundreds fit on one machine).
	Analyser *Analyser
	Logger   *slog.Logger
}

// Dial joins one participant, a testpeer.Peer: it returns once the server has
// said joined (or refused), media follows (testpeer's Connected). What it
// receives is counted in its Stats.
func Dial(ctx context.Context, cfg PeerConfig) (*testpeer.Peer, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// IgnoreSenderReports: the bench's attendees have never given the server
	// an RTT; kept so that reports stay comparable.
	o := testpeer.Options{URL: cfg.URL, Token: cfg.Token, API: cfg.API, Agent: "nahbar-bench", Logger: log, IgnoreSenderReports: true}
	if cfg.Publisher != nil {
		o.Media = cfg.Publisher
	}
	if a := cfg.Analyser; a != nil {
		o.Pictures = func(pic *image.YCbCr, l testpeer.Layout) {
			if err := a.Frame(pic, l); err != nil {
				log.Warn("analyse picture", "view", l.View, "err", err)
			}
		}
	} else {
		o.NoDecode = true
	}
	return testpeer.Dial(ctx, o)
}

// leave says leave (best effort, so the server frees the seat at once) and
// closes p without waiting for the server's answer.
func leave(p *testpeer.Peer) {
	_ = p.Send(testpeer.Message{Type: "leave"})
	p.Close()
}

// waitFirstFrame waits until the first composed frame arrived (decoded, for
// a decoding peer).
func waitFirstFrame(ctx context.Context, p *testpeer.Peer) error {
	if err := p.Wait(ctx, func() bool { return p.Stats().FirstFrame.Load() != 0 }); err != nil {
		return fmt.Errorf("participant %s: wait for the first frame: %w", p.ID(), err)
	}
	return nil
}

// waitConnected waits until ICE and DTLS are up.
func waitConnected(ctx context.Context, p *testpeer.Peer) error {
	if err := p.Wait(ctx, p.Connected); err != nil {
		return fmt.Errorf("participant %s: wait for connection: %w", p.ID(), err)
	}
	return nil
}
