package rooms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nahbar/nahbar/mixer"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// Sizes of a participant's queues.
const (
	outQueue     = 64 // signalling messages waiting for the socket; overflow drops the client
	maxCandidate = 64 // remote candidates held until the first offer is applied
	writeTimeout = 10 * time.Second
)

var errSlowClient = errors.New("signalling queue full: client does not read")

// Participant is one joined client: its signalling socket, its PeerConnection
// and its place in a room. Its negotiation state is owned by run's loop; pion
// callbacks and the socket reader talk to the loop through channels.
type Participant struct {
	id     mixer.ParticipantID
	name   string
	role   Role
	client ClientInfo // what the client said about itself in join
	room   *Room
	m      *Manager
	log    *slog.Logger
	conn   *websocket.Conn
	pc     *webrtc.PeerConnection

	out        chan []byte   // encoded messages for the writer
	quit       chan struct{} // closed to make the writer flush and stop
	writerDone chan struct{}
	in         chan inbound  // decoded client messages for the loop
	dead       chan struct{} // closed when the socket failed
	deadOnce   sync.Once
	negotiate  chan struct{} // pion wants a (re)negotiation
	iceChanged chan struct{} // the PeerConnection state changed
	connCtx    context.Context
	connCancel context.CancelFunc
	bg         sync.WaitGroup // reader and pinger

	audioMuted, videoMuted atomic.Bool
	publishing             atomic.Bool // sends camera and microphone into the mix (role, or promoted)
	badMedia               rateLimit
	badMediaCount          atomic.Uint64
	joinedAt               time.Time
	joinTime               time.Duration // join to the first media sent to it; 0 until then (room loop)

	bwe         cc.BandwidthEstimator // GCC for what the server sends this participant; nil if unavailable
	link        linkStats             // loss and RTT from the participant's receiver reports
	upBytes     atomic.Uint64         // RTP bytes received from the participant
	rtcpIn      atomic.Uint64         // RTCP reads from the participant: with upBytes, a sign of life
	device      atomic.Pointer[DeviceStatus]
	screenMid   atomic.Pointer[string] // the transceiver the client announced as its screen
	camera      atomic.Bool            // a camera track is being read
	screenTrack atomic.Bool            // a screen track is being read
	screen      atomic.Bool            // ... and shown (no screen_stop since)
	chatLimit   rateLimit
	reconnects  atomic.Int64 // media connection recoveries

	// media goroutines (track readers, RTCP readers); closed stops new ones.
	mediaMu     sync.Mutex
	mediaClosed bool
	media       sync.WaitGroup

	// Owned by the room loop.
	rx         *receiver
	handRaised bool
	hint       publishHint // last publish_hint sent
	// The video output the participant should receive, for its keyframe requests.
	videoKey atomic.Pointer[outKey]

	// Owned by the participant loop.
	pending       []webrtc.ICECandidateInit
	attached      bool
	wantOffer     bool
	outstanding   *webrtc.SessionDescription // the server offer sent and not yet answered
	connectedOnce bool
}

type inbound struct {
	msg Message
	err error
}

func newParticipant(m *Manager, room *Room, conn *websocket.Conn, g Grant, client ClientInfo, id mixer.ParticipantID, log *slog.Logger) (*Participant, error) {
	pc, bwe, err := m.newPeerConnection()
	if err != nil {
		return nil, fmt.Errorf("new peer connection for %s: %w", id, err)
	}
	connCtx, connCancel := context.WithCancel(context.Background())
	p := &Participant{
		id:         id,
		name:       g.DisplayName,
		role:       g.Role,
		client:     client,
		room:       room,
		m:          m,
		log:        log,
		conn:       conn,
		pc:         pc,
		out:        make(chan []byte, outQueue),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
		in:         make(chan inbound),
		dead:       make(chan struct{}),
		negotiate:  make(chan struct{}, 1),
		iceChanged: make(chan struct{}, 1),
		connCtx:    connCtx,
		connCancel: connCancel,
		joinedAt:   m.cfg.Now(),
		bwe:        bwe,
	}
	p.publishing.Store(g.Role.Publishes())
	p.badMedia = rateLimit{interval: m.cfg.BadMediaInterval, now: m.cfg.Now}
	p.chatLimit = rateLimit{interval: chatInterval, now: m.cfg.Now}
	pc.OnICECandidate(p.onICECandidate)
	pc.OnNegotiationNeeded(func() { notify(p.negotiate) })
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) { notify(p.iceChanged) })
	pc.OnTrack(p.onTrack)
	return p, nil
}

// notify wakes a loop without ever blocking the caller (a pion callback).
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// send queues a message for the client. It never blocks: a client that lets
// its queue overflow is dropped, because a lost answer or candidate would
// break its call anyway.
func (p *Participant) send(m Message) {
	b, err := encodeMessage(m)
	if err != nil {
		p.log.Error("encode signalling message", "type", m.Type, "err", err)
		return
	}
	p.sendRaw(b)
}

// sendRaw queues an encoded message (one encoding shared by many receivers).
func (p *Participant) sendRaw(b []byte) {
	select {
	case <-p.quit:
	case p.out <- b:
	default:
		p.markDead(errSlowClient)
	}
}

func (p *Participant) sendError(code ErrorCode, msg string) {
	p.send(Message{Type: TypeError, Code: code, Message: msg})
}

// markDead ends the session because the socket cannot be used any more.
func (p *Participant) markDead(err error) {
	p.deadOnce.Do(func() {
		p.log.Info("signalling connection lost", "err", err)
		close(p.dead)
	})
}

// run serves the participant until it leaves, its socket or ICE fails, or the
// manager closes; then it tears everything down.
func (p *Participant) run(ctx context.Context) {
	go p.writeLoop()
	p.bg.Add(2)
	go p.readLoop()
	go p.pingLoop()

	p.send(Message{Type: TypeJoined, ParticipantID: string(p.id), RoomID: p.room.id, Role: p.role, Name: p.name})
	p.room.join(p)
	p.log.Info("participant joined", "role", p.role)

	reason := p.loop(ctx)
	p.shutdown(reason)
}

// loop is the participant's event loop. It returns the bye reason, or ""
// when the socket is gone and no bye can be sent.
func (p *Participant) loop(ctx context.Context) string {
	var grace *time.Timer
	var graceC <-chan time.Time
	defer func() {
		if grace != nil {
			grace.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ByeShutdown
		case <-p.room.ended:
			return ByeEnded
		case <-p.dead:
			return ""
		case in := <-p.in:
			if in.err != nil {
				p.sendError(CodeBadMessage, in.err.Error())
				return ByeProtocolError
			}
			if reason, stop := p.handle(in.msg); stop {
				return reason
			}
		case <-p.negotiate:
			p.offer()
		case <-p.iceChanged:
			switch p.pc.ConnectionState() {
			case webrtc.PeerConnectionStateConnected:
				if grace != nil {
					grace.Stop()
					grace, graceC = nil, nil
				}
				p.onConnected()
			case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed:
				if grace == nil {
					grace = time.NewTimer(p.m.cfg.ICEGrace)
					graceC = grace.C
					p.log.Info("media connection lost; waiting for recovery", "state", p.pc.ConnectionState().String(), "grace", p.m.cfg.ICEGrace)
				}
			case webrtc.PeerConnectionStateClosed:
				return ByeICEFailed
			}
		case <-graceC:
			p.log.Info("media connection did not recover", "state", p.pc.ConnectionState().String())
			return ByeICEFailed
		}
	}
}

// onConnected asks the encoders this receiver gets for a keyframe, so its
// picture starts now rather than at the next periodic keyframe.
func (p *Participant) onConnected() {
	p.requestKeyframe()
	if !p.connectedOnce {
		p.connectedOnce = true
		p.log.Info("media connected", "after", p.m.cfg.Now().Sub(p.joinedAt))
	} else {
		p.room.reconnected(p)
	}
}

// requestKeyframe asks the encoder of the output p should receive for a keyframe.
func (p *Participant) requestKeyframe() {
	if k := p.videoKey.Load(); k != nil {
		p.room.mix.RequestKeyframe(k.view, k.tier)
	}
}

// handle applies one client message. stop reports that the session ends.
func (p *Participant) handle(m Message) (reason string, stop bool) {
	switch m.Type {
	case TypeOffer:
		p.handleOffer(m.SDP)
	case TypeAnswer:
		if !p.handleAnswer(m.SDP) {
			return ByeProtocolError, true
		}
	case TypeCandidate:
		p.handleCandidate(m.Candidate)
	case TypeMute:
		p.room.setMuted(p, m.Audio, m.Video)
	case TypeQuality:
		p.room.setQuality(p, m.Mode, m.BudgetMBPerHour)
	case TypeDeviceStatus:
		p.setDevice(m)
	case TypeScreen:
		p.announceScreen(m.Mid)
	case TypeScreenStop:
		p.stopScreen()
	case TypeChat:
		p.chat(m)
	case TypeChatDelete:
		p.room.deleteChat(p, m.ID)
	case TypeRaiseHand:
		p.room.raiseHand(p, true, "")
	case TypeLowerHand:
		p.room.raiseHand(p, false, m.ParticipantID)
	case TypeMuteAll:
		p.room.muteAll(p)
	case TypePromote:
		p.room.promote(p, m.ParticipantID, true)
	case TypeDemote:
		p.room.promote(p, m.ParticipantID, false)
	case TypeLeave:
		return ByeLeft, true
	case TypeJoin:
		p.sendError(CodeBadMessage, "already joined")
	default:
		p.sendError(CodeBadMessage, string(m.Type)+" is sent by the server, not the client")
	}
	return "", false
}

// shutdown stops media first (so nothing publishes into the mixer after the
// participant left it), then leaves the room, then says bye and closes the socket.
func (p *Participant) shutdown(reason string) {
	p.mediaMu.Lock()
	p.mediaClosed = true
	p.mediaMu.Unlock()
	if err := p.pc.Close(); err != nil {
		p.log.Warn("close peer connection", "err", err)
	}
	p.media.Wait()
	p.room.leave(p)

	if reason != "" {
		p.send(Message{Type: TypeBye, Reason: reason})
	}
	close(p.quit)
	<-p.writerDone
	select {
	case <-p.dead:
		_ = p.conn.CloseNow()
	default:
		_ = p.conn.Close(websocket.StatusNormalClosure, reason)
	}
	p.connCancel()
	p.bg.Wait()
	p.log.Info("participant left", "reason", reason, "bad_media_errors", p.badMediaCount.Load())
}

// goMedia starts a media goroutine unless shutdown has begun, so that pion
// callbacks arriving late never outlive the participant.
func (p *Participant) goMedia(f func()) {
	p.mediaMu.Lock()
	defer p.mediaMu.Unlock()
	if p.mediaClosed {
		return
	}
	p.media.Add(1)
	go func() {
		defer p.media.Done()
		f()
	}()
}
