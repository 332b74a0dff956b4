package rooms

import "time"

// policyConfig holds the thresholds of the tier policy. The defaults follow
// the goals of issue 5: down within ~2 s of a link that cannot carry the tier,
// up only after the link has carried more for ~8 s, and never flapping.
type policyConfig struct {
	settle      time.Duration // after a change, loss and estimate still describe the old tier: no step down
	downHold    time.Duration // the estimate (or loss) must stay bad this long before a step down
	upHold      time.Duration // ... and good this long before a step up (doubled after a failed step up)
	maxUpHold   time.Duration // the doubling stops here, so a recovered link is used again within ~30 s
	upMargin    float64       // a step up needs the estimate at the next tier's need times this
	lossDown    float64       // loss fraction that forces a step down (after downHold)
	lossAudio   float64       // ... and from the lowest video tier to audio only
	lossUp      float64       // loss fraction above which no step up is tried
	failedProbe time.Duration // a step down this soon after a step up means that step up failed
	stableReset time.Duration // this long without a change forgets past failures
	trialHold   time.Duration // audio only on a clean link this long: try the lowest video tier (doubled after a failed try)
	maxTrial    time.Duration // the doubling stops here
	queueRTT    time.Duration // an RTT this far above the lowest seen means a standing queue: no step up
	probeAfter  time.Duration // a video tier this long on a clean link below the next tier's need: probe for it
	probeMin    time.Duration // a probe runs at least this long before it may step up
	probeMax    time.Duration // ... and gives up after this long without the estimate reaching the next tier
	probeWait   time.Duration // after a failed probe, wait this long before the next (doubled up to maxTrial)
	probeHold   time.Duration // a probe that delivered the next tier's need cleanly this long steps up
	probeGrace  time.Duration // after such a step up, only loss or a queue step down, not GCC's lagging estimate
}

var defaultPolicy = policyConfig{
	settle:      2 * time.Second,
	downHold:    2 * time.Second,
	upHold:      8 * time.Second,
	maxUpHold:   20 * time.Second,
	upMargin:    1.25,
	lossDown:    0.10,
	lossAudio:   0.25,
	lossUp:      0.03,
	failedProbe: 15 * time.Second,
	stableReset: 60 * time.Second,
	trialHold:   12 * time.Second,
	maxTrial:    60 * time.Second,
	queueRTT:    150 * time.Millisecond,
	probeAfter:  4 * time.Second,
	probeMin:    2 * time.Second,
	probeMax:    12 * time.Second,
	probeWait:   6 * time.Second,
	probeHold:   4 * time.Second,
	probeGrace:  10 * time.Second,
}

// probeFall: a probe whose estimate falls below this share of the estimate
// it started from has congested the link: it stops at once. Not 0.9: GCC
// answers the first burst of padding on a busy host with one decrease to
// 0.85 of what it received, from delay noise, and the link still carries the
// probe (TestWeakLink); a queue or loss, which stop a probe too, say more.
const probeFall = 0.75

// probeGain: a probe steps up only when the estimate rose by this much while
// it ran, on top of reaching the next tier's need: the link carried more
// than before, not merely the estimate stood near the need anyway.
const probeGain = 1.2

// probeDelivered: a probe counts as carrying the next tier when the rate sent
// (media and padding) is at least this share of that tier's need.
const probeDelivered = 0.9

// gccUndershoot: after congestion GCC sets its target to 0.85 of the rate the
// link delivered, and on a link that just carries a tier it hovers between
// that and the full rate. So a tier is too much for the link when the
// estimate stays below 0.85 of its need, and a step down on a lossy link
// picks the tier for what the link delivered, not for the undershoot.
const gccUndershoot = 0.85

// Audio only is for a link that cannot carry the lowest video tier at all. On
// it, GCC's estimate dips below the tier's need on a lossy, far link that
// still carries it (150 kbit/s, 5 % loss, 300 ms RTT: estimates of 60–110
// kbit/s for a 72 kbit/s tier, TestWeakLink paused video in 1 of 2 quiet
// runs): the lowest tier steps to audio only on an estimate under lowFloor
// of its need, held for lowHold times downHold. A 50 kbit/s link still does.
const (
	lowFloor = 0.7
	lowHold  = 2
)

// collapseShare: an estimate under this share of the tier's need steps down
// at once, without downHold (see update).
const collapseShare = 0.5

// linkSample is what the policy learns about a receiver's link at one moment.
type linkSample struct {
	now          time.Time
	estimateKbps float64       // GCC's target bitrate for the receiver's PeerConnection
	sentKbps     float64       // RTP payload actually sent to the receiver lately
	loss         float64       // fraction of packets lost (receiver reports), 0..1
	rtt          time.Duration // round-trip time (receiver reports); 0: not measured yet
	cap          level         // the best level the receiver's own choice allows
	noProbe      bool          // no new probe now (the room has enough running)
}

// appLimitedShare: an output sending less than this share of its tier's rate
// (a still picture, a solid colour) is application-limited. GCC then knows
// only that the link carries that little, and its estimate after any delay
// blip (0.85 of the received rate, e.g. from a busy host) says nothing about
// whether the tier fits. Such a receiver steps down on loss, or when the
// estimate falls below appLimitedFloor of what is actually being sent.
const (
	appLimitedShare = 0.6
	appLimitedFloor = 0.8
)

// tierPolicy chooses a receiver's level from its link, with hysteresis. It is
// a pure state machine: the caller passes the time in, so tests drive it with
// a fake clock. The zero value is not ready; use newTierPolicy.
type tierPolicy struct {
	cfg        policyConfig
	level      level
	cap        level     // the cap of the last sample, to notice it being lifted
	badSince   time.Time // the down condition has held since (zero: it does not hold)
	goodSince  time.Time // the up condition has held since
	lastUp     time.Time
	lastChange time.Time
	upHold     time.Duration
	trial      bool          // the last step up was a trial out of audio only
	trialWait  time.Duration // how long audio only must be clean before the next trial
	minRTT     time.Duration // the lowest RTT seen: the path without queues
	probeSince time.Time     // padding up to the next tier's need since (zero: not probing)
	probeFrom  float64       // the estimate when the probe began
	probeNext  time.Time     // no probe before this (after a failed one)
	probeWait  time.Duration // the wait after the next failed probe
	graceTill  time.Time     // a step up by a delivered probe: until then the estimate alone does not step down
	probeReady bool          // the next probe need not wait probeAfter (a probe just succeeded, a cap was lifted)
	byDelivery bool          // the last step up came from a delivered probe, not the estimate
	trustAfter time.Time     // a step up by a delivered probe was undone: until then only the estimate steps up
}

func newTierPolicy(cfg policyConfig, start level, now time.Time) *tierPolicy {
	return &tierPolicy{cfg: cfg, level: start, upHold: cfg.upHold, trialWait: cfg.trialHold, probeWait: cfg.probeWait, lastChange: now}
}

// fitting is the best level at or below cap whose need the estimate carries.
func fitting(estimateKbps float64, cap level) level {
	for l := cap; l < levelAudioOnly; l++ {
		if l.needKbps() <= estimateKbps {
			return l
		}
	}
	return levelAudioOnly
}

// update takes one sample and returns the level the receiver should be on and
// whether it changed.
func (p *tierPolicy) update(s linkSample) (level, bool) {
	old := p.level
	raised := s.cap < p.cap
	p.cap = s.cap
	if p.level < s.cap { // the receiver's own choice applies at once
		p.set(s.cap, s.now)
		return p.level, true
	}
	if raised { // ... and so does lifting it, as far as the link allows now
		if l := fitting(s.estimateKbps/p.cfg.upMargin, s.cap); l < p.level {
			p.set(l, s.now)
			return p.level, true
		}
		// The estimate only knows the capped rate: probe for more at once.
		p.probeReady, p.probeNext = true, time.Time{}
	}
	if s.now.Sub(p.lastChange) >= p.cfg.stableReset && p.level.video() {
		p.upHold, p.trialWait, p.probeWait = p.cfg.upHold, p.cfg.trialHold, p.cfg.probeWait
	}

	if s.rtt > 0 && (p.minRTT == 0 || s.rtt < p.minRTT) {
		p.minRTT = s.rtt
	}
	queued := s.rtt > 0 && s.rtt > p.minRTT+p.cfg.queueRTT // the link holds a queue: it is full
	need := p.level.needKbps()
	short := s.estimateKbps < need*gccUndershoot // GCC hovers between 0.85 and 1 of what the link carries
	if s.sentKbps < appLimitedShare*need {
		short = s.estimateKbps < appLimitedFloor*s.sentKbps
	}
	if s.now.Before(p.graceTill) {
		// The probe showed the link carries this tier; GCC's estimate climbs
		// at most 8 % a second behind it. A queue or loss would say otherwise.
		short = queued
	}
	// Loss takes the lowest video tier away only when it is heavy: pausing
	// video does not make random loss rarer, loss that is congestion lowers
	// GCC's estimate anyway (its loss controller counts every packet's
	// feedback), and the receiver reports' fractions, averaged per report,
	// are noisy: 2 of a video report's 12 packets is 17 % on a link losing
	// 5 %, which stepped a 150 kbit/s receiver to audio only (TestWeakLink).
	lossy := s.loss > p.cfg.lossDown
	hold := p.cfg.downHold
	if p.level == levelLow {
		lossy = s.loss > p.cfg.lossAudio
		if short && !s.now.Before(p.graceTill) && s.sentKbps >= appLimitedShare*need {
			short = s.estimateKbps < need*lowFloor
		}
		hold *= lowHold
	}
	bad := p.level.video() && (short || lossy) && s.now.Sub(p.lastChange) >= p.cfg.settle
	// A collapse cannot be delay noise: GCC decreases to 0.85 of the rate
	// received, so an estimate under collapseShare of what an output filling
	// its tier sends means the link delivers far less. Every 500 ms spent
	// waiting is 500 ms more of a full queue in front of the audio.
	collapsed := bad && p.level < levelLow && s.sentKbps >= appLimitedShare*need && s.estimateKbps < need*collapseShare
	switch {
	case !bad:
		p.badSince = time.Time{}
	case p.badSince.IsZero() && !collapsed:
		p.badSince = s.now
	case collapsed || s.now.Sub(p.badSince) >= hold:
		// One tier at a time when the estimate fits the next one: right after
		// congestion GCC's estimate is 0.85 of what was being sent, so an
		// estimate just under the need says "less", not "much less". A link
		// that loses heavily, or whose estimate is short of the next tier too
		// while the output really sent its tier's rate (not a still picture),
		// drops at once to what the estimate carries: one tier at a time took
		// 7.5-8 s from the top tier to the lowest on a link that fell to 150
		// kbit/s (TestWeakLink wants 10 s). The lowest video tier comes first:
		// audio only only when that has failed too.
		next := p.level + 1
		filling := s.sentKbps >= appLimitedShare*need
		if s.loss > p.cfg.lossDown || (filling && next < levelAudioOnly && s.estimateKbps < next.needKbps()*gccUndershoot) {
			next = max(next, min(fitting(s.estimateKbps/gccUndershoot, s.cap), levelLow))
		}
		if !p.probeSince.IsZero() {
			p.probeFailed(s.now)
		}
		if !p.lastUp.IsZero() && s.now.Sub(p.lastUp) < p.cfg.failedProbe {
			// The step up failed: wait longer before the next one.
			if p.trial {
				p.trialWait = min(2*p.trialWait, p.cfg.maxTrial)
			} else {
				p.upHold = min(2*p.upHold, p.cfg.maxUpHold)
			}
			p.lastUp = time.Time{}
			p.probeFailed(s.now) // a probe may have led to it: the next waits longer
			if p.byDelivery {
				// The link carried the probe but not the tier (or GCC never
				// agreed): for a while, only an estimate that follows counts.
				p.trustAfter = s.now.Add(p.cfg.maxTrial)
			}
		}
		p.set(next, s.now)
		return p.level, true
	}

	// Up: the estimate has room for the next tier, the loss is low and the
	// RTT shows no standing queue. Out of audio only, such a clean link is
	// enough for a trial after a while: while only audio is sent, GCC
	// sees too little traffic to estimate more than a small multiple of it
	// (and any jitter knocks it back), so it cannot tell that video would fit.
	// A failed trial (undone within failedProbe) doubles the wait.
	clean := p.level > s.cap && s.loss <= p.cfg.lossUp && !queued
	byEstimate := clean && s.estimateKbps >= (p.level-1).needKbps()*p.cfg.upMargin
	byTrial := clean && !p.level.video()
	if p.probe(s, clean && !byEstimate) {
		return p.level, true
	}
	switch {
	case !byEstimate && !byTrial:
		p.goodSince = time.Time{}
	case p.goodSince.IsZero():
		p.goodSince = s.now
	case byEstimate && s.now.Sub(p.goodSince) >= p.upHold,
		byTrial && s.now.Sub(p.goodSince) >= p.trialWait:
		p.trial = !byEstimate || s.now.Sub(p.goodSince) < p.upHold
		p.set(p.level-1, s.now)
		p.lastUp = s.now
		return p.level, true
	}
	return p.level, p.level != old
}

func (p *tierPolicy) set(l level, now time.Time) {
	p.level = l
	p.badSince, p.goodSince, p.probeSince = time.Time{}, time.Time{}, time.Time{}
	p.probeReady = false
	p.lastChange = now
}

// probing reports whether the receiver's stream should be padded up to the
// next tier's need now.
func (p *tierPolicy) probing() bool { return !p.probeSince.IsZero() }

// probe runs the probe for the next tier and reports whether it stepped up.
// GCC raises its estimate only while more arrives than before (at most to 1.5
// times the rate received), so a receiver on a tier that sends less than the
// next one's need would never see the estimate reach it after the link
// recovers. A probe pads the stream up to that need; if the estimate follows
// (GCC finds the link carries it: it rose by probeGain and reached what the
// next tier needs, less GCC's usual undershoot) the receiver steps up at once;
// so it does when the padded stream went out at the next tier's rate for
// probeHold without loss or a queue, and then for probeGrace only those, not
// the estimate still climbing behind, can step it down again. If such a step
// is undone all the same, only the estimate counts for the next maxTrial.
// After a probe the estimate confirmed, or when the receiver lifts its own
// cap, the next probe starts without waiting probeAfter. If loss, a
// queue or a falling estimate shows up instead, or nothing happens within
// probeMax, the probe stops and the next waits longer.
func (p *tierPolicy) probe(s linkSample, clean bool) bool {
	// Not while a step up by delivery still waits for the estimate to agree.
	ok := clean && p.level.video() && p.level > s.cap && (p.probeReady || s.now.Sub(p.lastChange) >= p.cfg.probeAfter) &&
		!s.now.Before(p.graceTill)
	switch {
	case p.probeSince.IsZero():
		if ok && !s.noProbe && !s.now.Before(p.probeNext) {
			p.probeSince, p.probeFrom = s.now, s.estimateKbps
		}
	case !ok || s.estimateKbps < p.probeFrom*probeFall || s.now.Sub(p.probeSince) >= p.cfg.probeMax:
		p.probeFailed(s.now)
	case s.now.Sub(p.probeSince) >= p.cfg.probeMin && s.estimateKbps >= (p.level-1).needKbps()*gccUndershoot &&
		s.estimateKbps >= p.probeFrom*probeGain:
		p.trial = false
		p.set(p.level-1, s.now)
		p.lastUp, p.probeReady, p.byDelivery = s.now, true, false
		return true
	case s.now.Sub(p.probeSince) >= p.cfg.probeHold && s.sentKbps >= (p.level-1).needKbps()*probeDelivered &&
		!s.now.Before(p.trustAfter):
		// The link has carried the next tier's rate for probeHold without
		// loss or a queue (either would have ended the probe): that is the
		// answer, even if GCC's estimate, knocked back by delay noise, lags.
		p.trial = false
		p.set(p.level-1, s.now)
		p.lastUp, p.byDelivery = s.now, true
		p.graceTill = s.now.Add(p.cfg.probeGrace)
		return true
	}
	return false
}

func (p *tierPolicy) probeFailed(now time.Time) {
	p.probeSince, p.probeReady = time.Time{}, false
	p.probeNext = now.Add(p.probeWait)
	p.probeWait = min(2*p.probeWait, p.cfg.maxTrial)
}
