package rooms

import (
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// Video pause reasons (video_paused{reason}).
const (
	PauseBandwidth = "bandwidth"  // the link cannot carry the lowest video tier
	PauseDataSaver = "data_saver" // the client's budget allows audio only
)

// linkStats is what a receiver's RTCP says about its link, written by the
// RTCP readers and read by the room loop.
type linkStats struct {
	lossBits  atomic.Uint64 // float64 bits: fraction lost, smoothed over receiver reports
	audioLoss atomic.Uint64 // float64 bits: the same over the audio stream's reports only
	rttNanos  atomic.Int64  // last round-trip time; 0 before the first
	jitNanos  atomic.Int64  // last interarrival jitter the receiver reported, in time; 0 before the first
}

func (l *linkStats) loss() float64 { return math.Float64frombits(l.lossBits.Load()) }

// lossOfAudio is the loss of the audio stream alone: video's reports count
// packets NACKs will repair, audio's do not.
func (l *linkStats) lossOfAudio() float64 { return math.Float64frombits(l.audioLoss.Load()) }
func (l *linkStats) rtt() time.Duration   { return time.Duration(l.rttNanos.Load()) }

// jitter is the latest interarrival jitter of either stream we send: what the
// receiver's jitter buffer has to absorb, for the operators' histogram.
func (l *linkStats) jitter() time.Duration { return time.Duration(l.jitNanos.Load()) }

// onReceiverReport folds one report block about a stream we send into the
// stats. RTT is the RFC 3550 computation: the report's arrival in NTP time,
// minus the time of our last sender report it echoes, minus how long the
// receiver held it. It uses the wall clock because the sender reports pion
// writes carry wall-clock NTP times. Jitter comes in RTP timestamp units of
// the stream's clockRate (90000 video, 48000 audio); 0 leaves it unknown.
func (l *linkStats) onReceiverReport(r rtcp.ReceptionReport, clockRate uint32, arrival time.Time) {
	frac := float64(r.FractionLost) / 256
	old := l.loss()
	l.lossBits.Store(math.Float64bits(old + 0.5*(frac-old)))
	if clockRate == audioClockRate {
		a := l.lossOfAudio()
		l.audioLoss.Store(math.Float64bits(a + 0.5*(frac-a)))
	}
	if clockRate > 0 {
		l.jitNanos.Store(int64(r.Jitter) * int64(time.Second) / int64(clockRate))
	}
	if r.LastSenderReport == 0 {
		return
	}
	mid := uint32(ntpTime(arrival) >> 16)
	rtt := mid - r.LastSenderReport - r.Delay // 1/65536 s
	if rtt > 1<<31 {
		return // the report is from before our clock's idea of the SR: ignore
	}
	l.rttNanos.Store(int64(rtt) * int64(time.Second) / 65536)
}

// ntpTime is t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	s := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return s<<32 | frac
}

// handleRTCP takes the RTCP a receiver sends about one of our streams (ssrc,
// timestamps at clockRate): keyframe requests go to the encoder it should
// receive, reception reports into its link stats.
func (p *Participant) handleRTCP(pkts []rtcp.Packet, ssrc, clockRate uint32) {
	for _, pkt := range pkts {
		switch pkt := pkt.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			p.requestKeyframe()
		case *rtcp.ReceiverReport:
			for _, r := range pkt.Reports {
				if r.SSRC == ssrc {
					p.link.onReceiverReport(r, clockRate, time.Now())
				}
			}
		}
	}
}

// maxProbes bounds the receivers of a room that probe at once: padding costs
// the server packets (SRTP, interceptors) like media does, and in a large
// session many receivers stepped down by CPU contention at once must not all
// pad at once and add to it.
const maxProbes = 4

// adaptAll runs every receiver's tier policy on its latest link figures
// (room loop, every 500 ms).
func (r *Room) adaptAll(now time.Time) {
	probing := 0
	for _, p := range r.parts {
		if p.rx.vdown != nil && p.rx.policy.probing() {
			probing++
		}
	}
	for _, p := range r.parts {
		rx := p.rx
		r.call.tierTime(p, rx.level, now)
		if rx.vdown == nil {
			continue // not negotiated yet
		}
		ls := r.linkSample(p, now)
		was := rx.policy.probing()
		ls.noProbe = !was && probing >= maxProbes
		if p.log.Enabled(context.Background(), slog.LevelDebug) {
			p.log.Debug("link", "tier", rx.level.name(), "estimate_kbps", int(ls.estimateKbps), "sent_kbps", int(ls.sentKbps),
				"loss", round1(100*ls.loss), "rtt", p.link.rtt(), "probing", rx.policy.probing())
		}
		l, changed := rx.policy.update(ls)
		if changed {
			r.setLevel(p, l)
		}
		need := 0.0
		if rx.level.video() {
			need = rx.level.needKbps()
		}
		rx.adown.setRedundancy(rx.red.update(now, p.link.lossOfAudio(), ls.estimateKbps, need,
			rx.mode == QualitySaveData || rx.budget > 0))
		switch is := rx.policy.probing(); {
		case is && !was:
			probing++
		case was && !is:
			probing--
		}
		pad := 0.0
		if rx.policy.probing() && rx.level > levelHigh && rx.level.video() {
			pad = (rx.level - 1).needKbps() - rx.level.needKbps()
		}
		rx.vdown.setPadding(pad)
	}
}

// sentWindow is the span over which the rate actually sent is measured for the policy.
const sentWindow = 2 * time.Second

func (r *Room) linkSample(p *Participant, now time.Time) linkSample {
	return linkSample{now: now, estimateKbps: p.estimateKbps(), sentKbps: p.rx.sent.rate(sentWindow) * 8 / 1000,
		loss: p.link.loss(), rtt: p.link.rtt(), cap: p.rx.cap()}
}

// estimateKbps is GCC's target rate for what the server sends p; without an
// estimator, a rate that allows every tier (loss still applies).
func (p *Participant) estimateKbps() float64 {
	if p.bwe == nil {
		return gccInitialBitrate / 1000
	}
	return float64(p.bwe.GetTargetBitrate()) / 1000
}

// setLevel moves p to level l: another shared output, or audio only (room loop).
func (r *Room) setLevel(p *Participant, l level) {
	rx := p.rx
	old := rx.level
	if l == old {
		return
	}
	rx.level = l
	p.log.Info("tier changed", "from", old.name(), "to", l.name(), "estimate_kbps", int(p.estimateKbps()), "loss", p.link.loss())
	if err := r.routeVideo(p); err != nil {
		p.log.Error("switch tier", "tier", l.name(), "err", err)
		return
	}
	switch {
	case old.video() && !l.video():
		reason := PauseBandwidth
		if rx.cap() == levelAudioOnly {
			reason = PauseDataSaver
		}
		p.send(Message{Type: TypeVideoPaused, Reason: reason})
	case !old.video() && l.video():
		p.send(Message{Type: TypeVideoResumed})
	}
	r.sendUsage(p)
}

// setQuality applies the client's choice: it caps the tier at once.
func (r *Room) setQuality(p *Participant, mode string, budget float64) {
	r.do(func() {
		rx := p.rx
		rx.mode, rx.budget = mode, budget
		if rx.vdown == nil {
			if l := rx.cap(); rx.level < l {
				rx.level = l
				rx.policy = newTierPolicy(defaultPolicy, l, r.cfg.Now())
			}
			return
		}
		l, changed := rx.policy.update(r.linkSample(p, r.cfg.Now()))
		if changed {
			r.setLevel(p, l)
		} else {
			r.sendUsage(p)
		}
	})
}

// sampleUsage records what every receiver was sent so far (room loop, every second).
func (r *Room) sampleUsage(now time.Time) {
	changed := false
	for _, p := range r.parts {
		rx := p.rx
		if rx.vdown == nil {
			continue
		}
		rx.usage.add(now, rx.vdown.bytes.Load()+rx.adown.bytes.Load())
		rx.frames.add(now, rx.vdown.frames.Load())
		up := p.upBytes.Load()
		rx.up.add(now, up)
		if h := up + p.rtcpIn.Load(); h != rx.heard {
			rx.heard, rx.heardAt = h, now
		}
		if silent := rx.interrupted(now); silent != rx.silent {
			r.call.tierTime(p, rx.level, now) // the time until now belongs to the state before ...
			if silent {
				r.call.backdate(p, rx.level, rx.heardAt) // ... but the link was gone since the last thing heard
				p.log.Info("connection interrupted: nothing received", "for", now.Sub(rx.heardAt))
			} else {
				p.log.Info("connection back")
			}
			rx.silent, changed = silent, true
		}
		rx.sent.add(now, rx.vdown.payload.Load()+rx.adown.payload.Load())
		r.noteJoined(p)
	}
	if changed {
		r.sendStatus() // the advisors learn of a lost or returned link now, not at the next status
	}
}

// noteJoined records, once, how long p waited from its join to the first
// media sent to it: the composed video, or the audio mix at audio only. The
// output path only stamps its first frame; the room loop turns it into the
// figure (room loop).
func (r *Room) noteJoined(p *Participant) {
	if p.joinTime > 0 {
		return
	}
	first := p.rx.vdown.firstAt.Load()
	if !p.rx.level.video() {
		first = p.rx.adown.firstAt.Load()
	}
	if first == 0 {
		return
	}
	p.joinTime = max(time.Unix(0, first).Sub(p.joinedAt), time.Nanosecond) // 0 means "not yet"
	if r.cfg.OnJoined != nil {
		r.cfg.OnJoined(p.joinTime)
	}
}

// sendUsage tells p its tier and how much data its call uses, measured from
// what was sent to it over the last ~10 s.
func (r *Room) sendUsage(p *Participant) {
	rx := p.rx
	if rx.vdown == nil {
		return
	}
	kbps := rx.usage.rate(usageWindow) * 8 / 1000
	m := Message{Type: TypeUsage, Tier: rx.level.name(), Kbps: round1(kbps), MBPerHour: round1(kbpsToMBPerHour(kbps)),
		Mode: rx.mode, BudgetMBPerHour: rx.budget}
	if rx.level.video() {
		t := tierOf(rx.level, rx.codec)
		m.Width, m.Height = t.Width, t.Height
	}
	p.send(m)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
