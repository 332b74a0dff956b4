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
	Attendees    int           `json:"attendees,omitempty"`

	Mode            string  `json:"mode,omitempty"`
	BudgetMBPerHour float64 `json:"budget_mb_per_hour,omitempty"`
	Tier            string  `json:"tier,omitempty"`
	Kbps            float64 `json:"kbps,omitempty"`
	MBPerHour       float64 `json:"mb_per_hour,omitempty"`

	MaxWidth  int `json:"max_width,omitempty"`
	MaxHeight int `json:"max_height,omitempty"`
	MaxFPS    int `json:"max_fps,omitempty"`
	MaxKbps   int `json:"max_kbps,omitempty"`

	Camera     string `json:"camera,omitempty"`
	Microphone string `json:"microphone,omitempty"`
	Details    string `json:"details,omitempty"`

	Mid string `json:"mid,omitempty"`

	ID       string        `json:"id,omitempty"`
	Text     string        `json:"text,omitempty"`
	Time     string        `json:"time,omitempty"`
	Messages []ChatMessage `json:"messages,omitempty"`

	Raised *bool `json:"raised,omitempty"`

	Connections []ConnectionStatus `json:"connections,omitempty"`

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
	Publishing bool   `json:"publishing"`
	HandRaised bool   `json:"hand_raised,omitempty"`
}

// Cell is where one participant (or their shared screen) is drawn, relative
// to the picture (0..1).
type Cell struct {
	ParticipantID string  `json:"participant_id"`
	X             float64 `json:"x"`
	Y             float64 `json:"y"`
	W             float64 `json:"w"`
	H             float64 `json:"h"`
	Screen        bool    `json:"screen,omitempty"`
}

// ChatMessage is one chat line as the server sends it.
type ChatMessage struct {
	ID            string `json:"id"`
	ParticipantID string `json:"participant_id"`
	Name          string `json:"name"`
	Role          string `json:"role"`
	Text          string `json:"text"`
	Time          string `json:"time"`
}

// DeviceStatus is a participant's camera and microphone state.
type DeviceStatus struct {
	Camera     string `json:"camera,omitempty"`
	Microphone string `json:"microphone,omitempty"`
	Details    string `json:"details,omitempty"`
}

// ConnectionStatus is one participant's entry of a status message (advisors).
type ConnectionStatus struct {
	ParticipantID string        `json:"participant_id"`
	Name          string        `json:"name"`
	Role          string        `json:"role"`
	Tier          string        `json:"tier"`
	DownKbps      float64       `json:"down_kbps"`
	UpKbps        float64       `json:"up_kbps"`
	RTTMillis     float64       `json:"rtt_ms"`
	LossPct       float64       `json:"loss_pct"`
	FPS           float64       `json:"fps"`
	VideoPaused   bool          `json:"video_paused"`
	Client        *ClientInfo   `json:"client,omitempty"`
	Device        *DeviceStatus `json:"device,omitempty"`
	Mode          string        `json:"mode,omitempty"`
	Reconnects    int           `json:"reconnects,omitempty"`
	Interrupted   bool          `json:"interrupted,omitempty"`
}

// Usage is the last usage message: the tier received and the data it costs.
type Usage struct {
	Tier          string
	Width, Height int
	Kbps          float64
	MBPerHour     float64
}

// PublishHint is the last publish_hint: the largest size, frame rate and
// bitrate at which this peer's camera is shown anywhere.
type PublishHint struct {
	MaxWidth, MaxHeight, MaxFPS, MaxKbps int
}

// Layout is the last layout message: the receiver's view and its cells.
type Layout struct {
	View          string
	Width, Height int
	Cells         []Cell
}

// Cell returns the camera cell of participant id.
func (l Layout) Cell(id string) (Cell, bool) {
	for _, c := range l.Cells {
		if c.ParticipantID == id && !c.Screen {
			return c, true
		}
	}
	return Cell{}, false
}

// ScreenCell returns the cell of participant id's shared screen.
func (l Layout) ScreenCell(id string) (Cell, bool) {
	for _, c := range l.Cells {
		if c.ParticipantID == id && c.Screen {
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
