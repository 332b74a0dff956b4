package e2e

import (
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nahbar/nahbar/e2e/internal/netdelay"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/web"
)

// What the weak-link test demands (issue 5).
const (
	weakRateKbit      = 150
	weakLossPct       = 5
	weakDelay         = 150 * time.Millisecond // each way
	pausedRateKbit    = 50
	maxConcealedShare = 0.05 // of the audio samples received
	minWeakFPS        = 8.0  // on the low tier, as the citizen's browser decodes it
	maxFreeze         = time.Second
	tierDownWithin    = 10 * time.Second
	tierUpWithin      = 30 * time.Second
	weakWindow        = 10 * time.Second
	switchSettle      = 10 * time.Second // at most, for the low tier to play steadily
	budgetMBPerHour   = 100
	outage            = 8 * time.Second  // no packets either way, as in a tunnel
	outageRecovery    = 15 * time.Second // at most, for the call to play again
)

// linkStats is what the citizen's page measures of what it receives.
type linkStats struct {
	FrameWidth  int     `json:"fw"`
	FrameHeight int     `json:"fh"`
	Frames      int     `json:"frames"`
	Freezes     int     `json:"freezes"`
	FreezeSecs  float64 `json:"freezeDur"`
	Concealed   float64 `json:"concealed"`
	Samples     float64 `json:"samples"`
	Bytes       float64 `json:"bytes"`
	Ports       []int   `json:"ports"`
	Keyframes   int     `json:"keyframes"`
	PLIs        int     `json:"plis"`
	NACKs       int     `json:"nacks"`
	Lost        int     `json:"lost"`
	Tier        string  `json:"tier"`
	RTT         float64 `json:"rtt"` // the selected candidate pair's currentRoundTripTime, seconds
	Pair        string  `json:"pair"`
	Paused      bool    `json:"paused"`
	PausedText  string  `json:"pausedText"`
}

// linkStatsJS reads inbound video and audio, the transport's received
// bytes (headers included), the local candidates' ports and what the
// page shows (usage tier, paused notice).
const linkStatsJS = `(async () => {
  const pc = window.nahbar.pc;
  const o = {fw: 0, fh: 0, frames: 0, freezes: 0, freezeDur: 0, concealed: 0, samples: 0, bytes: 0, ports: [], tier: '', paused: false, pausedText: ''};
  const f = window.nahbar.features;
  if (f && f.usage) { o.tier = f.usage.tier || ''; }
  const n = document.getElementById('video-paused');
  o.paused = !!(f && f.videoPaused) && n && !n.hidden;
  o.pausedText = n && !n.hidden ? n.textContent : '';
  if (!pc) { return o; }
  const r = await pc.getStats();
  r.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      o.fw = s.frameWidth || 0; o.fh = s.frameHeight || 0; o.frames = s.framesDecoded || 0;
      o.freezes = s.freezeCount || 0; o.freezeDur = s.totalFreezesDuration || 0;
      o.keyframes = s.keyFramesDecoded || 0; o.plis = s.pliCount || 0; o.nacks = s.nackCount || 0; o.lost = s.packetsLost || 0;
    }
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      o.concealed = s.concealedSamples || 0; o.samples = s.totalSamplesReceived || 0;
    }
    if (s.type === 'transport') { o.bytes += s.bytesReceived || 0; }
    if (s.type === 'transport' && s.selectedCandidatePairId) { o.pair = s.selectedCandidatePairId; }
    if (s.type === 'local-candidate' && s.port && !o.ports.includes(s.port)) { o.ports.push(s.port); }
  });
  const pair = o.pair && r.get(o.pair);
  if (pair) { o.rtt = pair.currentRoundTripTime || 0; }
  return o;
})()`

// link shapes the citizen's link inside the test's network namespace: tc
// htb on lo (where traffic between the namespace's own addresses goes) limits
// the rate from the server to the citizen; two NFQUEUEs served by netdelay
// (the kernel has no netem) delay each direction and drop a share of what
// the server sends.
type link struct {
	sport      int
	dports     []int // every local candidate port of the citizen: ICE may use any
	shaped     bool
	down, up   *netdelay.Queue
	rulesAdded bool
}

// Queue numbers of the two directions.
const (
	queueDown = 1
	queueUp   = 2
)

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// queueRules sends the citizen's media both ways through the delay queues.
// iptables-legacy: the nft build here has no queue target. --queue-bypass
// lets packets pass should no program listen.
func (l *link) queueRules() error {
	if l.rulesAdded {
		return nil
	}
	var err error
	if l.down, err = netdelay.Open(queueDown); err != nil {
		return err
	}
	if l.up, err = netdelay.Open(queueUp); err != nil {
		return err
	}
	for _, d := range l.dports {
		for _, r := range [][]string{
			{"--sport", fmt.Sprint(l.sport), "--dport", fmt.Sprint(d), "-j", "NFQUEUE", "--queue-num", fmt.Sprint(queueDown)},
			{"--sport", fmt.Sprint(d), "--dport", fmt.Sprint(l.sport), "-j", "NFQUEUE", "--queue-num", fmt.Sprint(queueUp)},
		} {
			if err := run("iptables-legacy", append(append([]string{"-A", "OUTPUT", "-p", "udp"}, r...), "--queue-bypass")...); err != nil {
				return err
			}
		}
	}
	l.rulesAdded = true
	return nil
}

// set limits the rate (kbit/s) from the server to the citizen, drops lossPct %
// of those packets and delays both directions by delay.
func (l *link) set(rateKbit, lossPct int, delay time.Duration) error {
	rate := fmt.Sprintf("%dkbit", rateKbit)
	// A small burst and a queue of ~1 s at the weak rate, as a mobile link
	// has, rather than an endless one.
	class := []string{"dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", rate, "ceil", rate, "burst", "3000", "cburst", "3000"}
	if !l.shaped {
		for _, c := range [][]string{
			{"qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "0"},
			append([]string{"class", "add"}, class...),
			{"qdisc", "add", "dev", "lo", "parent", "1:10", "handle", "10:", "bfifo", "limit", "20000"},
		} {
			if err := run("tc", c...); err != nil {
				return err
			}
		}
		for _, d := range l.dports {
			if err := run("tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
				"match", "ip", "protocol", "17", "0xff",
				"match", "ip", "sport", fmt.Sprint(l.sport), "0xffff",
				"match", "ip", "dport", fmt.Sprint(d), "0xffff", "flowid", "1:10"); err != nil {
				return err
			}
		}
		l.shaped = true
	} else if err := run("tc", append([]string{"class", "change"}, class...)...); err != nil {
		return err
	}
	if err := l.queueRules(); err != nil {
		return err
	}
	l.down.Set(delay, float64(lossPct)/100)
	l.up.Set(delay, 0)
	return nil
}

// uplinkBytes is what the server has received from p's media connection.
func uplinkBytes(srv *server, p *participant) uint64 {
	for _, r := range srv.mgr.Load().Monitor().Rooms {
		for _, pm := range r.Participants {
			if pm.Key == p.id {
				return pm.BytesIn
			}
		}
	}
	return 0
}

// linkLog is the server's last n per-receiver adaptation lines for id.
func linkLog(srv *server, id string, n int) string {
	var out []string
	for _, line := range strings.Split(srv.logs.String(), "\n") {
		if strings.Contains(line, "msg=link") && strings.Contains(line, id) {
			out = append(out, line)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}

// describe is the shaper's counters, for failure messages.
func (l *link) describe() string {
	if !l.shaped {
		return "off"
	}
	out, _ := exec.Command("tc", "-s", "class", "show", "dev", "lo", "classid", "1:10").CombinedOutput()
	return strings.Join(strings.Fields(string(out)), " ")
}

// clear lifts every limit (the link "recovers"); the queue rules stay, with
// neither delay nor loss.
func (l *link) clear() error {
	if l.down != nil {
		l.down.Set(0, 0)
		l.up.Set(0, 0)
	}
	if !l.shaped {
		return nil
	}
	l.shaped = false
	return run("tc", "qdisc", "del", "dev", "lo", "root")
}

// close removes the shaping, the queue rules and the queues.
func (l *link) close() {
	_ = l.clear()
	if l.rulesAdded {
		_ = run("iptables-legacy", "-F", "OUTPUT")
		l.rulesAdded = false
	}
	for _, q := range []*netdelay.Queue{l.down, l.up} {
		if q != nil {
			_ = q.Close()
		}
	}
}

// startServerUDP is startServer with one fixed media UDP port, so the
// shaper can tell the server's media from everything else.
func startServerUDP(t *testing.T) (*server, int) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", net.JoinHostPort(serverIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	_ = pc.Close()
	logs := &syncBuffer{}
	clock := &testClock{}
	s := &server{
		store: web.NewStore(web.StoreConfig{Now: clock.now}),
		clock: clock,
		logs:  logs,
		// Debug: the rooms' per-receiver "link" lines (estimate, tier) explain a failure.
		log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	mgr, err := rooms.NewManager(rooms.Config{Logger: s.log.With("component", "rooms"), UDPPort: port}, s.store)
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{APIKey: "e2e-test-key-0123456789", Store: s.store, Logger: s.log.With("component", "web")}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	s.mgr.Store(mgr)
	s.handler.Store(&h)
	s.listen(t)
	return s, port
}

// TestWeakLink: an advisor (red, 440 Hz) and a citizen in Chromium; the
// server → citizen direction is shaped for real. (a) 150 kbit/s with 5 %
// loss and 150 ms each way: the low tier within 10 s, then audio continuous
// (under 5 % concealed), video ≥ 8 fps at ≥ 320x180 with no freeze over 1 s;
// back up within 30 s of recovery.
// (b) 50 kbit/s: audio only, the tone intact, the page says video is
// paused. (c) save data with a budget: the measured downstream stays under
// the budget.
func TestWeakLink(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	for _, tool := range []string{"tc", "iptables-legacy"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "weak-link test skipped: %s not found (iproute2, iptables)", tool)
		}
	}
	srv, udpPort := startServerUDP(t)
	var err error
	advisor := &participant{name: "Advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	citizen := &participant{name: "Citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 660, role: rooms.RoleCitizen}
	parts := []*participant{advisor, citizen}
	startBrowsers(t, srv, citizen)
	// A solid colour costs the encoder almost nothing at any tier, so the
	// link would never be full; the advisor's camera is a busy picture.
	media := t.TempDir()
	if err := makeMedia(media, advisor); err != nil {
		t.Fatal(err)
	}
	busy := filepath.Join(media, "busy.y4m")
	if err := run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"testsrc2=s=640x360:r=15,noise=alls=30:allf=t", "-t", "3", "-pix_fmt", "yuv420p", busy); err != nil {
		t.Fatal(err)
	}
	advisor.b, err = launch(t, advisor.name, busy, filepath.Join(media, fmt.Sprint(advisor.tone)+".wav"), srv.base)
	if err != nil {
		t.Fatal(err)
	}
	room, err := srv.store.CreateRoom("weak link")
	if err != nil {
		t.Fatal(err)
	}
	if err := join(srv, room.ID, advisor); err != nil {
		fatal(t, srv, parts, "advisor: %v", err)
	}
	if err := join(srv, room.ID, citizen); err != nil {
		fatal(t, srv, parts, "citizen: %v", err)
	}
	read := func() linkStats {
		s, err := eval[linkStats](citizen.b, linkStatsJS)
		if err != nil {
			fatal(t, srv, parts, "citizen stats: %v", err)
		}
		return s
	}
	first := read()
	if len(first.Ports) == 0 {
		fatal(t, srv, parts, "citizen: no local candidates: %+v", first)
	}
	l := &link{sport: udpPort, dports: first.Ports}
	t.Cleanup(l.close)
	tierIs := func(want func(string) bool, what string) func() (bool, string, error) {
		last, lastAt := read(), time.Now()
		return func() (bool, string, error) {
			s := read()
			kbps := (s.Bytes - last.Bytes) * 8 / time.Since(lastAt).Seconds() / 1000
			last, lastAt = s, time.Now()
			return want(s.Tier), fmt.Sprintf("citizen receives tier %q (%dx%d) at %.0f kbit/s, want %s; shaper: %s",
				s.Tier, s.FrameWidth, s.FrameHeight, kbps, what, l.describe()), nil
		}
	}
	if err := poll(15*time.Second, 250*time.Millisecond, tierIs(func(s string) bool { return s == "high" }, "high")); err != nil {
		fatal(t, srv, parts, "before shaping: %v", err)
	}

	t.Run("150kbit_5pct_loss", func(t *testing.T) {
		if err := l.set(weakRateKbit, weakLossPct, weakDelay); err != nil {
			t.Fatal(err)
		}
		dropped := time.Now()
		if err := poll(tierDownWithin, 250*time.Millisecond, tierIs(func(s string) bool { return s == "low" }, "low")); err != nil {
			fatal(t, srv, parts, "link dropped to %d kbit/s: %v\nserver's view:\n%s", weakRateKbit, err, linkLog(srv, citizen.id, 12))
		}
		t.Logf("low tier %v after the link dropped", time.Since(dropped).Round(100*time.Millisecond))
		// What the higher tier left in the link's queue (up to 1 s of it at
		// the weak rate, see set) and the switch to the low tier's keyframe
		// are the drop, which the 10 s criterion covers, not the low tier:
		// the window starts once the low tier plays (its frames arrive, no
		// freeze has ended for a second). The browser counts a freeze when it
		// ends, so one that began in the switch would otherwise land in it.
		settling := time.Now()
		last := read()
		if err := poll(switchSettle, 250*time.Millisecond, func() (bool, string, error) {
			cur := read()
			steady := cur.FrameWidth == 320 && cur.Frames > last.Frames && cur.Freezes == last.Freezes && time.Since(settling) >= time.Second
			if cur.Freezes != last.Freezes || cur.Frames == last.Frames {
				settling = time.Now()
			}
			last = cur
			return steady, fmt.Sprintf("the low tier does not play steadily: %dx%d, %d frames, %d freezes", cur.FrameWidth, cur.FrameHeight, cur.Frames, cur.Freezes), nil
		}); err != nil {
			fatal(t, srv, parts, "after the switch to the low tier: %v", err)
		}
		t.Logf("the low tier plays steadily %v after the link dropped", time.Since(dropped).Round(100*time.Millisecond))
		start, prev := read(), read()
		startAt := time.Now()
		var longest float64
		var timeline []string // each freeze: when, how long, and the repair counters then
		for time.Since(startAt) < weakWindow {
			time.Sleep(250 * time.Millisecond) // sampling the freezes, not waiting for an outcome
			cur := read()
			if cur.Freezes > prev.Freezes {
				timeline = append(timeline, fmt.Sprintf("+%.1fs %.2fs (lost %d, NACKs %d, PLIs %d, keyframes %d)",
					time.Since(startAt).Seconds(), cur.FreezeSecs-prev.FreezeSecs, cur.Lost-start.Lost, cur.NACKs-start.NACKs,
					cur.PLIs-start.PLIs, cur.Keyframes-start.Keyframes))
			}
			if cur.Freezes == prev.Freezes+1 && cur.FreezeSecs-prev.FreezeSecs > longest {
				longest = cur.FreezeSecs - prev.FreezeSecs
			}
			if cur.Freezes > prev.Freezes+1 && cur.FreezeSecs-prev.FreezeSecs > longest {
				longest = cur.FreezeSecs - prev.FreezeSecs // several at once: an upper bound
			}
			prev = cur
		}
		end := prev
		secs := time.Since(startAt).Seconds()
		fps := float64(end.Frames-start.Frames) / secs
		concealed := 0.0
		if d := end.Samples - start.Samples; d > 0 {
			concealed = (end.Concealed - start.Concealed) / d
		}
		t.Logf("at %d kbit/s + %d %% loss over %.1f s: %.1f fps at %dx%d, concealed %.2f %%, freezes %d (%.2f s, longest %.2f s), %.0f kbit/s received",
			weakRateKbit, weakLossPct, secs, fps, end.FrameWidth, end.FrameHeight, 100*concealed,
			end.Freezes-start.Freezes, end.FreezeSecs-start.FreezeSecs, longest, (end.Bytes-start.Bytes)*8/secs/1000)
		t.Logf("freezes: %s", strings.Join(timeline, "; "))
		t.Logf("citizen's RTT %.0f ms (link delay %v each way); browser: %d NACKs, %d PLIs, %d lost, %d keyframes; server's view:\n%s",
			1000*end.RTT, weakDelay, end.NACKs-start.NACKs, end.PLIs-start.PLIs, end.Lost-start.Lost, end.Keyframes-start.Keyframes,
			linkLog(srv, citizen.id, 8))
		if end.RTT < (2 * weakDelay).Seconds() {
			t.Errorf("the citizen's RTT is %.0f ms, want at least %v: the link's delay is not in effect", 1000*end.RTT, 2*weakDelay)
		}
		if concealed >= maxConcealedShare {
			t.Errorf("audio concealed %.2f %% of samples, want < %.0f %%", 100*concealed, 100*maxConcealedShare)
		}
		if longest > maxFreeze.Seconds() {
			t.Errorf("a freeze of %.2f s on the low tier, want none over %v (freezes: %s)", longest, maxFreeze, strings.Join(timeline, "; "))
		}
		if fps < minWeakFPS || end.FrameWidth < 320 || end.FrameHeight < 180 {
			t.Errorf("video %.1f fps at %dx%d, want ≥ %.0f fps at ≥ 320x180", fps, end.FrameWidth, end.FrameHeight, minWeakFPS)
		}
		if err := l.clear(); err != nil {
			t.Fatal(err)
		}
		recovered := time.Now()
		if err := poll(tierUpWithin, 250*time.Millisecond, tierIs(func(s string) bool { return s == "medium" || s == "high" }, "above low")); err != nil {
			t.Errorf("not back above the low tier within %v of the link recovering: %v\nserver's view:\n%s", tierUpWithin, err, linkLog(srv, citizen.id, 12))
		} else {
			t.Logf("back up %v after the link recovered", time.Since(recovered).Round(100*time.Millisecond))
		}
	})

	t.Run("50kbit_audio_only", func(t *testing.T) {
		if err := l.set(pausedRateKbit, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := poll(20*time.Second, 250*time.Millisecond, func() (bool, string, error) {
			s := read()
			return s.Paused && s.PausedText != "", fmt.Sprintf("tier %q, paused %v, notice %q", s.Tier, s.Paused, s.PausedText), nil
		}); err != nil {
			fatal(t, srv, parts, "at %d kbit/s the page does not say video is paused: %v\nserver's view:\n%s", pausedRateKbit, err, linkLog(srv, citizen.id, 12))
		}
		before := read()
		level := toneLevel(t, srv, parts, citizen, advisor.tone)
		after := read()
		t.Logf("at %d kbit/s: %q; 440 Hz at +%.1f dB; %d video frames in the analysis", pausedRateKbit, after.PausedText, level, after.Frames-before.Frames)
		if level < heardDB {
			t.Errorf("the advisor's tone at +%.1f dB over the median spectrum, want ≥ +%.0f dB", level, heardDB)
		}
		if err := l.clear(); err != nil {
			t.Fatal(err)
		}
		if err := poll(tierUpWithin, 250*time.Millisecond, func() (bool, string, error) {
			s := read()
			return !s.Paused, "video still paused after the link recovered", nil
		}); err != nil {
			fatal(t, srv, parts, "%v\nserver's view:\n%s", err, linkLog(srv, citizen.id, 12))
		}
	})

	// (d) The link goes away for a while (a tunnel, a handover between
	// cells) and comes back: while it is gone the citizen's page says the
	// connection is interrupted and the advisor's panel marks the citizen;
	// afterwards the call goes on by itself — sound first, then the picture,
	// and the server receives the citizen's camera again — without the
	// citizen doing anything.
	t.Run("outage", func(t *testing.T) {
		if err := l.queueRules(); err != nil {
			t.Fatal(err)
		}
		before := read()
		upBefore := uplinkBytes(srv, citizen)
		l.down.Set(0, 1)
		l.up.Set(0, 1)
		cut := time.Now()
		// Both pages are watched through the outage: the citizen's says the
		// connection is interrupted, the advisor's status panel marks the
		// citizen so.
		var citizenSaid, advisorSaw time.Duration
		var citizenText, advisorText string
		interrupted := fmt.Sprintf(`(() => { const li = document.querySelector('#conn-status li[data-participant="%s"]');
			return li ? (li.dataset.interrupted ? 'interrupted: ' : 'ok: ') + li.textContent : 'no status for the citizen'; })()`, citizen.id)
		for time.Since(cut) < outage {
			time.Sleep(250 * time.Millisecond) // sampling both pages through the outage
			if citizenSaid == 0 {
				citizenText, _ = eval[string](citizen.b, `window.nahbar.state + ': ' + document.getElementById('status').textContent`)
				if strings.HasPrefix(citizenText, "reconnecting") {
					citizenSaid = time.Since(cut)
				}
			}
			if advisorSaw == 0 {
				advisorText, _ = eval[string](advisor.b, interrupted)
				if strings.HasPrefix(advisorText, "interrupted") {
					advisorSaw = time.Since(cut)
				}
			}
		}
		l.down.Set(0, 0)
		l.up.Set(0, 0)
		restored := time.Now()
		if citizenSaid == 0 {
			t.Errorf("during a %v outage the citizen's page does not say the connection is interrupted: %q", outage, citizenText)
		} else {
			t.Logf("%v into the outage the citizen's page says %q", citizenSaid.Round(100*time.Millisecond), citizenText)
		}
		if advisorSaw == 0 {
			t.Errorf("during a %v outage the advisor's status panel does not mark the citizen: %q", outage, advisorText)
		} else {
			t.Logf("%v into the outage the advisor's status panel says %q", advisorSaw.Round(100*time.Millisecond), advisorText)
		}
		// Back: sound arrives again, steadily, and the server hears the citizen.
		last, lastUp := read(), uplinkBytes(srv, citizen)
		steadySince := time.Time{}
		if err := poll(outageRecovery, 250*time.Millisecond, func() (bool, string, error) {
			cur, up := read(), uplinkBytes(srv, citizen)
			// Sound and the citizen's camera: the picture may come back
			// later, as the estimate recovers from the outage (below).
			moving := cur.Samples > last.Samples && up > lastUp
			switch {
			case !moving:
				steadySince = time.Time{}
			case steadySince.IsZero():
				steadySince = time.Now()
			}
			last, lastUp = cur, up
			st, _ := eval[string](citizen.b, `window.nahbar.state`)
			adv, _ := eval[string](advisor.b, interrupted)
			return st == "connected" && strings.HasPrefix(adv, "ok") && !steadySince.IsZero() && time.Since(steadySince) >= time.Second,
				fmt.Sprintf("citizen's page %s, %.0f audio samples received, %d bytes from the citizen; advisor's panel %q", st, cur.Samples, up, adv), nil
		}); err != nil {
			fatal(t, srv, parts, "after a %v outage the call does not resume within %v: %v\nserver's view:\n%s", outage, outageRecovery, err, linkLog(srv, citizen.id, 12))
		}
		t.Logf("after the link came back: sound and the citizen's media arriving again from %v on, the citizen's page connected and the advisor's panel clear at %v (before the outage: %d frames, %d bytes of uplink)",
			steadySince.Sub(restored).Round(100*time.Millisecond), time.Since(restored).Round(100*time.Millisecond), before.Frames, upBefore)
		frames := read().Frames
		if err := poll(tierUpWithin, 250*time.Millisecond, func() (bool, string, error) {
			cur := read()
			return !cur.Paused && cur.Frames > frames+5, fmt.Sprintf("tier %q, paused %v, %d frames", cur.Tier, cur.Paused, cur.Frames), nil
		}); err != nil {
			t.Errorf("the picture does not come back within %v of the link: %v\nserver's view:\n%s", tierUpWithin, err, linkLog(srv, citizen.id, 12))
		} else {
			t.Logf("the picture plays again %v after the link came back", time.Since(restored).Round(100*time.Millisecond))
		}
		a := read()
		level := toneLevel(t, srv, parts, citizen, advisor.tone)
		b := read()
		concealed := 0.0
		if d := b.Samples - a.Samples; d > 0 {
			concealed = (b.Concealed - a.Concealed) / d
		}
		t.Logf("after the outage: 440 Hz at +%.1f dB, concealed %.2f %%", level, 100*concealed)
		if level < heardDB {
			t.Errorf("after the outage the advisor's tone is at +%.1f dB, want ≥ +%.0f dB", level, heardDB)
		}
		if concealed >= maxConcealedShare {
			t.Errorf("after the outage audio concealed %.2f %% of samples, want < %.0f %%", 100*concealed, 100*maxConcealedShare)
		}
	})

	t.Run("save_data_budget", func(t *testing.T) {
		err := citizen.b.do(5*time.Second,
			chromedp.Click(chromedp.CSS(`input[name="quality-mode"][value="save_data"]`)),
			chromedp.SendKeys(chromedp.ID("budget"), fmt.Sprint(budgetMBPerHour)),
			chromedp.Click(chromedp.ID("chat-text")), // leaving the field fires change
		)
		if err != nil {
			fatal(t, srv, parts, "choose save data: %v", err)
		}
		if err := poll(10*time.Second, 250*time.Millisecond, tierIs(func(s string) bool { return s == "low" || s == "audio" }, "low at most")); err != nil {
			fatal(t, srv, parts, "save data: %v", err)
		}
		time.Sleep(2 * time.Second) // let the last high-tier packets drain out of the window
		a := read()
		at := time.Now()
		time.Sleep(weakWindow) // the measurement window
		b := read()
		mbh := (b.Bytes - a.Bytes) / time.Since(at).Hours() / 1e6
		usage, _ := eval[string](citizen.b, `document.getElementById('usage').textContent`)
		t.Logf("save data, budget %d MB/h: %.1f MB/h received (tier %q); the page says %q", budgetMBPerHour, mbh, b.Tier, usage)
		if mbh >= budgetMBPerHour {
			t.Errorf("received %.1f MB/h, want under the budget of %d MB/h", mbh, budgetMBPerHour)
		}
		if !strings.Contains(usage, "MB") {
			t.Errorf("the page does not show the data used: %q", usage)
		}
	})
}
