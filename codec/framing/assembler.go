package framing

import (
	"fmt"
	"time"

	"github.com/pion/rtp"
)

// Limits and windows of an Assembler. They bound its memory whatever a peer sends.
const (
	// MaxFrameSize is the largest frame the assembler builds; a bigger one is dropped
	// with ErrFrameTooLarge (a 640x360 keyframe is tens of kilobytes).
	MaxFrameSize = 2 << 20
	// MaxPacketPayload is the largest RTP payload Push accepts (jumbo frames included).
	MaxPacketPayload = 16 << 10
	// DefaultReorderDelay is how long a sequence gap may stay open before the missing
	// packets count as lost. Short, because the mixer prefers a fresh picture to a late one.
	DefaultReorderDelay = 80 * time.Millisecond
	// KeyframeRequestInterval spaces the keyframe requests NeedKeyframe allows.
	KeyframeRequestInterval = 500 * time.Millisecond

	// ringSize bounds the packets held behind a gap (a power of two).
	ringSize = 256
	// reorderPackets: a gap is given up as soon as a packet this far beyond it arrives,
	// whatever the clock says, so a fast stream never fills the ring.
	reorderPackets = ringSize / 2
	// queueSize bounds the complete frames waiting for Pop.
	queueSize = 8
	// retainLimit: buffers larger than this are released after use rather than kept,
	// so one huge keyframe does not pin megabytes for the life of the stream.
	retainLimit = 256 << 10
)

// Frame is one complete, decodable codec frame: for VP8 the concatenated payloads, for
// H.264 an Annex-B access unit (each NAL unit behind a 00 00 00 01 start code).
type Frame struct {
	Data         []byte
	Keyframe     bool
	RTPTimestamp uint32
}

// Stats counts what an Assembler saw, for metrics and for the advisor's connection view.
type Stats struct {
	Packets          uint64 // packets accepted by Push
	Invalid          uint64 // packets refused by Push with an error
	Duplicates       uint64 // packets already waiting in the reorder buffer
	Late             uint64 // packets older than what was already emitted or given up
	Lost             uint64 // sequence numbers given up after the reorder window
	Resyncs          uint64 // sequence discontinuities the assembler restarted at
	FramesEmitted    uint64 // frames handed out by Pop
	FramesDropped    uint64 // incomplete frames and frames that waited for a keyframe
	KeyframeRequests uint64 // times NeedKeyframe reported true
}

// Assembler turns the RTP packets of one incoming video SSRC into complete frames that
// a decoder can take: it puts packets back in order, gives up on gaps after a short
// window, and after a loss hands out nothing until the next keyframe.
//
// It is not safe for concurrent use: the goroutine that reads the track owns it.
type Assembler struct {
	codec            Codec
	now              func() time.Time
	reorderDelay     time.Duration
	keyframeInterval time.Duration

	seq   sequencer
	cur   frameState
	queue [queueSize]Frame
	qHead int
	qLen  int

	waitKey     bool // drop frames until a keyframe, the decoder could not use them
	wantKey     bool // a keyframe is missing and nobody asked for one yet
	gapBefore   bool // packets were lost (or never seen) before the next frame to begin
	haveSPS     bool // an H.264 SPS was delivered, so later IDR slices can be decoded
	lastRequest time.Time
	err         error // what went wrong while consuming packets during this Push

	stats   Stats
	onEvent func(event) // tests watch the order of emits and drops
}

// frameState is the frame under assembly; buf is reused from frame to frame.
type frameState struct {
	active   bool
	first    bool // no payload consumed yet
	broken   bool // a packet of it is missing or malformed: it will be dropped
	ts       uint32
	buf      []byte
	inFU     bool // inside an H.264 FU-A
	fuType   byte
	idr, sps bool // H.264 NAL units seen that let a decoder start
	afterGap bool // packets may be missing right before this frame
}

// event is what the test hook observes.
type event int

const (
	eventEmit event = iota + 1
	eventEmitKey
	eventDrop
	eventLoss
)

// NewAssembler returns an assembler for VP8 or H.264 packets; for any other codec every
// Push fails with ErrUnsupportedCodec. now is the clock for the reorder window and the
// keyframe request spacing (nil: time.Now).
func NewAssembler(c Codec, now func() time.Time) *Assembler {
	if now == nil {
		now = time.Now
	}
	return &Assembler{
		codec:            c,
		now:              now,
		reorderDelay:     DefaultReorderDelay,
		keyframeInterval: KeyframeRequestInterval,
		waitKey:          true, // a decoder must start at a keyframe
		gapBefore:        true, // and nothing is known of what came before
	}
}

// SetReorderDelay changes how long a sequence gap may stay open (DefaultReorderDelay);
// raise it when NACK retransmissions should still be waited for.
func (a *Assembler) SetReorderDelay(d time.Duration) { a.reorderDelay = d }

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats { return a.stats }

// Push takes one RTP packet of the stream. The payload is copied if it has to wait, so
// the caller may reuse the packet at once. Garbage is refused with an error wrapping
// ErrShortPayload, ErrBadPayload or ErrPacketTooLarge and leaves the state as it was;
// ErrFrameTooLarge means a frame was dropped. Packets without payload (padding used
// for bandwidth probing) only advance the sequence.
func (a *Assembler) Push(pkt *rtp.Packet) error {
	if pkt == nil {
		return fmt.Errorf("push %s packet: nil packet: %w", a.codec, ErrBadPayload)
	}
	if !a.codec.video() {
		return fmt.Errorf("assemble %s packet %d: %w", a.codec, pkt.SequenceNumber, ErrUnsupportedCodec)
	}
	if err := a.check(pkt.Payload); err != nil {
		a.stats.Invalid++
		return fmt.Errorf("%s packet %d: %w", a.codec, pkt.SequenceNumber, err)
	}
	a.stats.Packets++
	a.err = nil
	now := a.now()
	a.accept(pkt, now)
	a.expire(now)
	return a.err
}

// check validates a payload before any state changes.
func (a *Assembler) check(p []byte) error {
	if len(p) > MaxPacketPayload {
		return fmt.Errorf("%d bytes: %w", len(p), ErrPacketTooLarge)
	}
	if len(p) == 0 {
		return nil
	}
	if a.codec == VP8 {
		_, err := parseVP8Descriptor(p)
		return err
	}
	return checkH264Payload(p)
}

// Pop returns the next complete frame, if any. Data belongs to the assembler and stays
// valid until the next call of Push, Pop or NeedKeyframe; copy it to keep it longer.
// Pop also gives up gaps whose reorder window has passed, so calling it on a timer
// delivers frames even when no new packet arrives.
func (a *Assembler) Pop() (Frame, bool) {
	a.expire(a.now())
	if a.qLen == 0 {
		return Frame{}, false
	}
	slot := &a.queue[a.qHead]
	f := *slot
	if cap(slot.Data) > retainLimit {
		slot.Data = nil // f keeps the bytes alive; the assembler lets them go
	}
	a.qHead = (a.qHead + 1) % queueSize
	a.qLen--
	return f, true
}

// NeedKeyframe reports whether the sender should be asked for a keyframe now (a PLI):
// a loss or an undecodable frame was seen and no keyframe followed. It reports true at
// most once per KeyframeRequestInterval and keeps doing so until a keyframe arrives.
func (a *Assembler) NeedKeyframe() bool {
	now := a.now()
	a.expire(now)
	if !a.wantKey {
		return false
	}
	if !a.lastRequest.IsZero() && now.Sub(a.lastRequest) < a.keyframeInterval {
		return false
	}
	a.lastRequest = now
	a.stats.KeyframeRequests++
	return true
}

func (a *Assembler) notify(e event) {
	if a.onEvent != nil {
		a.onEvent(e)
	}
}
