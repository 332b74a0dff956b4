package rooms

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the in-call messages.
const (
	// MaxChatText bounds one chat message (bytes of UTF-8).
	MaxChatText = 2000
	// maxBudget bounds a data budget: far above any tier, finite.
	maxBudget        = 100000
	maxChatHistory   = 100 // messages kept per room and sent to late joiners
	maxConnections   = 800 // entries of one status message (~250 bytes each: within MaxMessageSize)
	maxKbps          = 1e6
	maxStatusDetails = maxShortText
)

// validateSession checks the messages of the call's features (quality,
// screen, chat, group sessions, status): everything after joining.
func validateSession(m *Message, keys map[string]json.RawMessage) error {
	switch m.Type {
	case TypeQuality:
		if m.Mode != QualityHigh && m.Mode != QualitySaveData {
			return fmt.Errorf("mode %.32q is neither %q nor %q", m.Mode, QualityHigh, QualitySaveData)
		}
		return checkBudget(m.BudgetMBPerHour)
	case TypeUsage:
		if err := maxLen("tier", m.Tier, maxIDLen); err != nil {
			return err
		}
		if m.Width < 0 || m.Width > maxPictureSide || m.Height < 0 || m.Height > maxPictureSide {
			return fmt.Errorf("picture size %dx%d out of range", m.Width, m.Height)
		}
		if err := checkRate("kbps", m.Kbps); err != nil {
			return err
		}
		if err := checkRate("mb_per_hour", m.MBPerHour); err != nil {
			return err
		}
		if err := maxLen("mode", m.Mode, maxIDLen); err != nil {
			return err
		}
		return checkBudget(m.BudgetMBPerHour)
	case TypeVideoPaused:
		return maxLen("reason", m.Reason, maxShortText)
	case TypePublishHint:
		for _, v := range [...]int{m.MaxWidth, m.MaxHeight} {
			if v < 0 || v > maxPictureSide {
				return fmt.Errorf("size %d out of range", v)
			}
		}
		if m.MaxFPS < 0 || m.MaxFPS > 240 || m.MaxKbps < 0 || m.MaxKbps > maxKbps {
			return fmt.Errorf("rate %d fps / %d kbit/s out of range", m.MaxFPS, m.MaxKbps)
		}
	case TypeDeviceStatus:
		if m.Camera == "" && m.Microphone == "" && m.Details == "" {
			return errors.New("device_status names neither camera, microphone nor details")
		}
		for _, f := range [...]struct{ name, v string }{{"camera", m.Camera}, {"microphone", m.Microphone}} {
			if f.v != "" && !slices.Contains(deviceStates, f.v) {
				return fmt.Errorf("%s %.32q is not one of %v", f.name, f.v, deviceStates)
			}
		}
		return checkText("details", m.Details, maxStatusDetails, false)
	case TypeScreen:
		return requiredID("mid", m.Mid)
	case TypeChat:
		if strings.TrimSpace(m.Text) == "" {
			return errors.New("empty chat text")
		}
		if err := checkText("text", m.Text, MaxChatText, true); err != nil {
			return err
		}
		return checkChatFields(m.ID, m.ParticipantID, m.Name, m.Role, m.Time, keys)
	case TypeChatDelete:
		return requiredID("id", m.ID)
	case TypeChatHistory:
		if len(m.Messages) > maxChatHistory {
			return fmt.Errorf("%d messages exceed the limit of %d", len(m.Messages), maxChatHistory)
		}
		for i, c := range m.Messages {
			if err := requiredID(fmt.Sprintf("messages[%d].id", i), c.ID); err != nil {
				return err
			}
			if err := checkText(fmt.Sprintf("messages[%d].text", i), c.Text, MaxChatText, true); err != nil {
				return err
			}
			if err := maxLen(fmt.Sprintf("messages[%d].name", i), c.Name, maxShortText); err != nil {
				return err
			}
		}
	case TypeLowerHand, TypeHand, TypeMuteRequest:
		return maxLen("participant_id", m.ParticipantID, maxIDLen)
	case TypePromote, TypeDemote:
		return requiredID("participant_id", m.ParticipantID)
	case TypeStatus:
		if len(m.Connections) > maxConnections {
			return fmt.Errorf("%d connections exceed the limit of %d", len(m.Connections), maxConnections)
		}
		for i, c := range m.Connections {
			if err := requiredID(fmt.Sprintf("connections[%d].participant_id", i), c.ParticipantID); err != nil {
				return err
			}
			for _, v := range [...]float64{c.DownKbps, c.UpKbps, c.LossPct, c.FPS} {
				if err := checkRate(fmt.Sprintf("connections[%d]", i), v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkChatFields: a client's chat carries only text; the server's names
// the id, sender and time. Either way the fields stay within their limits.
func checkChatFields(id, from, name string, role Role, at string, keys map[string]json.RawMessage) error {
	if err := maxLen("id", id, maxIDLen); err != nil {
		return err
	}
	if err := maxLen("participant_id", from, maxIDLen); err != nil {
		return err
	}
	if err := maxLen("name", name, maxShortText); err != nil {
		return err
	}
	if _, ok := keys["role"]; ok && !role.Valid() {
		return fmt.Errorf("unknown role %.32q", role)
	}
	return maxLen("time", at, maxIDLen)
}

func checkBudget(b float64) error {
	if math.IsNaN(b) || b < 0 || b > maxBudget {
		return fmt.Errorf("budget_mb_per_hour %v outside 0..%d", b, maxBudget)
	}
	return nil
}

func checkRate(field string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > maxKbps {
		return fmt.Errorf("%s %v out of range", field, v)
	}
	return nil
}

// checkText accepts plain text: valid UTF-8 within limit bytes, no control
// characters (line breaks and tabs only where multiline allows them).
func checkText(field, v string, limit int, multiline bool) error {
	if err := maxLen(field, v, limit); err != nil {
		return err
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return fmt.Errorf("%s contains control character %U", field, r)
		}
	}
	return nil
}
