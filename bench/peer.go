package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/pion/webrtc/v4"
)

// PeerConfig configures one synthetic participant.
type PeerConfig struct {
	URL   string // the signalling WebSocket, ws://host/ws
	Token string
	API   *webrtc.API
	// Publisher sends camera and microphone; nil joins receive-only.
	Publisher *Publisher
	// Analyser, when set, makes the peer decode the composed video and hand
	// every picture to it; without one the peer only counts packets and frames
	// (as cheap as a receiver can be, so hundreds fit on one machine).
	Analyser *Analyser
	Clock    Clock
	Logger   *slog.Logger
}

// Peer is one participant: a signalling socket, a PeerConnection and what it
// receives. Its read loop owns the negotiation; counters are atomics.
type Peer struct {
	cfg  PeerConfig
	log  *slog.Logger
	conn *websocket.Conn
	pc   *webrtc.PeerConnection
	id   string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	goMu   sync.Mutex
	closed bool
	once   sync.Once

	connected chan struct{}
	connOnce  sync.Once
	pendMu    sync.Mutex
	pending   []webrtc.ICECandidateInit

	layout   atomic.Pointer[testpeer.Layout]
	outTrack atomic.Pointer[string] // "stream/track" of the composed video received
	bye      atomic.Pointer[string]
	errCount atomic.Int64
	lastErr  atomic.Pointer[string]

	Recv ReceiveStats
}

// ReceiveStats counts what a peer received. Frames are decoded pictures for a
// decoding peer and complete frames (RTP marker bits) for a counting one.
type ReceiveStats struct {
	VideoBytes    atomic.Uint64
	VideoPackets  atomic.Uint64
	VideoLost     atomic.Uint64 // sequence numbers skipped
	Frames        atomic.Uint64
	AudioBytes    atomic.Uint64
	AudioPackets  atomic.Uint64
	DecodeErrors  atomic.Uint64
	DroppedFrames atomic.Uint64 // assembled but not decoded: the decoder fell behind
	FirstFrame    atomic.Int64  // Unix ns of the first frame, 0 before
}

// Dial joins with cfg.Token and starts negotiating: it returns once the
// server has said joined (or refused), media follows (WaitConnected).
func Dial(ctx context.Context, cfg PeerConfig) (*Peer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock.Now == nil {
		cfg.Clock = WallClock()
	}
	conn, _, err := websocket.Dial(ctx, cfg.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", cfg.URL, err)
	}
	conn.SetReadLimit(1 << 20)
	pctx, cancel := context.WithCancel(context.Background())
	p := &Peer{cfg: cfg, log: cfg.Logger, conn: conn, ctx: pctx, cancel: cancel, connected: make(chan struct{})}
	if err := p.send(testpeer.Message{Type: "join", V: 1, Token: cfg.Token, Client: &testpeer.ClientInfo{Agent: "nahbar-bench", Version: "1"}}); err != nil {
		p.abort()
		return nil, err
	}
	for {
		m, err := p.read(ctx)
		if err != nil {
			p.abort()
			return nil, fmt.Errorf("wait for joined: %w", err)
		}
		if m.Type == "error" {
			p.abort()
			return nil, testpeer.ErrorMessage{Code: m.Code, Message: m.Message}
		}
		if m.Type == "joined" {
			p.id = m.ParticipantID
			break
		}
	}
	p.log = p.log.With("participant", p.id)
	if err := p.startPeerConnection(); err != nil {
		p.abort()
		return nil, err
	}
	p.spawn(p.readLoop)
	if err := p.offer(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// ID is the participant id the server assigned.
func (p *Peer) ID() string { return p.id }

// Layout returns the last layout message, if any.
func (p *Peer) Layout() (testpeer.Layout, bool) {
	l := p.layout.Load()
	if l == nil {
		return testpeer.Layout{}, false
	}
	return *l, true
}

// OutputTrack is the stream and track id of the composed video this peer
// receives ("nahbar-<view>/video-<tier>"), "" before it arrived: receivers
// with the same one share an encoder on the server.
func (p *Peer) OutputTrack() string {
	if s := p.outTrack.Load(); s != nil {
		return *s
	}
	return ""
}

// Errors is how many error messages the server sent, and the last.
func (p *Peer) Errors() (int64, string) {
	last := ""
	if s := p.lastErr.Load(); s != nil {
		last = *s
	}
	return p.errCount.Load(), last
}

// WaitConnected waits until ICE and DTLS are up.
func (p *Peer) WaitConnected(ctx context.Context) error {
	select {
	case <-p.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("participant %s: wait for connection: %w", p.id, ctx.Err())
	}
}

// WaitFirstFrame waits until the first composed frame arrived (decoded, for
// a decoding peer) and returns when.
func (p *Peer) WaitFirstFrame(ctx context.Context) (time.Time, error) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if ns := p.Recv.FirstFrame.Load(); ns != 0 {
			return time.Unix(0, ns), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("participant %s: wait for the first frame: %w", p.id, ctx.Err())
		case <-t.C:
		}
	}
}

func (p *Peer) startPeerConnection() error {
	pc, err := p.cfg.API.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("new peer connection: %w", err)
	}
	p.pc = pc
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
		if err := p.send(testpeer.Message{Type: "candidate", Candidate: raw}); err != nil {
			p.log.Debug("send candidate", "err", err)
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s != webrtc.PeerConnectionStateConnected {
			return
		}
		p.connOnce.Do(func() {
			close(p.connected)
			if pub := p.cfg.Publisher; pub != nil {
				p.spawn(func() { pub.runVideo(p.ctx) })
				p.spawn(func() { pub.runAudio(p.ctx) })
			}
		})
	})
	pub := p.cfg.Publisher
	if pub == nil {
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return fmt.Errorf("add recvonly %s transceiver: %w", k, err)
			}
		}
		return nil
	}
	vs, err := pc.AddTrack(pub.video)
	if err != nil {
		return fmt.Errorf("add camera track: %w", err)
	}
	as, err := pc.AddTrack(pub.sound)
	if err != nil {
		return fmt.Errorf("add microphone track: %w", err)
	}
	p.spawn(func() { pub.readRTCP(vs) })
	p.spawn(func() { drainRTCP(as) })
	return nil
}

func (p *Peer) offer() error {
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(o); err != nil {
		return fmt.Errorf("set offer: %w", err)
	}
	return p.send(testpeer.Message{Type: "offer", SDP: o.SDP})
}

func (p *Peer) send(m testpeer.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.Type, err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("send %s: %w", m.Type, err)
	}
	return nil
}

func (p *Peer) read(ctx context.Context) (testpeer.Message, error) {
	for {
		typ, b, err := p.conn.Read(ctx)
		if err != nil {
			return testpeer.Message{}, err
		}
		if typ != websocket.MessageText {
			continue
		}
		var m testpeer.Message
		if err := json.Unmarshal(b, &m); err != nil {
			return testpeer.Message{}, fmt.Errorf("decode server message: %w", err)
		}
		return m, nil
	}
}

// readLoop handles the server's messages until the socket closes.
func (p *Peer) readLoop() {
	for {
		m, err := p.read(p.ctx)
		if err != nil {
			return
		}
		if err := p.handle(m); err != nil {
			p.log.Warn("handle server message", "type", m.Type, "err", err)
		}
	}
}

// candidate is the browser's RTCIceCandidateInit as the server sends it.
type candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

func (p *Peer) handle(m testpeer.Message) error {
	switch m.Type {
	case "answer":
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
			return fmt.Errorf("set answer: %w", err)
		}
		return p.flushCandidates()
	case "offer":
		// The server yields on glare and offers again: ignore its offer
		// while ours is outstanding (docs/signalling.md).
		if p.pc.SignalingState() != webrtc.SignalingStateStable {
			return nil
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
			return fmt.Errorf("set server offer: %w", err)
		}
		a, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("create answer: %w", err)
		}
		if err := p.pc.SetLocalDescription(a); err != nil {
			return fmt.Errorf("set answer: %w", err)
		}
		if err := p.send(testpeer.Message{Type: "answer", SDP: a.SDP}); err != nil {
			return err
		}
		return p.flushCandidates()
	case "candidate":
		var c *candidate
		if err := json.Unmarshal(m.Candidate, &c); err != nil {
			return fmt.Errorf("decode candidate: %w", err)
		}
		init := webrtc.ICECandidateInit{}
		if c != nil {
			init = webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
		}
		if p.pc.RemoteDescription() == nil {
			p.pendMu.Lock()
			p.pending = append(p.pending, init)
			p.pendMu.Unlock()
			return nil
		}
		return p.pc.AddICECandidate(init)
	case "layout":
		l := testpeer.Layout{View: m.View, Width: m.Width, Height: m.Height, Cells: m.Cells}
		p.layout.Store(&l)
	case "error":
		p.errCount.Add(1)
		s := m.Code + ": " + m.Message
		p.lastErr.Store(&s)
		p.log.Warn("server error", "code", m.Code, "message", m.Message)
	case "bye":
		r := m.Reason
		p.bye.Store(&r)
	}
	return nil
}

func (p *Peer) flushCandidates() error {
	p.pendMu.Lock()
	pending := p.pending
	p.pending = nil
	p.pendMu.Unlock()
	var errs []error
	for _, c := range pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *Peer) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	switch t.Kind() {
	case webrtc.RTPCodecTypeVideo:
		s := t.StreamID() + "/" + t.ID()
		p.outTrack.Store(&s)
		if p.cfg.Analyser != nil {
			p.spawn(func() { p.decodeVideo(t) })
		} else {
			p.spawn(func() { p.countVideo(t) })
		}
	case webrtc.RTPCodecTypeAudio:
		p.spawn(func() { p.countAudio(t) })
	}
}

// spawn runs f on a goroutine Close waits for, unless Close has begun (pion
// callbacks can arrive late).
func (p *Peer) spawn(f func()) {
	p.goMu.Lock()
	defer p.goMu.Unlock()
	if p.closed {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}

func (p *Peer) abort() {
	p.cancel()
	_ = p.conn.CloseNow()
}

// Leave says leave (best effort, so the server frees the seat at once) and closes.
func (p *Peer) Leave() {
	_ = p.send(testpeer.Message{Type: "leave"})
	p.Close()
}

// Close drops the peer: media stops, the PeerConnection and the socket close.
func (p *Peer) Close() {
	p.once.Do(func() {
		p.goMu.Lock()
		p.closed = true
		p.goMu.Unlock()
		p.cancel()
		if p.pc != nil {
			_ = p.pc.Close()
		}
		_ = p.conn.CloseNow()
		p.wg.Wait()
	})
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}
