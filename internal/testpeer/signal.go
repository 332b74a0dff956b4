package testpeer

import "encoding/json"

// Message is one signalling message as docs/signalling.md defines it. Only the
// fields of its type are set.
type Message struct {
	Type string `json:"type"`

	V      int         `json:"v,omitempty"`
	Token  string      `json:"token,omitempty"`
	Client *ClientInfo `json:"client,omitempty"`

	ParticipantID string `json:"participant_id,omitempty"`
	RoomID        string `json:"room_id,omitempty"`
	Role          string `json:"role,omitempty"`
	Name          string `json:"name,omitempty"`

	SDP string `json:"sdp,omitempty"`

	Candidate json.RawMessage `json:"candidate,omitempty"`

	Audio *bool `json:"audio,omitempty"`
	Video *bool `json:"video,omitempty"`

	Participants []RosterEntry `json:"participants,omitempty"`

	View   string `json:"view,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Cells  []Cell `json:"cells,omitempty"`

	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	Reason string `json:"reason,omitempty"`
}

// ClientInfo names the client in join.
type ClientInfo struct {
	Agent   string `json:"agent,omitempty"`
	Version string `json:"version,omitempty"`
}

// RosterEntry is one participant of a roster message.
type RosterEntry struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	AudioMuted bool   `json:"audio_muted"`
	VideoMuted bool   `json:"video_muted"`
}

// Cell is where one participant is drawn, relative to the picture (0..1).
type Cell struct {
	ParticipantID string  `json:"participant_id"`
	X             float64 `json:"x"`
	Y             float64 `json:"y"`
	W             float64 `json:"w"`
	H             float64 `json:"h"`
}

// Layout is the last layout message: the receiver's view and its cells.
type Layout struct {
	View          string
	Width, Height int
	Cells         []Cell
}

// Cell returns the cell of participant id.
func (l Layout) Cell(id string) (Cell, bool) {
	for _, c := range l.Cells {
		if c.ParticipantID == id {
			return c, true
		}
	}
	return Cell{}, false
}

// ErrorMessage is an error the server sent.
type ErrorMessage struct {
	Code, Message string
}

func (e ErrorMessage) Error() string { return "server error " + e.Code + ": " + e.Message }

// candidateInit is the browser's RTCIceCandidateInit.
type candidateInit struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}
