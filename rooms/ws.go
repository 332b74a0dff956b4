package rooms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/coder/websocket"
	"github.com/nahbar/nahbar/mixer"
)

// ServeWS is the signalling WebSocket (docs/signalling.md). It accepts pages
// of the same host (plus Config.OriginPatterns), waits for join, authorizes
// its token, and then serves the participant until it leaves. It returns when
// the session is over.
func (m *Manager) ServeWS(w http.ResponseWriter, r *http.Request) {
	if !m.begin() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer m.sessions.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: m.cfg.OriginPatterns})
	if err != nil {
		m.log.Info("signalling upgrade refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return // Accept has written the HTTP error
	}
	conn.SetReadLimit(MaxClientMessageSize)
	log := m.log.With("remote", r.RemoteAddr)

	grant, client, err := m.handshake(conn, log)
	if err != nil {
		return // handshake has told the client and closed the socket
	}
	room, err := m.acquire(grant.RoomID)
	if err != nil {
		refuse(conn, CodeServerClosing, "the server is shutting down")
		return
	}
	defer m.release(room)

	id, err := newParticipantID()
	if err != nil {
		err = fmt.Errorf("new participant id: %w", err)
		log.Error("join", "err", err)
		refuse(conn, CodeInternal, "internal error")
		return
	}
	plog := log.With("room", grant.RoomID, "participant", string(id))
	p, err := newParticipant(m, room, conn, grant, client, id, plog)
	if err != nil {
		plog.Error("join", "err", err)
		refuse(conn, CodeInternal, "internal error")
		return
	}
	p.run(m.ctx)
}

// handshake reads join (within JoinTimeout), checks the protocol version and
// authorizes the token. On failure it sends error{code} and closes the socket.
func (m *Manager) handshake(conn *websocket.Conn, log *slog.Logger) (Grant, ClientInfo, error) {
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.JoinTimeout)
	defer cancel()
	typ, b, err := conn.Read(ctx)
	if err != nil {
		log.Info("no join message", "err", err)
		_ = conn.CloseNow()
		return Grant{}, ClientInfo{}, fmt.Errorf("read join: %w", err)
	}
	var msg Message
	if typ != websocket.MessageText {
		err = fmt.Errorf("%w: binary frame", ErrBadMessage)
	} else {
		msg, err = DecodeMessage(b)
	}
	if err == nil && msg.Type != TypeJoin {
		err = fmt.Errorf("%w: expected join, got %s", ErrBadMessage, msg.Type)
	}
	if err != nil {
		log.Info("bad join", "err", err)
		refuse(conn, CodeBadMessage, err.Error())
		return Grant{}, ClientInfo{}, err
	}
	if msg.V != ProtocolVersion {
		err = fmt.Errorf("protocol version %d is not supported (server speaks %d)", msg.V, ProtocolVersion)
		refuse(conn, CodeUnsupportedVersion, err.Error())
		return Grant{}, ClientInfo{}, err
	}
	g, err := m.auth.Authorize(ctx, msg.Token)
	if err == nil {
		err = checkGrant(g)
	}
	if err != nil {
		code, text := CodeInvalidToken, "invalid or expired token"
		switch {
		case errors.Is(err, ErrRoomEnded):
			code, text = CodeRoomEnded, "the call has ended"
		case !errors.Is(err, ErrInvalidToken):
			code, text = CodeInternal, "could not check the token"
		}
		log.Info("join refused", "code", code, "err", err)
		refuse(conn, code, text)
		return Grant{}, ClientInfo{}, fmt.Errorf("authorize join: %w", err)
	}
	var client ClientInfo
	if msg.Client != nil {
		client = *msg.Client
		log.Info("join", "room", g.RoomID, "role", g.Role, "agent", msg.Client.Agent, "client_version", msg.Client.Version)
	}
	return g, client, nil
}

// checkGrant rejects grants an Authorizer should never return, so a bug
// there cannot create a nameless room or an unknown role.
func checkGrant(g Grant) error {
	switch {
	case g.RoomID == "" || len(g.RoomID) > maxIDLen:
		return fmt.Errorf("grant has a bad room id %.32q", g.RoomID)
	case !g.Role.Valid():
		return fmt.Errorf("grant has an unknown role %.32q", g.Role)
	case len(g.DisplayName) > maxShortText:
		return fmt.Errorf("grant display name of %d bytes is too long", len(g.DisplayName))
	}
	return nil
}

// refuse sends error{code} on a socket that has no participant yet and closes it.
func refuse(conn *websocket.Conn, code ErrorCode, text string) {
	b, err := json.Marshal(Message{Type: TypeError, Code: code, Message: text})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err = conn.Write(ctx, websocket.MessageText, b)
		cancel()
	}
	if err != nil {
		_ = conn.CloseNow()
		return
	}
	_ = conn.Close(websocket.StatusPolicyViolation, string(code))
}

// newParticipantID returns 16 random hex digits: unguessable, short enough
// for logs, and made only of characters that are safe in a view id and msid.
func newParticipantID() (mixer.ParticipantID, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return mixer.ParticipantID(hex.EncodeToString(b[:])), nil
}
