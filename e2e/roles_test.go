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

// TestAttendeeWatches: a receive-only attendee (no camera, no microphone,
// so Chromium hides its addresses behind mDNS names) still connects and
// sees the advisor's picture.
func TestAttendeeWatches(t *testing.T) {
	if skipReason != "" {
		t.Skip("browser end-to-end test skipped: " + skipReason)
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
	err = poll(15*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		pic, err := eval[*picture](attendee.b, `window.__probe.picture()`)
		if err != nil {
			return false, "", err
		}
		problem := checkPicture(pic, attendee, []*participant{advisor}, parts)
		return problem == "", problem, nil
	})
	if err != nil {
		fatal(t, srv, parts, "attendee's picture: %v", err)
	}
	hidden, err := eval[bool](attendee.b, `document.getElementById('mic').hidden && document.getElementById('cam').hidden && !document.getElementById('preview')`)
	if err != nil || !hidden {
		fatal(t, srv, parts, "an attendee must have no camera preview and no microphone or camera buttons (ok=%v, err=%v)", hidden, err)
	}
	t.Logf("attendee: click → first frame %v", attendee.joinDur.Round(time.Millisecond))
}

// TestExpiredLinkExplained: a link that expires while the page is open is
// refused by the server, and the page says so in plain words.
func TestExpiredLinkExplained(t *testing.T) {
	if skipReason != "" {
		t.Skip("browser end-to-end test skipped: " + skipReason)
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
