package framing

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// MaxPayloadSize is the RTP payload size the Packetizer fills at most: with the RTP
// header, header extensions (transport-wide CC) and the SRTP tag a packet stays well
// under a 1280-byte IPv6 minimum MTU.
const MaxPayloadSize = 1200

// vp8DescriptorSize: X=1 with a 15-bit PictureID, as libwebrtc sends, so receivers can
// tell frames apart after a loss.
const vp8DescriptorSize = 4

// Packetizer cuts encoded frames into RTP packets for one outgoing stream. Sequence
// number, timestamp and VP8 PictureID live here and continue across frames, so when a
// tier switch puts another encoder behind the same stream the receiver sees one
// continuous stream. Not safe for concurrent use.
type Packetizer struct {
	codec     Codec
	clockRate uint32
	pkt       rtp.Packet // handed to emit for every packet, then reused
	buf       []byte     // payload scratch for packets that need a header or aggregation
	nals      []nalRange
	pictureID uint16
}

// NewPacketizer returns a packetizer for VP8, H.264 (packetization-mode 1, Annex-B input)
// or Opus. clockRate is the RTP clock (90000 for video, 48000 for Opus). Sequence number
// and timestamp start at random values, as RFC 3550 asks; SetNext fixes them.
func NewPacketizer(c Codec, ssrc uint32, payloadType uint8, clockRate uint32) *Packetizer {
	p := &Packetizer{
		codec:     c,
		clockRate: clockRate,
		buf:       make([]byte, MaxPayloadSize),
		pictureID: uint16(rand.N(0x8000)),
	}
	p.pkt.Header = rtp.Header{
		Version:        2,
		PayloadType:    payloadType,
		SSRC:           ssrc,
		SequenceNumber: uint16(rand.N(0x10000)),
		Timestamp:      rand.Uint32(),
	}
	return p
}

// SetNext sets the sequence number and timestamp the next packet carries.
func (p *Packetizer) SetNext(seq uint16, timestamp uint32) {
	p.pkt.SequenceNumber = seq
	p.pkt.Timestamp = timestamp
}

// Next returns the sequence number and timestamp the next packet will carry.
func (p *Packetizer) Next() (seq uint16, timestamp uint32) {
	return p.pkt.SequenceNumber, p.pkt.Timestamp
}

// Samples converts a frame duration into RTP clock units, rounded, for Packetize.
func (p *Packetizer) Samples(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32((int64(d)*int64(p.clockRate) + int64(time.Second)/2) / int64(time.Second))
}

// Packetize sends one encoded frame as RTP packets through emit, then advances the
// timestamp by samples (the frame's duration in clock units). Video frames end with the
// marker bit. emit must neither keep nor modify the packet or its payload: both are
// reused for the next packet, and the payload may point into frame
// (pion's TrackLocalStaticRTP.WriteRTP copies what it needs).
// An error from emit stops the frame; the timestamp still advances so the stream's
// timing stays right.
func (p *Packetizer) Packetize(frame []byte, samples uint32, emit func(*rtp.Packet) error) error {
	if len(frame) == 0 {
		return fmt.Errorf("packetize %s: %w", p.codec, ErrEmptyFrame)
	}
	var err error
	switch p.codec {
	case VP8:
		err = p.vp8(frame, emit)
		p.pictureID = (p.pictureID + 1) & 0x7fff
	case H264:
		err = p.h264(frame, emit)
	case Opus:
		err = p.send(frame, false, emit)
	default:
		err = fmt.Errorf("packetize %s: %w", p.codec, ErrUnsupportedCodec)
	}
	p.pkt.Timestamp += samples
	return err
}

// send hands one packet to emit and advances the sequence number.
func (p *Packetizer) send(payload []byte, marker bool, emit func(*rtp.Packet) error) error {
	p.pkt.Payload = payload
	p.pkt.Marker = marker
	seq := p.pkt.SequenceNumber
	err := emit(&p.pkt)
	p.pkt.Payload = nil
	p.pkt.SequenceNumber++
	if err != nil {
		return fmt.Errorf("emit %s packet %d: %w", p.codec, seq, err)
	}
	return nil
}

// vp8 fragments a frame behind RFC 7741 descriptors; S is set on the first packet only.
func (p *Packetizer) vp8(frame []byte, emit func(*rtp.Packet) error) error {
	const room = MaxPayloadSize - vp8DescriptorSize
	for off := 0; off < len(frame); off += room {
		n := min(room, len(frame)-off)
		b := p.buf[:vp8DescriptorSize+n]
		b[0] = 0x80 // X
		if off == 0 {
			b[0] |= 0x10 // S, partition 0
		}
		b[1] = 0x80 // I
		b[2] = 0x80 | byte(p.pictureID>>8)
		b[3] = byte(p.pictureID)
		copy(b[vp8DescriptorSize:], frame[off:off+n])
		if err := p.send(b, off+n == len(frame), emit); err != nil {
			return err
		}
	}
	return nil
}
