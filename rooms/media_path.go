package rooms

import (
	"fmt"
	"image"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtp"
)

// maxConcealed bounds the lost audio frames concealed for one gap; a longer
// gap is silence in the mixer (its jitter ring underruns) rather than a burst.
const maxConcealed = 5

// videoSink is where a camera's receive path delivers: decoded pictures, bad
// input, and the wish for a keyframe.
type videoSink struct {
	publish  func(*image.YCbCr) error
	bad      func(error)
	keyframe func()
}

// videoIn is the receive path of one camera track after the network read:
// RTP bytes in, decoded pictures out. It owns its packet, assembler and
// decoder and reuses them, so a running stream allocates nothing per packet
// or frame. One goroutine (the track's reader) uses it.
type videoIn struct {
	pkt  rtp.Packet
	asm  *framing.Assembler
	dec  *codec.VideoDecoder
	sink videoSink
}

func newVideoIn(kind codec.Kind, fc framing.Codec, now func() time.Time, sink videoSink) (*videoIn, error) {
	dec, err := codec.NewVideoDecoder(kind)
	if err != nil {
		return nil, err
	}
	return &videoIn{asm: framing.NewAssembler(fc, now), dec: dec, sink: sink}, nil
}

// handle takes one RTP packet as read from the track.
func (v *videoIn) handle(b []byte) {
	if err := v.pkt.Unmarshal(b); err != nil {
		v.sink.bad(fmt.Errorf("parse rtp: %w", err))
		return
	}
	if err := v.asm.Push(&v.pkt); err != nil {
		v.sink.bad(err)
	}
	for {
		f, ok := v.asm.Pop()
		if !ok {
			break
		}
		pic, err := v.dec.Decode(f.Data)
		if err != nil {
			v.sink.bad(err)
			continue
		}
		if pic == nil {
			continue
		}
		if err := v.sink.publish(pic); err != nil {
			v.sink.bad(err)
		}
	}
	if v.asm.NeedKeyframe() {
		v.sink.keyframe()
	}
}

func (v *videoIn) close() { v.dec.Close() }

// audioSink is where a microphone's receive path delivers.
type audioSink struct {
	push func([]int16)
	bad  func(error)
}

// audioIn is the receive path of one microphone track after the network
// read: RTP bytes in, 48 kHz mono PCM out, lost packets concealed. It reuses
// its packet and PCM buffer.
type audioIn struct {
	pkt     rtp.Packet
	dec     *codec.AudioDecoder
	pcm     []int16
	last    uint16
	started bool
	sink    audioSink
}

func newAudioIn(sink audioSink) (*audioIn, error) {
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return nil, err
	}
	return &audioIn{dec: dec, pcm: make([]int16, codec.MaxFrameSamples), sink: sink}, nil
}

// handle takes one RTP packet as read from the track.
func (a *audioIn) handle(b []byte) {
	if err := a.pkt.Unmarshal(b); err != nil {
		a.sink.bad(fmt.Errorf("parse rtp: %w", err))
		return
	}
	seq := a.pkt.SequenceNumber
	if a.started {
		gap := seq - a.last
		if gap == 0 || gap >= 0x8000 {
			return // duplicate or late: its time has passed
		}
		for i := uint16(1); i < gap && i <= maxConcealed; i++ {
			if n, err := a.dec.Conceal(a.pcm); err == nil {
				a.sink.push(a.pcm[:n])
			}
		}
	}
	a.started, a.last = true, seq
	if len(a.pkt.Payload) == 0 {
		return // padding only
	}
	n, err := a.dec.Decode(a.pkt.Payload, a.pcm)
	if err != nil {
		a.sink.bad(err)
		return
	}
	a.sink.push(a.pcm[:n])
}

func (a *audioIn) close() { a.dec.Close() }
