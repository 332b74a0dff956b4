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

// onTrack starts the read loop of a track the client sends. Only publishers
// (by role, or promoted) feed the mixer; an attendee's stray tracks are not
// read. A video track is the camera, or the screen if the client announced
// its transceiver (screen{mid}) or already sends a camera.
func (p *Participant) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	if !p.publishing.Load() {
		p.log.Info("ignoring media from a receive-only participant", "kind", track.Kind().String())
		return
	}
	mime := strings.ToLower(track.Codec().MimeType)
	switch mime {
	case strings.ToLower(webrtc.MimeTypeVP8):
		screen := p.isScreen(recv)
		p.goMedia(func() { p.readVideo(track, codec.KindVP8, framing.VP8, screen) })
	case strings.ToLower(webrtc.MimeTypeH264):
		screen := p.isScreen(recv)
		p.goMedia(func() { p.readVideo(track, codec.KindH264, framing.H264, screen) })
	case strings.ToLower(webrtc.MimeTypeOpus):
		p.goMedia(func() { p.readAudio(track) })
	default:
		p.reportBadMedia(track.Kind().String(), fmt.Errorf("codec %s is not supported", track.Codec().MimeType))
	}
}

// readVideo is the media path of one camera or shared screen: RTP → frames →
// decoded pictures → the mixer. A PLI goes back to the sender whenever the
// assembler needs a keyframe. Pictures of a participant who no longer
// publishes (demoted) or a share that was stopped are dropped.
func (p *Participant) readVideo(track *webrtc.TrackRemote, kind codec.Kind, fc framing.Codec, screen bool) {
	pli := []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}}
	what := "video"
	publish := func(pic *image.YCbCr) error {
		if !p.publishing.Load() {
			return nil
		}
		return p.room.mix.PublishVideo(p.id, pic)
	}
	if screen {
		what = "screen"
		p.screen.Store(true)
		defer p.endScreen()
		publish = func(pic *image.YCbCr) error {
			if !p.publishing.Load() || !p.screen.Load() {
				return nil
			}
			return p.room.mix.PublishScreen(p.id, pic)
		}
	} else {
		p.camera.Store(true)
		defer p.camera.Store(false)
	}
	in, err := newVideoIn(kind, fc, p.m.cfg.Now, videoSink{
		publish: publish,
		bad:     func(err error) { p.reportBadMedia(what, err) },
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
			p.endOfTrack(what, err)
			return
		}
		p.upBytes.Add(uint64(n + packetOverheadBytes - 12))
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
		p.upBytes.Add(uint64(n + packetOverheadBytes - 12))
		in.handle(buf[:n])
	}
}

func (p *Participant) pushAudio(pcm []int16) {
	if p.audioMuted.Load() || !p.publishing.Load() || len(pcm) == 0 {
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
