package testpeer

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/nahbar/nahbar/internal/pionlog"
)

// h264Fmtp is the H.264 the peer offers and sends: constrained baseline,
// packetization mode 1, as browsers do.
const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// newAPI builds a browser-like pion API for one peer, on a network a test can
// cut (CutNetwork) and shape (Options.Shaped).
func newAPI(log *slog.Logger, cut *atomic.Bool, link *downlink, h264Only bool) (*webrtc.API, error) {
	n, err := newCuttableNet(cut, link)
	if err != nil {
		return nil, err
	}
	return browserAPI(log, h264Only, func(se *webrtc.SettingEngine) { se.SetNet(n) })
}

// NewSharedAPI builds one browser-like pion API for many peers to share
// (Options.API): the load generator's hundreds of attendees use one instead
// of building one each. Its host candidates are on the loopback interface
// only, so every packet stays on 127.0.0.1; peers on it cannot be cut from
// the network or shaped.
func NewSharedAPI(log *slog.Logger) (*webrtc.API, error) {
	return browserAPI(log, false, func(se *webrtc.SettingEngine) {
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	})
}

// browserAPI is what a browser offers: VP8 (unless h264Only), H.264
// constrained baseline and Opus; NACK, RTCP reports and TWCC; host UDP4
// candidates including loopback (tests run on 127.0.0.1). settings adds to
// the SettingEngine.
func browserAPI(log *slog.Logger, h264Only bool, settings func(*webrtc.SettingEngine)) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	codecs := []struct {
		c webrtc.RTPCodecParameters
		t webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: h264Fmtp}, PayloadType: 102}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}, webrtc.RTPCodecTypeAudio},
	}
	for _, c := range codecs {
		if h264Only && c.c.MimeType == webrtc.MimeTypeVP8 {
			continue
		}
		if err := me.RegisterCodec(c.c, c.t); err != nil {
			return nil, fmt.Errorf("register %s: %w", c.c.MimeType, err)
		}
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(me, reg, webrtc.WithInterceptorLoggerFactory(pionlog.New(log))); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.New(log)}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings(&se)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// startPeerConnection creates the PeerConnection with a camera and microphone
// track (sendrecv) for a publisher, or recvonly transceivers for an attendee.
func (p *Peer) startPeerConnection() error {
	api := p.opts.API
	if api == nil {
		if p.opts.Shaped {
			p.link = newDownlink()
		}
		var err error
		if api, err = newAPI(p.log, &p.netCut, p.link, p.opts.H264Only); err != nil {
			return err
		}
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("new peer connection: %w", err)
	}
	p.pc = pc
	p.video = newVideoReceiver(p)
	p.audio = newAudioReceiver(p)
	pc.OnTrack(p.onTrack)
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		raw := json.RawMessage("null")
		if c != nil {
			b, err := json.Marshal(c.ToJSON())
			if err != nil {
				return
			}
			raw = b
		}
		if err := p.send(Message{Type: "candidate", Candidate: raw}); err != nil {
			p.log.Debug("send candidate", "err", err)
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected && p.connected.CompareAndSwap(false, true) {
			p.startMedia()
		}
		p.mu.Lock()
		p.notifyLocked()
		p.mu.Unlock()
	})

	if !p.opts.Publish {
		kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio}
		if p.opts.AudioOnly {
			kinds = kinds[1:]
		}
		for _, k := range kinds {
			if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return fmt.Errorf("add recvonly %s transceiver: %w", k, err)
			}
		}
		return nil
	}
	if m := p.opts.Media; m != nil {
		video, audio := m.Tracks()
		vs, err := pc.AddTrack(video)
		if err != nil {
			return fmt.Errorf("add camera track: %w", err)
		}
		as, err := pc.AddTrack(audio)
		if err != nil {
			return fmt.Errorf("add microphone track: %w", err)
		}
		p.spawn(func() { readKeyframeRequests(vs, m.RequestKeyframe) })
		p.spawn(func() { drainRTCP(as) })
		return nil
	}
	cam, err := newCamera(p.opts)
	if err != nil {
		return err
	}
	p.cam = cam
	mic, err := newMicrophone(p.opts)
	if err != nil {
		return err
	}
	p.mic = mic
	vs, err := pc.AddTrack(cam.track)
	if err != nil {
		return fmt.Errorf("add camera track: %w", err)
	}
	as, err := pc.AddTrack(mic.track)
	if err != nil {
		return fmt.Errorf("add microphone track: %w", err)
	}
	p.spawn(func() { readKeyframeRequests(vs, cam.requestKeyframe) })
	p.spawn(func() { drainRTCP(as) })
	return nil
}

// sendOffer makes the client's offer (the first, or a renegotiation).
func (p *Peer) sendOffer() error {
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("set offer: %w", err)
	}
	return p.send(Message{Type: "offer", SDP: offer.SDP})
}

// Renegotiate sends a new offer (with an ICE restart when iceRestart is set).
func (p *Peer) Renegotiate(iceRestart bool) error {
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("set offer: %w", err)
	}
	return p.send(Message{Type: "offer", SDP: offer.SDP})
}

// startMedia runs the camera and microphone once the connection is up.
func (p *Peer) startMedia() {
	if m := p.opts.Media; m != nil {
		p.spawn(func() { m.RunVideo(p.ctx) })
		p.spawn(func() { m.RunAudio(p.ctx) })
		return
	}
	p.goMu.Lock()
	cam, mic := p.cam, p.mic
	p.goMu.Unlock()
	if cam == nil {
		return
	}
	p.spawn(func() { cam.run(p.ctx) })
	p.spawn(func() { mic.run(p.ctx) })
}

func (p *Peer) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	// Read the receiver's RTCP as a browser does, so the interceptors see the
	// server's sender reports (receiver reports then carry LSR/DLSR, from
	// which the server measures the round-trip time).
	if !p.opts.IgnoreSenderReports {
		p.spawn(func() { drainReceiverRTCP(r) })
	}
	switch t.Kind() {
	case webrtc.RTPCodecTypeVideo:
		p.video.setTrack(t)
		p.spawn(func() { p.video.run(t) })
	case webrtc.RTPCodecTypeAudio:
		p.spawn(func() { p.audio.run(t) })
	}
}

func drainReceiverRTCP(r *webrtc.RTPReceiver) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := r.Read(buf); err != nil {
			return
		}
	}
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

// spawn runs f on a goroutine Close waits for, unless Close has begun (pion
// callbacks can arrive late).
func (p *Peer) spawn(f func()) {
	p.goMu.Lock()
	defer p.goMu.Unlock()
	if p.stopped {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}
