package rooms

import (
	"encoding/json"
	"fmt"
)

// ProtocolVersion is the signalling protocol version a client names in join.v.
// The server refuses other versions with error{unsupported_version}.
const ProtocolVersion = 1

// MessageType names a signalling message; see docs/signalling.md.
type MessageType string

// Client → server: join, offer, answer, candidate, mute, leave, quality,
// device_status, screen, screen_stop, chat, chat_delete, raise_hand,
// lower_hand, mute_all, promote, demote.
// Server → client: joined, offer, answer, candidate, roster, layout, error,
// bye, usage, video_paused, video_resumed, publish_hint, chat, chat_delete,
// chat_history, hand, mute_request, promoted, demoted, status.
const (
	TypeJoin      MessageType = "join"
	TypeJoined    MessageType = "joined"
	TypeOffer     MessageType = "offer"
	TypeAnswer    MessageType = "answer"
	TypeCandidate MessageType = "candidate"
	TypeMute      MessageType = "mute"
	TypeLeave     MessageType = "leave"
	TypeRoster    MessageType = "roster"
	TypeLayout    MessageType = "layout"
	TypeError     MessageType = "error"
	TypeBye       MessageType = "bye"

	// Bandwidth and the citizen's choice.
	TypeQuality      MessageType = "quality"       // client: high or save_data, optional budget
	TypeUsage        MessageType = "usage"         // server: current tier and data use
	TypeVideoPaused  MessageType = "video_paused"  // server: audio only from now on
	TypeVideoResumed MessageType = "video_resumed" // server: video again
	TypePublishHint  MessageType = "publish_hint"  // server: the largest size the client's camera is shown at
	TypeDeviceStatus MessageType = "device_status" // client: camera and microphone state, for the advisor

	// Screen sharing.
	TypeScreen     MessageType = "screen"      // client: the transceiver (mid) that carries its screen
	TypeScreenStop MessageType = "screen_stop" // client: sharing ended

	// Chat.
	TypeChat        MessageType = "chat"         // client: a message; server: a message with id, sender and time
	TypeChatDelete  MessageType = "chat_delete"  // advisor: delete; server: deleted
	TypeChatHistory MessageType = "chat_history" // server: recent messages, to a late joiner

	// Group sessions.
	TypeRaiseHand   MessageType = "raise_hand"   // client
	TypeLowerHand   MessageType = "lower_hand"   // client: own hand, or the advisor for anyone
	TypeHand        MessageType = "hand"         // server: someone else lowered your hand
	TypeMuteAll     MessageType = "mute_all"     // advisor
	TypeMuteRequest MessageType = "mute_request" // server: the advisor muted you
	TypePromote     MessageType = "promote"      // advisor: let an attendee speak
	TypeDemote      MessageType = "demote"       // advisor: and back
	TypePromoted    MessageType = "promoted"     // server: you may publish now
	TypeDemoted     MessageType = "demoted"      // server: you are receive-only again

	// Live connection status, to advisors.
	TypeStatus MessageType = "status"
)

// ErrorCode is the machine-readable code of an error message.
type ErrorCode string

// Error codes the server sends. A client must treat unknown codes as generic errors.
const (
	CodeInvalidToken       ErrorCode = "invalid_token"       // forged, unknown or expired token; the server closes
	CodeUnsupportedVersion ErrorCode = "unsupported_version" // join.v is not ProtocolVersion; the server closes
	CodeBadMessage         ErrorCode = "bad_message"         // undecodable or out-of-order message; the server closes
	CodeBadSDP             ErrorCode = "bad_sdp"             // an offer/answer pion could not apply; the call goes on
	CodeBadCandidate       ErrorCode = "bad_candidate"       // an ICE candidate pion could not add; the call goes on
	CodeBadMedia           ErrorCode = "bad_media"           // the client's RTP could not be decoded (rate-limited)
	CodeServerClosing      ErrorCode = "server_closing"      // the server is shutting down and takes no joins
	CodeInternal           ErrorCode = "internal"            // a server-side failure; the server closes
	CodeForbidden          ErrorCode = "forbidden"           // the role may not do this (advisor actions); the call goes on
	CodeNotFound           ErrorCode = "not_found"           // no such participant or chat message; the call goes on
	CodeRateLimited        ErrorCode = "rate_limited"        // too many chat messages; this one was dropped
	CodeRoomEnded          ErrorCode = "room_ended"          // the advisor ended this call; the server closes
)

// Bye reasons.
const (
	ByeLeft          = "left"           // the client sent leave
	ByeShutdown      = "shutdown"       // the server is shutting down
	ByeICEFailed     = "ice_failed"     // the media connection failed and did not recover in time
	ByeProtocolError = "protocol_error" // the client sent a message that does not decode
	ByeEnded         = "ended"          // the advisor (or the API) ended the call for everyone (Manager.End)
)

// Message is one signalling message. It is a flat union: Type says which of
// the other fields are present (docs/signalling.md lists them per type), so
// that the JSON stays as plain for a browser as Galène's protocol.
type Message struct {
	Type MessageType `json:"type"`

	// join
	V      int         `json:"v,omitempty"`
	Token  string      `json:"token,omitempty"`
	Client *ClientInfo `json:"client,omitempty"`

	// joined
	ParticipantID string `json:"participant_id,omitempty"`
	RoomID        string `json:"room_id,omitempty"`
	Role          Role   `json:"role,omitempty"`
	Name          string `json:"name,omitempty"`

	// offer, answer
	SDP string `json:"sdp,omitempty"`

	// candidate: nil means end-of-candidates and is sent as "candidate": null.
	Candidate *Candidate `json:"candidate,omitempty"`

	// mute: true means muted (microphone off / camera off); absent means unchanged.
	// mute_request: audio true.
	Audio *bool `json:"audio,omitempty"`
	Video *bool `json:"video,omitempty"`

	// roster
	Participants []RosterEntry `json:"participants,omitempty"`
	Attendees    int           `json:"attendees,omitempty"` // receive-only participants, counted

	// quality, usage
	Mode            string  `json:"mode,omitempty"`
	BudgetMBPerHour float64 `json:"budget_mb_per_hour,omitempty"`
	Tier            string  `json:"tier,omitempty"`
	Kbps            float64 `json:"kbps,omitempty"`
	MBPerHour       float64 `json:"mb_per_hour,omitempty"`

	// publish_hint
	MaxWidth  int `json:"max_width,omitempty"`
	MaxHeight int `json:"max_height,omitempty"`
	MaxFPS    int `json:"max_fps,omitempty"`
	MaxKbps   int `json:"max_kbps,omitempty"`

	// device_status
	Camera     string `json:"camera,omitempty"`
	Microphone string `json:"microphone,omitempty"`
	Details    string `json:"details,omitempty"`

	// screen
	Mid string `json:"mid,omitempty"`

	// chat, chat_delete, chat_history (a chat also uses participant_id and name)
	ID       string        `json:"id,omitempty"`
	Text     string        `json:"text,omitempty"`
	Time     string        `json:"time,omitempty"`
	Messages []ChatMessage `json:"messages,omitempty"`

	// hand
	Raised *bool `json:"raised,omitempty"`

	// status
	Connections []ConnectionStatus `json:"connections,omitempty"`

	// layout
	View   string `json:"view,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Cells  []Cell `json:"cells,omitempty"`

	// error
	Code    ErrorCode `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`

	// bye
	Reason string `json:"reason,omitempty"`
}

// ClientInfo describes the client software; the server only logs it (and the
// advisor console will show it as the citizen's device status).
type ClientInfo struct {
	Agent   string `json:"agent,omitempty"`   // e.g. navigator.userAgent or "nahbar-testpeer"
	Version string `json:"version,omitempty"` // the client's own version
}

// Candidate is a trickled ICE candidate, shaped like the browser's
// RTCIceCandidateInit so that pages can pass event.candidate.toJSON() through.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// RosterEntry is one participant as other participants see them.
type RosterEntry struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	AudioMuted bool   `json:"audio_muted"`
	VideoMuted bool   `json:"video_muted"`
	Publishing bool   `json:"publishing"`            // sends camera and microphone (an attendee only once promoted)
	HandRaised bool   `json:"hand_raised,omitempty"` // asked to speak
}

// Cell says where a participant is drawn in the receiver's composed picture,
// in coordinates relative to the picture (0..1), so pages and tests know what
// is where whatever the tier's resolution.
type Cell struct {
	ParticipantID string  `json:"participant_id"`
	X             float64 `json:"x"`
	Y             float64 `json:"y"`
	W             float64 `json:"w"`
	H             float64 `json:"h"`
	Screen        bool    `json:"screen,omitempty"` // the participant's shared screen, not their camera
}

// encodeMessage is the wire form of m.
func encodeMessage(m Message) ([]byte, error) { return json.Marshal(m) }

// MarshalJSON writes the message, spelling end-of-candidates as an explicit
// "candidate": null, which omitempty alone would drop.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	b, err := json.Marshal(plain(m))
	if err != nil {
		return nil, fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	if m.Type == TypeCandidate && m.Candidate == nil && len(b) > 0 && b[len(b)-1] == '}' {
		b = append(b[:len(b)-1], `,"candidate":null}`...)
	}
	return b, nil
}
