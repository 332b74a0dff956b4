package rooms

import (
	"testing"
	"time"
)

// step is one sample fed to the policy after advancing the fake clock. The
// rate sent is the current tier's need (an encoder filling its tier) unless
// sent says otherwise.
type step struct {
	after    time.Duration
	estimate float64 // kbit/s
	sent     float64 // kbit/s
	loss     float64
	rtt      time.Duration // 0: 50 ms
	cap      level
	want     level
}

// hold repeats a sample every 500 ms (the room's adaptation interval) for d,
// expecting want at the end.
func hold(d time.Duration, estimate, loss float64, cap, want level) []step {
	var out []step
	for t := time.Duration(0); t < d; t += 500 * time.Millisecond {
		out = append(out, step{after: 500 * time.Millisecond, estimate: estimate, loss: loss, cap: cap, want: -1})
	}
	out[len(out)-1].want = want
	return out
}

// rtt sets the round-trip time in steps.
func rtt(d time.Duration, steps []step) []step {
	for i := range steps {
		steps[i].rtt = d
	}
	return steps
}

// sent sets the rate sent in steps (-1: nothing).
func sent(kbps float64, steps []step) []step {
	for i := range steps {
		steps[i].sent = kbps
	}
	return steps
}

func seq(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestTierPolicy(t *testing.T) {
	high, medium, low, audio := levelHigh, levelHigh+1, levelLow, levelAudioOnly
	tests := []struct {
		name  string
		start level
		steps []step
	}{
		{"a good link stays high", high, hold(30*time.Second, 2000, 0, high, high)},
		{"a brief dip does not move", high, seq(
			hold(1500*time.Millisecond, 300, 0, high, high),
			hold(10*time.Second, 2000, 0, high, high),
		)},
		{"a dip of 2 s steps down", high, seq(
			hold(2*time.Second, 300, 0, high, high),
			hold(500*time.Millisecond, 300, 0, high, medium),
		)},
		{"an estimate just under the need steps down one tier", high, seq(
			hold(2500*time.Millisecond, levelHigh.needKbps()*0.8, 0, high, medium),
			hold(10*time.Second, levelHigh.needKbps()*0.8, 0, high, medium),
		)},
		{"an estimate short of the next tier too goes to what it carries, the lowest video tier first", high, seq(
			hold(2500*time.Millisecond, 60, 0, high, low),
			hold(10*time.Second, 60, 0, high, low), // 60 of 72: GCC undershooting on a lossy, far link
			hold(4500*time.Millisecond, 45, 0, high, audio),
		)},
		{"a link fallen to 150 kbit/s: from the top tier to the lowest at once", high,
			hold(500*time.Millisecond, 128, 0, high, low)},
		{"a collapse with heavy loss goes straight to the lowest video tier, then audio only", high, seq(
			hold(2500*time.Millisecond, 60, 0.3, high, low),
			hold(6500*time.Millisecond, 60, 0.3, high, audio), // audio only after 4 s bad on the lowest tier
		)},
		{"loss alone steps down one tier at a time, to audio only when heavy", high, seq(
			hold(2500*time.Millisecond, 2000, 0.15, high, medium),
			hold(4500*time.Millisecond, 2000, 0.15, high, low),
			hold(10*time.Second, 2000, 0.15, high, low), // reports' noise on a lossy link that carries low
			hold(4500*time.Millisecond, 2000, 0.3, high, audio),
			hold(10*time.Second, 2000, 0.3, high, audio), // audio is never dropped
		)},
		{"a failed step up with heavy loss still drops to what fits", medium, seq(
			hold(8500*time.Millisecond, 600, 0, high, high),
			hold(4500*time.Millisecond, 100, 0.5, high, low),
		)},
		{"5 % loss is tolerated", high, hold(20*time.Second, 2000, 0.05, high, high)},
		{"GCC hovering just under the need on a link that carries the tier", low, hold(30*time.Second, 95, 0.03, high, low)},
		{"an application-limited output ignores a blip of the estimate", high,
			sent(80, hold(30*time.Second, 68, 0, high, high))},
		{"an application-limited output steps down when the link cannot carry even that (not at once: no collapse)", high, seq(
			sent(80, hold(2*time.Second, 50, 0, high, high)),
			sent(80, hold(500*time.Millisecond, 50, 0, high, medium)),
		)},
		{"nothing sent yet: no step down on the estimate", high,
			sent(-1, hold(10*time.Second, 60, 0, high, high))},
		{"up only after 8 s above the next tier with margin", low, seq(
			hold(7500*time.Millisecond, 400, 0, high, low),
			hold(1*time.Second, 400, 0, high, medium),
		)},
		{"estimate just above the next need is not enough", low, hold(30*time.Second, 250, 0, high, low)},
		{"loss blocks stepping up", low, hold(30*time.Second, 2000, 0.05, high, low)},
		{"one step up at a time", audio, seq(
			hold(8500*time.Millisecond, 2000, 0, high, low),
			hold(8500*time.Millisecond, 2000, 0, high, medium),
			hold(8500*time.Millisecond, 2000, 0, high, high),
		)},
		{"a failed step up goes back one tier (without loss) and doubles the wait", low, seq(
			hold(8500*time.Millisecond, 400, 0, high, medium),
			hold(4500*time.Millisecond, 90, 0, high, low), // congestion: back to low, not to audio
			hold(15*time.Second, 400, 0, high, low),       // 8 s no longer enough
			hold(2*time.Second, 400, 0, high, medium),     // 16 s is
		)},
		{"the wait stops doubling at the maximum", low, seq(
			hold(8500*time.Millisecond, 400, 0, high, medium),
			hold(4500*time.Millisecond, 90, 0, high, low),
			hold(16500*time.Millisecond, 400, 0, high, medium),
			hold(4500*time.Millisecond, 90, 0, high, low),
			hold(20500*time.Millisecond, 400, 0, high, medium), // 32 s capped at 20
		)},
		{"a long stable spell forgets failures", low, seq(
			hold(8500*time.Millisecond, 400, 0, high, medium),
			hold(4500*time.Millisecond, 90, 0, high, low),
			hold(60*time.Second, 200, 0, high, low), // stable, estimate between tiers
			hold(8500*time.Millisecond, 400, 0, high, medium),
		)},
		{"save data caps at once", high, seq(
			hold(500*time.Millisecond, 2000, 0, low, low),
			hold(30*time.Second, 2000, 0, low, low),
		)},
		{"lifting the cap goes up at once as far as the link allows", low, seq(
			hold(5*time.Second, 2000, 0, low, low),
			hold(500*time.Millisecond, 2000, 0, high, high),
		)},
		{"lifting the cap on a weak link waits for the link", low, seq(
			hold(5*time.Second, 200, 0, low, low),
			hold(10*time.Second, 200, 0, high, low),
		)},
		{"a budget cap of audio only", high, hold(500*time.Millisecond, 2000, 0, audio, audio)},
		{"back from audio only when the estimate recovers", audio, seq(
			hold(6*time.Second, 60, 0.05, high, audio),
			hold(8500*time.Millisecond, 140, 0, high, low),
		)},
		{"audio only on a clean link tries video after 12 s, whatever the estimate", audio, seq(
			hold(11500*time.Millisecond, 40, 0, high, audio),
			hold(1*time.Second, 40, 0, high, low),
		)},
		{"a failed trial doubles the wait, up to a minute", audio, seq(
			hold(12500*time.Millisecond, 40, 0, high, low),
			hold(6500*time.Millisecond, 40, 0.3, high, audio), // the link cannot carry it
			hold(20*time.Second, 40, 0, high, audio),          // 12 s no longer enough
			hold(5*time.Second, 40, 0, high, low),             // 24 s is
			hold(6500*time.Millisecond, 40, 0.3, high, audio),
			hold(45*time.Second, 40, 0, high, audio),
			hold(5*time.Second, 40, 0, high, low), // 48 s
			hold(6500*time.Millisecond, 40, 0.3, high, audio),
			hold(61*time.Second, 40, 0, high, low), // 96 s capped at 60
		)},
		{"a lossy link never tries", audio, hold(120*time.Second, 40, 0.05, high, audio)},
		{"a standing queue (RTT 300 ms above its floor) blocks trials and steps up", audio, seq(
			hold(2*time.Second, 40, 0, high, audio),
			rtt(350*time.Millisecond, hold(60*time.Second, 2000, 0, high, audio)),
			hold(8500*time.Millisecond, 2000, 0, high, low), // the queue drained
		)},
		{"a budget of audio only never tries", audio, hold(120*time.Second, 40, 0, audio, audio)},
		{"loss drops to the tier the link delivered, not to GCC's undershoot", high,
			hold(2500*time.Millisecond, 100, 0.5, high, low)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			p := newTierPolicy(defaultPolicy, tt.start, now.Add(-time.Minute)) // long on its level
			var changes int
			for i, s := range tt.steps {
				now = now.Add(s.after)
				sentKbps := s.sent
				switch {
				case sentKbps == 0:
					sentKbps = p.level.needKbps()
				case sentKbps < 0:
					sentKbps = 0
				}
				r := s.rtt
				if r == 0 {
					r = 50 * time.Millisecond
				}
				got, changed := p.update(linkSample{now: now, estimateKbps: s.estimate, sentKbps: sentKbps, loss: s.loss, rtt: r, cap: s.cap})
				if changed {
					changes++
				}
				if s.want >= 0 && got != s.want {
					t.Fatalf("step %d (t=%v, estimate %v, loss %v, cap %s): level %s, want %s",
						i, now.Sub(time.Unix(1000, 0)), s.estimate, s.loss, s.cap.name(), got.name(), s.want.name())
				}
			}
			t.Logf("%d changes", changes)
		})
	}
}

// TestTierPolicyNeverFlaps feeds an estimate that oscillates around a tier's
// need every second: the level may change at most once.
func TestTierPolicyNeverFlaps(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newTierPolicy(defaultPolicy, levelHigh, now)
	need := levelHigh.needKbps()
	changes := 0
	for i := range 240 { // two minutes at 500 ms
		now = now.Add(500 * time.Millisecond)
		est := need * 1.1
		if (i/2)%2 == 0 {
			est = need * 0.9
		}
		if _, changed := p.update(linkSample{now: now, estimateKbps: est, sentKbps: need, cap: levelHigh}); changed {
			changes++
		}
	}
	if changes > 0 {
		t.Fatalf("%d level changes for an estimate alternating ±10 %% around the need each second", changes)
	}
}

func TestCapFor(t *testing.T) {
	tests := []struct {
		mode   string
		budget float64
		want   level
	}{
		{QualityHigh, 0, levelHigh},
		{"", 0, levelHigh},
		{QualitySaveData, 0, levelLow},
		{QualityHigh, 1000, levelHigh},
		{QualityHigh, 200, levelHigh + 1},
		{QualityHigh, 100, levelLow},
		{QualitySaveData, 1000, levelLow},
		{QualityHigh, 30, levelAudioOnly},
		{QualityHigh, 1, levelAudioOnly},
	}
	for _, tt := range tests {
		if got := capFor(tt.mode, tt.budget); got != tt.want {
			t.Errorf("capFor(%q, %v) = %s, want %s", tt.mode, tt.budget, got.name(), tt.want.name())
		}
	}
	// What each cap costs, for the documentation.
	for l := levelHigh; l <= levelAudioOnly; l++ {
		t.Logf("%-6s need %.0f kbit/s payload, %.0f kbit/s on the wire = %.0f MB/h", l.name(), l.needKbps(), l.wireKbps(), kbpsToMBPerHour(l.wireKbps()))
	}
}

// TestTierPolicyProbe: on a clean link whose estimate stays below the next
// tier (GCC cannot see more than is sent), the policy probes; it steps up
// when the estimate follows the padding, and stops and waits longer when
// the probe meets loss or the estimate does not move.
func TestTierPolicyProbe(t *testing.T) {
	medium := levelHigh + 1
	type sample struct {
		after    time.Duration
		estimate float64
		loss     float64
		cap      level
		sent     float64       // 0: the level's need
		rtt      time.Duration // 0: 50 ms
	}
	run := func(p *tierPolicy, now *time.Time, s sample) level {
		for t0 := time.Duration(0); t0 < s.after; t0 += 500 * time.Millisecond {
			*now = now.Add(500 * time.Millisecond)
			sent, r := s.sent, s.rtt
			if sent == 0 {
				sent = p.level.needKbps()
			}
			if r == 0 {
				r = 50 * time.Millisecond
			}
			p.update(linkSample{now: *now, estimateKbps: s.estimate, sentKbps: sent, loss: s.loss, rtt: r, cap: s.cap})
		}
		return p.level
	}
	low := levelLow.needKbps() * 1.4 // the link carries the low tier with room, GCC sees no more

	t.Run("the estimate follows: step up", func(t *testing.T) {
		now := time.Unix(1000, 0)
		p := newTierPolicy(defaultPolicy, levelLow, now)
		if l := run(p, &now, sample{after: 4 * time.Second, estimate: low}); l != levelLow || !p.probing() {
			t.Fatalf("after 4 s clean on the low tier: level %s, probing %v; want low, probing", l.name(), p.probing())
		}
		if l := run(p, &now, sample{after: 1500 * time.Millisecond, estimate: medium.needKbps()}); l != levelLow {
			t.Fatalf("stepped up to %s before the probe ran its minimum", l.name())
		}
		if l := run(p, &now, sample{after: time.Second, estimate: medium.needKbps()}); l != medium {
			t.Fatalf("estimate at the medium need during the probe: level %s, want medium", l.name())
		}
		// The next probe (for high) starts without waiting probeAfter.
		if l := run(p, &now, sample{after: time.Second, estimate: medium.needKbps()}); l != medium || !p.probing() {
			t.Fatalf("after a successful probe: level %s, probing %v; want medium, probing for high", l.name(), p.probing())
		}
	})
	t.Run("the padded stream is delivered: step up, and a lagging estimate does not undo it", func(t *testing.T) {
		now := time.Unix(1000, 0)
		p := newTierPolicy(defaultPolicy, levelLow, now)
		run(p, &now, sample{after: 4 * time.Second, estimate: low})
		if !p.probing() {
			t.Fatal("no probe on a clean link")
		}
		if l := run(p, &now, sample{after: 3500 * time.Millisecond, estimate: low, sent: medium.needKbps()}); l != levelLow {
			t.Fatalf("stepped up to %s before the probe was delivered for probeHold", l.name())
		}
		if l := run(p, &now, sample{after: time.Second, estimate: low, sent: medium.needKbps()}); l != medium {
			t.Fatalf("the link carried the medium tier's rate cleanly for probeHold: level %s, want medium", l.name())
		}
		if l := run(p, &now, sample{after: 8 * time.Second, estimate: medium.needKbps() * 0.6}); l != medium {
			t.Fatalf("within probeGrace the estimate still climbing stepped down to %s", l.name())
		}
		if l := run(p, &now, sample{after: 2500 * time.Millisecond, estimate: medium.needKbps() * 0.6, rtt: 400 * time.Millisecond}); l != levelLow {
			t.Fatalf("a standing queue within probeGrace: level %s, want low", l.name())
		}
	})
	t.Run("loss stops the probe and the next waits", func(t *testing.T) {
		now := time.Unix(1000, 0)
		p := newTierPolicy(defaultPolicy, levelLow, now)
		run(p, &now, sample{after: 5 * time.Second, estimate: low})
		if !p.probing() {
			t.Fatal("no probe on a clean link")
		}
		run(p, &now, sample{after: 500 * time.Millisecond, estimate: low, loss: 0.05})
		if p.probing() {
			t.Fatal("the probe goes on despite 5 % loss")
		}
		if run(p, &now, sample{after: 5 * time.Second, estimate: low}); p.probing() {
			t.Fatal("a new probe within probeWait of a failed one")
		}
		if run(p, &now, sample{after: 1500 * time.Millisecond, estimate: low}); !p.probing() {
			t.Fatal("no new probe after probeWait")
		}
	})
	t.Run("an estimate that does not move: give up", func(t *testing.T) {
		now := time.Unix(1000, 0)
		p := newTierPolicy(defaultPolicy, levelLow, now)
		if l := run(p, &now, sample{after: 4*time.Second + defaultPolicy.probeMax + time.Second, estimate: low}); l != levelLow || p.probing() {
			t.Fatalf("level %s, probing %v after a probe of more than probeMax without the estimate rising; want low, not probing", l.name(), p.probing())
		}
	})
	t.Run("no new probe while the room has enough running", func(t *testing.T) {
		now := time.Unix(1000, 0)
		p := newTierPolicy(defaultPolicy, levelLow, now)
		for range 20 {
			now = now.Add(500 * time.Millisecond)
			p.update(linkSample{now: now, estimateKbps: low, sentKbps: levelLow.needKbps(), rtt: 50 * time.Millisecond, noProbe: true})
		}
		if p.probing() {
			t.Fatal("a probe started although the room said no")
		}
		if run(p, &now, sample{after: 500 * time.Millisecond, estimate: low}); !p.probing() {
			t.Fatal("no probe once the room allows it")
		}
	})
	t.Run("no probe above the receiver's own cap", func(t *testing.T) {
		now := time.Unix(1000, 0)
		p := newTierPolicy(defaultPolicy, levelLow, now)
		if run(p, &now, sample{after: 10 * time.Second, estimate: low, cap: levelLow}); p.probing() {
			t.Fatal("probing for a tier the receiver's save-data choice excludes")
		}
	})
}

// TestTierPolicyProbeNeverFlaps: a link where probes get through but GCC's
// estimate stays below the next tier (a CPU-starved host's delay noise) may
// step up by probe and back, but each round waits longer: few changes.
func TestTierPolicyProbeNeverFlaps(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newTierPolicy(defaultPolicy, levelLow, now)
	medium := levelHigh + 1
	changes := 0
	for range 600 { // five minutes at 500 ms
		now = now.Add(500 * time.Millisecond)
		sent := p.level.needKbps()
		if p.probing() {
			sent = (p.level - 1).needKbps()
		}
		if _, changed := p.update(linkSample{now: now, estimateKbps: medium.needKbps() * 0.6, sentKbps: sent, rtt: 50 * time.Millisecond}); changed {
			changes++
		}
	}
	if changes > 8 {
		t.Fatalf("%d level changes in five minutes with probes delivered but the estimate stuck below the medium tier", changes)
	}
	t.Logf("%d changes in five minutes", changes)
}
