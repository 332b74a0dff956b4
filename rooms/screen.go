package rooms

import (
	"github.com/pion/webrtc/v4"
)

// Screen sharing: a publisher adds a second video track (getDisplayMedia),
// announces the transceiver carrying it with screen{mid} and re-offers. The
// server feeds it to the mixer as the participant's screen, which switches
// LayoutAuto to the presenter layout for everyone; screen_stop (or the track
// ending) switches back.

// announceScreen records which transceiver carries p's screen. A share
// already being read starts showing again (a second share on the same
// transceiver after screen_stop).
func (p *Participant) announceScreen(mid string) {
	p.screenMid.Store(&mid)
	if p.screenTrack.Load() {
		p.screen.Store(true)
	}
}

// stopScreen ends p's share now, whatever its track still sends.
func (p *Participant) stopScreen() {
	if p.screen.Swap(false) {
		p.room.mix.StopScreen(p.id)
	}
}

// endScreen runs when the screen track's read loop ends (the track stopped or
// the participant left).
func (p *Participant) endScreen() {
	p.screenTrack.Store(false)
	p.stopScreen()
}

// isScreen reports whether the track arriving on recv is p's screen: its
// transceiver is the one p announced, or p already sends a camera.
func (p *Participant) isScreen(recv *webrtc.RTPReceiver) bool {
	if mid := p.screenMid.Load(); mid != nil {
		for _, t := range p.pc.GetTransceivers() {
			if t.Receiver() == recv {
				if t.Mid() == *mid {
					p.screenTrack.Store(true)
					return true
				}
				break
			}
		}
	}
	if p.camera.Load() {
		p.screenTrack.Store(true)
		return true
	}
	return false
}
