package rooms

import (
	"math"
	"time"
)

// Live connection status: every ~2 s each advisor in the room gets one
// status message with every participant's tier, rates, RTT, loss, received
// frame rate, client and devices. The same figures accumulate into the
// CallSummary the room reports when it closes.

// setDevice records what the client reports about its camera and microphone.
func (p *Participant) setDevice(m Message) {
	d := DeviceStatus{Camera: m.Camera, Microphone: m.Microphone, Details: m.Details}
	if old := p.device.Load(); old != nil { // an absent field keeps its last value
		if d.Camera == "" {
			d.Camera = old.Camera
		}
		if d.Microphone == "" {
			d.Microphone = old.Microphone
		}
		if d.Details == "" {
			d.Details = old.Details
		}
	}
	p.device.Store(&d)
}

// statusWindow is the span the status rates average over.
const statusWindow = 2 * time.Second

// connectionStatus is p's entry in a status message (room loop).
func (r *Room) connectionStatus(p *Participant) ConnectionStatus {
	rx := p.rx
	s := ConnectionStatus{
		ParticipantID: string(p.id), Name: p.name, Role: p.role,
		Tier:        rx.level.name(),
		DownKbps:    round1(rx.usage.rate(statusWindow) * 8 / 1000),
		UpKbps:      round1(rx.up.rate(statusWindow) * 8 / 1000),
		RTTMillis:   round1(float64(p.link.rtt()) / float64(time.Millisecond)),
		LossPct:     round1(100 * p.link.loss()),
		FPS:         round1(rx.frames.rate(statusWindow)),
		VideoPaused: !rx.level.video(),
		Device:      p.device.Load(),
		Mode:        rx.mode,
		Reconnects:  int(p.reconnects.Load()),
		Interrupted: rx.silent,
	}
	if p.client != (ClientInfo{}) {
		c := p.client
		s.Client = &c
	}
	return s
}

// sendStatus sends every advisor the room's connection status (room loop).
func (r *Room) sendStatus() {
	var advisors []*Participant
	for _, p := range r.parts {
		if p.role == RoleAdvisor {
			advisors = append(advisors, p)
		}
	}
	m := Message{Type: TypeStatus, Connections: make([]ConnectionStatus, 0, min(len(r.parts), maxConnections))}
	for _, p := range r.parts {
		s := r.connectionStatus(p)
		r.call.observe(s)
		if len(m.Connections) < maxConnections {
			m.Connections = append(m.Connections, s)
		}
	}
	if len(advisors) == 0 {
		return
	}
	b, err := encodeMessage(m)
	if err != nil {
		r.log.Error("encode status", "err", err)
		return
	}
	for _, p := range advisors {
		p.sendRaw(b)
	}
}

// reconnected counts a participant's media connection recovering after a loss.
func (r *Room) reconnected(p *Participant) {
	p.reconnects.Add(1)
	r.do(func() { r.call.reconnects++ })
}

// CallSummary is what a room reports when it closes (Config.OnCallEnd), for
// the integrator's call records. It names nobody.
type CallSummary struct {
	RoomID     string
	Start, End time.Time
	// Participants counts who joined, by role (a rejoin under the same name
	// and role counts once, and as a reconnect).
	Participants map[Role]int
	// TierShares is the share (0..1) of all receivers' time spent on each
	// tier: "high", "medium", "low" and "audio" (AudioOnlyTier), and
	// "interrupted" for the time a receiver's link was gone.
	TierShares   map[string]float64
	WorstRTT     time.Duration
	WorstLossPct float64
	// Reconnects counts rejoins and media connections that recovered.
	Reconnects int
}

// callStats accumulates a CallSummary (room loop).
type callStats struct {
	start      time.Time
	seen       map[string]Role // role + name → role, to count rejoins
	tierTimes  map[string]time.Duration
	lastTier   map[*Participant]time.Time
	worstRTT   time.Duration
	worstLoss  float64
	reconnects int
}

func newCallStats(now time.Time) callStats {
	return callStats{start: now, seen: map[string]Role{}, tierTimes: map[string]time.Duration{}, lastTier: map[*Participant]time.Time{}}
}

func (c *callStats) joined(p *Participant) {
	key := string(p.role) + "\x00" + p.name
	if _, ok := c.seen[key]; ok {
		c.reconnects++
	}
	c.seen[key] = p.role
	c.lastTier[p] = p.joinedAt
}

func (c *callStats) left(p *Participant, now time.Time) {
	if p.rx != nil {
		c.tierTime(p, p.rx.level, now)
	}
	delete(c.lastTier, p)
}

// tierInterrupted is the call record's share of receiver time in which the
// receiver's link was gone (receiver.silent), whatever its tier.
const tierInterrupted = "interrupted"

// tierTime adds the time since p was last counted to level l's share, or to
// the interrupted share while p's link is gone.
func (c *callStats) tierTime(p *Participant, l level, now time.Time) {
	if p.rx == nil || p.rx.vdown == nil {
		c.lastTier[p] = now // not receiving yet
		return
	}
	name := l.name()
	if p.rx.silent {
		name = tierInterrupted
	}
	if last, ok := c.lastTier[p]; ok && now.After(last) {
		c.tierTimes[name] += now.Sub(last)
	}
	c.lastTier[p] = now
}

// backdate moves p's time since from, counted already as level l (tierTime
// runs every 500 ms), to the interrupted share: the link was gone since then
// but is only called so after silentAfter. Were the level changed within
// that span, l gives up at most what it has.
func (c *callStats) backdate(p *Participant, l level, from time.Time) {
	last, ok := c.lastTier[p]
	if !ok || !last.After(from) {
		return
	}
	d := min(last.Sub(from), c.tierTimes[l.name()])
	c.tierTimes[l.name()] -= d
	c.tierTimes[tierInterrupted] += d
}

func (c *callStats) observe(s ConnectionStatus) {
	c.worstRTT = max(c.worstRTT, time.Duration(s.RTTMillis*float64(time.Millisecond)))
	c.worstLoss = math.Max(c.worstLoss, s.LossPct)
}

func (c *callStats) summary(room string, end time.Time) CallSummary {
	s := CallSummary{RoomID: room, Start: c.start, End: end, Participants: map[Role]int{}, TierShares: map[string]float64{},
		WorstRTT: c.worstRTT, WorstLossPct: c.worstLoss, Reconnects: c.reconnects}
	for _, role := range c.seen {
		s.Participants[role]++
	}
	var total time.Duration
	for _, d := range c.tierTimes {
		total += d
	}
	if total > 0 {
		for name, d := range c.tierTimes {
			s.TierShares[name] = float64(d) / float64(total)
		}
	}
	return s
}
