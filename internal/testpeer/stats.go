package testpeer

import (
	"sync/atomic"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/webrtc/v4"
)

// ReceiveStats counts what a peer received, in atomics, so a load test can
// watch hundreds of peers without taking their locks. Frames are decoded
// pictures for a decoding peer and complete frames (RTP marker bits) for a
// NoDecode one.
type ReceiveStats struct {
	VideoBytes    atomic.Uint64
	VideoPackets  atomic.Uint64
	VideoLost     atomic.Uint64 // sequence numbers skipped
	Frames        atomic.Uint64
	AudioBytes    atomic.Uint64
	AudioPackets  atomic.Uint64
	DecodeErrors  atomic.Uint64
	DroppedFrames atomic.Uint64 // assembled but not decoded: the Pictures consumer fell behind
	FirstFrame    atomic.Int64  // Unix ns of the first frame, 0 before
}

// seqGaps counts RTP sequence numbers skipped: packets lost on the way (on
// loopback: dropped from a full socket buffer, i.e. a starved receiver or
// sender). Late and repeated packets count nothing.
type seqGaps struct {
	last uint16
	have bool
}

// next takes the next sequence number and returns how many were skipped.
func (s *seqGaps) next(seq uint16) uint64 {
	if !s.have {
		s.have, s.last = true, seq
		return 0
	}
	d := seq - s.last
	if d == 0 || d >= 0x8000 { // repeated or late
		return 0
	}
	s.last = seq
	return uint64(d - 1)
}

// decodeQueue is how many assembled frames may wait for the decoder.
const decodeQueue = 4

// queuedFrame is an assembled frame on its way to the decoder.
type queuedFrame struct{ data []byte }

// decodeApart is the receive loop of a peer with Options.Pictures: it reads
// and assembles the composed video and hands complete frames to a decoder
// goroutine, which decodes them and passes every picture on. Reading is kept
// apart from decoding because pion stamps a packet's arrival for
// transport-wide feedback when the application reads it: a read loop that
// also decodes would report its own decode time as network delay, and the
// server's bandwidth estimate would drop this receiver's tier. If the decoder
// falls behind, frames are dropped up to the next keyframe (and one is asked
// for); the reader never waits. The frame buffers circulate between the two
// goroutines, so nothing is allocated per packet or frame once they have
// grown to the largest frame.
func (v *videoReceiver) decodeApart(t *webrtc.TrackRemote) {
	p := v.p
	dec, fc, err := newDecoder(t)
	if err != nil {
		p.log.Error("new video decoder", "err", err)
		return
	}
	free := make(chan []byte, decodeQueue+1)
	for range decodeQueue + 1 {
		free <- make([]byte, 0, 64<<10)
	}
	queue := make(chan queuedFrame, decodeQueue)
	p.spawn(func() {
		defer dec.Close()
		v.decodeLoop(dec, queue, free)
	})
	defer close(queue)
	waitKey := false
	v.assemble(t, fc, 0, 500*time.Millisecond, func(f framing.Frame) bool {
		if waitKey && !f.Keyframe {
			return false
		}
		if !enqueue(queue, free, f.Data) {
			p.recv.DroppedFrames.Add(1)
			waitKey = true
			return true
		}
		waitKey = false
		return false
	})
}

// enqueue copies a frame into a free buffer and queues it for the decoder,
// without waiting: false if no buffer or no room was there.
func enqueue(queue chan<- queuedFrame, free chan []byte, data []byte) bool {
	var b []byte
	select {
	case b = <-free:
	default:
		return false
	}
	select {
	case queue <- queuedFrame{data: append(b[:0], data...)}:
		return true
	default:
		free <- b // back where it came from; free has room for every buffer
		return false
	}
}

// decodeLoop decodes queued frames until the queue closes and passes the
// pictures to Options.Pictures.
func (v *videoReceiver) decodeLoop(dec *codec.VideoDecoder, queue <-chan queuedFrame, free chan []byte) {
	p := v.p
	for f := range queue {
		pic, err := dec.Decode(f.data)
		free <- f.data
		if err != nil {
			p.recv.DecodeErrors.Add(1)
			v.noteError(err)
			continue
		}
		if pic == nil {
			continue
		}
		v.frameDone()
		l, ok := p.Layout()
		if !ok {
			continue
		}
		p.opts.Pictures(pic, l)
	}
}
