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

// decodeVideo assembles and decodes the composed video and hands every
// picture to the analyser; it asks for a keyframe when the assembler says so.
// The buffers, packet, assembler and decoder are reused: nothing is
// allocated per packet or per frame here.
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
	defer dec.Close()
	a := p.cfg.Analyser
	asm := framing.NewAssembler(fc, p.cfg.Clock.Now)
	pli := []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}}
	buf := make([]byte, 1600)
	var pkt rtp.Packet
	var lastPLI time.Time
	var seq seqGaps
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
		for {
			f, ok := asm.Pop()
			if !ok {
				break
			}
			pic, err := dec.Decode(f.Data)
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
		if asm.NeedKeyframe() {
			if now := p.cfg.Clock.Now(); now.Sub(lastPLI) > 500*time.Millisecond {
				lastPLI = now
				_ = p.pc.WriteRTCP(pli)
			}
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
