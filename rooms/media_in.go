package rooms

import (
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/nahbar/nahbar/codec"
	"github.com/nahbar/nahbar/codec/framing"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// maxRTPPacket is the read buffer of a track: pion's receive MTU is 1460, a
// little slack covers jumbo senders (longer packets are cut and fail to parse).
const maxRTPPacket = 1600

// onTrack starts the read loop of a track the client sends. Only publishing
// roles feed the mixer; an attendee's stray tracks are not read.
func (p *Participant) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if !p.role.Publishes() {
		p.log.Info("ignoring media from a receive-only participant", "kind", track.Kind().String())
		return
	}
	mime := strings.ToLower(track.Codec().MimeType)
	switch mime {
	case strings.ToLower(webrtc.MimeTypeVP8):
		p.goMedia(func() { p.readVideo(track, codec.KindVP8, framing.VP8) })
	case strings.ToLower(webrtc.MimeTypeH264):
		p.goMedia(func() { p.readVideo(track, codec.KindH264, framing.H264) })
	case strings.ToLower(webrtc.MimeTypeOpus):
		p.goMedia(func() { p.readAudio(track) })
	default:
		p.reportBadMedia(track.Kind().String(), fmt.Errorf("codec %s is not supported", track.Codec().MimeType))
	}
}

// readVideo is the media path of one camera: RTP → frames → decoded pictures
// → the mixer. A PLI goes back to the sender whenever the assembler needs a
// keyframe.
func (p *Participant) readVideo(track *webrtc.TrackRemote, kind codec.Kind, fc framing.Codec) {
	pli := []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}}
	in, err := newVideoIn(kind, fc, p.m.cfg.Now, videoSink{
		publish: func(pic *image.YCbCr) error { return p.room.mix.PublishVideo(p.id, pic) },
		bad:     func(err error) { p.reportBadMedia("video", err) },
		keyframe: func() {
			if err := p.pc.WriteRTCP(pli); err != nil {
				p.log.Debug("send pli", "err", err)
			}
		},
	})
	if err != nil {
		p.log.Error("new video decoder", "codec", kind.String(), "err", err)
		return
	}
	defer in.close()
	buf := make([]byte, maxRTPPacket)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			p.endOfTrack("video", err)
			return
		}
		in.handle(buf[:n])
	}
}

// readAudio is the media path of one microphone: RTP → Opus decode (lost
// packets concealed) → the mixer. A muted microphone is still read, so the
// interceptors keep working, but not mixed.
func (p *Participant) readAudio(track *webrtc.TrackRemote) {
	in, err := newAudioIn(audioSink{
		push: p.pushAudio,
		bad:  func(err error) { p.reportBadMedia("audio", err) },
	})
	if err != nil {
		p.log.Error("new opus decoder", "err", err)
		return
	}
	defer in.close()
	buf := make([]byte, maxRTPPacket)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			p.endOfTrack("audio", err)
			return
		}
		in.handle(buf[:n])
	}
}

func (p *Participant) pushAudio(pcm []int16) {
	if p.audioMuted.Load() || len(pcm) == 0 {
		return
	}
	if err := p.room.mix.PushAudio(p.id, pcm); err != nil {
		p.reportBadMedia("audio", err)
	}
}

func (p *Participant) endOfTrack(kind string, err error) {
	if !errors.Is(err, io.EOF) {
		p.log.Debug("track read ended", "kind", kind, "err", err)
	}
}

// reportBadMedia counts an undecodable packet or frame from this participant.
// It logs and tells the sender (error{bad_media}) at most once per
// BadMediaInterval; nobody else's call is affected.
func (p *Participant) reportBadMedia(kind string, err error) {
	n := p.badMediaCount.Add(1)
	ok, suppressed := p.badMedia.allow()
	if !ok {
		return
	}
	p.log.Warn("bad media", "kind", kind, "err", err, "errors", n, "suppressed", suppressed)
	p.sendError(CodeBadMedia, fmt.Sprintf("%s: %v", kind, err))
}
