package rooms

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/nahbar/nahbar/mixer"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// tierFor is the one place that decides which tier a receiver gets. Until
// bandwidth adaptation lands every receiver gets the default tier.
func tierFor(*Participant) mixer.Tier { return mixer.DefaultTier }

type outKey struct {
	view mixer.ViewID
	tier mixer.Tier
}

// videoOut is the shared output of one (view, tier): one encoder in the mixer,
// one packetizer, one TrackLocalStaticRTP added to every receiver's
// PeerConnection. pion's track fans each packet out to its bindings.
type videoOut struct {
	key       outKey
	track     *webrtc.TrackLocalStaticRTP
	pk        *framing.Packetizer
	emit      func(*rtp.Packet) error // o.write, bound once so WriteVideo does not allocate
	errs      errorLog
	receivers []*Participant // owned by the room loop
	tiles     []mixer.Tile   // the arrangement last announced to receivers (room loop)

	unsubscribe func()
}

// audioOut is the shared Opus output of one audio view.
type audioOut struct {
	view      mixer.ViewID
	track     *webrtc.TrackLocalStaticRTP
	pk        *framing.Packetizer
	emit      func(*rtp.Packet) error
	errs      errorLog
	receivers int

	unsubscribe func()
}

// streamID names the MediaStream of a view. msid allows only token characters,
// so the view's ':' is replaced.
func streamID(v mixer.ViewID) string {
	return "nahbar-" + strings.ReplaceAll(string(v), ":", "-")
}

func newVideoOut(key outKey, log *slog.Logger) (*videoOut, error) {
	track, err := webrtc.NewTrackLocalStaticRTP(capVP8, "video-"+key.tier.Name, streamID(key.view))
	if err != nil {
		return nil, fmt.Errorf("new video track for %s/%s: %w", key.view, key.tier.Name, err)
	}
	// SSRC and payload type are rewritten per receiver by the track's bindings.
	o := &videoOut{key: key, track: track, pk: framing.NewPacketizer(framing.VP8, 0, ptVP8, 90000)}
	o.emit = o.write
	o.errs.logger, o.errs.what = log.With("view", string(key.view), "tier", key.tier.Name), "write video rtp"
	return o, nil
}

// WriteVideo packetizes one encoded frame onto the shared track. It runs on
// the mixer's encoder goroutine for this (view, tier).
func (o *videoOut) WriteVideo(f codec.EncodedFrame, d time.Duration) {
	if len(f.Data) == 0 {
		return
	}
	if err := o.pk.Packetize(f.Data, o.pk.Samples(d), o.emit); err != nil {
		o.errs.report(err)
	}
}

func (o *videoOut) write(p *rtp.Packet) error { return o.track.WriteRTP(p) }

func newAudioOut(view mixer.ViewID, log *slog.Logger) (*audioOut, error) {
	track, err := webrtc.NewTrackLocalStaticRTP(capOpus, "audio", streamID(view))
	if err != nil {
		return nil, fmt.Errorf("new audio track for %s: %w", view, err)
	}
	o := &audioOut{view: view, track: track, pk: framing.NewPacketizer(framing.Opus, 0, ptOpus, 48000)}
	o.emit = o.write
	o.errs.logger, o.errs.what = log.With("view", string(view)), "write audio rtp"
	return o, nil
}

// WriteAudio sends one Opus packet on the shared track, from the mixer's audio goroutine.
func (o *audioOut) WriteAudio(opus []byte, d time.Duration) {
	if len(opus) == 0 {
		return
	}
	if err := o.pk.Packetize(opus, o.pk.Samples(d), o.emit); err != nil {
		o.errs.report(err)
	}
}

func (o *audioOut) write(p *rtp.Packet) error { return o.track.WriteRTP(p) }

// attachLocked gives p its outputs, creating and subscribing them on first use.
// Room loop only.
func (r *Room) attachLocked(p *Participant) (*videoOut, *audioOut, error) {
	view := r.mix.ViewFor(p.id)
	key := outKey{view: view, tier: tierFor(p)}
	vo := r.videoOuts[key]
	if vo == nil {
		o, err := newVideoOut(key, r.log)
		if err != nil {
			return nil, nil, err
		}
		if o.unsubscribe, err = r.mix.SubscribeVideo(key.view, key.tier, o); err != nil {
			return nil, nil, err
		}
		r.videoOuts[key], vo = o, o
	}
	ao := r.audioOuts[view]
	if ao == nil {
		o, err := newAudioOut(view, r.log)
		if err != nil {
			return nil, nil, err
		}
		if o.unsubscribe, err = r.mix.SubscribeAudio(view, o); err != nil {
			return nil, nil, err
		}
		r.audioOuts[view], ao = o, o
	}
	vo.receivers = append(vo.receivers, p)
	ao.receivers++
	p.vout, p.aout = vo, ao
	r.sendLayout(p, vo)
	return vo, ao, nil
}

// attach runs attachLocked on the room loop.
func (r *Room) attach(p *Participant) (vo *videoOut, ao *audioOut, err error) {
	if !r.do(func() { vo, ao, err = r.attachLocked(p) }) {
		return nil, nil, fmt.Errorf("attach outputs: room %s is closed", r.id)
	}
	return vo, ao, err
}

// detach drops p as a receiver; the last receiver of an output stops its
// encoder. Room loop only.
func (r *Room) detach(p *Participant) {
	if vo := p.vout; vo != nil {
		vo.receivers = slices.DeleteFunc(vo.receivers, func(q *Participant) bool { return q == p })
		if len(vo.receivers) == 0 {
			vo.unsubscribe()
			delete(r.videoOuts, vo.key)
		}
	}
	if ao := p.aout; ao != nil {
		ao.receivers--
		if ao.receivers == 0 {
			ao.unsubscribe()
			delete(r.audioOuts, ao.view)
		}
	}
	p.vout, p.aout = nil, nil
}

// errorLog logs an output's write errors at most once per second with a
// count, so a closing PeerConnection does not flood the log from the media path.
type errorLog struct {
	logger *slog.Logger
	what   string
	last   atomic.Int64
	count  atomic.Int64
}

func (e *errorLog) report(err error) {
	n := e.count.Add(1)
	now := time.Now().UnixNano()
	last := e.last.Load()
	if now-last < int64(time.Second) || !e.last.CompareAndSwap(last, now) {
		return
	}
	e.logger.Warn(e.what, "err", err, "errors", n)
}
