package testpeer

import (
	"errors"
	"fmt"
	"image/color"

	"github.com/pion/webrtc/v4"
)

// StartScreen shares a "screen" the way a page does with getDisplayMedia: a
// second video track (one colour, w x h, 5 fps) on a new transceiver, whose
// mid is announced with screen{mid} before the re-offer that carries it.
func (p *Peer) StartScreen(c color.RGBA, w, h int) error {
	o := p.opts
	o.Colour, o.Width, o.Height, o.FPS = c, w, h, 5
	scr, err := newVideoSource(o, "screen", "testpeer-screen")
	if err != nil {
		return err
	}
	sender, err := p.pc.AddTrack(scr.track)
	if err != nil {
		scr.close()
		return fmt.Errorf("add screen track: %w", err)
	}
	offer, err := p.pc.CreateOffer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		scr.close()
		return fmt.Errorf("offer with the screen: %w", err)
	}
	mid := ""
	for _, t := range p.pc.GetTransceivers() {
		if t.Sender() == sender {
			mid = t.Mid()
		}
	}
	if mid == "" {
		scr.close()
		return errors.New("screen transceiver has no mid")
	}
	p.goMu.Lock()
	p.screen = scr
	p.goMu.Unlock()
	p.spawn(func() { readKeyframeRequests(sender, scr.requestKeyframe) })
	p.spawn(func() { scr.run(p.ctx) })
	if err := p.send(Message{Type: "screen", Mid: mid}); err != nil {
		return err
	}
	return p.send(Message{Type: "offer", SDP: offer.SDP})
}

// StopScreen ends the share: screen_stop, then the track is removed and the
// peer re-offers.
func (p *Peer) StopScreen() error {
	p.goMu.Lock()
	scr := p.screen
	p.goMu.Unlock()
	if scr == nil {
		return errors.New("no screen shared")
	}
	scr.paused.Store(true)
	if err := p.send(Message{Type: "screen_stop"}); err != nil {
		return err
	}
	for _, s := range p.pc.GetSenders() {
		if s.Track() == webrtc.TrackLocal(scr.track) {
			if err := p.pc.RemoveTrack(s); err != nil {
				return fmt.Errorf("remove screen track: %w", err)
			}
		}
	}
	return p.Renegotiate(false)
}
