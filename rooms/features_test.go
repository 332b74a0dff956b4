package rooms_test

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

var screenGreen = color.RGBA{30, 200, 30, 255}

// TestScreenShare: a publisher shares a screen; everyone else's picture
// switches to the presenter layout (the screen large, people small) and back
// to the grid when the share stops. The sharer does not see its own screen.
func TestScreenShare(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "screen", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "screen", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	c := s.dial(t, ctx, "screen", "c", rooms.RoleCitizen, testpeer.Options{Colour: yellowish})
	waitFor(t, ctx, b, "b's grid", func() bool {
		ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red, c.ID(): yellowish}, &blue)
		return ok
	})

	if err := a.StartScreen(screenGreen, 640, 360); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*testpeer.Peer{b, c} {
		var why string
		if err := p.Wait(ctx, func() bool {
			var ok bool
			ok, why = presenterShows(p, a.ID(), screenGreen)
			return ok
		}); err != nil {
			t.Fatalf("presenter layout: %s", why)
		}
	}
	if l, _ := a.Layout(); hasScreenCell(l) {
		t.Errorf("the sharer sees a screen cell: %+v", l.Cells)
	}
	if _, found := findColour(a.Picture(), screenGreen); found {
		t.Errorf("the sharer sees its own screen")
	}

	if err := a.StopScreen(); err != nil {
		t.Fatal(err)
	}
	// One condition on one picture: the layout and a decoded frame arrive
	// apart, and the frame read after the grid showed could be an older one.
	waitFor(t, ctx, b, "b's grid again, without the screen", func() bool {
		l, _ := b.Layout()
		ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red, c.ID(): yellowish}, &blue)
		_, green := findColour(b.Picture(), screenGreen)
		return ok && !hasScreenCell(l) && !green
	})
}

var yellowish = color.RGBA{230, 220, 40, 255}

func hasScreenCell(l testpeer.Layout) bool {
	for _, c := range l.Cells {
		if c.Screen {
			return true
		}
	}
	return false
}

// presenterShows: p's layout has sharer's screen as the large cell (full
// width, three quarters of the height) showing the colour, and every camera
// as a thumbnail below it.
func presenterShows(p *testpeer.Peer, sharer string, c color.RGBA) (bool, string) {
	l, ok := p.Layout()
	if !ok {
		return false, "no layout"
	}
	sc, ok := l.ScreenCell(sharer)
	if !ok {
		return false, "no screen cell"
	}
	if sc.W < 0.99 || sc.H < 0.7 {
		return false, "the screen cell is not the large one"
	}
	for _, cell := range l.Cells {
		if !cell.Screen && cell.Y < sc.H-0.01 {
			return false, "a camera cell above the strip"
		}
	}
	pic := p.Picture()
	if pic == nil {
		return false, "no picture"
	}
	if got := testpeer.MeanRGB(pic, testpeer.CellRect(pic, sc, 0.3)); !testpeer.Near(got, c, 40) {
		return false, "the screen cell shows " + rgb(got)
	}
	return true, ""
}

// TestChat: a message reaches everyone with the server's id, sender and
// time; a late joiner gets the history; the advisor deletes a message for
// everyone and nobody else may; flooding is refused.
func TestChat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "chat", "a", rooms.RoleAdvisor, testpeer.Options{})
	b := s.dial(t, ctx, "chat", "b", rooms.RoleCitizen, testpeer.Options{})

	if err := b.Chat("  Guten Tag <b>!</b>\nZweite Zeile  "); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*testpeer.Peer{a, b} {
		waitFor(t, ctx, p, "the message", func() bool { return len(p.Chats()) == 1 })
		m := p.Chats()[0]
		if m.Text != "Guten Tag <b>!</b>\nZweite Zeile" || m.ParticipantID != b.ID() || m.Name != "b" || m.Role != "citizen" || m.ID == "" {
			t.Fatalf("message %+v", m)
		}
		if _, err := time.Parse(time.RFC3339Nano, m.Time); err != nil {
			t.Fatalf("time %q: %v", m.Time, err)
		}
	}
	time.Sleep(600 * time.Millisecond) // the chat rate limit is one per 500 ms (real time)
	if err := a.Chat("second"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "the second message", func() bool { return len(b.Chats()) == 2 })
	first := b.Chats()[0].ID

	late := s.dial(t, ctx, "chat", "late", rooms.RoleCitizen, testpeer.Options{})
	waitFor(t, ctx, late, "the history", func() bool { return len(late.Chats()) == 2 })

	if err := b.DeleteChat(first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "forbidden", func() bool { return b.HasError(string(rooms.CodeForbidden)) })
	if err := a.DeleteChat(first); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*testpeer.Peer{a, b, late} {
		waitFor(t, ctx, p, "the deletion", func() bool { c := p.Chats(); return len(c) == 1 && c[0].Text == "second" })
	}

	if err := b.Chat("one"); err != nil {
		t.Fatal(err)
	}
	if err := b.Chat("two"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "rate_limited", func() bool { return b.HasError(string(rooms.CodeRateLimited)) })

	// Longer than the limit: not decodable, like any oversized field.
	if err := b.Chat(strings.Repeat("x", rooms.MaxChatText+1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "bye after an oversized chat", func() bool { r, _ := b.Bye(); return r == rooms.ByeProtocolError })
}

// TestGroupSession: attendees are receive-only and get the compact roster;
// an attendee raises a hand, the advisor sees it and promotes the attendee,
// whose camera then reaches everyone (and whose own view drops itself);
// mute_all mutes the promoted attendee; demote takes the camera out again.
func TestGroupSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	s := startServer(t, nil)
	adv := s.dial(t, ctx, "group", "adv", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	x := s.dial(t, ctx, "group", "x", rooms.RoleAttendee, testpeer.Options{Colour: blue, ToneHz: 660, ToneAmplitude: 0.2})
	y := s.dial(t, ctx, "group", "y", rooms.RoleAttendee, testpeer.Options{})
	waitFor(t, ctx, y, "y to see the advisor", func() bool { ok, _ := pictureShows(y, map[string]color.RGBA{adv.ID(): red}, nil); return ok })

	waitFor(t, ctx, x, "x's compact roster", func() bool { r := x.Roster(); return len(r) == 1 && r[0].ID == adv.ID() && x.Attendees() == 2 })
	waitFor(t, ctx, adv, "the advisor's full roster", func() bool { return len(adv.Roster()) == 3 && adv.Attendees() == 2 })

	if err := x.RaiseHand(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, adv, "x's hand in the roster", func() bool { return rosterEntry(adv, x.ID()).HandRaised })

	if err := y.Promote(x.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, y, "forbidden for an attendee", func() bool { return y.HasError(string(rooms.CodeForbidden)) })

	if err := adv.Promote(x.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, x, "promoted", x.Publishing)
	both := map[string]color.RGBA{adv.ID(): red, x.ID(): blue}
	waitFor(t, ctx, y, "y to see the advisor and x", func() bool { ok, _ := pictureShows(y, both, nil); return ok })
	waitFor(t, ctx, adv, "the advisor to see x", func() bool { ok, _ := pictureShows(adv, map[string]color.RGBA{x.ID(): blue}, &red); return ok })
	waitFor(t, ctx, x, "x's own view without itself", func() bool {
		l, _ := x.Layout()
		ok, _ := pictureShows(x, map[string]color.RGBA{adv.ID(): red}, &blue)
		return ok && l.View == "all-but:"+x.ID()
	})
	waitFor(t, ctx, y, "x's voice", func() bool { return toneLevel(y.Audio(24000), 660) > 0.03 })
	e := rosterEntry(adv, x.ID())
	if !e.Publishing || e.HandRaised {
		t.Errorf("x's entry after promotion: %+v, want publishing and the hand down", e)
	}
	waitFor(t, ctx, y, "x in y's compact roster", func() bool { return len(y.Roster()) == 2 && y.Attendees() == 1 })

	if err := adv.MuteAll(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, x, "mute_request", func() bool { return x.MuteRequests() == 1 })
	waitFor(t, ctx, y, "x silent", func() bool { return toneLevel(y.Audio(24000), 660) < 0.005 })
	if adv.MuteRequests() != 0 {
		t.Errorf("the advisor was asked to mute")
	}
	waitFor(t, ctx, adv, "x muted in the roster", func() bool { return rosterEntry(adv, x.ID()).AudioMuted })

	if err := adv.Demote(x.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, y, "x gone from y's picture", func() bool {
		ok, _ := pictureShows(y, map[string]color.RGBA{adv.ID(): red}, nil)
		return ok && !x.Publishing()
	})
	waitFor(t, ctx, x, "x back on the all view", func() bool { l, _ := x.Layout(); return l.View == "all" })

	// The advisor lowers an attendee's hand; the attendee is told.
	if err := y.RaiseHand(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, adv, "y's hand", func() bool { return rosterEntry(adv, y.ID()).HandRaised })
	if err := adv.LowerHandOf(y.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, y, "hand lowered", func() bool { return y.HandsLowered() == 1 })
	waitFor(t, ctx, adv, "y's hand down", func() bool { return !rosterEntry(adv, y.ID()).HandRaised })
}

func rosterEntry(p *testpeer.Peer, id string) testpeer.RosterEntry {
	for _, e := range p.Roster() {
		if e.ID == id {
			return e
		}
	}
	return testpeer.RosterEntry{}
}

// TestStatusAndSummary: the advisor receives everyone's live connection
// status every ~2 s (tier, rates, fps, client, devices); when the room
// closes, OnCallEnd gets its summary.
func TestStatusAndSummary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var summaries []rooms.CallSummary
	s := startServer(t, func(c *rooms.Config) {
		c.OnCallEnd = func(cs rooms.CallSummary) { mu.Lock(); summaries = append(summaries, cs); mu.Unlock() }
	})
	a := s.dial(t, ctx, "status", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "status", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	if err := b.DeviceStatus(testpeer.DeviceStatus{Camera: "ok", Microphone: "denied", Details: "Front camera"}); err != nil {
		t.Fatal(err)
	}
	var entry testpeer.ConnectionStatus
	waitFor(t, ctx, a, "b's status", func() bool {
		st, _ := a.Status()
		for _, e := range st {
			if e.ParticipantID == b.ID() {
				entry = e
				return e.FPS > 5 && e.DownKbps > 0 && e.UpKbps > 0 && e.Device != nil && e.RTTMillis > 0
			}
		}
		return false
	})
	t.Logf("b's status: %+v client %+v device %+v", entry, entry.Client, entry.Device)
	if entry.Tier != "high" || entry.Role != "citizen" || entry.Client == nil || entry.Client.Agent != "nahbar-testpeer" ||
		entry.Device.Camera != "ok" || entry.Device.Microphone != "denied" || entry.VideoPaused {
		t.Errorf("b's status %+v", entry)
	}
	if _, n := b.Status(); n != 0 {
		t.Errorf("a citizen received %d status messages", n)
	}

	if err := b.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, a, "the summary", func() bool { mu.Lock(); defer mu.Unlock(); return len(summaries) == 1 })
	cs := summaries[0]
	t.Logf("summary: %+v", cs)
	if cs.RoomID != "status" || cs.Participants[rooms.RoleAdvisor] != 1 || cs.Participants[rooms.RoleCitizen] != 1 ||
		cs.TierShares["high"] < 0.99 || !cs.End.After(cs.Start) || cs.WorstRTT <= 0 {
		t.Errorf("summary %+v", cs)
	}
}

// TestOutageMarksInterrupted: the advisors' status marks a participant the
// server hears nothing from as interrupted, and clears the mark when it is
// heard again, without ending its session; a receive-only attendee, which
// sends nothing but feedback, is never marked. The call record counts the
// outage as the interrupted share.
func TestOutageMarksInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	summaries := make(chan rooms.CallSummary, 1)
	s := startServer(t, func(c *rooms.Config) { c.OnCallEnd = func(cs rooms.CallSummary) { summaries <- cs } })
	a := s.dial(t, ctx, "outage", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "outage", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	c := s.dial(t, ctx, "outage", "c", rooms.RoleAttendee, testpeer.Options{})
	entry := func(id string) (testpeer.ConnectionStatus, bool) {
		st, _ := a.Status()
		for _, e := range st {
			if e.ParticipantID == id {
				return e, true
			}
		}
		return testpeer.ConnectionStatus{}, false
	}
	waitFor(t, ctx, a, "b's and c's status", func() bool {
		eb, okb := entry(b.ID())
		_, okc := entry(c.ID())
		return okb && okc && eb.UpKbps > 0
	})
	// Quiet is not lost: for longer than silentAfter (3 s) plus a status
	// period, nobody is marked.
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond) // sampling the status messages
		for _, p := range []*testpeer.Peer{a, b, c} {
			if e, _ := entry(p.ID()); e.Interrupted {
				t.Fatalf("%s marked interrupted while connected: %+v", e.Name, e)
			}
		}
	}

	cut := time.Now()
	b.CutNetwork()
	waitFor(t, ctx, a, "b marked interrupted", func() bool { e, _ := entry(b.ID()); return e.Interrupted })
	t.Logf("b marked interrupted %v after its network was cut", time.Since(cut).Round(100*time.Millisecond))
	if e, _ := entry(c.ID()); e.Interrupted {
		t.Errorf("c marked interrupted with b: %+v", e)
	}
	back := time.Now()
	b.RestoreNetwork()
	waitFor(t, ctx, a, "b's mark cleared", func() bool { e, _ := entry(b.ID()); return !e.Interrupted })
	t.Logf("b's mark cleared %v after its network came back", time.Since(back).Round(100*time.Millisecond))
	if r, closed := b.Bye(); closed || r != "" {
		t.Errorf("b's session ended (%q) by a short outage", r)
	}
	for _, p := range []*testpeer.Peer{c, b, a} {
		if err := p.Leave(ctx); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case cs := <-summaries:
		// b was gone ~4 s of three receivers' ~3 × 15 s.
		t.Logf("tier shares %v", cs.TierShares)
		if got := cs.TierShares["interrupted"]; got <= 0.05 || got >= 0.3 {
			t.Errorf("interrupted share %.3f of the call record, want b's outage (~0.1)", got)
		}
	case <-ctx.Done():
		t.Fatal("no call summary")
	}
}

// TestManyAttendees: a presenter and 100 light receive-only attendees (30
// under -race, where pion's DTLS and SRTP are ~20x slower). Encoders are per
// (view, tier), never per attendee: with 10 attendees and with 100 the
// number of video encoders is one for the presenter's view plus one per tier
// the attendees are on (the link may move some on these two busy cores; each
// tier's attendees share its encoder). Every attendee receives video, and
// attendees get the compact roster (the presenter and a count).
func TestManyAttendees(t *testing.T) {
	if testing.Short() {
		t.Skip("100 WebRTC sessions")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	many := 100
	if raceDetector {
		many = 30
	}
	s := startServer(t, nil)
	pres := s.dial(t, ctx, "many", "presenter", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	var atts []*testpeer.Peer
	defer func() {
		for _, p := range atts {
			p.Close()
		}
	}()
	check := func(n int) {
		start := time.Now()
		for i := len(atts); i < n; i++ {
			atts = append(atts, s.dialNoCleanup(t, ctx, "many", fmt.Sprintf("att%03d", i), rooms.RoleAttendee, testpeer.Options{NoDecode: true}))
		}
		for _, p := range atts {
			waitFor(t, ctx, p, "video", func() bool { return p.FramesReceived() > 0 })
		}
		joined := time.Since(start)
		// The advisor's status names every attendee's tier; tiers may change
		// meanwhile, so wait for a status and the stats to agree.
		var tiers map[string]int
		var st rooms.Stats
		var video int
		err := pres.Wait(ctx, func() bool {
			entries, _ := pres.Status()
			tiers, video = map[string]int{}, 0
			for _, e := range entries {
				if e.Role == "attendee" {
					tiers[e.Tier]++
				}
			}
			for tier := range tiers {
				if tier != rooms.AudioOnlyTier {
					video++
				}
			}
			st = s.mgr.Stats()
			return len(entries) == n+1 && st.VideoEncoders == 1+video && st.AudioEncoders == 2
		})
		t.Logf("%d attendees receiving video %v after joining; tiers %v; %+v", n, joined.Round(time.Millisecond), tiers, st)
		if err != nil {
			t.Errorf("%d attendees on %d video tiers: %d video and %d audio encoders, want %d and 2",
				n, video, st.VideoEncoders, st.AudioEncoders, 1+video)
		}
	}
	check(10)
	check(many)
	last := atts[len(atts)-1]
	waitFor(t, ctx, last, "the compact roster", func() bool { return last.Attendees() == many })
	if r := last.Roster(); len(r) != 1 || r[0].ID != pres.ID() {
		t.Errorf("an attendee's roster has %d entries, want only the presenter", len(r))
	}
	var rosters int
	for _, p := range atts {
		rosters += p.Received("roster")
	}
	t.Logf("roster messages to attendees: %d in all (%.1f each)", rosters, float64(rosters)/float64(len(atts)))
}
