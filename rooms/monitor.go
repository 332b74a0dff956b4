package rooms

import (
	"time"
)

// Monitor is a point-in-time picture of every room, for Prometheus and the
// operators' live view. It is gathered at scrape time (pull), so the media
// path carries no metric calls; it names nobody.
type Monitor struct {
	Rooms []RoomMonitor
}

// RoomMonitor is one room's share of a Monitor.
type RoomMonitor struct {
	ID           string
	Participants []ParticipantMonitor
	Encoders     []EncoderMonitor
	// Cumulative over the room's life (they restart with the room).
	KeyframesForced uint64
	EncodeErrors    uint64
}

// ParticipantMonitor is one connected participant, without their name.
type ParticipantMonitor struct {
	Key   string // unique within the room while connected (the mixer's id)
	Role  Role
	Tier  string // "high", "medium", "low" or "audio"; "interrupted" while its link is gone
	Codec string // the video codec sent to them: "vp8" or "h264"
	// From their receiver reports; zero before the first.
	RTT          time.Duration
	LossFraction float64
	Jitter       time.Duration // interarrival jitter of the latest report, either stream
	// Cumulative over the connection.
	BytesIn, BytesOut uint64
	BadMedia          uint64 // media the server could not use (decode errors, bad packets)
	Reconnects        int64
	JoinedAt          time.Time
	// JoinTime is from the join to the first composed video frame (audio
	// packet at audio only) sent to them; 0 until then.
	JoinTime time.Duration
}

// EncoderMonitor is one shared output: one encoder of a (view, tier, codec).
type EncoderMonitor struct {
	Tier, Codec string
	Receivers   int
}

// Monitor asks each room's loop for its picture. The room list is copied under
// the lock and the rooms are asked outside it; a closing room is skipped.
func (m *Manager) Monitor() Monitor {
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	var mon Monitor
	for _, r := range rooms {
		var rm RoomMonitor
		if r.do(func() { rm = r.monitor() }) {
			mon.Rooms = append(mon.Rooms, rm)
		}
	}
	return mon
}

// monitor runs on the room loop.
func (r *Room) monitor() RoomMonitor {
	rm := RoomMonitor{ID: r.id}
	for _, p := range r.parts {
		pm := ParticipantMonitor{
			Key:          string(p.id),
			Role:         p.role,
			RTT:          p.link.rtt(),
			LossFraction: p.link.loss(),
			BytesIn:      p.upBytes.Load(),
			BadMedia:     p.badMediaCount.Load(),
			Reconnects:   p.reconnects.Load(),
			JoinedAt:     p.joinedAt,
			Jitter:       p.link.jitter(),
			JoinTime:     p.joinTime,
		}
		if rx := p.rx; rx != nil {
			pm.Tier = rx.level.name()
			if rx.silent {
				pm.Tier = tierInterrupted // its link is gone: it gets nothing for now
			}
			pm.Codec = rx.codec.String()
			if rx.vdown != nil {
				pm.BytesOut += rx.vdown.bytes.Load()
			}
			if rx.adown != nil {
				pm.BytesOut += rx.adown.bytes.Load()
			}
		}
		rm.Participants = append(rm.Participants, pm)
	}
	for k, o := range r.videoOuts {
		c := k.tier.Codec.String()
		if k.tier.Codec == 0 {
			c = "vp8"
		}
		rm.Encoders = append(rm.Encoders, EncoderMonitor{Tier: k.tier.Name, Codec: c, Receivers: len(*o.fan.downs.Load())})
	}
	for _, o := range r.audioOuts {
		rm.Encoders = append(rm.Encoders, EncoderMonitor{Tier: AudioOnlyTier, Codec: "opus", Receivers: len(*o.fan.downs.Load())})
	}
	ms := r.mix.Stats()
	rm.KeyframesForced, rm.EncodeErrors = ms.KeyframesForced, ms.EncodeErrors
	return rm
}
