package testpeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

// Options configure a Peer.
type Options struct {
	URL   string // the signalling WebSocket, e.g. ws://127.0.0.1:1234/ws
	Token string

	// Publish sends a camera and a microphone; false offers receive-only media.
	Publish bool
	// Colour is the camera's solid colour (default mid grey).
	Colour color.RGBA
	// ToneHz is the microphone's sine frequency (default 440 Hz); 0 with
	// Silent sends silence.
	ToneHz float64
	Silent bool
	// ToneAmplitude is the tone's peak relative to full scale (default 0.25).
	// Several loud tones drive the mixer's limiter, whose intermodulation
	// lands on other tones' frequencies; tests of who hears whom use ~0.1.
	ToneAmplitude float64
	// Camera size and rate; default 320x240 at 15 fps.
	Width, Height, FPS int
	// Bad starts the camera in a bad-input mode (see SetBadMedia).
	Bad BadMode

	// AudioOnly makes a receive-only peer offer only audio, so the server
	// must add video with an offer of its own (server-side renegotiation).
	AudioOnly bool
	// GlareOnce answers the first server offer with a new client offer
	// instead of an answer, as if the two offers had crossed.
	GlareOnce bool
	// H264Only offers H.264 and no VP8 for video (as Safari on iOS may), and
	// makes a publishing peer's camera send H.264.
	H264Only bool
	// NoDecode makes the peer count what it receives without decoding it:
	// light receive-only peers for load tests (Picture and Audio stay empty).
	NoDecode bool
	// Shaped puts the peer's downlink behind a shaper that SetDownlink
	// controls (rate, queue, loss); unlimited until then.
	Shaped bool
	// Noise makes the camera film changing noise instead of a solid colour
	// (a small coloured frame stays in the middle), so encoders use their
	// whole bitrate, as with a real camera.
	Noise bool

	// API is a pion API shared by many peers (NewSharedAPI); nil builds one
	// for this peer. A peer on a shared API cannot be Shaped or cut off
	// (CutNetwork), nor be H264Only.
	API *webrtc.API
	// Media publishes the caller's own camera and microphone instead of the
	// synthetic ones (the load generator's stamped frames); it implies Publish.
	Media Media
	// Pictures, for a decoding peer, takes every decoded picture and the
	// layout it was composed for (pictures before the first layout are not
	// passed), on a goroutine of its own: the reader never waits for it. If
	// it falls behind, frames are dropped up to the next keyframe
	// (ReceiveStats.DroppedFrames). Picture stays empty and the mixed audio
	// is only counted, not decoded. pic is valid only during the call.
	Pictures func(pic *image.YCbCr, l Layout)
	// IgnoreSenderReports leaves the RTCP the server sends about the media
	// this peer receives unread, so its receiver reports carry no LSR/DLSR and
	// the server measures no round-trip time for it (browsers do read it).
	// The bench's attendees never read it; they keep it so their figures stay
	// comparable with earlier reports.
	IgnoreSenderReports bool

	Logger *slog.Logger
	// ProtocolVersion overrides join.v (default 1), to test version checks.
	ProtocolVersion int
	// Agent names the client in join (default "nahbar-testpeer").
	Agent string
}

// Media is a publishing peer's own camera and microphone. The peer adds its
// tracks, runs its loops on goroutines of its own once the connection is up
// (until the peer closes) and passes on the server's keyframe requests.
type Media interface {
	Tracks() (video, audio webrtc.TrackLocal)
	RunVideo(ctx context.Context)
	RunAudio(ctx context.Context)
	RequestKeyframe()
}

func (o Options) withDefaults() Options {
	if o.Colour == (color.RGBA{}) {
		o.Colour = color.RGBA{R: 128, G: 128, B: 128, A: 255}
	}
	if o.ToneHz == 0 && !o.Silent {
		o.ToneHz = 440
	}
	if o.ToneAmplitude <= 0 || o.ToneAmplitude > 1 {
		o.ToneAmplitude = 0.25
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 320, 240
	}
	if o.FPS <= 0 {
		o.FPS = 15
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ProtocolVersion == 0 {
		o.ProtocolVersion = 1
	}
	if o.Agent == "" {
		o.Agent = "nahbar-testpeer"
	}
	if o.Media != nil {
		o.Publish = true
	}
	return o
}

// Peer is one synthetic participant connected to a server.
type Peer struct {
	opts Options
	log  *slog.Logger
	conn *websocket.Conn
	pc   *webrtc.PeerConnection

	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	goMu      sync.Mutex
	stopped   bool
	closeOnce sync.Once

	joined Message

	mu        sync.Mutex
	layout    Layout
	hasLayout bool
	roster    []RosterEntry
	errs      []ErrorMessage
	bye       string
	closedWS  bool
	pending   []webrtc.ICECandidateInit
	changed   chan struct{} // closed and replaced on every state change, for Wait

	video *videoReceiver
	audio *audioReceiver
	cam   *camera
	mic   *microphone

	// In-call state from the server (under mu).
	chats      []ChatMessage
	usage      Usage
	hasUsage   bool
	paused     string // reason of the last video_paused, "" while video flows
	pauses     int
	hint       PublishHint
	hasHint    bool
	status     []ConnectionStatus
	statuses   int
	publishing bool // promoted (or a publishing role)
	muteReqs   int
	handDown   int
	attendees  int
	received   map[string]int // messages received, by type
	screen     *camera

	link         *downlink // nil unless Options.Shaped
	recv         ReceiveStats
	connected    atomic.Bool
	netCut       atomic.Bool
	serverOffers atomic.Int32
	answers      atomic.Int32
	glared       bool // the reader goroutine's
}

// Dial connects, joins with opts.Token and starts negotiating. It returns
// once the server has answered join with joined; media flows shortly after
// (WaitConnected). A refused join returns an ErrorMessage.
func Dial(ctx context.Context, opts Options) (*Peer, error) {
	opts = opts.withDefaults()
	if opts.API != nil && (opts.Shaped || opts.H264Only) {
		return nil, errors.New("testpeer: a peer on a shared API can be neither shaped nor H.264-only")
	}
	conn, _, err := websocket.Dial(ctx, opts.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", opts.URL, err)
	}
	conn.SetReadLimit(1 << 20)
	pctx, cancel := context.WithCancel(context.Background())
	p := &Peer{
		opts:       opts,
		log:        opts.Logger,
		conn:       conn,
		ctx:        pctx,
		cancel:     cancel,
		changed:    make(chan struct{}),
		received:   map[string]int{},
		publishing: opts.Publish,
	}
	join := Message{Type: "join", V: opts.ProtocolVersion, Token: opts.Token, Client: &ClientInfo{Agent: opts.Agent, Version: "1"}}
	if err := p.send(join); err != nil {
		p.abort()
		return nil, err
	}
	// Read until joined (or a refusal) before anything else runs.
	for {
		typ, b, err := conn.Read(ctx)
		if err != nil {
			p.abort()
			return nil, fmt.Errorf("wait for joined: %w", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			p.abort()
			return nil, fmt.Errorf("decode server message: %w", err)
		}
		if m.Type == "error" {
			p.abort()
			return nil, ErrorMessage{Code: m.Code, Message: m.Message}
		}
		if m.Type == "joined" {
			p.joined = m
			break
		}
	}
	p.log = p.log.With("participant", p.joined.ParticipantID)
	if err := p.startPeerConnection(); err != nil {
		p.abort()
		return nil, err
	}
	p.spawn(p.readLoop)
	if err := p.sendOffer(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Peer) abort() {
	p.cancel()
	_ = p.conn.CloseNow()
}

// ID is the participant id the server assigned.
func (p *Peer) ID() string { return p.joined.ParticipantID }

// Joined is the server's joined message.
func (p *Peer) Joined() Message { return p.joined }

func (p *Peer) send(m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.Type, err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("send %s: %w", m.Type, err)
	}
	return nil
}

// Send sends a raw message, for tests of the protocol itself.
func (p *Peer) Send(m Message) error { return p.send(m) }

// SendRaw sends arbitrary bytes as a text message.
func (p *Peer) SendRaw(b []byte) error {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return p.conn.Write(ctx, websocket.MessageText, b)
}

// notifyLocked wakes everyone in Wait. p.mu must be held.
func (p *Peer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Wait polls cond whenever the peer's state changes (and at least every
// 50 ms, for media counters) until it holds or ctx ends.
func (p *Peer) Wait(ctx context.Context, cond func() bool) error {
	for {
		if cond() {
			return nil
		}
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
}

// readLoop handles server messages until the socket closes.
func (p *Peer) readLoop() {
	defer func() {
		p.mu.Lock()
		p.closedWS = true
		p.notifyLocked()
		p.mu.Unlock()
	}()
	for {
		typ, b, err := p.conn.Read(p.ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			p.log.Warn("undecodable server message", "err", err)
			continue
		}
		if err := p.handle(m); err != nil {
			p.log.Warn("handle server message", "type", m.Type, "err", err)
		}
	}
}

func (p *Peer) handle(m Message) error {
	p.mu.Lock()
	p.received[m.Type]++
	p.mu.Unlock()
	if handled, err := p.handleSession(m); handled {
		return err
	}
	switch m.Type {
	case "answer":
		p.answers.Add(1)
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
			return fmt.Errorf("apply answer: %w", err)
		}
		return p.flushCandidates()
	case "offer":
		p.serverOffers.Add(1)
		if p.opts.GlareOnce && !p.glared {
			p.glared = true
			return p.Renegotiate(false)
		}
		// The server yields on glare and offers again: ignore its offer
		// while ours is outstanding (docs/signalling.md).
		if p.pc.SignalingState() != webrtc.SignalingStateStable {
			return nil
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
			return fmt.Errorf("apply server offer: %w", err)
		}
		answer, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("answer server offer: %w", err)
		}
		if err := p.pc.SetLocalDescription(answer); err != nil {
			return fmt.Errorf("set answer: %w", err)
		}
		if err := p.send(Message{Type: "answer", SDP: answer.SDP}); err != nil {
			return err
		}
		return p.flushCandidates()
	case "candidate":
		var c *candidateInit
		if err := json.Unmarshal(m.Candidate, &c); err != nil {
			return fmt.Errorf("decode candidate: %w", err)
		}
		init := webrtc.ICECandidateInit{}
		if c != nil {
			init = webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
		}
		if p.pc.RemoteDescription() == nil {
			p.mu.Lock()
			p.pending = append(p.pending, init)
			p.mu.Unlock()
			return nil
		}
		return p.pc.AddICECandidate(init)
	case "roster":
		p.mu.Lock()
		p.roster = m.Participants
		p.attendees = m.Attendees
		p.notifyLocked()
		p.mu.Unlock()
	case "layout":
		p.mu.Lock()
		p.layout = Layout{View: m.View, Width: m.Width, Height: m.Height, Cells: m.Cells}
		p.hasLayout = true
		p.notifyLocked()
		p.mu.Unlock()
	case "error":
		p.log.Info("server error", "code", m.Code, "message", m.Message)
		p.mu.Lock()
		p.errs = append(p.errs, ErrorMessage{Code: m.Code, Message: m.Message})
		p.notifyLocked()
		p.mu.Unlock()
	case "bye":
		p.mu.Lock()
		p.bye = m.Reason
		if p.bye == "" {
			p.bye = "(none)"
		}
		p.notifyLocked()
		p.mu.Unlock()
	}
	return nil
}

func (p *Peer) flushCandidates() error {
	p.mu.Lock()
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	var errs []error
	for _, c := range pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Layout returns the last layout message.
func (p *Peer) Layout() (Layout, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.layout, p.hasLayout
}

// Roster returns the last roster message.
func (p *Peer) Roster() []RosterEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]RosterEntry(nil), p.roster...)
}

// Errors returns the error messages received so far.
func (p *Peer) Errors() []ErrorMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ErrorMessage(nil), p.errs...)
}

// HasError reports whether an error with code was received.
func (p *Peer) HasError(code string) bool {
	for _, e := range p.Errors() {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Bye returns the reason of the server's bye ("" before one arrived) and
// whether the socket has closed.
func (p *Peer) Bye() (reason string, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bye, p.closedWS
}

// Negotiations counts the server's offers and answers received so far.
func (p *Peer) Negotiations() (serverOffers, answers int) {
	return int(p.serverOffers.Load()), int(p.answers.Load())
}

// Connected reports whether the PeerConnection is connected.
func (p *Peer) Connected() bool { return p.connected.Load() }

// Mute sends mute{audio, video}; nil leaves a kind unchanged.
func (p *Peer) Mute(audio, video *bool) error {
	return p.send(Message{Type: "mute", Audio: audio, Video: video})
}

// Leave sends leave and waits (until ctx ends) for the server to close the
// socket, then closes the peer.
func (p *Peer) Leave(ctx context.Context) error {
	err := p.send(Message{Type: "leave"})
	if err == nil {
		err = p.Wait(ctx, func() bool { _, closed := p.Bye(); return closed })
	}
	p.Close()
	if err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}

// ClosePeerConnection closes only the media connection and keeps the
// signalling socket open, as a page whose WebRTC stack failed would.
func (p *Peer) ClosePeerConnection() error { return p.pc.Close() }

// Close drops the peer at once: media stops, the PeerConnection and the socket
// close without a leave (as when a browser tab dies).
func (p *Peer) Close() { p.closeOnce.Do(p.close) }

func (p *Peer) close() {
	p.goMu.Lock()
	p.stopped = true
	p.goMu.Unlock()
	p.cancel()
	if p.pc != nil {
		_ = p.pc.Close()
	}
	_ = p.conn.CloseNow()
	p.wg.Wait()
	if p.cam != nil {
		p.cam.close()
	}
	if p.mic != nil {
		p.mic.close()
	}
	if p.screen != nil {
		p.screen.close()
	}
}
