package rooms

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"

	"github.com/nahbar/nahbar/internal/pionlog"
)

// Payload types the server offers and answers with. Browsers remap theirs on
// answer, so these only matter when the server offers.
const (
	ptVP8  = 96
	ptH264 = 102
	ptOpus = 111
)

// Codec parameters negotiated with every peer.
var (
	videoFeedback = []webrtc.RTCPFeedback{
		{Type: "ccm", Parameter: "fir"},
		// nack, nack pli and transport-cc are added by the interceptor setup.
	}
	capVP8 = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
	}
	capH264 = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFeedback,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}
	capOpus = webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1",
	}
)

// GCC settings: start high (a new receiver gets the best tier until its link
// says otherwise; on a weak link GCC falls within a second or two), never
// below what audio needs, and without a pacer: the tiers bound the rate, and
// pion's leaky-bucket pacer would add a queue and a goroutine per peer.
const (
	gccInitialBitrate = 1_000_000
	gccMinBitrate     = 20_000
	gccMaxBitrate     = 3_000_000
)

// bweHandoff carries the bandwidth estimator pion's cc interceptor creates
// inside NewPeerConnection back to the caller: the factory is shared by all
// PeerConnections, so creations are serialised under mu (they are fast and do
// no I/O).
type bweHandoff struct {
	mu   sync.Mutex
	last cc.BandwidthEstimator
}

// newPeerConnection creates a PeerConnection and returns its GCC estimator.
func (m *Manager) newPeerConnection() (*webrtc.PeerConnection, cc.BandwidthEstimator, error) {
	m.bwe.mu.Lock()
	defer m.bwe.mu.Unlock()
	m.bwe.last = nil
	pc, err := m.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, err
	}
	bwe := m.bwe.last
	m.bwe.last = nil
	return pc, bwe, nil
}

// newAPI builds the one webrtc.API a Manager shares across all its
// PeerConnections: codecs, interceptors and the ICE/UDP settings of cfg. The
// returned closer releases the shared UDP socket (nil-safe to call).
func newAPI(cfg Config, handoff *bweHandoff) (*webrtc.API, io.Closer, error) {
	me := &webrtc.MediaEngine{}
	codecs := []struct {
		params webrtc.RTPCodecParameters
		typ    webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: capVP8, PayloadType: ptVP8}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: capH264, PayloadType: ptH264}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: capOpus, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: capRED, PayloadType: redPT}, webrtc.RTPCodecTypeAudio},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.params, c.typ); err != nil {
			return nil, nil, fmt.Errorf("register codec %s: %w", c.params.MimeType, err)
		}
	}

	reg := &interceptor.Registry{}
	// Congestion control: one GCC estimator per PeerConnection, fed by the
	// receiver's transport-wide CC feedback.
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(gccInitialBitrate),
			gcc.SendSideBWEMinBitrate(gccMinBitrate),
			gcc.SendSideBWEMaxBitrate(gccMaxBitrate),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
			gcc.WithLoggerFactory(pionlog.Factory{Log: cfg.Logger, WarnLevel: slog.LevelInfo}),
		)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("configure congestion control: %w", err)
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		if handoff != nil {
			handoff.last = e // under handoff.mu, held by newPeerConnection
		}
	})
	reg.Add(ccf)
	// NACK generator for what we receive. What we send is repaired by the
	// downTracks themselves (resend.go), not by pion's responder.
	//
	// The generator is wrapped so that its 10 Hz loop starts only on a
	// PeerConnection that receives media: a receive-only attendee has nothing
	// to NACK, and 300 idle tickers are 3000 wakeups a second.
	generator, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, nil, fmt.Errorf("configure nack generator: %w", err)
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	reg.Add(lazyFactory{generator})
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, nil, fmt.Errorf("configure rtcp reports: %w", err)
	}
	// Sequence numbers on what we send, so receivers' TWCC feedback can drive
	// per-receiver bandwidth estimation (tiers), and TWCC feedback for what we receive.
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, reg); err != nil {
		return nil, nil, fmt.Errorf("configure twcc header extension: %w", err)
	}
	if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
		return nil, nil, fmt.Errorf("configure twcc sender: %w", err)
	}

	se, closer, err := settingEngine(cfg)
	if err != nil {
		return nil, nil, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	return api, closer, nil
}

// lazyFactory makes interceptors whose RTCP writer is bound only when the
// PeerConnection gets its first remote stream (see lazyReceiver).
type lazyFactory struct{ inner interceptor.Factory }

func (f lazyFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := f.inner.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	return &lazyReceiver{Interceptor: i}, nil
}

// lazyReceiver defers an interceptor's BindRTCPWriter, where pion's NACK
// generator starts its ticker goroutine, to the first BindRemoteStream. The
// wrapped interceptor must return the writer it is given unchanged (the
// generator does: it only keeps it to send NACKs).
type lazyReceiver struct {
	interceptor.Interceptor
	mu     sync.Mutex
	writer interceptor.RTCPWriter
	bound  bool
}

func (l *lazyReceiver) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writer = w
	return w
}

func (l *lazyReceiver) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	l.mu.Lock()
	if !l.bound && l.writer != nil {
		l.bound = true
		l.Interceptor.BindRTCPWriter(l.writer)
	}
	l.mu.Unlock()
	return l.Interceptor.BindRemoteStream(info, r)
}

func settingEngine(cfg Config) (webrtc.SettingEngine, io.Closer, error) {
	se := webrtc.SettingEngine{LoggerFactory: pionlog.Factory{Log: cfg.Logger, WarnLevel: slog.LevelInfo}}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if len(cfg.PublicIPs) > 0 {
		for _, ip := range cfg.PublicIPs {
			if net.ParseIP(ip) == nil {
				return se, nil, fmt.Errorf("public ip %q is not an IP address", ip)
			}
		}
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		})
		if err != nil {
			return se, nil, fmt.Errorf("set public ips %v: %w", cfg.PublicIPs, err)
		}
	}
	if cfg.UDPPort > 0 {
		if cfg.UDPPort > 65535 {
			return se, nil, fmt.Errorf("udp port %d out of range", cfg.UDPPort)
		}
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{Port: cfg.UDPPort})
		if err != nil {
			return se, nil, fmt.Errorf("listen on udp port %d for ice: %w", cfg.UDPPort, err)
		}
		mux := webrtc.NewICEUDPMux(pionlog.Factory{Log: cfg.Logger, WarnLevel: slog.LevelInfo}.NewLogger("udpmux"), conn)
		se.SetICEUDPMux(mux)
		return se, mux, nil
	}
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return se, nil, fmt.Errorf("set udp port range %d-%d: %w", cfg.UDPPortMin, cfg.UDPPortMax, err)
		}
	}
	return se, nil, nil
}
