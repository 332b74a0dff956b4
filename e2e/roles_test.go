package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nahbar/nahbar/rooms"
)

// startBrowsers makes each participant's media files and launches its browser.
func startBrowsers(t *testing.T, srv *server, parts ...*participant) {
	t.Helper()
	media := t.TempDir()
	for _, p := range parts {
		if err := makeMedia(media, p); err != nil {
			t.Fatal(err)
		}
	}
	err := each(parts, func(p *participant) error {
		var err error
		p.b, err = launch(t, p.name, filepath.Join(media, p.colour+".y4m"),
			filepath.Join(media, fmt.Sprint(p.tone)+".wav"), srv.base)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAttendeeAndControls: a receive-only attendee (no camera, no
// microphone, so Chromium hides its addresses behind mDNS names) connects
// and sees and hears the advisor. The advisor then works the call controls
// from the keyboard alone: muting the microphone silences the advisor for
// the attendee, turning the camera off replaces the picture, and turning it
// on brings it back.
func TestAttendeeAndControls(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startServer(t)
	advisor := &participant{name: "Advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	attendee := &participant{name: "Attendee", colour: "yellow", rgb: [3]int{255, 255, 0}, tone: 660, role: rooms.RoleAttendee}
	parts := []*participant{advisor, attendee}
	startBrowsers(t, srv, parts...)
	room, err := srv.store.CreateRoom("info session")
	if err != nil {
		t.Fatal(err)
	}
	if err := join(srv, room.ID, advisor); err != nil {
		fatal(t, srv, parts, "advisor: %v", err)
	}
	if err := join(srv, room.ID, attendee); err != nil {
		fatal(t, srv, parts, "attendee: %v", err)
	}
	t.Logf("attendee: click → first frame %v", attendee.joinDur.Round(time.Millisecond))
	seesAdvisor := func() (bool, string, error) {
		pic, err := eval[*picture](attendee.b, `window.__probe.picture()`)
		if err != nil {
			return false, "", err
		}
		problem := checkPicture(pic, attendee, []*participant{advisor}, parts)
		return problem == "", problem, nil
	}
	if err := poll(15*time.Second, 100*time.Millisecond, seesAdvisor); err != nil {
		fatal(t, srv, parts, "attendee's picture: %v", err)
	}
	hidden, err := eval[bool](attendee.b, `document.getElementById('mic').hidden && document.getElementById('cam').hidden && !document.getElementById('preview')`)
	if err != nil || !hidden {
		fatal(t, srv, parts, "an attendee must have no camera preview and no microphone or camera buttons (ok=%v, err=%v)", hidden, err)
	}
	if db := toneLevel(t, srv, parts, attendee, advisor.tone); db < heardDB {
		fatal(t, srv, parts, "attendee does not hear the advisor's %d Hz tone: %.1f dB above the floor", advisor.tone, db)
	}

	// Keyboard only: Join moved the focus to the microphone button.
	focused, err := eval[string](advisor.b, `document.activeElement && document.activeElement.id`)
	if err != nil || focused != "mic" {
		fatal(t, srv, parts, "after joining, focus is on %q (%v), want the microphone button", focused, err)
	}
	if err := advisor.b.do(5*time.Second, chromedp.KeyEvent(" ")); err != nil {
		fatal(t, srv, parts, "press space: %v", err)
	}
	if err := poll(5*time.Second, 50*time.Millisecond, rosterShows(attendee, advisor, "audio_muted", true)); err != nil {
		fatal(t, srv, parts, "microphone mute: %v", err)
	}
	// What is already on its way (jitter buffers) plays out first: wait for
	// the attendee's received level to drop, then listen for the tone.
	err = poll(5*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		st, err := eval[stats](attendee.b, `window.__probe.stats()`)
		return st.AudioLevel < 0.01, fmt.Sprintf("received audio level %.3f", st.AudioLevel), err
	})
	if err != nil {
		fatal(t, srv, parts, "muted advisor still heard: %v", err)
	}
	silentFrom, silentAt := audioIn(t, srv, parts, attendee), time.Now()
	if db := toneLevel(t, srv, parts, attendee, advisor.tone); db >= heardDB {
		fatal(t, srv, parts, "attendee still hears the muted advisor: %d Hz at %.1f dB above the floor", advisor.tone, db)
	}
	// Nobody the attendee hears speaks: DTX, a packet every 400 ms instead of 50 a second.
	silentTo := audioIn(t, srv, parts, attendee)
	secs := time.Since(silentAt).Seconds()
	rate := (silentTo.Packets - silentFrom.Packets) / secs
	concealed := 0.0
	if n := silentTo.Samples - silentFrom.Samples; n > 0 {
		concealed = (silentTo.Concealed - silentFrom.Concealed) / n
	}
	t.Logf("muted advisor: the attendee receives %.1f audio packets/s over %.1f s (DTX), %.1f %% of samples concealed", rate, secs, 100*concealed)
	if rate > 5 {
		t.Errorf("%.1f audio packets/s while nobody speaks, want DTX (2.5/s)", rate)
	}

	// Tab to the camera button, Enter: the advisor's picture is replaced.
	if err := advisor.b.do(5*time.Second, chromedp.KeyEvent("\t"), chromedp.KeyEvent("\r")); err != nil {
		fatal(t, srv, parts, "tab, enter: %v", err)
	}
	off := time.Now()
	err = poll(5*time.Second, 50*time.Millisecond, func() (bool, string, error) {
		pic, err := eval[*picture](attendee.b, `window.__probe.picture()`)
		if err != nil || pic == nil {
			return false, "no picture", err
		}
		return !anyClose(pic.Grid, advisor.rgb), fmt.Sprintf("cells %+v", pic.Cells), nil
	})
	if err != nil {
		fatal(t, srv, parts, "camera off: the advisor's colour stays: %v", err)
	}
	t.Logf("camera off → picture changed for the attendee in %v", time.Since(off).Round(time.Millisecond))
	if err := poll(5*time.Second, 50*time.Millisecond, rosterShows(attendee, advisor, "video_muted", true)); err != nil {
		fatal(t, srv, parts, "camera off in the roster: %v", err)
	}
	if err := advisor.b.do(5*time.Second, chromedp.KeyEvent("\r")); err != nil {
		fatal(t, srv, parts, "enter: %v", err)
	}
	if err := poll(10*time.Second, 100*time.Millisecond, seesAdvisor); err != nil {
		fatal(t, srv, parts, "camera on again: %v", err)
	}
	// The microphone on again: the sound comes back after DTX.
	if err := advisor.b.do(5*time.Second, chromedp.Click(chromedp.ID("mic"))); err != nil {
		fatal(t, srv, parts, "microphone on: %v", err)
	}
	err = poll(10*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		db := toneLevel(t, srv, parts, attendee, advisor.tone)
		return db >= heardDB, fmt.Sprintf("%d Hz at %.1f dB above the floor", advisor.tone, db), nil
	})
	if err != nil {
		fatal(t, srv, parts, "microphone on again: the attendee does not hear the advisor: %v", err)
	}
}

// audioCounters is what a page has received of audio so far.
type audioCounters struct {
	Packets   float64 `json:"packets"`
	Samples   float64 `json:"samples"`
	Concealed float64 `json:"concealed"`
}

// audioIn reads p's inbound audio counters.
func audioIn(t *testing.T, srv *server, parts []*participant, p *participant) audioCounters {
	t.Helper()
	c, err := eval[audioCounters](p.b, `(async () => {
  const o = {packets: 0, samples: 0, concealed: 0};
  const r = await window.nahbar.pc.getStats();
  r.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      o.packets = s.packetsReceived || 0; o.samples = s.totalSamplesReceived || 0; o.concealed = s.concealedSamples || 0;
    }
  });
  return o;
})()`)
	if err != nil {
		fatal(t, srv, parts, "%s: audio stats: %v", p.name, err)
	}
	return c
}

// toneLevel listens to p's received audio for two seconds and returns the
// peak at hz in dB above the median spectrum.
func toneLevel(t *testing.T, srv *server, parts []*participant, p *participant, hz int) float64 {
	t.Helper()
	if ok, err := eval[bool](p.b, `(window.__probe.audioStop(), window.__probe.audioStart())`); err != nil || !ok {
		fatal(t, srv, parts, "%s: start audio analysis: ok=%v err=%v", p.name, ok, err)
	}
	time.Sleep(2 * time.Second) // the analysis window, not a wait for an outcome
	r, err := eval[*audioResult](p.b, fmt.Sprintf(`window.__probe.audioResult([%d])`, hz))
	if err != nil || r == nil {
		fatal(t, srv, parts, "%s: audio analysis: %v", p.name, err)
	}
	return r.Peaks[fmt.Sprint(hz)]
}

// rosterShows polls whether viewer's roster has field (audio_muted or
// video_muted) of who set to want.
func rosterShows(viewer, who *participant, field string, want bool) func() (bool, string, error) {
	return func() (bool, string, error) {
		got, err := eval[bool](viewer.b, fmt.Sprintf(
			`window.nahbar.roster.some(p => p.id === %q && p.%s === %v)`, who.id, field, want))
		return got, fmt.Sprintf("%s's roster does not show %s %s=%v", viewer.name, who.name, field, want), err
	}
}

// TestExpiredLinkExplained: a link that expires while the page is open is
// refused by the server, and the page says so in plain words.
func TestExpiredLinkExplained(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startServer(t)
	citizen := &participant{name: "Citizen", colour: "gray", rgb: [3]int{128, 128, 128}, tone: 500, role: rooms.RoleCitizen}
	parts := []*participant{citizen}
	startBrowsers(t, srv, parts...)
	room, err := srv.store.CreateRoom("expired")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := srv.store.Issue(room.ID, rooms.RoleCitizen, "Citizen", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := citizen.b.do(20*time.Second, chromedp.Navigate(srv.base+"/j/"+inv.Token), chromedp.WaitEnabled(chromedp.ID("join"))); err != nil {
		fatal(t, srv, parts, "open join page: %v", err)
	}
	srv.clock.advance(2 * time.Minute)
	if err := citizen.b.do(5*time.Second, chromedp.Click(chromedp.ID("join"))); err != nil {
		fatal(t, srv, parts, "click join: %v", err)
	}
	var status string
	err = poll(10*time.Second, 50*time.Millisecond, func() (bool, string, error) {
		state, err := eval[string](citizen.b, `window.nahbar.state`)
		if err != nil {
			return false, "", err
		}
		status, err = eval[string](citizen.b, `document.getElementById('status').textContent`)
		return state == "error", fmt.Sprintf("state %q, status %q", state, status), err
	})
	if err != nil {
		fatal(t, srv, parts, "expired link: %v", err)
	}
	if !strings.Contains(status, "not valid or has expired") {
		fatal(t, srv, parts, "status %q does not explain the expired link", status)
	}
	disabled, err := eval[bool](citizen.b, `document.getElementById('join').disabled`)
	if err != nil || !disabled {
		fatal(t, srv, parts, "Join must stay disabled after an expired link (disabled=%v, err=%v)", disabled, err)
	}
}

// TestReconnectAfterRestart: when the media server restarts, both pages
// say they are reconnecting, rejoin on their own with their links, and the
// two participants see each other again.
func TestReconnectAfterRestart(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startServer(t)
	a := &participant{name: "A", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	b := &participant{name: "B", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 880, role: rooms.RoleCitizen}
	parts := []*participant{a, b}
	startBrowsers(t, srv, parts...)
	room, err := srv.store.CreateRoom("restart")
	if err != nil {
		t.Fatal(err)
	}
	if err := each(parts, func(p *participant) error { return join(srv, room.ID, p) }); err != nil {
		fatal(t, srv, parts, "join: %v", err)
	}
	// seeEachOther waits until every page is connected under a participant
	// id other than old's (first the ids, one page at a time, then the
	// pictures in parallel, which only read them).
	seeEachOther := func(old map[*participant]string) error {
		for _, p := range parts {
			err := poll(20*time.Second, 100*time.Millisecond, func() (bool, string, error) {
				id, err := eval[string](p.b, `window.nahbar.state === 'connected' ? window.nahbar.participantId : ''`)
				if err != nil || id == "" || id == old[p] {
					return false, fmt.Sprintf("%s: not connected under a new id (have %q)", p.name, id), err
				}
				p.id = id
				return true, "", nil
			})
			if err != nil {
				return err
			}
		}
		return each(parts, func(p *participant) error {
			return poll(20*time.Second, 100*time.Millisecond, func() (bool, string, error) {
				pic, err := eval[*picture](p.b, `window.__probe.picture()`)
				if err != nil {
					return false, "", err
				}
				problem := checkPicture(pic, p, without(parts, p), parts)
				return problem == "", problem, nil
			})
		})
	}
	if err := seeEachOther(nil); err != nil {
		fatal(t, srv, parts, "before the restart: %v", err)
	}
	oldIDs := map[*participant]string{a: a.id, b: b.id}
	restarted := time.Now()
	if err := srv.restartMedia(); err != nil {
		fatal(t, srv, parts, "restart: %v", err)
	}
	if err := seeEachOther(oldIDs); err != nil {
		fatal(t, srv, parts, "after the restart: %v", err)
	}
	t.Logf("after the media server restarted, both see each other again in %v", time.Since(restarted).Round(time.Millisecond))
}
