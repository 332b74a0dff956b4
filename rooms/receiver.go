package rooms

import (
	"fmt"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/mixer"
)

// switchRetry is how long a video switch may wait for the new source's
// keyframe before the room asks for one again.
const switchRetry = 2 * time.Second

// receiver is the receiving side of a participant, owned by the room loop:
// its two downTracks, the shared outputs that feed them, and the state of
// its tier choice.
type receiver struct {
	codec        codec.Kind
	vdown, adown *downTrack // nil until the first offer is applied

	vout, prevVout *videoOut // wanted output, and the one still forwarded until the switch
	aout, prevAout *audioOut
	switchAt       time.Time // when the wanted video output was set

	level  level
	policy *tierPolicy
	mode   string  // quality mode the client chose
	budget float64 // MB per hour, 0: none
	red    redDecision

	layoutOut *videoOut // the output whose layout the client has
	layoutSeq uint64

	usage  rateWindow // bytes sent to the receiver
	frames rateWindow // video frames sent to it
	up     rateWindow // bytes received from it
	sent   rateWindow // RTP payload sent to it

	// heard counts what arrived from the participant (RTP bytes and RTCP
	// reads) at heardAt, the last sample in which it grew.
	heard   uint64
	heardAt time.Time
	silent  bool // interrupted at the last sample
}

func newReceiver(now time.Time) *receiver {
	return &receiver{
		level:  levelHigh,
		policy: newTierPolicy(defaultPolicy, levelHigh, now),
		mode:   QualityHigh,
		usage:  newRateWindow(usageWindow),
		frames: newRateWindow(usageWindow),
		up:     newRateWindow(usageWindow),
		sent:   newRateWindow(usageWindow),
	}
}

// silentAfter is how long nothing at all may arrive from a connected
// participant before the advisor is told its connection is interrupted.
// Everyone who receives anything sends congestion feedback several times a
// second (audio at silence too: DTX keeps 2.5 packets a second), so 3 s of
// nothing is a link gone, seconds before ICE gives up on it (5 s, then the
// grace of Config.ICEGrace).
const silentAfter = 3 * time.Second

// interrupted reports that a participant that was heard has gone silent.
func (rx *receiver) interrupted(now time.Time) bool {
	return rx.heard > 0 && now.Sub(rx.heardAt) >= silentAfter
}

// cap is the best level the receiver's own choice allows.
func (rx *receiver) cap() level { return capFor(rx.mode, rx.budget) }

// viewOf is the one place that chooses what p receives: the mixer's choice
// (everyone but itself for a publisher), or everyone including itself for a
// role that sees itself (the test call).
func (r *Room) viewOf(p *Participant) mixer.ViewID {
	if p.role.SeesSelf() {
		return mixer.ViewAll
	}
	return r.mix.ViewFor(p.id)
}

// attachReceiver gives p its downTracks in codec k and starts feeding them:
// video at p's current level, audio of its view. Room loop.
func (r *Room) attachReceiver(p *Participant, k codec.Kind) error {
	rx := p.rx
	if rx.vdown != nil {
		return nil
	}
	view := r.viewOf(p)
	rx.codec = k
	rx.vdown = newDownTrack(videoCapability(k), "video-"+rx.level.name(), streamID(view), newErrorLog(p.log, "write video rtp"))
	rx.adown = newDownTrack(capOpus, "audio", streamID(view), newErrorLog(p.log, "write audio rtp"))
	rx.adown.padFor.Store(rx.vdown) // probes pad the video at the audio's pace
	if rx.level < rx.cap() {
		rx.level = rx.cap()
		rx.policy = newTierPolicy(defaultPolicy, rx.level, r.cfg.Now())
	}
	if err := r.routeVideo(p); err != nil {
		return err
	}
	return r.routeAudio(p)
}

// routeVideo points p's video downTrack at the output of its view and level
// (none for audio only). The switch completes in the write path at the new
// output's next keyframe; settleSwitches then lets go of the old output.
func (r *Room) routeVideo(p *Participant) error {
	rx := p.rx
	if rx.vdown == nil {
		return nil
	}
	if !rx.level.video() {
		rx.vdown.setSource(0)
		r.dropVideo(rx.prevVout, rx.vdown)
		r.dropVideo(rx.vout, rx.vdown)
		rx.vout, rx.prevVout = nil, nil
		p.videoKey.Store(nil)
		return nil
	}
	r.settle(p)
	key := outKey{view: r.viewOf(p), tier: tierOf(rx.level, rx.codec)}
	if rx.vout != nil && rx.vout.key == key {
		return nil
	}
	o, fresh, err := r.videoOutFor(key)
	if err != nil {
		return err
	}
	switch {
	case rx.prevVout == o: // back to what is still forwarded: cancel the switch
		r.dropVideo(rx.vout, rx.vdown)
		rx.vout, rx.prevVout = o, nil
	case rx.prevVout != nil: // a switch still under way is superseded; the forwarded output stays
		r.dropVideo(rx.vout, rx.vdown)
		rx.vout = o
		o.fan.add(rx.vdown)
	default:
		rx.prevVout, rx.vout = rx.vout, o
		o.fan.add(rx.vdown)
	}
	rx.vdown.setSource(o.fan.src)
	rx.switchAt = r.cfg.Now()
	p.videoKey.Store(&key)
	if !fresh {
		r.mix.RequestKeyframe(key.view, key.tier) // a new encoder starts with one anyway
	}
	return nil
}

// routeAudio points p's audio downTrack at the output of its view. Audio
// switches on the next packet.
func (r *Room) routeAudio(p *Participant) error {
	rx := p.rx
	if rx.adown == nil {
		return nil
	}
	r.settle(p)
	view := r.viewOf(p)
	if rx.aout != nil && rx.aout.view == view {
		return nil
	}
	o, err := r.audioOutFor(view)
	if err != nil {
		return err
	}
	switch {
	case rx.prevAout == o:
		r.dropAudio(rx.aout, rx.adown)
		rx.aout, rx.prevAout = o, nil
	case rx.prevAout != nil:
		r.dropAudio(rx.aout, rx.adown)
		rx.aout = o
		o.fan.add(rx.adown)
	default:
		rx.prevAout, rx.aout = rx.aout, o
		o.fan.add(rx.adown)
	}
	rx.adown.setSource(o.fan.src)
	return nil
}

// settleSwitches lets go of the outputs a receiver no longer gets, once the
// new one is being forwarded, and asks again for a keyframe that is late.
// Room loop, every tick.
func (r *Room) settleSwitches(now time.Time) {
	for _, p := range r.parts {
		r.settle(p)
		if rx := p.rx; rx.prevVout != nil && now.Sub(rx.switchAt) >= switchRetry {
			r.mix.RequestKeyframe(rx.vout.key.view, rx.vout.key.tier)
			rx.switchAt = now
		}
	}
}

// settle drops p's previous outputs once the new ones are forwarded.
func (r *Room) settle(p *Participant) {
	rx := p.rx
	if rx.prevVout != nil && rx.vout != nil && rx.vdown.forwarding() == rx.vout.fan.src {
		r.dropVideo(rx.prevVout, rx.vdown)
		rx.prevVout = nil
	}
	if rx.prevAout != nil && rx.aout != nil && rx.adown.forwarding() == rx.aout.fan.src {
		r.dropAudio(rx.prevAout, rx.adown)
		rx.prevAout = nil
	}
}

// detachReceiver stops feeding p (it left); outputs nobody receives stop.
func (r *Room) detachReceiver(p *Participant) {
	rx := p.rx
	if rx.vdown != nil {
		rx.vdown.setSource(0)
		rx.adown.setSource(0)
	}
	r.dropVideo(rx.vout, rx.vdown)
	r.dropVideo(rx.prevVout, rx.vdown)
	r.dropAudio(rx.aout, rx.adown)
	r.dropAudio(rx.prevAout, rx.adown)
	rx.vout, rx.prevVout, rx.aout, rx.prevAout = nil, nil, nil, nil
	p.videoKey.Store(nil)
}

// attach runs attachReceiver on the room loop and returns the downTracks to
// add to p's PeerConnection.
func (r *Room) attach(p *Participant, k codec.Kind) (vdown, adown *downTrack, err error) {
	if !r.do(func() {
		err = r.attachReceiver(p, k)
		vdown, adown = p.rx.vdown, p.rx.adown
	}) {
		return nil, nil, fmt.Errorf("attach outputs: room %s is closed", r.id)
	}
	return vdown, adown, err
}
