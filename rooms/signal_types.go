package rooms

// ChatMessage is one chat line as the server sends it: the server assigns the
// id and the time (RFC 3339 UTC, milliseconds) and names the sender.
type ChatMessage struct {
	ID            string `json:"id"`
	ParticipantID string `json:"participant_id"`
	Name          string `json:"name"`
	Role          Role   `json:"role"`
	Text          string `json:"text"`
	Time          string `json:"time"`
}

// DeviceStatus is what a client last reported about its devices
// (device_status), shown to the advisor.
type DeviceStatus struct {
	Camera     string `json:"camera,omitempty"`     // one of deviceStates
	Microphone string `json:"microphone,omitempty"` // one of deviceStates
	Details    string `json:"details,omitempty"`    // free text from the page, e.g. the camera's label
}

// deviceStates are the values device_status may carry for camera and microphone.
var deviceStates = []string{"ok", "off", "denied", "missing", "error", "unknown"}

// ConnectionStatus is one participant's live connection, as advisors see it
// in status messages. Rates are over the last ~2 s.
type ConnectionStatus struct {
	ParticipantID string        `json:"participant_id"`
	Name          string        `json:"name"`
	Role          Role          `json:"role"`
	Tier          string        `json:"tier"`                 // what it receives: high, medium, low or audio
	DownKbps      float64       `json:"down_kbps"`            // server → participant
	UpKbps        float64       `json:"up_kbps"`              // participant → server
	RTTMillis     float64       `json:"rtt_ms"`               // round trip, from its receiver reports; 0 before the first
	LossPct       float64       `json:"loss_pct"`             // of what it receives
	FPS           float64       `json:"fps"`                  // video frames it receives per second
	VideoPaused   bool          `json:"video_paused"`         // audio only
	Client        *ClientInfo   `json:"client,omitempty"`     // from join
	Device        *DeviceStatus `json:"device,omitempty"`     // from device_status
	Mode          string        `json:"mode,omitempty"`       // its quality choice
	Reconnects    int           `json:"reconnects,omitempty"` // ICE recoveries
	// Nothing has arrived from it for a few seconds: its link is gone,
	// perhaps for a moment (a tunnel); the call goes on when it is back.
	Interrupted bool `json:"interrupted,omitempty"`
}
