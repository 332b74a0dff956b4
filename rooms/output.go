package rooms

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/nahbar/nahbar/mixer"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

type outKey struct {
	view mixer.ViewID
	tier mixer.Tier
}

// videoOut is the shared output of one (view, tier): one encoder in the
// mixer, one packetizer, and the fan-out to the downTracks of its receivers.
type videoOut struct {
	key   outKey
	pk    *framing.Packetizer
	batch frameBatch
	emit  func(*rtp.Packet) error // batch.add, bound once so WriteVideo does not allocate
	fan   *fanout
	now   func() time.Time
	errs  errorLog

	// Owned by the room loop.
	tiles       []mixer.Tile // the arrangement last composed
	layout      []byte       // its layout message, encoded once for all receivers
	layoutSeq   uint64       // bumped when layout changes
	unsubscribe func()
}

// audioOut is the shared Opus output of one audio view.
type audioOut struct {
	view   mixer.ViewID
	pk     *framing.Packetizer
	joiner opusJoiner // owned by the mixer's audio goroutine
	batch  frameBatch
	emit   func(*rtp.Packet) error
	fan    *fanout
	now    func() time.Time
	errs   errorLog

	unsubscribe func()
}

// streamID names the MediaStream of a view. msid allows only token characters,
// so the view's ':' is replaced.
func streamID(v mixer.ViewID) string {
	return "nahbar-" + strings.ReplaceAll(string(v), ":", "-")
}

// videoCapability is the RTP capability a downTrack of codec k announces.
func videoCapability(k codec.Kind) webrtc.RTPCodecCapability {
	if k == codec.KindH264 {
		return capH264
	}
	return capVP8
}

func framingCodec(k codec.Kind) framing.Codec {
	if k == codec.KindH264 {
		return framing.H264
	}
	return framing.VP8
}

func newVideoOut(key outKey, src uint64, now func() time.Time, log *slog.Logger) *videoOut {
	// SSRC and payload type are rewritten per receiver by the downTracks.
	o := &videoOut{key: key, pk: framing.NewPacketizer(framingCodec(key.tier.Codec), 0, 0, 90000), fan: newFanout(src), now: now}
	o.emit = o.batch.add
	o.errs = newErrorLog(log.With("view", string(key.view), "tier", key.tier.Name, "codec", key.tier.Codec.String()), "packetize video")
	return o
}

// WriteVideo packetizes one encoded frame once and fans it out to every
// receiver of this (view, tier). It runs on the mixer's encoder goroutine.
func (o *videoOut) WriteVideo(f codec.EncodedFrame, d time.Duration) {
	if len(f.Data) == 0 {
		return
	}
	o.batch.reset(f.Keyframe, o.now())
	if err := o.pk.Packetize(f.Data, o.pk.Samples(d), o.emit); err != nil {
		o.errs.report(err)
	}
	o.fan.deliver(&o.batch)
}

func newAudioOut(view mixer.ViewID, src uint64, now func() time.Time, log *slog.Logger) *audioOut {
	o := &audioOut{view: view, pk: framing.NewPacketizer(framing.Opus, 0, 0, 48000), fan: newFanout(src), now: now}
	o.emit = o.batch.add
	o.errs = newErrorLog(log.With("view", string(view)), "packetize audio")
	return o
}

// WriteAudio sends one Opus packet to every receiver of the view, from the
// mixer's audio goroutine. The view of a large audience gets
// groupAudioFrames packets joined into one (opusagg.go).
//
// During silence the mixer sends a 1-byte DTX packet every 400 ms and nil
// in between (mixer/audio.go): those go out alone (NetEq knows a DTX packet
// by its size, which a joined packet would not have), and a nil only moves
// the stream's timestamp on and paces the receivers' padding.
func (o *audioOut) WriteAudio(opus []byte, d time.Duration) {
	if len(opus) <= 1 && o.joiner.len() > 0 {
		o.send(o.joiner.join())
	}
	if len(opus) == 0 {
		seq, ts := o.pk.Next()
		o.pk.SetNext(seq, ts+o.pk.Samples(d))
		o.batch.reset(true, o.now())
		o.fan.deliver(&o.batch) // no packets: only the padding of probes goes out
		return
	}
	join := o.view == mixer.ViewAll && o.fan.len() >= groupAudioMin && len(opus) > 1
	if !join && o.joiner.len() == 0 {
		o.send(opus, d)
		return
	}
	if err := o.joiner.add(opus, d); err != nil {
		// Another mode or bandwidth than the frames before: send those first.
		o.send(o.joiner.join())
		if err := o.joiner.add(opus, d); err != nil {
			o.send(opus, d)
			return
		}
	}
	if !join || o.joiner.len() >= groupAudioFrames {
		o.send(o.joiner.join())
	}
}

func (o *audioOut) send(opus []byte, d time.Duration) {
	if len(opus) == 0 {
		return
	}
	o.batch.reset(true, o.now())
	if err := o.pk.Packetize(opus, o.pk.Samples(d), o.emit); err != nil {
		o.errs.report(err)
	}
	o.fan.deliver(&o.batch)
}

// videoOutFor returns the output of key, subscribing a new encoder on first
// use (room loop).
func (r *Room) videoOutFor(key outKey) (*videoOut, bool, error) {
	if o := r.videoOuts[key]; o != nil {
		return o, false, nil
	}
	r.nextSrc++
	o := newVideoOut(key, r.nextSrc, r.cfg.Now, r.log)
	o.fan.sent = r.sent
	var err error
	if o.unsubscribe, err = r.mix.SubscribeVideo(key.view, key.tier, o); err != nil {
		return nil, false, fmt.Errorf("subscribe %s tier %s: %w", key.view, key.tier.Name, err)
	}
	r.videoOuts[key] = o
	return o, true, nil
}

func (r *Room) audioOutFor(view mixer.ViewID) (*audioOut, error) {
	if o := r.audioOuts[view]; o != nil {
		return o, nil
	}
	r.nextSrc++
	o := newAudioOut(view, r.nextSrc, r.cfg.Now, r.log)
	o.fan.sent = r.sent
	var err error
	if o.unsubscribe, err = r.mix.SubscribeAudio(view, o); err != nil {
		return nil, fmt.Errorf("subscribe audio %s: %w", view, err)
	}
	r.audioOuts[view] = o
	return o, nil
}

// dropVideo takes d off o; the last receiver stops the encoder (room loop).
func (r *Room) dropVideo(o *videoOut, d *downTrack) {
	if o == nil {
		return
	}
	o.fan.remove(d)
	if o.fan.len() == 0 {
		o.unsubscribe()
		o.fan.stop()
		delete(r.videoOuts, o.key)
	}
}

func (r *Room) dropAudio(o *audioOut, d *downTrack) {
	if o == nil {
		return
	}
	o.fan.remove(d)
	if o.fan.len() == 0 {
		o.unsubscribe()
		o.fan.stop()
		delete(r.audioOuts, o.view)
	}
}

// errorLog logs an output's write errors at most once per second with a
// count, so a closing PeerConnection does not flood the log from the media path.
type errorLog struct {
	logger *slog.Logger
	what   string
	last   *atomic.Int64
	count  *atomic.Int64
}

func newErrorLog(logger *slog.Logger, what string) errorLog {
	return errorLog{logger: logger, what: what, last: new(atomic.Int64), count: new(atomic.Int64)}
}

func (e *errorLog) report(err error) {
	if e.count == nil {
		return // the zero errorLog discards
	}
	n := e.count.Add(1)
	now := time.Now().UnixNano()
	last := e.last.Load()
	if now-last < int64(time.Second) || !e.last.CompareAndSwap(last, now) {
		return
	}
	e.logger.Warn(e.what, "err", err, "errors", n)
}
