package rooms_test

import (
	"context"
	"encoding/json"
	"image/color"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
)

var (
	red   = color.RGBA{220, 30, 30, 255}
	blue  = color.RGBA{30, 30, 220, 255}
	green = color.RGBA{30, 200, 30, 255}
)

// TestAttendeeSeesEveryone: a receive-only attendee gets the "all" view with
// every publisher; publishers do not get a cell for the attendee; the roster
// lists all three; the room runs one encoder per view.
func TestAttendeeSeesEveryone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "session", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "session", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	att := s.dial(t, ctx, "session", "att", rooms.RoleAttendee, testpeer.Options{})

	var why string
	if err := att.Wait(ctx, func() bool {
		var ok bool
		ok, why = pictureShows(att, map[string]color.RGBA{a.ID(): red, b.ID(): blue}, nil)
		return ok
	}); err != nil {
		t.Fatalf("attendee: %s", why)
	}
	if l, _ := att.Layout(); l.View != "all" {
		t.Errorf("attendee view %q, want all", l.View)
	}
	waitFor(t, ctx, a, "a's layout", func() bool { ok, _ := pictureShows(a, map[string]color.RGBA{b.ID(): blue}, &red); return ok })
	roster := a.Roster()
	roles := map[string]string{}
	for _, e := range roster {
		roles[e.ID] = e.Role
	}
	if len(roster) != 3 || roles[att.ID()] != "attendee" || roles[a.ID()] != "advisor" {
		t.Errorf("roster %+v", roster)
	}
	if st := s.mgr.Stats(); st.Rooms != 1 || st.Participants != 3 || st.VideoEncoders != 3 || st.AudioEncoders != 3 {
		t.Errorf("stats %+v, want 1 room, 3 participants, 3 video and 3 audio outputs", st)
	}
}

// TestMute: camera off shows the placeholder instead of the colour and the
// roster says so; microphone off takes the tone out of the others' mix.
func TestMute(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "mute", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red, ToneHz: 440, ToneAmplitude: 0.1})
	b := s.dial(t, ctx, "mute", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue, ToneHz: 660, ToneAmplitude: 0.1})
	waitFor(t, ctx, b, "b to see a", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })
	waitFor(t, ctx, b, "b to hear a", func() bool { return toneLevel(b.Audio(24000), 440) > 0.02 })

	on, off := true, false
	if err := a.Mute(&on, &on); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "roster to show a muted", func() bool {
		for _, e := range b.Roster() {
			if e.ID == a.ID() {
				return e.AudioMuted && e.VideoMuted
			}
		}
		return false
	})
	waitFor(t, ctx, b, "a's placeholder", func() bool {
		l, _ := b.Layout()
		c, ok := l.Cell(a.ID())
		pic := b.Picture()
		return ok && pic != nil && !testpeer.Near(testpeer.MeanRGB(pic, testpeer.CellRect(pic, c, 0.3)), red, 60)
	})
	waitFor(t, ctx, b, "a's tone to stop", func() bool { return toneLevel(b.Audio(24000), 440) < 0.005 })

	if err := a.Mute(&off, &off); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, b, "a's camera back", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })
	waitFor(t, ctx, b, "a's tone back", func() bool { return toneLevel(b.Audio(24000), 440) > 0.02 })
}

// TestRenegotiation: the server offers when it must add video to an
// audio-only offer, yields on glare, and answers a client's ICE-restart
// re-offer without interrupting the picture.
func TestRenegotiation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, nil)
	a := s.dial(t, ctx, "reneg", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})

	t.Run("server offer and glare", func(t *testing.T) {
		att := s.dial(t, ctx, "reneg", "att", rooms.RoleAttendee, testpeer.Options{AudioOnly: true, GlareOnce: true})
		waitFor(t, ctx, att, "video after the server's offer", func() bool {
			ok, _ := pictureShows(att, map[string]color.RGBA{a.ID(): red}, nil)
			return ok
		})
		offers, answers := att.Negotiations()
		if offers < 2 || answers < 2 {
			t.Errorf("server offers %d, answers %d: want the first offer ignored (glare), the server to answer the client's and offer again", offers, answers)
		}
	})

	t.Run("client ice restart", func(t *testing.T) {
		b := s.dial(t, ctx, "reneg", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
		waitFor(t, ctx, b, "b to see a", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })
		_, before := b.Negotiations()
		if err := b.Renegotiate(true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, b, "answer to the re-offer", func() bool { _, n := b.Negotiations(); return n > before })
		f := b.FramesReceived()
		waitFor(t, ctx, b, "frames after the restart", func() bool { return b.FramesReceived() > f+15 })
		if errs := b.Errors(); len(errs) > 0 {
			t.Errorf("errors: %v", errs)
		}
	})
}

// TestParticipantDropped: a client whose socket dies, or whose
// PeerConnection closes, is removed and the others are told.
func TestParticipantDropped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, func(c *rooms.Config) { c.ICEGrace = 200 * time.Millisecond })
	a := s.dial(t, ctx, "drop", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "drop", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	c := s.dial(t, ctx, "drop", "c", rooms.RoleCitizen, testpeer.Options{Colour: green})
	waitFor(t, ctx, a, "a to see b and c", func() bool {
		ok, _ := pictureShows(a, map[string]color.RGBA{b.ID(): blue, c.ID(): green}, &red)
		return ok
	})

	b.Close() // socket and PeerConnection gone at once, no leave
	waitFor(t, ctx, a, "b removed", func() bool {
		ok, _ := pictureShows(a, map[string]color.RGBA{c.ID(): green}, &red)
		return ok && len(a.Roster()) == 2
	})

	if err := c.ClosePeerConnection(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, c, "bye ice_failed", func() bool { r, closed := c.Bye(); return r == rooms.ByeICEFailed && closed })
	waitFor(t, ctx, a, "c removed", func() bool { return len(a.Roster()) == 1 })
}

// TestSocketRules covers what the signalling socket refuses.
func TestSocketRules(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, func(c *rooms.Config) { c.JoinTimeout = 300 * time.Millisecond })
	s.auth.add("ok", rooms.Grant{RoomID: "rules", DisplayName: "x", Role: rooms.RoleCitizen})

	t.Run("foreign origin", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial with a foreign origin: err %v, response %v; want 403", err, resp)
		}
	})

	t.Run("no join in time", func(t *testing.T) {
		c, _, err := websocket.Dial(ctx, s.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		start := time.Now()
		if _, _, err := c.Read(ctx); err == nil {
			t.Fatal("socket stayed open without join")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("closed after %v", d)
		}
	})

	t.Run("first message not join", func(t *testing.T) {
		c := rawDial(t, ctx, s.url)
		write(t, ctx, c, `{"type":"offer","sdp":"v=0"}`)
		if m := read(t, ctx, c); m.Type != rooms.TypeError || m.Code != rooms.CodeBadMessage {
			t.Fatalf("got %+v, want error bad_message", m)
		}
	})

	for _, tt := range []struct{ name, msg string }{
		{"undecodable message after join", `{"type":"offer","sdp":"v=0","extra":1}`},
		{"binary frame after join", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := rawDial(t, ctx, s.url)
			write(t, ctx, c, `{"type":"join","v":1,"token":"ok"}`)
			if m := read(t, ctx, c); m.Type != rooms.TypeJoined {
				t.Fatalf("got %+v, want joined", m)
			}
			if tt.msg == "" {
				if err := c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
					t.Fatal(err)
				}
			} else {
				write(t, ctx, c, tt.msg)
			}
			var got []rooms.Message
			for {
				m, err := readErr(ctx, c)
				if err != nil {
					break
				}
				got = append(got, m)
			}
			if !hasMessage(got, rooms.TypeError, string(rooms.CodeBadMessage)) || !hasMessage(got, rooms.TypeBye, rooms.ByeProtocolError) {
				t.Fatalf("got %+v, want error bad_message then bye protocol_error", got)
			}
		})
	}

	t.Run("oversized message", func(t *testing.T) {
		c := rawDial(t, ctx, s.url)
		write(t, ctx, c, `{"type":"join","v":1,"token":"ok"}`)
		read(t, ctx, c)
		write(t, ctx, c, `{"type":"offer","sdp":"v=0`+strings.Repeat("a", rooms.MaxClientMessageSize)+`"}`)
		for {
			if _, err := readErr(ctx, c); err != nil {
				if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
					t.Fatalf("closed with %v, want status 1009 (message too big)", err)
				}
				return
			}
		}
	})

	t.Run("out of order answer keeps the call", func(t *testing.T) {
		p := s.dial(t, ctx, "rules", "p", rooms.RoleCitizen, testpeer.Options{})
		waitFor(t, ctx, p, "connected", p.Connected)
		if err := p.Send(testpeer.Message{Type: "answer", SDP: "v=0\r\n"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, p, "bad_message", func() bool { return p.HasError(string(rooms.CodeBadMessage)) })
		if _, closed := p.Bye(); closed || !p.Connected() {
			t.Fatalf("an out-of-order answer ended the session")
		}
	})
}

func rawDial(t *testing.T, ctx context.Context, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func write(t *testing.T, ctx context.Context, c *websocket.Conn, s string) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, ctx context.Context, c *websocket.Conn) rooms.Message {
	t.Helper()
	m, err := readErr(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readErr(ctx context.Context, c *websocket.Conn) (rooms.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		return rooms.Message{}, err
	}
	var m rooms.Message
	err = json.Unmarshal(b, &m)
	return m, err
}

func hasMessage(ms []rooms.Message, typ rooms.MessageType, codeOrReason string) bool {
	for _, m := range ms {
		if m.Type == typ && (string(m.Code) == codeOrReason || m.Reason == codeOrReason) {
			return true
		}
	}
	return false
}

// TestSinglePortICE: with Config.UDPPort every PeerConnection shares one UDP
// port (the ICE UDP mux), and calls still connect.
func TestSinglePortICE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	_ = l.Close()
	s := startServer(t, func(c *rooms.Config) { c.UDPPort = port })
	a := s.dial(t, ctx, "mux", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "mux", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	waitFor(t, ctx, a, "a to see b over the shared port", func() bool { ok, _ := pictureShows(a, map[string]color.RGBA{b.ID(): blue}, &red); return ok })
	waitFor(t, ctx, b, "b to see a over the shared port", func() bool { ok, _ := pictureShows(b, map[string]color.RGBA{a.ID(): red}, &blue); return ok })
}

// TestICELossRemovesAfterGrace: a peer whose network vanishes (nothing
// closed, the socket still open) is removed once ICE reports the loss and the
// grace period passes; it is told bye{ice_failed}, the others a new roster.
func TestICELossRemovesAfterGrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startServer(t, func(c *rooms.Config) { c.ICEGrace = 500 * time.Millisecond })
	a := s.dial(t, ctx, "tunnel", "a", rooms.RoleAdvisor, testpeer.Options{Colour: red})
	b := s.dial(t, ctx, "tunnel", "b", rooms.RoleCitizen, testpeer.Options{Colour: blue})
	waitFor(t, ctx, a, "a to see b", func() bool { ok, _ := pictureShows(a, map[string]color.RGBA{b.ID(): blue}, &red); return ok })

	cut := time.Now()
	b.CutNetwork()
	waitFor(t, ctx, b, "bye ice_failed", func() bool { r, _ := b.Bye(); return r == rooms.ByeICEFailed })
	waitFor(t, ctx, a, "b removed", func() bool { return len(a.Roster()) == 1 })
	t.Logf("network cut → removed after %v (pion's ICE disconnected timeout + %v grace)", time.Since(cut).Round(100*time.Millisecond), 500*time.Millisecond)
}
