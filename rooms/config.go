package rooms

import (
	"log/slog"
	"time"
)

// Config configures a Manager. The zero value works for a single host: one
// ephemeral UDP port per peer, the host's own addresses, 15 fps.
type Config struct {
	PublicIPs              []string // NAT 1:1 addresses announced in ICE candidates (empty: the host's own)
	UDPPort                int      // >0: one UDP port for all peers (ICE UDP mux); 0: ephemeral range below
	UDPPortMin, UDPPortMax uint16   // ephemeral range when UDPPort is 0; both 0: the OS chooses
	IncludeLoopback        bool     // tests on 127.0.0.1 (pion offers no loopback candidate otherwise)
	FPS                    int      // mixer video clock; default 15
	Logger                 *slog.Logger

	// OriginPatterns are the WebSocket origins (host patterns as in
	// websocket.AcceptOptions) accepted besides the request's own host.
	// Empty: only same-host pages may open the signalling socket.
	OriginPatterns []string
	// JoinTimeout bounds how long a fresh socket may take to send join; default 10 s.
	JoinTimeout time.Duration
	// PingInterval is how often the server pings the socket to keep proxies
	// from closing it and to notice dead clients; default 15 s.
	PingInterval time.Duration
	// ICEGrace is how long a participant whose ICE connection failed (or
	// stayed disconnected) may take to recover before it is removed; default 10 s.
	ICEGrace time.Duration
	// BadMediaInterval rate-limits bad_media errors and logs per participant
	// and track; default 5 s.
	BadMediaInterval time.Duration
	// Now is the clock for rate limits, tier choice and call summaries; default time.Now.
	Now func() time.Time
	// OnCallEnd, if set, receives each room's summary when the room closes
	// (its last participant left, or Close). It runs on the goroutine of the
	// last leaver: keep it short or hand the summary off. A room that only ever
	// had selftest participants (a device check's test call) is not reported.
	OnCallEnd func(CallSummary)
	// OnJoined, if set, receives once per participant the time from its
	// join to the first composed video frame (audio packet if it receives
	// audio only) sent to it. It runs on the room loop: keep it short.
	OnJoined func(time.Duration)
}

func (c Config) withDefaults() Config {
	if c.FPS <= 0 {
		c.FPS = 15
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.JoinTimeout <= 0 {
		c.JoinTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 15 * time.Second
	}
	if c.ICEGrace <= 0 {
		c.ICEGrace = 10 * time.Second
	}
	if c.BadMediaInterval <= 0 {
		c.BadMediaInterval = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
