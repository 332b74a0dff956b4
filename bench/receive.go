package bench

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// countVideo counts the composed video's bytes, packets and frames (RTP
// marker bits) without decoding: a receive-only attendee at the lowest cost.
func (p *Peer) countVideo(t *webrtc.TrackRemote) {
	buf := make([]byte, 1600)
	var seq seqGaps
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		p.Recv.VideoBytes.Add(uint64(n))
		p.Recv.VideoPackets.Add(1)
		if n >= 4 {
			p.Recv.VideoLost.Add(seq.next(binary.BigEndian.Uint16(buf[2:4])))
		}
		if n >= 2 && buf[1]&0x80 != 0 {
			if p.Recv.Frames.Add(1) == 1 {
				p.Recv.FirstFrame.Store(p.cfg.Clock.Now().UnixNano())
			}
		}
	}
}

// countAudio counts the mixed audio's bytes and packets.
func (p *Peer) countAudio(t *webrtc.TrackRemote) {
	buf := make([]byte, 1600)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		p.Recv.AudioBytes.Add(uint64(n))
		p.Recv.AudioPackets.Add(1)
	}
}

// decodeQueue is how many assembled frames may wait for the decoder.
const decodeQueue = 4

// queuedFrame is an assembled frame on its way to the decoder.
type queuedFrame struct{ data []byte }

// decodeVideo reads and assembles the composed video and hands complete
// frames to a decoder goroutine, which decodes them and gives every picture
// to the analyser. Reading is kept apart from decoding because pion stamps a
// packet's arrival for transport-wide feedback when the application reads it:
// a read loop that also decodes would report its own decode time as network
// delay, and the server's bandwidth estimate would drop this receiver's tier.
// If the decoder falls behind, frames are dropped up to the next keyframe
// (and one is asked for); the reader never waits. The frame buffers circulate
// between the two goroutines, so nothing is allocated per packet or frame
// once they have grown to the largest frame.
func (p *Peer) decodeVideo(t *webrtc.TrackRemote) {
	kind, fc := codec.KindVP8, framing.VP8
	if strings.EqualFold(t.Codec().MimeType, webrtc.MimeTypeH264) {
		kind, fc = codec.KindH264, framing.H264
	}
	dec, err := codec.NewVideoDecoder(kind)
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
		p.decodeLoop(dec, queue, free)
	})
	defer close(queue)

	asm := framing.NewAssembler(fc, p.cfg.Clock.Now)
	pli := []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}}
	buf := make([]byte, 1600)
	var pkt rtp.Packet
	var lastPLI time.Time
	var seq seqGaps
	waitKey := false
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		p.Recv.VideoBytes.Add(uint64(n))
		p.Recv.VideoPackets.Add(1)
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		p.Recv.VideoLost.Add(seq.next(pkt.SequenceNumber))
		if err := asm.Push(&pkt); err != nil {
			p.Recv.DecodeErrors.Add(1)
		}
		needKey := asm.NeedKeyframe()
		for {
			f, ok := asm.Pop()
			if !ok {
				break
			}
			if waitKey && !f.Keyframe {
				continue
			}
			if !p.enqueue(queue, free, f.Data) {
				p.Recv.DroppedFrames.Add(1)
				waitKey, needKey = true, true
				continue
			}
			waitKey = false
		}
		if needKey {
			if now := p.cfg.Clock.Now(); now.Sub(lastPLI) > 500*time.Millisecond {
				lastPLI = now
				_ = p.pc.WriteRTCP(pli)
			}
		}
	}
}

// enqueue copies a frame into a free buffer and queues it for the decoder,
// without waiting: false if no buffer or no room was there.
func (p *Peer) enqueue(queue chan<- queuedFrame, free chan []byte, data []byte) bool {
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

// decodeLoop decodes queued frames until the queue closes.
func (p *Peer) decodeLoop(dec *codec.VideoDecoder, queue <-chan queuedFrame, free chan []byte) {
	a := p.cfg.Analyser
	for f := range queue {
		pic, err := dec.Decode(f.data)
		free <- f.data
		if err != nil {
			p.Recv.DecodeErrors.Add(1)
			continue
		}
		if pic == nil {
			continue
		}
		if p.Recv.Frames.Add(1) == 1 {
			p.Recv.FirstFrame.Store(p.cfg.Clock.Now().UnixNano())
		}
		l, ok := p.Layout()
		if !ok {
			continue
		}
		if err := a.Frame(pic, l); err != nil {
			p.log.Warn("analyse picture", "err", err)
		}
	}
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
