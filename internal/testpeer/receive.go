package testpeer

import (
	"encoding/binary"
	"image"
	"strings"
	"sync"
	"time"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// fpsWindow is the span FPS averages over.
const fpsWindow = 2 * time.Second

// reorderDelay is how long the peer waits for a missing packet (a NACK
// retransmission) before it gives the frame up and asks for a keyframe.
const reorderDelay = 500 * time.Millisecond

// videoReceiver assembles and decodes the composed video the server sends
// and keeps the latest picture.
type videoReceiver struct {
	p *Peer

	mu      sync.Mutex
	mime    string       // the codec the server sends
	trackID string       // "stream/track" of the composed video
	pic     *image.YCbCr // copy of the latest decoded picture
	frames  uint64       // of times
	times   [64]time.Time
	errors  uint64
	lastErr error
}

func newVideoReceiver(p *Peer) *videoReceiver { return &videoReceiver{p: p} }

// setTrack notes the codec and id of a video track the server added.
func (v *videoReceiver) setTrack(t *webrtc.TrackRemote) {
	v.mu.Lock()
	v.mime = t.Codec().MimeType
	v.trackID = t.StreamID() + "/" + t.ID()
	v.mu.Unlock()
}

func (v *videoReceiver) run(t *webrtc.TrackRemote) {
	if v.p.opts.NoDecode {
		v.count(t)
		return
	}
	if v.p.opts.Pictures != nil {
		v.decodeApart(t)
		return
	}
	dec, fc, err := newDecoder(t)
	if err != nil {
		v.p.log.Error("new video decoder", "err", err)
		return
	}
	defer dec.Close()
	// Wait for NACK retransmissions as a browser's jitter buffer does, rather
	// than giving a frame up after the default 80 ms (a weak link's RTT is
	// several hundred ms); ask for a keyframe with every packet while one is
	// needed.
	v.assemble(t, fc, reorderDelay, 0, func(f framing.Frame) bool {
		pic, err := dec.Decode(f.Data)
		if err != nil {
			v.p.recv.DecodeErrors.Add(1)
			v.noteError(err)
			return false
		}
		if pic != nil {
			v.store(pic)
		}
		return false
	})
}

// newDecoder is a decoder for the codec of t, and its RTP framing.
func newDecoder(t *webrtc.TrackRemote) (*codec.VideoDecoder, framing.Codec, error) {
	kind, fc := codec.KindVP8, framing.VP8
	if strings.EqualFold(t.Codec().MimeType, webrtc.MimeTypeH264) {
		kind, fc = codec.KindH264, framing.H264
	}
	dec, err := codec.NewVideoDecoder(kind)
	return dec, fc, err
}

// assemble reads t until it ends, counts what arrives and passes every
// assembled frame to frame, which reports whether a keyframe is needed (it
// dropped one). While the assembler or frame needs a keyframe, the peer asks
// for one with a PLI, at most every pliEvery. reorder is how long the
// assembler waits for a missing packet (0: its default).
func (v *videoReceiver) assemble(t *webrtc.TrackRemote, fc framing.Codec, reorder, pliEvery time.Duration, frame func(framing.Frame) (needKey bool)) {
	st := &v.p.recv
	asm := framing.NewAssembler(fc, time.Now)
	if reorder > 0 {
		asm.SetReorderDelay(reorder)
	}
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
		st.VideoBytes.Add(uint64(n))
		st.VideoPackets.Add(1)
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		st.VideoLost.Add(seq.next(pkt.SequenceNumber))
		if err := asm.Push(&pkt); err != nil {
			st.DecodeErrors.Add(1)
			v.noteError(err)
		}
		needKey := false
		for {
			f, ok := asm.Pop()
			if !ok {
				break
			}
			if frame(f) {
				needKey = true
			}
		}
		if asm.NeedKeyframe() || needKey {
			if now := time.Now(); now.Sub(lastPLI) >= pliEvery {
				lastPLI = now
				_ = v.p.pc.WriteRTCP(pli)
			}
		}
	}
}

// count is the receive loop of a NoDecode peer: bytes, packets, losses and
// frames (marker bits) from the RTP header's bytes, no decoding, no
// unmarshalling: a receive-only attendee at the lowest cost.
func (v *videoReceiver) count(t *webrtc.TrackRemote) {
	st := &v.p.recv
	buf := make([]byte, 1600)
	var seq seqGaps
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		st.VideoBytes.Add(uint64(n))
		st.VideoPackets.Add(1)
		if n >= 4 {
			st.VideoLost.Add(seq.next(binary.BigEndian.Uint16(buf[2:4])))
		}
		if n >= 2 && buf[1]&0x80 != 0 {
			v.frameDone()
		}
	}
}

// frameDone counts a frame received (decoded, or complete for a NoDecode peer).
func (v *videoReceiver) frameDone() {
	now := time.Now()
	if v.p.recv.Frames.Add(1) == 1 {
		v.p.recv.FirstFrame.Store(now.UnixNano())
	}
	v.mu.Lock()
	v.times[v.frames%uint64(len(v.times))] = now
	v.frames++
	v.mu.Unlock()
}

// VideoTrack is the stream and track id of the composed video this peer
// receives ("nahbar-<view>/video-<tier>"), "" before it arrived: receivers
// with the same one share an encoder on the server.
func (p *Peer) VideoTrack() string { id, _ := p.videoTrack(); return id }

// VideoCodec is the MIME type of the video the server sends ("" before it arrived).
func (p *Peer) VideoCodec() string { _, mime := p.videoTrack(); return mime }

func (p *Peer) videoTrack() (id, mime string) {
	if p.video == nil {
		return "", ""
	}
	p.video.mu.Lock()
	defer p.video.mu.Unlock()
	return p.video.trackID, p.video.mime
}

// BytesReceived is how many RTP bytes (video and audio, headers included)
// the peer received.
func (p *Peer) BytesReceived() uint64 {
	return p.recv.VideoBytes.Load() + p.recv.AudioBytes.Load()
}

// Stats are the peer's receive counters, safe to read at any time.
func (p *Peer) Stats() *ReceiveStats { return &p.recv }

func (v *videoReceiver) noteError(err error) {
	v.mu.Lock()
	v.errors++
	v.lastErr = err
	v.mu.Unlock()
}

func (v *videoReceiver) store(pic *image.YCbCr) {
	v.mu.Lock()
	if v.pic == nil || v.pic.Rect != pic.Rect {
		v.pic = image.NewYCbCr(pic.Rect, image.YCbCrSubsampleRatio420)
	}
	copyPicture(v.pic, pic)
	v.mu.Unlock()
	v.frameDone()
}

func copyPicture(dst, src *image.YCbCr) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[y*src.YStride:])
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := 0; y < ch; y++ {
		copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], src.Cb[y*src.CStride:])
		copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], src.Cr[y*src.CStride:])
	}
}

// Picture returns a copy of the latest composed picture the peer decoded,
// or nil before the first.
func (p *Peer) Picture() *image.YCbCr {
	v := p.video
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.pic == nil {
		return nil
	}
	c := image.NewYCbCr(v.pic.Rect, image.YCbCrSubsampleRatio420)
	copyPicture(c, v.pic)
	return c
}

// FramesReceived is how many composed pictures the peer decoded (complete
// frames, for a NoDecode peer).
func (p *Peer) FramesReceived() uint64 { return p.recv.Frames.Load() }

// FirstFrameAt is when the first composed picture was decoded (zero before).
func (p *Peer) FirstFrameAt() time.Time {
	if ns := p.recv.FirstFrame.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// FPS is the decoded frame rate over the last two seconds.
func (p *Peer) FPS() float64 {
	v := p.video
	if v == nil {
		return 0
	}
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, t := range v.times {
		if !t.IsZero() && now.Sub(t) <= fpsWindow {
			n++
		}
	}
	return float64(n) / fpsWindow.Seconds()
}

// VideoErrors is how many received packets or frames failed to assemble or
// decode, and the last such error.
func (p *Peer) VideoErrors() (uint64, error) {
	if p.video == nil {
		return 0, nil
	}
	p.video.mu.Lock()
	defer p.video.mu.Unlock()
	return p.video.errors, p.video.lastErr
}

// audioRing is how much received audio the peer keeps.
const audioRing = 2 * sampleRate

// audioReceiver decodes the mixed audio into a ring of PCM.
type audioReceiver struct {
	p     *Peer
	mu    sync.Mutex
	ring  []int16
	total uint64
}

func newAudioReceiver(p *Peer) *audioReceiver {
	return &audioReceiver{ring: make([]int16, audioRing), p: p}
}

func (a *audioReceiver) run(t *webrtc.TrackRemote) {
	st := &a.p.recv
	if a.p.opts.NoDecode || a.p.opts.Pictures != nil {
		buf := make([]byte, 1600)
		for {
			n, _, err := t.Read(buf)
			if err != nil {
				return
			}
			st.AudioBytes.Add(uint64(n))
			st.AudioPackets.Add(1)
		}
	}
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return
	}
	defer dec.Close()
	buf := make([]byte, 1600)
	pcm := make([]int16, codec.MaxFrameSamples)
	var pkt rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		st.AudioBytes.Add(uint64(n))
		st.AudioPackets.Add(1)
		if pkt.Unmarshal(buf[:n]) != nil || len(pkt.Payload) == 0 {
			continue
		}
		n, err = dec.Decode(pkt.Payload, pcm)
		if err != nil {
			continue
		}
		a.mu.Lock()
		for _, s := range pcm[:n] {
			a.ring[a.total%audioRing] = s
			a.total++
		}
		a.mu.Unlock()
	}
}

// Audio returns the last n samples (48 kHz mono) of the received mix, fewer
// if fewer arrived so far.
func (p *Peer) Audio(n int) []int16 {
	a := p.audio
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	n = min(n, audioRing, int(a.total))
	out := make([]int16, n)
	start := a.total - uint64(n)
	for i := range out {
		out[i] = a.ring[(start+uint64(i))%audioRing]
	}
	return out
}

// AudioSamples is how many samples of the mix arrived so far.
func (p *Peer) AudioSamples() uint64 {
	if p.audio == nil {
		return 0
	}
	p.audio.mu.Lock()
	defer p.audio.mu.Unlock()
	return p.audio.total
}
