package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// The security evidence of issue 3 at the HTTP level: a token opens only its
// own appointment, an expired one gets a clear page, and forms cannot be
// posted from another site or without the console session's CSRF token.
// (Retention: storage's TestPurge and TestPurgeConfiguredDays.)

// TestTokenOpensOnlyItsAppointment: two appointments A and B; every page of
// the journey and the manage page opened with A's tokens shows A's citizen
// and never B's, and the other way round; A's link joins only A's room, and
// an admission in B's waiting room does not let A's link in.
func TestTokenOpensOnlyItsAppointment(t *testing.T) {
	s := newCitizenServer(t)
	ctx := t.Context()
	a := s.seeded
	b, err := s.db.Book(ctx, storage.BookRequest{TypeID: a.Type.ID, Topic: "general", Language: "de", Start: a.Appointment.End,
		Citizen: storage.Contact{Name: "Zeynep Yılmaz", Email: "zeynep@example.org", Language: "de"}})
	if err != nil {
		t.Fatal(err)
	}
	// What identifies an appointment on its pages: the citizen's name (the
	// invitation page), the time (waiting room, manage page), the token in
	// the page's own links (device check).
	type appt struct {
		name, hours, join, manage string
		id                        uint
	}
	A := appt{"Demo Bürgerin", "10:00–10:30", a.JoinToken, a.ManageToken, a.Appointment.ID}
	B := appt{"Zeynep Yılmaz", "10:30–11:00", b.JoinToken, b.ManageToken, b.Appointment.ID}
	markers := func(x appt) []string { return []string{x.name, x.hours, x.join, x.manage} }
	for _, tc := range []struct{ own, other appt }{{A, B}, {B, A}} {
		for _, path := range []string{"/i/" + tc.own.join, "/i/" + tc.own.join + "/check", "/i/" + tc.own.join + "/wait",
			"/m/" + tc.own.manage} {
			rec := s.do(call{method: "GET", path: path + "?lang=en"})
			body := rec.Body.String()
			own := slices.ContainsFunc(markers(tc.own), func(m string) bool { return strings.Contains(body, m) })
			other := slices.ContainsFunc(markers(tc.other), func(m string) bool { return strings.Contains(body, m) })
			if rec.Code != http.StatusOK || !own || other {
				t.Errorf("%s with %s's token: %d, shows own appointment %v, the other's %v",
					redactPath(path), tc.own.name, rec.Code, own, other)
			}
		}
		// The manage token is not a join token and the join token does not manage.
		if rec := s.do(call{method: "GET", path: "/i/" + tc.own.manage + "?lang=en"}); rec.Code != http.StatusNotFound {
			t.Errorf("manage token as invitation link: %d", rec.Code)
		}
		if rec := s.do(call{method: "GET", path: "/m/" + tc.own.join + "?lang=en"}); rec.Code != http.StatusNotFound {
			t.Errorf("join token as manage link: %d", rec.Code)
		}
	}

	// The signalling join (the Authorizer): A's citizen link, admitted in B's
	// waiting room by mistake or malice, stays out; admitted in A's, it gets A's room.
	inv, _, err := s.db.InvitationByToken(ctx, A.join)
	if err != nil {
		t.Fatal(err)
	}
	entry := InvitationLobbyID(inv.ID)
	s.lobby.Arrive(AppointmentRoomID(B.id), WaitingEntry{ID: entry, Name: "Demo Bürgerin", Role: "citizen"})
	if err := s.lobby.Admit(AppointmentRoomID(B.id), entry); err != nil {
		t.Fatal(err)
	}
	ws := signallingServer(t, s.auth)
	if typ, got := ws.join(t, A.join); typ != "error" || got != string(rooms.CodeInvalidToken) {
		t.Fatalf("A's link admitted in B's waiting room: %s %s, want error invalid_token", typ, got)
	}
	s.lobby.Arrive(AppointmentRoomID(A.id), WaitingEntry{ID: entry, Name: "Demo Bürgerin", Role: "citizen"})
	if err := s.lobby.Admit(AppointmentRoomID(A.id), entry); err != nil {
		t.Fatal(err)
	}
	if typ, got := ws.join(t, A.join); typ != "joined" || got != AppointmentRoomID(A.id) {
		t.Fatalf("A's admitted link: %s %s, want joined %s", typ, got, AppointmentRoomID(A.id))
	}
	if typ, got := ws.join(t, B.join); typ != "error" || got != string(rooms.CodeInvalidToken) {
		t.Errorf("B's link, not admitted: %s %s, want error invalid_token", typ, got)
	}
}

// wsServer is a real rooms.Manager's signalling endpoint over an Authorizer.
type wsServer struct{ url string }

func signallingServer(t *testing.T, auth rooms.Authorizer) wsServer {
	t.Helper()
	mgr, err := rooms.NewManager(rooms.Config{IncludeLoopback: true}, auth)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(mgr.ServeWS))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = mgr.Close(ctx)
		srv.Close()
	})
	return wsServer{url: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

// join sends join with token and returns the first answer's type and its
// room id (joined) or error code (error).
func (w wsServer) join(t *testing.T, token string) (typ, detail string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, w.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	join, _ := json.Marshal(map[string]any{"type": "join", "v": rooms.ProtocolVersion, "token": token})
	if err := conn.Write(ctx, websocket.MessageText, join); err != nil {
		t.Fatal(err)
	}
	_, b, err := conn.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Type, RoomID, Code string }
	if err := json.Unmarshal(b, &struct {
		Type   *string `json:"type"`
		RoomID *string `json:"room_id"`
		Code   *string `json:"code"`
	}{&m.Type, &m.RoomID, &m.Code}); err != nil {
		t.Fatal(err)
	}
	if m.Type == "joined" {
		_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"leave"}`))
		return m.Type, m.RoomID
	}
	return m.Type, m.Code
}

// TestExpiredLinkPages: once the appointment's window has closed, every
// page of the citizen's link answers 410 with "This link has expired" in
// the page's language, and the signalling join is refused (invalid_token).
func TestExpiredLinkPages(t *testing.T) {
	s := newCitizenServer(t)
	tok := s.seeded.JoinToken
	s.clock.advance(3 * time.Hour) // the window closes an hour after the end
	for _, lang := range []struct{ code, text string }{{"en", "This link has expired"}, {"de", "Dieser Link ist abgelaufen"}} {
		for _, path := range []string{"/i/" + tok, "/i/" + tok + "/check", "/i/" + tok + "/wait", "/i/" + tok + "/call"} {
			rec := s.do(call{method: "GET", path: path + "?lang=" + lang.code})
			if body := rec.Body.String(); rec.Code != http.StatusGone || !strings.Contains(body, lang.text) ||
				!strings.Contains(body, `id="error-message"`) {
				t.Errorf("%s?lang=%s: %d, want 410 with %q", redactPath(path), lang.code, rec.Code, lang.text)
			}
		}
	}
	if typ, code := signallingServer(t, s.auth).join(t, tok); typ != "error" || code != string(rooms.CodeInvalidToken) {
		t.Errorf("expired link on the signalling socket: %s %s, want error invalid_token", typ, code)
	}
}

// TestCrossSiteFormPostsRefused: the citizen forms (booking, cancel,
// reschedule, survey) and the console login refuse a post another site's
// page made the browser send — by Sec-Fetch-Site, or by Origin for browsers
// without it — and nothing changes; the same post from our own page works.
func TestCrossSiteFormPostsRefused(t *testing.T) {
	s := newCitizenServer(t)
	a := s.seeded
	// An appointment two days ahead, which may still be cancelled and moved.
	later, err := s.db.Book(t.Context(), storage.BookRequest{TypeID: a.Type.ID, Topic: "general", Language: "de",
		Start: a.Appointment.Start.AddDate(0, 0, 2), Citizen: storage.Contact{Name: "Max", Email: "max@example.org", Language: "de"}})
	if err != nil {
		t.Fatal(err)
	}
	formHeader := func(extra map[string]string) map[string]string {
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	crossSite := []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Origin": "https://evil.example"}, // a browser without fetch metadata
		{"Sec-Fetch-Site": "same-site"},    // a sibling subdomain is another site's page too
	}
	survey := url.Values{"easy": {"yes"}, "recommend": {"yes"}, "next": {"yes"}}.Encode()
	posts := []struct{ name, path, body string }{
		{"booking form", "/b/demo/book?lang=en", url.Values{"type": {itoa(a.Type.ID)}, "topic": {"general"}, "name": {"Mallory"},
			"email": {"m@evil.example"}, "consent": {"yes"}}.Encode()},
		{"cancel", "/m/" + later.ManageToken + "/cancel?lang=en", "confirm=yes"},
		{"reschedule", "/m/" + later.ManageToken + "/reschedule?lang=en", url.Values{"start": {later.Appointment.End.Format(time.RFC3339)}}.Encode()},
		{"survey", "/i/" + a.JoinToken + "/survey?lang=en", survey},
		{"console login", "/console/login", url.Values{"email": {"demo@nahbar.local"}, "password": {"x"}}.Encode()},
	}
	for _, p := range posts {
		for _, h := range crossSite {
			rec := s.do(call{method: "POST", path: p.path, body: p.body, header: formHeader(h)})
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "another website") {
				t.Errorf("%s with %v: %d, want 403", p.name, h, rec.Code)
			}
		}
	}
	if appt, err := s.db.Appointment(t.Context(), later.Appointment.ID); err != nil || appt.Status != storage.StatusBooked ||
		!appt.Start.Equal(later.Appointment.Start) {
		t.Fatalf("forged posts changed the appointment: %+v %v", appt, err)
	}
	// From our own page the same forms work: the survey takes its first answer, the cancel cancels.
	same := formHeader(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"})
	if rec := s.do(call{method: "POST", path: "/i/" + a.JoinToken + "/survey?lang=en", body: survey, header: same}); rec.Code != http.StatusSeeOther {
		t.Errorf("survey from our page: %d, want 303 (the forged answers were not stored)", rec.Code)
	}
	if rec := s.do(call{method: "POST", path: "/m/" + later.ManageToken + "/cancel?lang=en", body: "confirm=yes", header: same}); rec.Code >= 400 {
		t.Errorf("cancel from our page: %d", rec.Code)
	}
	if appt, _ := s.db.Appointment(t.Context(), later.Appointment.ID); appt.Status != storage.StatusCancelled {
		t.Errorf("cancel from our page left the appointment %s", appt.Status)
	}
}

// TestConsoleFormsNeedCSRF posts to every state-changing console route
// (found in the router, so a new form cannot be forgotten) without the
// session's CSRF token and with a wrong one: each answers 403 and the
// appointment, the audit log and the session stay as they were.
func TestConsoleFormsNeedCSRF(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	h, err := New(Config{Store: NewStore(StoreConfig{}), Storage: e.st, Lobby: NewLobby(nil)}, noSignalling{})
	if err != nil {
		t.Fatal(err)
	}
	id := itoaU(e.seed.Appointment.ID)
	auditBefore := len(e.auditActions())
	n := 0
	for _, r := range h.(*gin.Engine).Routes() {
		if r.Method == http.MethodGet || !strings.HasPrefix(r.Path, consolePrefix+"/") || r.Path == consolePrefix+"/login" {
			continue // the login form has its own cookie-bound token: TestConsoleLoginCSRF
		}
		path := r.Path
		for _, param := range []string{":id", ":inv", ":advisor", ":type", ":group", ":exception", ":tenant"} {
			path = strings.ReplaceAll(path, param, id)
		}
		for _, tok := range []string{"", "forged-token"} {
			p := b.post(path, url.Values{"csrf": {tok}, "entry": {"x"}, "role": {"interpreter"}, "name": {"X"}})
			if p.code != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: %d, want 403", path, tok, p.code)
			}
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d console POST routes found", n)
	}
	t.Logf("%d console POST routes refuse posts without the session's CSRF token", n)
	if a, _ := e.st.Appointment(context.Background(), e.seed.Appointment.ID); a.Status != storage.StatusBooked || len(a.Invitations) != 1 {
		t.Errorf("forged posts changed the appointment: %s, %d invitations", a.Status, len(a.Invitations))
	}
	if got := len(e.auditActions()); got != auditBefore {
		t.Errorf("forged posts were audited as actions: %d → %d entries", auditBefore, got)
	}
	if p := b.get("/console"); p.code != http.StatusOK {
		t.Errorf("the session did not survive the forged logout: %d", p.code)
	}
}
