package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nahbar/nahbar/rooms"
)

// TestCallPageFeatures: the call page's chat, the advisor's live status and
// screen sharing, through the real page in two Chromium browsers. The
// citizen's message reaches the advisor with its sender; the advisor
// deletes it and it disappears for both; the advisor sees a connection
// indicator for the citizen with its camera state; the citizen shares its
// screen (Chromium's fake capture) and the advisor's layout switches to the
// presenter layout, and back when sharing stops.
func TestCallPageFeatures(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startServer(t)
	advisor := &participant{name: "Advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	citizen := &participant{name: "Citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 660, role: rooms.RoleCitizen}
	parts := []*participant{advisor, citizen}
	startBrowsers(t, srv, parts...)
	room, err := srv.store.CreateRoom("features")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if err := join(srv, room.ID, p); err != nil {
			fatal(t, srv, parts, "%s: %v", p.name, err)
		}
	}

	const text = "Guten Tag! <b>not bold</b>"
	if err := citizen.b.do(5*time.Second, chromedp.SendKeys(chromedp.ID("chat-text"), text), chromedp.Click(chromedp.ID("chat-send"))); err != nil {
		fatal(t, srv, parts, "send chat: %v", err)
	}
	chatShown := func(p *participant, want bool) func() (bool, string, error) {
		return func() (bool, string, error) {
			got, err := eval[string](p.b, `Array.from(document.querySelectorAll('#chat-list li')).map(li => li.textContent).join('|')`)
			has := strings.Contains(got, text) && strings.Contains(got, "Participant Citizen")
			return has == want, fmt.Sprintf("%s's chat shows %q", p.name, got), err
		}
	}
	for _, p := range parts {
		if err := poll(10*time.Second, 100*time.Millisecond, chatShown(p, true)); err != nil {
			fatal(t, srv, parts, "chat message: %v", err)
		}
	}
	if bold, _ := eval[int](advisor.b, `document.querySelectorAll('#chat-list b').length`); bold != 0 {
		t.Errorf("the chat text was rendered as HTML")
	}
	if n, _ := eval[int](citizen.b, `document.querySelectorAll('#chat-list .chat-delete').length`); n != 0 {
		t.Errorf("the citizen sees %d delete controls, want none", n)
	}
	if err := advisor.b.do(5*time.Second, chromedp.Click(chromedp.CSS("#chat-list .chat-delete"))); err != nil {
		fatal(t, srv, parts, "delete chat: %v", err)
	}
	for _, p := range parts {
		if err := poll(10*time.Second, 100*time.Millisecond, chatShown(p, false)); err != nil {
			fatal(t, srv, parts, "deleted chat message: %v", err)
		}
	}

	if err := poll(10*time.Second, 200*time.Millisecond, func() (bool, string, error) {
		got, err := eval[string](advisor.b, `Array.from(document.querySelectorAll('#conn-status li')).map(li => li.textContent).join('|')`)
		return strings.Contains(got, "Participant Citizen") && strings.Contains(got, "kbit/s") && strings.Contains(got, "ok"),
			fmt.Sprintf("advisor's status list: %q", got), err
	}); err != nil {
		fatal(t, srv, parts, "live status: %v", err)
	}

	if hidden, _ := eval[bool](citizen.b, `document.getElementById('share').hidden`); hidden {
		unavailable(t, "this Chromium offers no getDisplayMedia here; screen sharing not exercised")
	}
	if err := citizen.b.do(5*time.Second, chromedp.Click(chromedp.ID("share"))); err != nil {
		fatal(t, srv, parts, "share: %v", err)
	}
	screenShown := func(want bool) func() (bool, string, error) {
		return func() (bool, string, error) {
			got, err := eval[bool](advisor.b, `!!(window.nahbar.layout && window.nahbar.layout.cells.some(c => c.screen))`)
			return got == want, fmt.Sprintf("advisor's layout has a screen cell: %v, want %v", got, want), err
		}
	}
	if err := poll(15*time.Second, 200*time.Millisecond, screenShown(true)); err != nil {
		fatal(t, srv, parts, "screen share: %v", err)
	}
	if err := citizen.b.do(5*time.Second, chromedp.Click(chromedp.ID("share"))); err != nil {
		fatal(t, srv, parts, "stop sharing: %v", err)
	}
	if err := poll(15*time.Second, 200*time.Millisecond, screenShown(false)); err != nil {
		fatal(t, srv, parts, "screen share stopped: %v", err)
	}
}

// TestGroupSessionHands: an attendee raises a hand from the page, the
// advisor sees it and lets the attendee speak; the attendee's page starts
// camera and microphone, says it is live, and the advisor's picture then
// shows the attendee; "mute everyone" turns its microphone off (its page
// says the advisor did); "end speaking" takes it back.
func TestGroupSessionHands(t *testing.T) {
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
	for _, p := range parts {
		if err := join(srv, room.ID, p); err != nil {
			fatal(t, srv, parts, "%s: %v", p.name, err)
		}
	}
	if err := attendee.b.do(5*time.Second, chromedp.Click(chromedp.ID("hand"))); err != nil {
		fatal(t, srv, parts, "raise hand: %v", err)
	}
	button := func(action string) func() (bool, string, error) {
		return func() (bool, string, error) {
			n, err := eval[int](advisor.b, fmt.Sprintf(`document.querySelectorAll('#hands button[data-action=%q][data-participant=%q]').length`, action, attendee.id))
			return n == 1, fmt.Sprintf("advisor's hands list has no %s button for the attendee", action), err
		}
	}
	if err := poll(10*time.Second, 100*time.Millisecond, button("promote")); err != nil {
		fatal(t, srv, parts, "raised hand: %v", err)
	}
	if err := advisor.b.do(5*time.Second, chromedp.Click(chromedp.CSS(`#hands button[data-action="promote"]`))); err != nil {
		fatal(t, srv, parts, "promote: %v", err)
	}
	inAdvisorsPicture := func(want bool) func() (bool, string, error) {
		return func() (bool, string, error) {
			got, err := eval[bool](advisor.b, fmt.Sprintf(`!!(window.nahbar.layout && window.nahbar.layout.cells.some(c => c.participant_id === %q))`, attendee.id))
			return got == want, fmt.Sprintf("attendee in the advisor's layout: %v, want %v", got, want), err
		}
	}
	if err := poll(15*time.Second, 200*time.Millisecond, func() (bool, string, error) {
		live, err := eval[bool](attendee.b, `!document.getElementById('live').hidden && window.nahbar.features.live`)
		return live, "the attendee's page does not say it is live", err
	}); err != nil {
		fatal(t, srv, parts, "promoted: %v", err)
	}
	if err := poll(15*time.Second, 200*time.Millisecond, inAdvisorsPicture(true)); err != nil {
		fatal(t, srv, parts, "promoted attendee publishing: %v", err)
	}
	if err := advisor.b.do(5*time.Second, chromedp.Click(chromedp.ID("mute-all"))); err != nil {
		fatal(t, srv, parts, "mute all: %v", err)
	}
	if err := poll(10*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		pressed, err := eval[string](attendee.b, `document.getElementById('mic').getAttribute('aria-pressed') + ' ' + document.getElementById('status').textContent`)
		return strings.HasPrefix(pressed, "true ") && strings.Contains(pressed, "muted by the advisor"),
			fmt.Sprintf("attendee's microphone button and status: %q", pressed), err
	}); err != nil {
		fatal(t, srv, parts, "mute all: %v", err)
	}
	if err := poll(10*time.Second, 100*time.Millisecond, rosterShows(advisor, attendee, "audio_muted", true)); err != nil {
		fatal(t, srv, parts, "mute all: %v", err)
	}
	if err := poll(10*time.Second, 100*time.Millisecond, button("demote")); err != nil {
		fatal(t, srv, parts, "end speaking control: %v", err)
	}
	if err := advisor.b.do(5*time.Second, chromedp.Click(chromedp.CSS(`#hands button[data-action="demote"]`))); err != nil {
		fatal(t, srv, parts, "demote: %v", err)
	}
	if err := poll(15*time.Second, 200*time.Millisecond, inAdvisorsPicture(false)); err != nil {
		fatal(t, srv, parts, "demoted attendee: %v", err)
	}
}
