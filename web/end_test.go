package web

import (
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// mediaServer runs a real rooms.Manager over the env's Authorizer chain on
// its own httptest server (the console env's /ws is a stand-in) and makes
// it the console's RoomEnder.
type mediaServer struct {
	mgr *rooms.Manager
	url string
}

func withMedia(t *testing.T, ms *mediaServer) func(*Config) {
	return func(cfg *Config) {
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		auth := NewStoreAuthorizer(cfg.Store, cfg.Storage, cfg.Lobby, cfg.Store.now)
		mgr, err := rooms.NewManager(rooms.Config{IncludeLoopback: true, Logger: log}, auth)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(mgr.ServeWS))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := mgr.Close(ctx); err != nil {
				t.Errorf("close manager: %v", err)
			}
			srv.Close()
		})
		ms.mgr, ms.url = mgr, "ws"+strings.TrimPrefix(srv.URL, "http")
		cfg.Ender = mgr
	}
}

func (ms *mediaServer) join(t *testing.T, ctx context.Context, token string, c color.RGBA) *testpeer.Peer {
	t.Helper()
	p, err := testpeer.Dial(ctx, testpeer.Options{URL: ms.url, Token: token, Publish: true, Colour: c})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// refusedWith dials with token and returns the code of the server's refusal.
func (ms *mediaServer) refusedWith(ctx context.Context, token string) string {
	p, err := testpeer.Dial(ctx, testpeer.Options{URL: ms.url, Token: token})
	if err == nil {
		p.Close()
		return "(joined)"
	}
	var em testpeer.ErrorMessage
	if errors.As(err, &em) {
		return em.Code
	}
	return err.Error()
}

// TestConsoleEndsTheCall: the advisor and the admitted citizen are in the
// call (real pion peers); a forged "end" without CSRF changes nothing; the
// console's "End call" marks the appointment done, both get bye{ended} and
// are disconnected, the room is gone, the end is audited, and neither link
// joins again (error{room_ended}).
func TestConsoleEndsTheCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var ms mediaServer
	e := newConsoleEnv(t, withMedia(t, &ms))
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID

	p := b.post(apptPath(id, "/enter"), nil)
	advisorToken, ok := strings.CutPrefix(p.location, "/j/")
	if p.code != http.StatusSeeOther || !ok {
		t.Fatalf("enter: %d %q", p.code, p.location)
	}
	a, _ := e.st.Appointment(ctx, id)
	entry := InvitationLobbyID(a.Invitations[0].ID)
	e.lobby.Arrive(roomID(id), WaitingEntry{ID: entry, Name: "Demo Bürgerin", Role: "citizen"})
	if p := b.post(apptPath(id, "/admit"), url.Values{"entry": {entry}}); p.code != http.StatusSeeOther {
		t.Fatalf("admit: %d", p.code)
	}
	adv := ms.join(t, ctx, advisorToken, color.RGBA{0, 200, 0, 255})
	cit := ms.join(t, ctx, e.seed.JoinToken, color.RGBA{200, 0, 0, 255})
	for _, p := range []*testpeer.Peer{adv, cit} {
		if err := p.Wait(ctx, func() bool { return p.Connected() && p.BytesReceived() > 0 }); err != nil {
			t.Fatalf("in the call: %v", err)
		}
	}

	// Without the session's CSRF token nothing happens.
	if p := b.post(apptPath(id, "/end"), url.Values{"csrf": {""}}); p.code != http.StatusForbidden {
		t.Fatalf("end without CSRF: %d, want 403", p.code)
	}
	if r, _ := cit.Bye(); r != "" || ms.mgr.Stats().Participants != 2 || consoleHas(e.auditActions(), "call.end") {
		t.Fatalf("a forged end had an effect: bye %q, stats %+v", r, ms.mgr.Stats())
	}

	if p := b.post(apptPath(id, "/end"), nil); p.code != http.StatusSeeOther {
		t.Fatalf("end: %d", p.code)
	}
	for name, p := range map[string]*testpeer.Peer{"advisor": adv, "citizen": cit} {
		if err := p.Wait(ctx, func() bool { r, closed := p.Bye(); return r != "" && closed }); err != nil {
			t.Fatalf("%s: no bye: %v", name, err)
		}
		if r, _ := p.Bye(); r != rooms.ByeEnded {
			t.Errorf("%s: bye %q, want %q", name, r, rooms.ByeEnded)
		}
	}
	if st := ms.mgr.Stats(); st != (rooms.Stats{PacketsSent: st.PacketsSent}) {
		t.Errorf("media after the end: %+v, want nothing", st)
	}
	if a, _ := e.st.Appointment(ctx, id); a.Status != storage.StatusDone {
		t.Errorf("appointment %s, want done", a.Status)
	}
	acts := e.auditActions()
	if !consoleHas(acts, "call.end") || !consoleHas(acts, "appointment.done") {
		t.Errorf("audit log %v lacks call.end or appointment.done", acts)
	}
	for name, tok := range map[string]string{"advisor": advisorToken, "citizen": e.seed.JoinToken} {
		if code := ms.refusedWith(ctx, tok); code != string(rooms.CodeRoomEnded) {
			t.Errorf("%s rejoins after the end: %s, want %s", name, code, rooms.CodeRoomEnded)
		}
	}
}

// TestAPIEndRoom: POST /api/v1/rooms/{id}/end disconnects the room's
// participant (bye{ended}), stops its tokens and new invitations, is
// harmless twice, and needs the API key.
func TestAPIEndRoom(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, _ := newTestStore(t)
	mgr, err := rooms.NewManager(rooms.Config{IncludeLoopback: true}, store)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{APIKey: testKey, Store: store}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := mgr.Close(cctx); err != nil {
			t.Errorf("close manager: %v", err)
		}
		srv.Close()
	})
	api := func(method, path, key string, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, room := api("POST", "/api/v1/rooms", testKey, `{"name":"Beratung"}`)
	if code != http.StatusCreated {
		t.Fatalf("create room: %d", code)
	}
	rid := room["id"].(string)
	code, part := api("POST", "/api/v1/rooms/"+rid+"/participants", testKey, `{"role":"citizen","display_name":"Erika"}`)
	if code != http.StatusCreated {
		t.Fatalf("create participant: %d", code)
	}
	token := part["token"].(string)
	p, err := testpeer.Dial(ctx, testpeer.Options{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", Token: token, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.Wait(ctx, p.Connected); err != nil {
		t.Fatal(err)
	}

	if code, _ := api("POST", "/api/v1/rooms/"+rid+"/end", "", ""); code != http.StatusUnauthorized {
		t.Errorf("end without the API key: %d, want 401", code)
	}
	code, res := api("POST", "/api/v1/rooms/"+rid+"/end", testKey, "")
	if code != http.StatusOK || res["ended"] != true || res["participants"] != 1.0 {
		t.Fatalf("end: %d %v, want 200 ended with 1 participant", code, res)
	}
	if err := p.Wait(ctx, func() bool { r, closed := p.Bye(); return r == rooms.ByeEnded && closed }); err != nil {
		r, closed := p.Bye()
		t.Fatalf("participant: bye %q closed %v: %v", r, closed, err)
	}
	if code, res := api("POST", "/api/v1/rooms/"+rid+"/end", testKey, ""); code != http.StatusOK || res["participants"] != 0.0 {
		t.Errorf("ending again: %d %v, want 200 with 0 participants", code, res)
	}
	if code, res := api("POST", "/api/v1/rooms/"+rid+"/participants", testKey, `{"role":"citizen","display_name":"Max"}`); code != http.StatusConflict || res["error"] != "room_ended" {
		t.Errorf("invite into an ended room: %d %v, want 409 room_ended", code, res)
	}
	if _, err := store.Authorize(ctx, token); !errors.Is(err, rooms.ErrRoomEnded) {
		t.Errorf("token of the ended room: %v, want ErrRoomEnded", err)
	}
	if code, _ := api("POST", "/api/v1/rooms/nosuchroom/end", testKey, ""); code != http.StatusNotFound {
		t.Errorf("end of an unknown room: %d, want 404", code)
	}
	if code, _ := api("POST", "/api/v1/rooms/appt-1/end", testKey, ""); code != http.StatusConflict {
		t.Errorf("end of an appointment's room through the API: %d, want 409", code)
	}
}

// TestCallPageAfterEnd: the citizen's call page sends the citizen to the
// survey and everyone else to a short page when the advisor ends the call,
// and both say who ended it in the page's language (German, Arabic).
func TestCallPageAfterEnd(t *testing.T) {
	s := newCitizenServer(t)
	ctx := t.Context()
	token := s.seeded.JoinToken
	body := s.do(call{method: "GET", path: "/i/" + token + "/call?lang=de"}).Body.String()
	want := `data-after-end="/i/` + token + `/survey?ended=1&amp;lang=de"`
	if !strings.Contains(body, want) {
		t.Errorf("citizen's call page lacks %s", want)
	}
	if !strings.Contains(body, "call_ended_by_advisor") || !strings.Contains(body, "Ihre Ansprechperson hat das Gespräch beendet.") {
		t.Error("call page's texts lack call_ended_by_advisor in German")
	}
	_, interp, err := s.db.Invite(ctx, s.seeded.Advisor.ID, storage.NewInvitation{AppointmentID: s.seeded.Appointment.ID,
		Role: storage.InviteInterpreter, DisplayName: "Dolmetscherin"})
	if err != nil {
		t.Fatal(err)
	}
	body = s.do(call{method: "GET", path: "/i/" + interp + "/call?lang=ar"}).Body.String()
	if want := `data-after-end="/thanks?ended=1&amp;lang=ar"`; !strings.Contains(body, want) {
		t.Errorf("interpreter's call page lacks %s", want)
	}

	if err := s.db.SetAppointmentStatus(ctx, s.seeded.Advisor.ID, s.seeded.Appointment.ID, storage.StatusDone); err != nil {
		t.Fatal(err)
	}
	rec := s.do(call{method: "GET", path: "/i/" + token + "/survey?ended=1&lang=de"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<p id="ended" class="notice" role="status">Ihre Ansprechperson hat das Gespräch beendet.</p>`) {
		t.Errorf("survey after the end: %d, lacks the German notice:\n%s", rec.Code, rec.Body)
	}
	// A reload of the call page afterwards says the same, and offers the citizen the survey.
	rec = s.do(call{method: "GET", path: "/i/" + token + "/call?lang=de"})
	if body := rec.Body.String(); rec.Code != http.StatusGone || !strings.Contains(body, "Ihre Ansprechperson hat das Gespräch beendet.") ||
		!strings.Contains(body, `href="/i/`+token+`/survey?ended=1&amp;lang=de"`) {
		t.Errorf("citizen's call page after the end: %d\n%s", rec.Code, body)
	}
	rec = s.do(call{method: "GET", path: "/i/" + interp + "/wait?lang=en"})
	if body := rec.Body.String(); rec.Code != http.StatusGone || !strings.Contains(body, "Your advisor has ended the call.") ||
		strings.Contains(body, "/survey") {
		t.Errorf("interpreter's waiting room after the end: %d\n%s", rec.Code, body)
	}
	rec = s.do(call{method: "GET", path: "/thanks?ended=1&lang=ar"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "أنهى مستشاركم المحادثة.") || !strings.Contains(rec.Body.String(), `dir="rtl"`) {
		t.Errorf("ended page in Arabic: %d\n%s", rec.Code, rec.Body)
	}
	// The links no longer open the room, and say why.
	for name, tok := range map[string]string{"citizen": token, "interpreter": interp} {
		if _, err := s.auth.Authorize(ctx, tok); !errors.Is(err, rooms.ErrRoomEnded) {
			t.Errorf("%s's link after the end: %v, want ErrRoomEnded", name, err)
		}
	}
}

// FuzzAppointmentOfRoom: a room id from a URL (the API's end endpoint) is
// parsed without panicking, and only the canonical spelling of an
// appointment's room is taken for one.
func FuzzAppointmentOfRoom(f *testing.F) {
	for _, s := range []string{"appt-1", "appt-0", "appt-01", "appt-", "appt-+1", "appt-18446744073709551616", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		n, ok := appointmentOfRoom(id)
		if ok && AppointmentRoomID(n) != id {
			t.Fatalf("%q parsed as appointment %d, whose room is %q", id, n, AppointmentRoomID(n))
		}
	})
}
