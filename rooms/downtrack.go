package rooms

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// downTrack is one receiver's outgoing video or audio track. It is added to
// that receiver's PeerConnection once and stays for the whole call; the shared
// outputs of (view, tier) write into it. Switching a receiver to another tier
// or view is a change of source, not of track: the RTPSender never sees a
// ReplaceTrack, and the receiver sees one continuous stream because the track
// rewrites SSRC, payload type, sequence number and timestamp per receiver.
//
// Why not ReplaceTrack between shared TrackLocalStaticRTPs: each shared track
// has its own packetizer, so the receiver would see sequence numbers and
// timestamps jump at every switch (NACK storms, a jitter buffer that waits for
// packets that never come). Rewriting costs two additions per packet; the
// encode and the packetization stay once per (view, tier).
//
// A video switch happens at the first packet of a keyframe of the new source;
// until then the old source goes on (no freeze). Audio switches at once.
type downTrack struct {
	id, streamID string
	kind         webrtc.RTPCodecType
	codec        webrtc.RTPCodecCapability
	video        bool

	binding atomic.Pointer[downBinding] // set by Bind, cleared by Unbind
	want    atomic.Uint64               // the source the receiver should get; 0: none (video paused)
	cur     atomic.Uint64               // the source being forwarded (stored under writeMu)
	padKbps atomic.Uint32               // padding to add while probing, kbit/s (set by the room; 0: none)
	padFor  atomic.Pointer[downTrack]   // audio: the receiver's video track, padded at the audio's pace
	redOn   atomic.Bool                 // audio: send RED (red.go) when the receiver negotiated it

	// writeMu serialises the sources writing into this track (normally one,
	// two during a switch) and the answers to its NACKs (resend.go). Nothing
	// else takes it (the room changes want, Bind and Unbind swap binding, all
	// atomically), so holding it across WriteRTP
	// cannot deadlock with pion or the room.
	writeMu   sync.Mutex
	hdr       rtp.Header
	ext       [2]rtp.Extension // backing for the interceptors' header extensions
	started   bool
	seqOff    uint16
	tsOff     uint32
	lastSeq   uint16
	lastTS    uint32
	lastAt    time.Time
	padCredit int          // bytes of padding owed
	padAt     time.Time    // when the credit was last topped up
	hist      *sentHistory // video: what was sent, for NACKs (resend.go); nil for audio
	red       *redState    // audio: the previous packet, for RED; nil for video

	firstAt                atomic.Int64  // unix nanos (output clock) of the first frame written; 0 before, for the join time
	bytes, packets, frames atomic.Uint64 // what was written (bytes as on the wire), for usage and status
	payload                atomic.Uint64 // RTP payload bytes written, the unit of GCC's estimate
	errs                   errorLog
}

// downBinding is where a downTrack writes once pion has negotiated it.
type downBinding struct {
	id    string
	ssrc  uint32
	pt    uint8
	redPT uint8 // RED over pt, if the receiver negotiated it; 0: not
	write webrtc.TrackLocalWriter
}

func newDownTrack(codec webrtc.RTPCodecCapability, id, streamID string, errs errorLog) *downTrack {
	kind := webrtc.RTPCodecTypeVideo
	if strings.HasPrefix(strings.ToLower(codec.MimeType), "audio/") {
		kind = webrtc.RTPCodecTypeAudio
	}
	d := &downTrack{
		id: id, streamID: streamID, kind: kind, codec: codec,
		video: kind == webrtc.RTPCodecTypeVideo,
		errs:  errs,
	}
	if d.video {
		d.hist = &sentHistory{}
	} else {
		d.red = &redState{}
	}
	return d
}

// Bind picks the negotiated payload type of the track's codec. pion calls it
// when the RTPSender starts.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, d.codec.MimeType) {
			b := &downBinding{id: ctx.ID(), ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), write: ctx.WriteStream()}
			if !d.video {
				b.redPT = redPayloadType(ctx.CodecParameters(), c.PayloadType)
			}
			d.binding.Store(b)
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, fmt.Errorf("bind %s track: the receiver did not negotiate it: %w", d.codec.MimeType, webrtc.ErrUnsupportedCodec)
}

// Unbind stops writing; pion calls it when the RTPSender stops.
func (d *downTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	if b := d.binding.Load(); b != nil && b.id == ctx.ID() {
		d.binding.CompareAndSwap(b, nil)
	}
	return nil
}

func (d *downTrack) ID() string                { return d.id }
func (d *downTrack) RID() string               { return "" }
func (d *downTrack) StreamID() string          { return d.streamID }
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.kind }

// setSource asks for another source (0 pauses). The switch itself happens in
// the write path, at the new source's next keyframe for video.
func (d *downTrack) setSource(src uint64) { d.want.Store(src) }

// forwarding reports the source being forwarded now (0 while paused or before the first).
func (d *downTrack) forwarding() uint64 { return d.cur.Load() }

// writeFrame forwards one frame's packets from source src, if src is what
// this receiver gets (or should get, from this keyframe on). It runs on the
// source's goroutine (or a fan-out worker) and allocates nothing. It
// returns how many packets it sent (for the server's packet count).
func (d *downTrack) writeFrame(src uint64, f *frameBatch) (sent int) {
	b := d.binding.Load()
	if b == nil {
		return 0
	}
	if len(f.pkts) == 0 { // audio in DTX: nothing to send, but the padding's pace goes on
		if v := d.padFor.Load(); v != nil && d.cur.Load() == src {
			return v.padTick(f.at)
		}
		return 0
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	want, cur := d.want.Load(), d.cur.Load()
	switch {
	case want == 0: // paused
		if cur != 0 {
			d.cur.Store(0)
		}
		return 0
	case src == cur:
	case src == want && (!d.video || f.keyframe):
		d.rebase(&f.pkts[0], f.at)
		d.cur.Store(src)
	default:
		return 0
	}
	for i := range f.pkts {
		p := &f.pkts[i]
		d.hdr = p.Header
		d.hdr.Extensions = d.ext[:0]
		d.hdr.SSRC, d.hdr.PayloadType = b.ssrc, b.pt
		d.hdr.SequenceNumber = p.SequenceNumber + d.seqOff
		d.hdr.Timestamp = p.Timestamp + d.tsOff
		d.lastSeq, d.lastTS = d.hdr.SequenceNumber, d.hdr.Timestamp
		payload := p.Payload
		switch {
		case d.hist != nil:
			d.hist.add(&d.hdr, payload, f.keyframe && i == 0)
		case b.redPT == 0:
		case d.redOn.Load():
			payload = d.red.wrap(payload, d.hdr.Timestamp, d.hdr.SequenceNumber, b.pt)
			d.hdr.PayloadType = b.redPT
		default:
			d.red.remember(payload, d.hdr.Timestamp, d.hdr.SequenceNumber)
		}
		if _, err := b.write.WriteRTP(&d.hdr, payload); err != nil {
			d.errs.report(err)
			continue
		}
		sent++
		d.packets.Add(1)
		d.payload.Add(uint64(len(payload)))
		d.bytes.Add(uint64(len(payload) + packetOverheadBytes))
	}
	d.lastAt = f.at
	if !d.started {
		d.firstAt.Store(f.at.UnixNano())
	}
	d.started = true
	d.frames.Add(1)
	if v := d.padFor.Load(); v != nil {
		sent += v.padTick(f.at)
	}
	return sent
}

// setPadding pads the stream by kbps (0: stop) so that congestion control
// sees whether the link carries more than the tier sends (a probe, policy.go).
func (d *downTrack) setPadding(kbps float64) { d.padKbps.Store(uint32(max(kbps, 0))) }

// Padding packets: padding-only RTP packets on the video stream's own SSRC,
// between frames, with the last frame's timestamp. Chromium's receiver skips
// them (an empty payload only fills a sequence number) but its transport-wide
// feedback counts them, which is all a probe needs. They go out at the pace
// of the receiver's audio (every 20 ms), one or two at a time: a burst after
// each video frame looks like a queue to GCC's delay detector. RTP padding is
// at most 255 bytes a packet; maxPadPackets bounds a catch-up burst.
const (
	paddingSize   = 255
	maxPadPackets = 4
	padGap        = 100 * time.Millisecond // a longer pause (a new probe, a stalled source) owes nothing
)

// padTick writes the padding owed now, from the receiver's audio path. It
// never waits: while a video frame is being written it skips this tick (the
// credit stays). It returns how many packets it sent.
func (d *downTrack) padTick(at time.Time) int {
	kbps := d.padKbps.Load()
	if kbps == 0 || !d.writeMu.TryLock() {
		return 0
	}
	defer d.writeMu.Unlock()
	if b := d.binding.Load(); b != nil && d.cur.Load() != 0 {
		return d.pad(b, kbps, at)
	}
	return 0
}

// pad writes the padding owed since the last call (under writeMu) and
// returns how many packets it sent.
func (d *downTrack) pad(b *downBinding, kbps uint32, at time.Time) (sent int) {
	if !d.started || at.Sub(d.padAt) > padGap || at.Before(d.padAt) {
		d.padAt, d.padCredit = at, 0
		return 0
	}
	d.padCredit += int(int64(kbps) * 1000 / 8 * int64(at.Sub(d.padAt)) / int64(time.Second))
	d.padAt = at
	d.padCredit = min(d.padCredit, maxPadPackets*paddingSize)
	for ; d.padCredit >= paddingSize; d.padCredit -= paddingSize {
		d.hdr = rtp.Header{Version: 2, Padding: true, PaddingSize: paddingSize, PayloadType: b.pt, SSRC: b.ssrc,
			SequenceNumber: d.lastSeq + 1, Timestamp: d.lastTS, Extensions: d.ext[:0]}
		d.seqOff++ // the next frame's packets come after this one
		d.lastSeq = d.hdr.SequenceNumber
		if d.hist != nil {
			d.hist.add(&d.hdr, nil, false)
		}
		if _, err := b.write.WriteRTP(&d.hdr, nil); err != nil {
			d.errs.report(err)
			return sent
		}
		sent++
		d.packets.Add(1)
		d.payload.Add(paddingSize)
		d.bytes.Add(paddingSize + packetOverheadBytes)
	}
	return sent
}

// rebase makes first continue the stream the receiver has seen: the next
// sequence number, and a timestamp advanced by the wall time since the last
// packet, so the receiver's jitter buffer sees neither a gap nor a jump.
func (d *downTrack) rebase(first *rtp.Packet, at time.Time) {
	if !d.started {
		return // the first source's numbering is as good as any
	}
	d.seqOff = d.lastSeq + 1 - first.SequenceNumber
	gap := at.Sub(d.lastAt)
	rate := int64(d.codec.ClockRate)
	ticks := uint32(max(1, (int64(gap)*rate+int64(time.Second)/2)/int64(time.Second)))
	d.tsOff = d.lastTS + ticks - first.Timestamp
}
