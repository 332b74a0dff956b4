package rooms

import (
	"fmt"
	"io"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
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

// newAPI builds the one webrtc.API a Manager shares across all its
// PeerConnections: codecs, interceptors and the ICE/UDP settings of cfg. The
// returned closer releases the shared UDP socket (nil-safe to call).
func newAPI(cfg Config) (*webrtc.API, io.Closer, error) {
	me := &webrtc.MediaEngine{}
	codecs := []struct {
		params webrtc.RTPCodecParameters
		typ    webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: capVP8, PayloadType: ptVP8}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: capH264, PayloadType: ptH264}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: capOpus, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.params, c.typ); err != nil {
			return nil, nil, fmt.Errorf("register codec %s: %w", c.params.MimeType, err)
		}
	}

	reg := &interceptor.Registry{}
	// NACK generator (for what we receive) and responder (for what we send).
	if err := webrtc.ConfigureNack(me, reg); err != nil {
		return nil, nil, fmt.Errorf("configure nack: %w", err)
	}
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

func settingEngine(cfg Config) (webrtc.SettingEngine, io.Closer, error) {
	se := webrtc.SettingEngine{LoggerFactory: pionLogs{log: cfg.Logger}}
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
		mux := webrtc.NewICEUDPMux(pionLogs{log: cfg.Logger}.NewLogger("udpmux"), conn)
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
