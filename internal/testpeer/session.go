package testpeer

import (
	"fmt"
)

// handleSession keeps the state of the in-call messages (chat, tiers, group
// sessions, status). It reports whether m was one of them.
func (p *Peer) handleSession(m Message) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m.Type {
	case "chat":
		p.chats = append(p.chats, ChatMessage{ID: m.ID, ParticipantID: m.ParticipantID, Name: m.Name, Role: m.Role, Text: m.Text, Time: m.Time})
	case "chat_history":
		p.chats = append(append([]ChatMessage(nil), m.Messages...), p.chats...)
	case "chat_delete":
		for i, c := range p.chats {
			if c.ID == m.ID {
				p.chats = append(p.chats[:i], p.chats[i+1:]...)
				break
			}
		}
	case "usage":
		p.usage = Usage{Tier: m.Tier, Width: m.Width, Height: m.Height, Kbps: m.Kbps, MBPerHour: m.MBPerHour}
		p.hasUsage = true
	case "video_paused":
		p.paused = m.Reason
		if p.paused == "" {
			p.paused = "(none)"
		}
		p.pauses++
	case "video_resumed":
		p.paused = ""
	case "publish_hint":
		p.hint = PublishHint{MaxWidth: m.MaxWidth, MaxHeight: m.MaxHeight, MaxFPS: m.MaxFPS, MaxKbps: m.MaxKbps}
		p.hasHint = true
	case "status":
		p.status = m.Connections
		p.statuses++
	case "mute_request":
		p.muteReqs++
	case "hand":
		if m.Raised != nil && !*m.Raised {
			p.handDown++
		}
	case "promoted":
		p.publishing = true
		p.notifyLocked()
		p.mu.Unlock()
		err := p.startPublishing()
		p.mu.Lock()
		return true, err
	case "demoted":
		p.publishing = false
		p.notifyLocked()
		p.mu.Unlock()
		p.stopPublishing()
		p.mu.Lock()
		return true, nil
	default:
		return false, nil
	}
	p.notifyLocked()
	return true, nil
}

// SetQuality sends quality{mode, budget_mb_per_hour} ("high" or "save_data";
// budget 0 for none).
func (p *Peer) SetQuality(mode string, budgetMBPerHour float64) error {
	return p.send(Message{Type: "quality", Mode: mode, BudgetMBPerHour: budgetMBPerHour})
}

// Usage returns the last usage message.
func (p *Peer) Usage() (Usage, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.usage, p.hasUsage
}

// VideoPaused returns the reason of the last video_paused ("" while video
// flows, i.e. none yet or a video_resumed since) and how many pauses came.
func (p *Peer) VideoPaused() (reason string, pauses int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused, p.pauses
}

// PublishHint returns the last publish_hint.
func (p *Peer) PublishHint() (PublishHint, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hint, p.hasHint
}

// DeviceStatus sends device_status.
func (p *Peer) DeviceStatus(d DeviceStatus) error {
	return p.send(Message{Type: "device_status", Camera: d.Camera, Microphone: d.Microphone, Details: d.Details})
}

// Status returns the last status message's entries (advisors get them) and
// how many status messages came.
func (p *Peer) Status() ([]ConnectionStatus, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ConnectionStatus(nil), p.status...), p.statuses
}

// Chat sends a chat message.
func (p *Peer) Chat(text string) error { return p.send(Message{Type: "chat", Text: text}) }

// DeleteChat asks the server to delete a chat message (advisors only).
func (p *Peer) DeleteChat(id string) error { return p.send(Message{Type: "chat_delete", ID: id}) }

// Chats returns the chat as this peer has it: history, new messages, minus deletions.
func (p *Peer) Chats() []ChatMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ChatMessage(nil), p.chats...)
}

// RaiseHand and LowerHand raise or lower this peer's hand; LowerHandOf lowers
// someone else's (advisors only).
func (p *Peer) RaiseHand() error { return p.send(Message{Type: "raise_hand"}) }
func (p *Peer) LowerHand() error { return p.send(Message{Type: "lower_hand"}) }
func (p *Peer) LowerHandOf(id string) error {
	return p.send(Message{Type: "lower_hand", ParticipantID: id})
}
func (p *Peer) MuteAll() error          { return p.send(Message{Type: "mute_all"}) }
func (p *Peer) Promote(id string) error { return p.send(Message{Type: "promote", ParticipantID: id}) }
func (p *Peer) Demote(id string) error  { return p.send(Message{Type: "demote", ParticipantID: id}) }

// Attendees is the attendee count of the last roster.
func (p *Peer) Attendees() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attendees
}

// Publishing reports whether the peer publishes (its role, or promoted and
// not demoted since).
func (p *Peer) Publishing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.publishing
}

// MuteRequests and HandsLowered count mute_request and hand{raised: false}
// messages received.
func (p *Peer) MuteRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.muteReqs
}

func (p *Peer) HandsLowered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.handDown
}

// Received counts the server messages of a type received so far.
func (p *Peer) Received(typ string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.received[typ]
}

// startPublishing runs on promoted: the camera and microphone go onto the
// peer's transceivers and it re-offers, as docs/signalling.md asks.
func (p *Peer) startPublishing() error {
	if p.cam == nil {
		cam, err := newCamera(p.opts)
		if err != nil {
			return err
		}
		mic, err := newMicrophone(p.opts)
		if err != nil {
			cam.close()
			return err
		}
		vs, err := p.pc.AddTrack(cam.track)
		if err != nil {
			return fmt.Errorf("add camera track: %w", err)
		}
		as, err := p.pc.AddTrack(mic.track)
		if err != nil {
			return fmt.Errorf("add microphone track: %w", err)
		}
		p.goMu.Lock()
		p.cam, p.mic = cam, mic
		p.goMu.Unlock()
		p.spawn(func() { readKeyframeRequests(vs, cam.requestKeyframe) })
		p.spawn(func() { drainRTCP(as) })
		p.spawn(func() { cam.run(p.ctx) })
		p.spawn(func() { mic.run(p.ctx) })
	}
	p.cam.paused.Store(false)
	p.mic.paused.Store(false)
	return p.Renegotiate(false)
}

// stopPublishing runs on demoted: the camera and microphone stop sending.
func (p *Peer) stopPublishing() {
	if p.cam != nil {
		p.cam.paused.Store(true)
		p.mic.paused.Store(true)
	}
}
