package rooms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Limits of the signalling protocol. Everything a peer sends is checked
// against them before it reaches pion or the mixer.
const (
	// MaxMessageSize bounds any message DecodeMessage accepts (a roster of a
	// large group session is the biggest legitimate one).
	MaxMessageSize = 256 << 10
	// MaxClientMessageSize is the server's WebSocket read limit: nothing a
	// client legitimately sends (an offer is a few KiB) comes near it.
	MaxClientMessageSize = 64 << 10
	// MaxSDPSize bounds an offer or answer.
	MaxSDPSize = 48 << 10

	maxTokenLen     = 1024
	maxShortText    = 256
	maxIDLen        = 128
	maxTextLen      = 1024
	maxCandidateLen = 1024
	maxRosterLen    = 10000
	maxCells        = 256
	maxPictureSide  = 8192
)

// ErrBadMessage is wrapped by every error DecodeMessage returns, so callers can
// tell a peer's protocol violation from their own failures.
var ErrBadMessage = errors.New("bad signalling message")

// allowedFields lists, per message type, the JSON keys it may carry besides "type".
var allowedFields = map[MessageType][]string{
	TypeJoin:      {"v", "token", "client"},
	TypeJoined:    {"participant_id", "room_id", "role", "name"},
	TypeOffer:     {"sdp"},
	TypeAnswer:    {"sdp"},
	TypeCandidate: {"candidate"},
	TypeMute:      {"audio", "video"},
	TypeLeave:     {},
	TypeRoster:    {"participants", "attendees"},
	TypeLayout:    {"view", "width", "height", "cells"},
	TypeError:     {"code", "message"},
	TypeBye:       {"reason"},

	TypeQuality:      {"mode", "budget_mb_per_hour"},
	TypeUsage:        {"tier", "width", "height", "kbps", "mb_per_hour", "mode", "budget_mb_per_hour"},
	TypeVideoPaused:  {"reason"},
	TypeVideoResumed: {},
	TypePublishHint:  {"max_width", "max_height", "max_fps", "max_kbps"},
	TypeDeviceStatus: {"camera", "microphone", "details"},
	TypeScreen:       {"mid"},
	TypeScreenStop:   {},
	TypeChat:         {"text", "id", "participant_id", "name", "role", "time"},
	TypeChatDelete:   {"id"},
	TypeChatHistory:  {"messages"},
	TypeRaiseHand:    {},
	TypeLowerHand:    {"participant_id"},
	TypeHand:         {"raised", "participant_id"},
	TypeMuteAll:      {},
	TypeMuteRequest:  {"audio", "participant_id"},
	TypePromote:      {"participant_id"},
	TypeDemote:       {"participant_id"},
	TypePromoted:     {},
	TypeDemoted:      {},
	TypeStatus:       {"connections"},
}

// DecodeMessage parses one signalling message strictly: size-limited, a JSON
// object with a known type, only the fields of that type, no unknown nested
// fields, and every value within its limits. It never panics on any input;
// every error wraps ErrBadMessage.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) > MaxMessageSize {
		return Message{}, fmt.Errorf("%w: %d bytes exceeds the limit of %d", ErrBadMessage, len(b), MaxMessageSize)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return Message{}, fmt.Errorf("%w: not a JSON object: %v", ErrBadMessage, err)
	}
	if keys == nil {
		return Message{}, fmt.Errorf("%w: not a JSON object", ErrBadMessage)
	}
	rawType, ok := keys["type"]
	if !ok {
		return Message{}, fmt.Errorf("%w: missing type", ErrBadMessage)
	}
	var t MessageType
	if err := json.Unmarshal(rawType, &t); err != nil {
		return Message{}, fmt.Errorf("%w: type is not a string", ErrBadMessage)
	}
	allowed, ok := allowedFields[t]
	if !ok {
		return Message{}, fmt.Errorf("%w: unknown type %.32q", ErrBadMessage, t)
	}
	for k := range keys {
		if k != "type" && !contains(allowed, k) {
			return Message{}, fmt.Errorf("%w: field %.32q not allowed in %s", ErrBadMessage, k, t)
		}
	}

	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Message
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("%w: %s: %v", ErrBadMessage, t, err)
	}
	if dec.More() {
		return Message{}, fmt.Errorf("%w: trailing data after %s", ErrBadMessage, t)
	}
	if err := validate(&m, keys); err != nil {
		return Message{}, fmt.Errorf("%w: %s: %v", ErrBadMessage, t, err)
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// validate checks the per-type required fields and limits.
func validate(m *Message, keys map[string]json.RawMessage) error {
	switch m.Type {
	case TypeJoin:
		if _, ok := keys["v"]; !ok {
			return errors.New("missing v (protocol version)")
		}
		if m.V < 1 {
			return fmt.Errorf("v %d is not a protocol version", m.V)
		}
		if m.Token == "" {
			return errors.New("missing token")
		}
		if err := maxLen("token", m.Token, maxTokenLen); err != nil {
			return err
		}
		if m.Client != nil {
			if err := maxLen("client.agent", m.Client.Agent, maxShortText); err != nil {
				return err
			}
			return maxLen("client.version", m.Client.Version, maxShortText)
		}
	case TypeJoined:
		if err := requiredID("participant_id", m.ParticipantID); err != nil {
			return err
		}
		if err := requiredID("room_id", m.RoomID); err != nil {
			return err
		}
		if !m.Role.Valid() {
			return fmt.Errorf("unknown role %.32q", m.Role)
		}
		return maxLen("name", m.Name, maxShortText)
	case TypeOffer, TypeAnswer:
		if m.SDP == "" {
			return errors.New("missing sdp")
		}
		if len(m.SDP) > MaxSDPSize {
			return fmt.Errorf("sdp of %d bytes exceeds the limit of %d", len(m.SDP), MaxSDPSize)
		}
		if !strings.HasPrefix(m.SDP, "v=0") {
			return errors.New("sdp does not start with v=0")
		}
	case TypeCandidate:
		if _, ok := keys["candidate"]; !ok {
			return errors.New("missing candidate (null for end-of-candidates)")
		}
		return validateCandidate(m.Candidate)
	case TypeMute:
		if m.Audio == nil && m.Video == nil {
			return errors.New("mute names neither audio nor video")
		}
	case TypeRoster:
		if len(m.Participants) > maxRosterLen {
			return fmt.Errorf("%d participants exceed the limit of %d", len(m.Participants), maxRosterLen)
		}
		if m.Attendees < 0 || m.Attendees > maxRosterLen {
			return fmt.Errorf("attendees %d out of range", m.Attendees)
		}
		for i, p := range m.Participants {
			if err := requiredID(fmt.Sprintf("participants[%d].id", i), p.ID); err != nil {
				return err
			}
			if err := maxLen(fmt.Sprintf("participants[%d].name", i), p.Name, maxShortText); err != nil {
				return err
			}
			if !p.Role.Valid() {
				return fmt.Errorf("participants[%d]: unknown role %.32q", i, p.Role)
			}
		}
	case TypeLayout:
		return validateLayout(m)
	case TypeError:
		if m.Code == "" {
			return errors.New("missing code")
		}
		if err := maxLen("code", string(m.Code), maxIDLen); err != nil {
			return err
		}
		return maxLen("message", m.Message, maxTextLen)
	case TypeBye:
		return maxLen("reason", m.Reason, maxShortText)
	default:
		return validateSession(m, keys)
	}
	return nil
}

func validateCandidate(c *Candidate) error {
	if c == nil {
		return nil // end-of-candidates
	}
	if err := maxLen("candidate.candidate", c.Candidate, maxCandidateLen); err != nil {
		return err
	}
	// An empty string is the browser's other spelling of end-of-candidates.
	if c.Candidate != "" && !strings.HasPrefix(c.Candidate, "candidate:") {
		return errors.New(`candidate.candidate does not start with "candidate:"`)
	}
	if c.SDPMid != nil {
		if err := maxLen("candidate.sdpMid", *c.SDPMid, maxIDLen); err != nil {
			return err
		}
	}
	if c.UsernameFragment != nil {
		return maxLen("candidate.usernameFragment", *c.UsernameFragment, maxIDLen)
	}
	return nil
}

func validateLayout(m *Message) error {
	if err := maxLen("view", m.View, maxIDLen); err != nil {
		return err
	}
	if m.Width < 0 || m.Width > maxPictureSide || m.Height < 0 || m.Height > maxPictureSide {
		return fmt.Errorf("picture size %dx%d out of range", m.Width, m.Height)
	}
	if len(m.Cells) > maxCells {
		return fmt.Errorf("%d cells exceed the limit of %d", len(m.Cells), maxCells)
	}
	const eps = 1e-6
	for i, c := range m.Cells {
		if err := requiredID(fmt.Sprintf("cells[%d].participant_id", i), c.ParticipantID); err != nil {
			return err
		}
		for _, v := range [...]float64{c.X, c.Y, c.W, c.H} {
			if math.IsNaN(v) || v < 0 || v > 1+eps {
				return fmt.Errorf("cells[%d]: coordinate %v outside 0..1", i, v)
			}
		}
		if c.X+c.W > 1+eps || c.Y+c.H > 1+eps {
			return fmt.Errorf("cells[%d]: cell extends beyond the picture", i)
		}
	}
	return nil
}

func requiredID(field, v string) error {
	if v == "" {
		return fmt.Errorf("missing %s", field)
	}
	return maxLen(field, v, maxIDLen)
}

func maxLen(field, v string, limit int) error {
	if len(v) > limit {
		return fmt.Errorf("%s of %d bytes exceeds the limit of %d", field, len(v), limit)
	}
	return nil
}
