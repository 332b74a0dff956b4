package rooms

import (
	"strconv"
	"strings"
	"time"
)

// Chat: plain text, kept in memory only (nothing is written to disk), the
// last maxChatHistory messages per room so late joiners see the
// conversation. The server assigns id, sender and time; an advisor can delete
// any message for everyone.

// chatInterval paces one participant's messages: at most one per interval.
const chatInterval = 500 * time.Millisecond

// chatLog is a room's recent chat (room loop).
type chatLog struct {
	msgs []ChatMessage
	next uint64
}

func (c *chatLog) add(m ChatMessage) ChatMessage {
	c.next++
	m.ID = "c" + strconv.FormatUint(c.next, 10)
	if len(c.msgs) == maxChatHistory {
		copy(c.msgs, c.msgs[1:])
		c.msgs = c.msgs[:maxChatHistory-1]
	}
	c.msgs = append(c.msgs, m)
	return m
}

func (c *chatLog) remove(id string) bool {
	for i, m := range c.msgs {
		if m.ID == id {
			c.msgs = append(c.msgs[:i], c.msgs[i+1:]...)
			return true
		}
	}
	return false
}

// history is the chat_history message for a late joiner, if there is any chat.
func (c *chatLog) history() (Message, bool) {
	if len(c.msgs) == 0 {
		return Message{}, false
	}
	return Message{Type: TypeChatHistory, Messages: append([]ChatMessage(nil), c.msgs...)}, true
}

// chat posts p's message to the room, unless p sends too fast.
func (p *Participant) chat(m Message) {
	if m.ID != "" || m.ParticipantID != "" || m.Name != "" || m.Role != "" || m.Time != "" {
		p.sendError(CodeBadMessage, "chat from a client carries only text")
		return
	}
	if ok, _ := p.chatLimit.allow(); !ok {
		p.sendError(CodeRateLimited, "chat: one message per 500 ms")
		return
	}
	text := strings.TrimSpace(m.Text)
	now := p.m.cfg.Now().UTC()
	p.room.do(func() {
		c := p.room.chat.add(ChatMessage{
			ParticipantID: string(p.id), Name: p.name, Role: p.role, Text: text,
			Time: now.Format("2006-01-02T15:04:05.000Z07:00"),
		})
		p.room.sendAll(Message{Type: TypeChat, ID: c.ID, ParticipantID: c.ParticipantID, Name: c.Name, Role: c.Role, Text: c.Text, Time: c.Time})
	})
}

// deleteChat removes a message for everyone; only advisors may.
func (r *Room) deleteChat(p *Participant, id string) {
	if p.role != RoleAdvisor {
		p.sendError(CodeForbidden, "only an advisor can delete chat messages")
		return
	}
	r.do(func() {
		if !r.chat.remove(id) {
			p.sendError(CodeNotFound, "no chat message "+id)
			return
		}
		r.sendAll(Message{Type: TypeChatDelete, ID: id})
	})
}
