package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"github.com/nahbar/nahbar/internal/smtptest"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

func apptPath(id uint, rest string) string { return "/console/appointments/" + itoaU(id) + rest }

func TestConsoleWaitingAdmitDecline(t *testing.T) {
	e := newConsoleEnv(t, nil)
	id := e.seed.Appointment.ID
	room := roomID(id)
	erika := e.lobby.Arrive(room, WaitingEntry{Name: "Erika <Mustermann>", Role: "citizen", Device: DeviceStatus{
		Browser: "Firefox 128", OS: "Android", Camera: DeviceOK, Microphone: DeviceDenied, Connection: "good 2.1 Mbit/s 45 ms"}})
	dolm := e.lobby.Arrive(room, WaitingEntry{Name: "Deniz Dolmetscher", Role: "interpreter"})
	e.clock.advance(3 * time.Minute)

	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	day := b.get("/console")
	consoleMustContain(t, day.body, "Erika &lt;Mustermann&gt;", "Firefox 128 Android", "access denied", "good 2.1 Mbit/s 45 ms",
		"waiting for 3 min", `aria-live="polite"`, "Deniz Dolmetscher", "Interpreter", "not checked yet",
		`data-events="/console/events?a=`+itoaU(id)+`"`)
	if strings.Contains(day.body, "<Mustermann>") {
		t.Error("a name reached the page unescaped")
	}

	// Without the form token nothing happens.
	if p := b.post(apptPath(id, "/admit"), url.Values{"entry": {erika}, "csrf": {""}}); p.code != http.StatusForbidden {
		t.Fatalf("admit without csrf: %d", p.code)
	}
	if st, _ := e.lobby.State(erika); st.State != LobbyWaiting {
		t.Fatalf("state after a forged admit: %s", st.State)
	}
	p := b.post(apptPath(id, "/admit"), url.Values{"entry": {erika}})
	if p.code != http.StatusSeeOther || p.location != apptPath(id, "") {
		t.Fatalf("admit: %d %q\n%s", p.code, p.location, p.body)
	}
	if st, _ := e.lobby.State(erika); st.State != LobbyAdmitted {
		t.Fatalf("state after admit: %s", st.State)
	}
	if p := b.post(apptPath(id, "/decline"), url.Values{"entry": {dolm}, "back": {"/console"}}); p.code != http.StatusSeeOther || p.location != "/console" {
		t.Fatalf("decline: %d %q", p.code, p.location)
	}
	if st, _ := e.lobby.State(dolm); st.State != LobbyDeclined {
		t.Fatalf("state after decline: %s", st.State)
	}
	// Someone who left meanwhile: a clear answer, not an error page.
	e.lobby.Leave(erika)
	p = b.post(apptPath(id, "/admit"), url.Values{"entry": {erika}})
	if p.code != http.StatusConflict {
		t.Fatalf("admit after leaving: %d", p.code)
	}
	consoleMustContain(t, p.body, "no longer waiting")
	// An open redirect through back= is not possible.
	e.lobby.Arrive(room, WaitingEntry{ID: "w-again", Name: "X", Role: "citizen"})
	if p := b.post(apptPath(id, "/admit"), url.Values{"entry": {"w-again"}, "back": {"//evil.example/console"}}); p.location != apptPath(id, "") {
		t.Fatalf("back=//evil: redirected to %q", p.location)
	}
	acts := e.auditActions()
	for _, want := range []string{"lobby.admit", "lobby.decline"} {
		if !consoleHas(acts, want) {
			t.Errorf("audit log lacks %s: %v", want, acts)
		}
	}
}

func TestConsoleOtherAdvisorsAppointment(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("berater@amt.example", consoleAdvisorPW)
	id := e.seed.Appointment.ID // the admin's
	if p := b.get(apptPath(id, "")); p.code != http.StatusNotFound {
		t.Fatalf("another advisor's appointment: %d", p.code)
	}
	w := e.lobby.Arrive(roomID(id), WaitingEntry{Name: "Erika", Role: "citizen"})
	if p := b.post(apptPath(id, "/admit"), url.Values{"entry": {w}}); p.code != http.StatusNotFound {
		t.Fatalf("admit in another advisor's appointment: %d", p.code)
	}
	if st, _ := e.lobby.State(w); st.State != LobbyWaiting {
		t.Fatal("admitted by someone else")
	}
	if p := b.get("/console/events?a=" + itoaU(id)); p.code != http.StatusNotFound {
		t.Fatalf("events of another advisor's appointment: %d", p.code)
	}
	if p := b.get("/console/admin"); p.code != http.StatusForbidden {
		t.Fatalf("admin page as advisor: %d", p.code)
	}
	if p := b.get("/console"); !strings.Contains(p.body, "You have no appointments today") {
		t.Error("day page of an advisor without appointments")
	}
}

func TestConsoleEvents(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/console/events?a="+itoaU(id), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan lobbyEvent, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev lobbyEvent
				if json.Unmarshal([]byte(d), &ev) == nil {
					events <- ev
				}
			}
		}
		close(events)
	}()
	next := func() lobbyEvent {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			return ev
		case <-ctx.Done():
			t.Fatal("no event")
		}
		return lobbyEvent{}
	}
	if ev := next(); ev.Appointment != id || ev.Count != 0 || !strings.Contains(ev.HTML, "Nobody is waiting") {
		t.Fatalf("first event %+v", ev)
	}
	w := e.lobby.Arrive(roomID(id), WaitingEntry{Name: "Erika Mustermann", Role: "citizen"})
	ev := next()
	if ev.Count != 1 || !strings.Contains(ev.HTML, "Erika Mustermann") || !strings.Contains(ev.HTML, `name="csrf" value="`+b.csrf+`"`) {
		t.Fatalf("after arrival %+v", ev)
	}
	e.lobby.UpdateDevice(w, DeviceStatus{Camera: DeviceOK, Microphone: DeviceOK, CheckPassed: true, Connection: "good"})
	if ev := next(); !strings.Contains(ev.HTML, "passed") || strings.Contains(ev.HTML, "not passed") {
		t.Fatalf("after device update %+v", ev)
	}
	if err := e.lobby.Admit(roomID(id), w); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Count != 0 {
		t.Fatalf("after admit %+v", ev)
	}
}

func TestConsoleEnterRoom(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	p := b.post(apptPath(id, "/enter"), nil)
	tok, ok := strings.CutPrefix(p.location, "/j/")
	if p.code != http.StatusSeeOther || !ok {
		t.Fatalf("enter: %d %q", p.code, p.location)
	}
	g, err := e.store.Authorize(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if g.Role != rooms.RoleAdvisor || g.RoomID != roomID(id) || g.DisplayName != "Demo Beraterin" {
		t.Fatalf("grant %+v", g)
	}
	call := b.get(p.location)
	consoleMustContain(t, call.body, `data-publishes="true"`)
	if !consoleHas(e.auditActions(), "call.enter") {
		t.Error("entering not audited")
	}
	e.clock.advance(4 * time.Hour)
	if _, err := e.store.Authorize(t.Context(), tok); err == nil {
		t.Error("advisor token still valid after 4 h")
	}
}

func TestConsoleEndAppointment(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	if _, _, err := e.st.AuthorizeInvitation(t.Context(), e.seed.JoinToken); err != nil {
		t.Fatalf("citizen link before the end: %v", err)
	}
	w := e.lobby.Arrive(roomID(id), WaitingEntry{Name: "Late", Role: "citizen"})
	if p := b.post(apptPath(id, "/end"), nil); p.code != http.StatusSeeOther {
		t.Fatalf("end: %d", p.code)
	}
	a, _ := e.st.Appointment(t.Context(), id)
	if a.Status != storage.StatusDone {
		t.Fatalf("status %s", a.Status)
	}
	if _, _, err := e.st.AuthorizeInvitation(t.Context(), e.seed.JoinToken); err == nil {
		t.Fatal("the citizen's link still opens the room")
	}
	if _, ok := e.lobby.State(w); ok {
		t.Error("someone still waits for an ended appointment")
	}
	page := b.get(apptPath(id, ""))
	consoleMustContain(t, page.body, "done")
	if strings.Contains(page.body, "Enter the room") {
		t.Error("an ended appointment offers to enter the room")
	}
	if p := b.post(apptPath(id, "/end"), nil); p.code != http.StatusConflict {
		t.Fatalf("ending twice: %d", p.code)
	}
	if p := b.post(apptPath(id, "/enter"), nil); p.code != http.StatusConflict {
		t.Fatalf("entering an ended appointment: %d", p.code)
	}
	if !consoleHas(e.auditActions(), "appointment.done") {
		t.Error("end not audited")
	}
}

var linkRE = regexp.MustCompile(`value="(http://[^"]+/i/([A-Za-z0-9_-]+))"`)

func TestConsoleInvite(t *testing.T) {
	smtpSrv := smtptest.Start(t)
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.NewSMTP(notify.SMTPConfig{Host: smtpSrv.Host, Port: smtpSrv.Port, TLS: notify.TLSNone, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{Catalog: cat, Mailer: mailer, From: notify.Address{Name: "Terminservice", Email: "termine@amt.example"}})
	if err != nil {
		t.Fatal(err)
	}
	e := newConsoleEnv(t, func(c *Config) { c.Console.Mailer = n })
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID

	tests := []struct {
		name string
		form url.Values
		want int
		says string
	}{
		{"bad role", url.Values{"role": {"advisor"}, "name": {"X"}}, http.StatusUnprocessableEntity, "Please choose interpreter"},
		{"no name", url.Values{"role": {"interpreter"}, "name": {" "}}, http.StatusUnprocessableEntity, "display name"},
		{"bad e-mail", url.Values{"role": {"counsel"}, "name": {"Ra Recht"}, "email": {"not-an-address"}}, http.StatusUnprocessableEntity, "e-mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.post(apptPath(id, "/invite"), tt.form)
			if p.code != tt.want {
				t.Fatalf("status %d, want %d", p.code, tt.want)
			}
			consoleMustContain(t, p.body, tt.says, `role="alert"`)
		})
	}

	// Without an e-mail address: the link to copy.
	p := b.post(apptPath(id, "/invite"), url.Values{"role": {"guardian"}, "name": {"Gisela Betreuerin"}, "language": {"de"}})
	if p.code != http.StatusOK {
		t.Fatalf("invite: %d\n%s", p.code, p.body)
	}
	m := linkRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no link on the page\n%s", p.body)
	}
	consoleMustContain(t, p.body, "Invitation created", "Gisela Betreuerin", "Copy link")
	inv, appt, err := e.st.InvitationByToken(t.Context(), m[2])
	if err != nil || appt.ID != id || inv.Role != storage.InviteGuardian {
		t.Fatalf("the link's invitation: %+v %v", inv, err)
	}
	rawTok, err := base64.RawURLEncoding.DecodeString(m[2])
	if err != nil || len(rawTok) != 16 {
		t.Fatalf("token %q is not 128 bits of base64url", m[2])
	}
	sum := sha256.Sum256(rawTok)
	if strings.Contains(inv.TokenHash, m[2]) || inv.TokenHash != hex.EncodeToString(sum[:]) {
		t.Fatalf("token stored as %q, not as its SHA-256", inv.TokenHash)
	}

	// With an address: sent over SMTP, in the invitee's language, with an .ics.
	p = b.post(apptPath(id, "/invite"), url.Values{"role": {"interpreter"}, "name": {"Deniz Dolmetscher"},
		"email": {"deniz@example.org"}, "language": {"tr"}})
	if p.code != http.StatusOK {
		t.Fatalf("invite with mail: %d", p.code)
	}
	consoleMustContain(t, p.body, "The invitation was sent to deniz@example.org")
	m = linkRE.FindStringSubmatch(p.body)
	mails := smtpSrv.Wait(1)
	if len(mails[0].To) != 1 || mails[0].To[0] != "deniz@example.org" {
		t.Fatalf("mail to %v", mails[0].To)
	}
	text, ics := mailParts(t, mails[0].Data)
	if !strings.Contains(text, m[1]) {
		t.Errorf("the mail lacks the join link %s\n%s", m[1], text)
	}
	if !strings.Contains(ics, "BEGIN:VCALENDAR") {
		t.Error("the mail has no calendar")
	}
	if n := strings.Count(b.get(apptPath(id, "")).body, "<tr><td>"); n != 3 { // citizen, guardian, interpreter
		t.Errorf("%d invitations listed, want 3", n)
	}
	acts := e.auditActions()
	for _, want := range []string{"invitation.create.guardian", "invitation.create.interpreter"} {
		if !consoleHas(acts, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// mailParts returns the decoded plain text and calendar parts of a mail.
func mailParts(t *testing.T, raw []byte) (text, ics string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(ct, enc string, body io.Reader)
	walk = func(ct, enc string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.EqualFold(enc, "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				part, err := r.NextPart() // undoes quoted-printable itself
				if err != nil {
					return
				}
				walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
			}
		}
		b, _ := io.ReadAll(body)
		switch mt {
		case "text/plain":
			text += string(b)
		case "text/calendar", "application/ics":
			ics += string(b)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return text, ics
}

func TestConsoleDayGerman(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	req, _ := http.NewRequest("GET", e.srv.URL+"/console", nil)
	req.Header.Set("Accept-Language", "de")
	p := b.do(req)
	// The topic as the booking page names it, not its key ("general").
	consoleMustContain(t, p.body, `lang="de"`, "Heutige Termine", "Montag, 2. März 2026", "10:00–10:30", "Niemand wartet.", "Raum betreten",
		"Allgemeine Beratung")
	req, _ = http.NewRequest("GET", e.srv.URL+apptPath(e.seed.Appointment.ID, ""), nil)
	req.Header.Set("Accept-Language", "de")
	p = b.do(req)
	consoleMustContain(t, p.body, "Allgemeine Beratung", "Weitere Person einladen", `<option value="ar" lang="ar" >العربية</option>`, `data-confirm="Diesen Termin beenden?`)
}

func TestConsoleNoShowAndRevoke(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	p := b.post(apptPath(id, "/invite"), url.Values{"role": {"counsel"}, "name": {"Rita Recht"}, "language": {"de"}})
	m := linkRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no link\n%s", p.body)
	}
	inv, _, err := e.st.InvitationByToken(t.Context(), m[2])
	if err != nil {
		t.Fatal(err)
	}
	consoleMustContain(t, p.body, apptPath(id, "/invitations/"+itoaU(inv.ID)+"/revoke"), "Revoke link")
	if p := b.post(apptPath(id, "/invitations/9999/revoke"), nil); p.code != http.StatusNotFound {
		t.Fatalf("revoke an invitation of no appointment of ours: %d", p.code)
	}
	if p := b.post(apptPath(id, "/invitations/"+itoaU(inv.ID)+"/revoke"), nil); p.code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.code)
	}
	if _, _, err := e.st.InvitationByToken(t.Context(), m[2]); err == nil {
		t.Fatal("a revoked link still opens")
	}
	consoleMustContain(t, b.get(apptPath(id, "")).body, "(revoked)")

	if p := b.post(apptPath(id, "/noshow"), nil); p.code != http.StatusSeeOther {
		t.Fatalf("no-show: %d", p.code)
	}
	a, _ := e.st.Appointment(t.Context(), id)
	if a.Status != storage.StatusNoShow {
		t.Fatalf("status %s", a.Status)
	}
	if _, _, err := e.st.AuthorizeInvitation(t.Context(), e.seed.JoinToken); err == nil {
		t.Fatal("the citizen's link opens a no-show appointment")
	}
	acts := e.auditActions()
	for _, want := range []string{"invitation.revoke", "appointment.no_show"} {
		if !consoleHas(acts, want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

func TestConsoleEventsEndWithTheSession(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/console/events?a="+itoaU(id), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); line != "event: lobby\n" {
		t.Fatalf("first line %q", line)
	}
	if p := b.post("/console/logout", nil); p.code != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.code)
	}
	e.lobby.Arrive(roomID(id), WaitingEntry{Name: "Erika Mustermann", Role: "citizen"})
	rest, _ := io.ReadAll(r) // returns when the server ends the stream
	if strings.Contains(string(rest), "Erika") {
		t.Fatal("the stream showed a waiting citizen after logout")
	}
}

func TestConsoleOtherDays(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	p := b.get("/console")
	consoleMustContain(t, p.body, `href="/console?day=2026-03-03" rel="next"`, `href="/console?day=2026-03-01" rel="prev"`, "Demo Bürgerin")
	p = b.get("/console?day=2026-03-03")
	if p.code != http.StatusOK {
		t.Fatalf("tomorrow: %d", p.code)
	}
	consoleMustContain(t, p.body, "Tuesday, 3 March 2026", "You have no appointments on this day.", `<a href="/console">Today</a>`)
	if strings.Contains(p.body, "Demo Bürgerin") {
		t.Error("today's appointment shown on tomorrow's page")
	}
	for _, bad := range []string{"tomorrow", "2026-13-01", "2030-01-01", "2026-03-03T00:00"} {
		if p := b.get("/console?day=" + url.QueryEscape(bad)); p.code != http.StatusNotFound {
			t.Errorf("day=%s: %d", bad, p.code)
		}
	}
}

func TestConsoleAllAdvisors(t *testing.T) {
	e := newConsoleEnv(t, nil)
	// An appointment of the plain advisor today.
	if err := e.st.SetWeeklyAvailability(t.Context(), 0, e.advisor.ID, []storage.WeeklyWindow{{Weekday: time.Monday, StartMinute: 8 * 60, EndMinute: 18 * 60}}); err != nil {
		t.Fatal(err)
	}
	bk, err := e.st.Book(t.Context(), storage.BookRequest{TypeID: e.seed.Type.ID, Topic: "general", Language: "de",
		Start: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), Citizen: storage.Contact{Name: "Karl Kunde", Email: "karl@example.org", Language: "de"}})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.browser()
	admin.mustLogin("demo@nahbar.local", consoleAdminPW)
	mine := admin.get("/console")
	if strings.Contains(mine.body, "Karl Kunde") {
		t.Fatal("another advisor's appointment on the admin's own list")
	}
	consoleMustContain(t, mine.body, `href="/console?day=2026-03-02&amp;all=1">All advisors`)
	all := admin.get("/console?all=1")
	consoleMustContain(t, all.body, "Karl Kunde", "Bernd Berater", "Demo Bürgerin", "Only mine",
		"a="+itoaU(bk.Appointment.ID), "a="+itoaU(e.seed.Appointment.ID))
	// Plain advisors cannot see everyone's.
	bernd := e.browser()
	bernd.mustLogin("berater@amt.example", consoleAdvisorPW)
	if strings.Contains(bernd.get("/console?all=1").body, "Demo Bürgerin") {
		t.Fatal("an advisor sees another advisor's appointments")
	}
}

func TestConsoleInvitationLobbyState(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	a, _ := e.st.Appointment(t.Context(), id)
	citizenEntry := InvitationLobbyID(a.Invitations[0].ID)
	e.lobby.Arrive(roomID(id), WaitingEntry{ID: citizenEntry, Name: "Demo Bürgerin", Role: "citizen"})
	if err := e.lobby.Decline(roomID(id), citizenEntry); err != nil {
		t.Fatal(err)
	}
	p := b.get(apptPath(id, ""))
	consoleMustContain(t, p.body, "<td>declined</td>", `name="entry" value="`+citizenEntry+`"`)
	// Declined by mistake: admit from the invitation list.
	if p := b.post(apptPath(id, "/admit"), url.Values{"entry": {citizenEntry}}); p.code != http.StatusSeeOther {
		t.Fatalf("admit a declined person: %d", p.code)
	}
	if st, _ := e.lobby.State(citizenEntry); st.State != LobbyAdmitted {
		t.Fatalf("state %s", st.State)
	}
	consoleMustContain(t, b.get(apptPath(id, "")).body, "<td>admitted</td>")
}

// TestConnectionText: the device check's grade reaches the advisor in the
// console's language with the figures unchanged; anything else stays as sent.
func TestConnectionText(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ lang, in, want string }{
		{"de", "good 170.5/21.0 Mbit/s 12 ms", "gut 170.5/21.0 Mbit/s 12 ms"},
		{"de", "failed", "keine Verbindung"},
		{"en", "poor 0.2/0.1 Mbit/s 900 ms", "very weak 0.2/0.1 Mbit/s 900 ms"},
		{"ar", "fair", "ضعيف"},
		{"de", "unbekannt 1 Mbit/s", "unbekannt 1 Mbit/s"},
		{"de", "", ""},
	}
	for _, tt := range tests {
		tr := &consoleText{loc: cat.Localizer(tt.lang)}
		if got := connectionText(tr, tt.in); got != tt.want {
			t.Errorf("%s %q: got %q, want %q", tt.lang, tt.in, got, tt.want)
		}
	}
}
