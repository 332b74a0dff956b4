package web

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// citizenServer is the web app over a real SQLite storage with the demo
// appointment seeded (starting at the test clock's now).
type citizenServer struct {
	*testServer
	db     *storage.Store
	lobby  *Lobby
	auth   *StoreAuthorizer
	seeded storage.Seeded
}

func newCitizenServer(t testing.TB, mutate ...func(*Config)) *citizenServer {
	t.Helper()
	return newCitizenServerOn(t, openSQLite, mutate...)
}

// openSQLite is storage in a temporary directory.
func openSQLite(t testing.TB, cfg storage.Config) *storage.Store {
	cfg.DataDir = t.TempDir()
	db, err := storage.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newCitizenServerOn(t testing.TB, open func(testing.TB, storage.Config) *storage.Store, mutate ...func(*Config)) *citizenServer {
	t.Helper()
	cs := &citizenServer{lobby: nil}
	var clk *testClock
	cs.testServer = newTestServer(t, func(cfg *Config) {
		for _, m := range mutate {
			m(cfg)
		}
		clk = &testClock{t: cfg.Store.now()}
		cfg.Store.now = func() time.Time { return clk.now() }
		db := open(t, storage.Config{Now: clk.now, Password: storage.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}})
		t.Cleanup(func() { _ = db.Close() })
		cs.db = db
		cs.lobby = NewLobby(clk.now)
		cfg.Storage, cfg.Lobby = db, cs.lobby
	})
	cs.clock = clk
	cs.auth = NewStoreAuthorizer(cs.store, cs.db, cs.lobby, clk.now)
	seeded, err := cs.db.Seed(context.Background(), storage.Demo{Password: "demo-password-123"})
	if err != nil {
		t.Fatal(err)
	}
	cs.seeded = seeded
	return cs
}

var hrefRE = regexp.MustCompile(`id="([a-z]+)" href="([^"]+)"`)

// follow returns the href of the link with the given id on a page.
func follow(t *testing.T, body, id string) string {
	t.Helper()
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		if m[1] == id {
			return strings.ReplaceAll(m[2], "&amp;", "&")
		}
	}
	t.Fatalf("no link #%s on the page:\n%s", id, body)
	return ""
}

// From the invitation link to the waiting room takes two clicks (the brief
// allows three): "Check my device and join", then "Go to the waiting room".
func TestCitizenJourneyClicks(t *testing.T) {
	s := newCitizenServer(t)
	token := s.seeded.JoinToken
	rec := s.do(call{method: "GET", path: "/i/" + token + "?lang=en"})
	if rec.Code != 200 {
		t.Fatalf("invitation page: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{`lang="en"`, `dir="ltr"`, "Hello Demo Bürgerin,", "Demo-Behörde", "Step 1 of 3",
		`/brand/` + itoa(s.seeded.Tenant.ID) + `/brand.css`} {
		if !strings.Contains(body, want) {
			t.Errorf("invitation page lacks %q", want)
		}
	}
	clicks := 0
	path := follow(t, body, "start")
	clicks++
	rec = s.do(call{method: "GET", path: path})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Device check") || !strings.Contains(rec.Body.String(), `id="level"`) {
		t.Fatalf("device check page %s: %d", path, rec.Code)
	}
	path = follow(t, rec.Body.String(), "continue")
	clicks++
	rec = s.do(call{method: "GET", path: path})
	body = rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "Waiting room") || !strings.Contains(body, "Recording is prohibited") {
		t.Fatalf("waiting room %s: %d\n%s", path, rec.Code, body)
	}
	if clicks > 3 {
		t.Errorf("%d clicks to the waiting room, want at most 3", clicks)
	}
	if !strings.Contains(body, `aria-live="polite"`) {
		t.Error("waiting-room status is not announced (aria-live)")
	}
	// Twenty minutes early: the waiting room says when the appointment starts.
	s.clock.advance(-20 * time.Minute)
	rec = s.do(call{method: "GET", path: path})
	if !strings.Contains(rec.Body.String(), "Your appointment starts at") {
		t.Error("an early citizen is not told when the appointment starts")
	}
}

func itoa(n uint) string { return AppointmentRoomID(n)[len("appt-"):] }

func TestCitizenLanguage(t *testing.T) {
	s := newCitizenServer(t)
	token := s.seeded.JoinToken
	rec := s.do(call{method: "GET", path: "/i/" + token + "?lang=ar"})
	body := rec.Body.String()
	if !strings.Contains(body, `lang="ar" dir="rtl"`) {
		t.Fatalf("?lang=ar page is not Arabic right-to-left:\n%.400s", body)
	}
	cookie := rec.Header().Get("Set-Cookie")
	if !strings.Contains(cookie, langCookie+"=ar") {
		t.Fatalf("language choice not remembered: Set-Cookie %q", cookie)
	}
	// The cookie wins over the browser's language on the next page.
	rec = s.do(call{method: "GET", path: "/i/" + token + "/check",
		header: map[string]string{"Cookie": langCookie + "=ar", "Accept-Language": "de"}})
	if !strings.Contains(rec.Body.String(), `lang="ar" dir="rtl"`) {
		t.Error("cookie language not used on the device check")
	}
	// Without choice: the invitation's language (German for the demo),
	// before the browser's.
	rec = s.do(call{method: "GET", path: "/i/" + token, header: map[string]string{"Accept-Language": "en"}})
	if !strings.Contains(rec.Body.String(), `lang="de"`) {
		t.Error("default is not the invitation's language")
	}
	// An unsupported ?lang= sets no cookie.
	rec = s.do(call{method: "GET", path: "/i/" + token + "?lang=xx"})
	if rec.Header().Get("Set-Cookie") != "" {
		t.Error("unsupported language remembered")
	}
}

func TestCitizenBadLinks(t *testing.T) {
	s := newCitizenServer(t)
	tests := []struct {
		name, token, lang string
		want              int
		text              string
	}{
		{"forged", "AAAAAAAAAAAAAAAAAAAAAA", "en", http.StatusNotFound, "This link is not valid"},
		{"garbage", "%3Cscript%3E", "en", http.StatusNotFound, "This link is not valid"},
		{"forged german", "AAAAAAAAAAAAAAAAAAAAAA", "de", http.StatusNotFound, "Dieser Link ist ungültig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(call{method: "GET", path: "/i/" + tt.token + "?lang=" + tt.lang})
			if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.text) {
				t.Errorf("%d, want %d with %q:\n%s", rec.Code, tt.want, tt.text, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "<script>") {
				t.Error("token echoed unescaped")
			}
		})
	}
	// Expired: long after the appointment's window.
	s.clock.advance(3 * time.Hour)
	rec := s.do(call{method: "GET", path: "/i/" + s.seeded.JoinToken + "?lang=en"})
	if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "This link has expired") {
		t.Errorf("expired link: %d\n%s", rec.Code, rec.Body)
	}
}

// TestNotFoundPage: a browser asking for an unknown address gets a page in
// its language; the API and clients that do not ask for HTML keep JSON.
func TestNotFoundPage(t *testing.T) {
	s := newCitizenServer(t)
	html := map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	rec := s.do(call{method: "GET", path: "/no/such/page?lang=ar", header: html})
	if body := rec.Body.String(); rec.Code != http.StatusNotFound || !strings.Contains(body, `dir="rtl"`) ||
		!strings.Contains(body, `id="error-message"`) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("browser: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), body)
	}
	for _, c := range []call{{method: "GET", path: "/no/such/page"}, {method: "GET", path: "/api/v1/nothing", header: html},
		{method: "POST", path: "/no/such/page", header: html}} {
		rec := s.do(c)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"not_found"`) {
			t.Errorf("%s %s: %d\n%s", c.method, c.path, rec.Code, rec.Body)
		}
	}
}

// Admission is the server's: the citizen's token opens the room only after
// the advisor admits the lobby entry the waiting room created.
func TestCitizenAdmission(t *testing.T) {
	s := newCitizenServer(t)
	srv := httptest.NewServer(s.h)
	defer srv.Close()
	token := s.seeded.JoinToken
	ctx := context.Background()
	roomID := AppointmentRoomID(s.seeded.Appointment.ID)

	if _, err := s.auth.Authorize(ctx, token); !errors.Is(err, rooms.ErrInvalidToken) || !errors.Is(err, ErrNotAdmitted) {
		t.Fatalf("before the waiting room: %v, want ErrNotAdmitted", err)
	}

	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/i/"+token+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() string {
		for events.Scan() {
			if line := events.Text(); strings.HasPrefix(line, "data: ") {
				return line
			}
		}
		t.Fatalf("stream ended: %v", events.Err())
		return ""
	}
	if got := next(); got != `data: {"state":"waiting"}` {
		t.Fatalf("first event %q", got)
	}

	// The device check's report reaches the advisor's list.
	dev := `{"browser":"Chrome 131","os":"Android 14","camera":"ok","microphone":"denied","connection":"good 2.1/0.9 Mbit/s 45 ms","check_passed":false}`
	post, err := http.Post(srv.URL+"/i/"+token+"/device", "application/json", strings.NewReader(dev))
	if err != nil || post.StatusCode != http.StatusNoContent {
		t.Fatalf("device report: %v %v", err, post)
	}
	w := s.lobby.Waiting(roomID)
	if len(w) != 1 || w[0].Name != "Demo Bürgerin" || w[0].Device.Microphone != DeviceDenied || w[0].Device.Browser != "Chrome 131" {
		t.Fatalf("advisor sees %+v", w)
	}
	if _, err := s.auth.Authorize(ctx, token); !errors.Is(err, ErrNotAdmitted) {
		t.Fatalf("waiting: %v, want ErrNotAdmitted", err)
	}

	if err := s.lobby.Admit(roomID, w[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != `data: {"state":"admitted"}` {
		t.Fatalf("after admit %q", got)
	}
	g, err := s.auth.Authorize(ctx, token)
	if err != nil {
		t.Fatalf("admitted: %v", err)
	}
	if g.RoomID != roomID || g.Role != rooms.RoleCitizen || g.DisplayName != "Demo Bürgerin" {
		t.Errorf("grant %+v", g)
	}

	// The call page joins by itself and goes to the survey afterwards.
	rec := s.do(call{method: "GET", path: "/i/" + token + "/call?lang=tr"})
	body := rec.Body.String()
	for _, want := range []string{`data-autojoin="on"`, `data-after-leave="/i/` + token + `/survey"`, `lang="tr"`, `data-token="` + token + `"`,
		"Mikrofonunuz açık.", "Görüşmeden ayrıl"} {
		if !strings.Contains(body, want) {
			t.Errorf("call page lacks %q", want)
		}
	}

	// An advisor token for the appointment's room passes without the lobby.
	if _, err := s.store.EnsureRoom(roomID, "x"); err != nil {
		t.Fatal(err)
	}
	adv, err := s.store.Issue(roomID, rooms.RoleAdvisor, "Beraterin", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := s.auth.Authorize(ctx, adv.Token); err != nil || g.Role != rooms.RoleAdvisor || g.RoomID != roomID {
		t.Errorf("advisor: %+v %v", g, err)
	}
	if _, err := s.auth.Authorize(ctx, "AAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, rooms.ErrInvalidToken) {
		t.Errorf("forged: %v", err)
	}
}

// Closing the waiting room while still waiting takes the citizen off the
// advisor's list.
func TestCitizenLeavesWaitingRoom(t *testing.T) {
	s := newCitizenServer(t)
	srv := httptest.NewServer(s.h)
	defer srv.Close()
	roomID := AppointmentRoomID(s.seeded.Appointment.ID)
	changes, stop := s.lobby.Changes(roomID)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/i/"+s.seeded.JoinToken+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	<-changes
	if n := len(s.lobby.Waiting(roomID)); n != 1 {
		t.Fatalf("%d waiting, want 1", n)
	}
	cancel()
	resp.Body.Close()
	<-changes
	if n := len(s.lobby.Waiting(roomID)); n != 0 {
		t.Fatalf("%d waiting after leaving, want 0", n)
	}
}

func TestCitizenSurvey(t *testing.T) {
	s := newCitizenServer(t)
	token := s.seeded.JoinToken
	rec := s.do(call{method: "GET", path: "/i/" + token + "/survey?lang=en"})
	if rec.Code != 200 || strings.Count(rec.Body.String(), "<fieldset>") != 3 {
		t.Fatalf("survey page: %d\n%s", rec.Code, rec.Body)
	}
	form := url.Values{"easy": {"yes"}, "recommend": {"bogus"}, "next": {"unsure"}}
	rec = s.do(call{method: "POST", path: "/i/" + token + "/survey?lang=en", body: form.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Please check your entries") {
		t.Fatalf("bad answer: %d\n%s", rec.Code, rec.Body)
	}
	form.Set("recommend", "yes")
	form.Set("comment", "Gut verständlich.")
	rec = s.do(call{method: "POST", path: "/i/" + token + "/survey?lang=en", body: form.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/thanks?survey=1&lang=en" {
		t.Fatalf("submit: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = s.do(call{method: "GET", path: "/thanks?survey=1&lang=en"})
	if !strings.Contains(rec.Body.String(), "Thank you for your feedback") {
		t.Errorf("thanks page:\n%s", rec.Body)
	}
	// Opening the link again: a thank-you, not a blank form.
	rec = s.do(call{method: "GET", path: "/i/" + token + "/survey?lang=en"})
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "already answered") || strings.Contains(body, `id="survey"`) {
		t.Errorf("survey page after answering: %d\n%s", rec.Code, body)
	}
	rec = s.do(call{method: "GET", path: "/i/" + token + "/survey?lang=de"})
	if !strings.Contains(rec.Body.String(), "bereits beantwortet") {
		t.Errorf("German survey page after answering:\n%s", rec.Body)
	}
	rec = s.do(call{method: "POST", path: "/i/" + token + "/survey?lang=en", body: form.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "already answered") {
		t.Errorf("second answer: %d", rec.Code)
	}
	day := s.clock.now()
	sum, err := s.db.Survey(context.Background(), s.seeded.Tenant.ID,
		day.AddDate(0, 0, -2).Format(time.DateOnly), day.AddDate(0, 0, 2).Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Responses != 1 {
		t.Errorf("stored survey summary %+v, want one response", sum)
	}
}

func TestCitizenProbeAndBrand(t *testing.T) {
	s := newCitizenServer(t)
	token := s.seeded.JoinToken
	rec := s.do(call{method: "GET", path: "/i/" + token + "/probe?kib=300"})
	if rec.Code != 200 || rec.Body.Len() != 300<<10 {
		t.Errorf("download probe: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	for _, q := range []string{"0", "4096", "x"} {
		if rec := s.do(call{method: "GET", path: "/i/" + token + "/probe?kib=" + q}); rec.Code != http.StatusBadRequest {
			t.Errorf("kib=%s: %d", q, rec.Code)
		}
	}
	rec = s.do(call{method: "POST", path: "/i/" + token + "/probe", body: strings.Repeat("x", 100_000)})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"bytes":100000`) {
		t.Errorf("upload probe: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(call{method: "GET", path: "/i/AAAAAAAAAAAAAAAAAAAAAA/probe"}); rec.Code != http.StatusNotFound {
		t.Errorf("probe with a forged token: %d", rec.Code)
	}
	rec = s.do(call{method: "GET", path: "/brand/" + itoa(s.seeded.Tenant.ID) + "/brand.css"})
	if !strings.Contains(rec.Body.String(), "--brand:#004b87;--brand-fg:#ffffff;--brand-accent:#ffcc00;--brand-accent-fg:#000000") {
		t.Errorf("brand css %q", rec.Body)
	}
	if rec := s.do(call{method: "GET", path: "/brand/999/brand.css"}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown tenant: %d", rec.Code)
	}
}

func TestTextOn(t *testing.T) {
	for _, tt := range []struct{ bg, want string }{
		{"#000000", "#ffffff"}, {"#ffffff", "#000000"}, {"#004b87", "#ffffff"}, {"#ffcc00", "#000000"}, {"bad", "#ffffff"},
	} {
		if got := textOn(tt.bg); got != tt.want {
			t.Errorf("textOn(%s) = %s, want %s", tt.bg, got, tt.want)
		}
	}
}

func TestParseDeviceReport(t *testing.T) {
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"good", `{"browser":"Firefox 128","os":"Linux","camera":"ok","microphone":"ok","connection":"good","check_passed":true}`, true},
		{"unknown state", `{"camera":"broken","microphone":"ok"}`, false},
		{"unknown field", `{"camera":"ok","microphone":"ok","x":1}`, false},
		{"too long", `{"camera":"ok","microphone":"ok","browser":"` + strings.Repeat("a", 81) + `"}`, false},
		{"trailing", `{"camera":"ok","microphone":"ok"} {}`, false},
		{"not json", `<`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDeviceReport([]byte(tt.body))
			if (err == nil) != tt.ok {
				t.Errorf("err %v, want ok=%v", err, tt.ok)
			}
		})
	}
	d, _ := parseDeviceReport([]byte(`{"camera":"ok","microphone":"ok","browser":"a\u0000b\nc"}`))
	if d.Browser != "abc" {
		t.Errorf("control characters kept: %q", d.Browser)
	}
}

func FuzzParseDeviceReport(f *testing.F) {
	f.Add([]byte(`{"browser":"Firefox 128","os":"Linux","camera":"ok","microphone":"denied","connection":"good","check_passed":true}`))
	f.Add([]byte(`{"camera":"missing","microphone":"ok"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDeviceReport(b)
		if err != nil {
			return
		}
		for _, s := range []string{d.Browser, d.OS, d.Connection} {
			if len([]rune(s)) > 80 || strings.ContainsAny(s, "\x00\n\r") {
				t.Fatalf("unsafe text %q accepted", s)
			}
		}
	})
}

func FuzzParseSurveyForm(f *testing.F) {
	f.Add("yes", "no", "unsure", "Danke")
	f.Add("", "", "", "")
	f.Add("maybe", "yes", "yes", "x")
	f.Fuzz(func(t *testing.T, easy, rec, next, text string) {
		a, err := parseSurveyForm(easy, rec, next, text)
		if err != nil {
			return
		}
		for _, v := range []storage.Answer{a.EasyToUse, a.WouldRecommend, a.NextByVideo} {
			if v != storage.AnswerYes && v != storage.AnswerNo && v != storage.AnswerUnsure && v != storage.AnswerNone {
				t.Fatalf("answer %q accepted", v)
			}
		}
	})
}

func TestRedactInvitationPaths(t *testing.T) {
	for in, want := range map[string]string{
		"/i/jMCxCbcX6Vck4T3l3z8UKQ":       "/i/[redacted]",
		"/i/jMCxCbcX6Vck4T3l3z8UKQ/check": "/i/[redacted]/check",
		"/m/abc/cancel":                   "/m/[redacted]/cancel",
		"/j/x":                            "/j/[redacted]",
		"/b/demo":                         "/b/demo",
	} {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCitizenClosedLinks: a link whose appointment is over says why, in the
// citizen's language, names the authority and its contact, and where it
// helps points to the booking page; an unknown token learns nothing.
func TestCitizenClosedLinks(t *testing.T) {
	const contact = "Telefon 030 1234567"
	tests := []struct {
		name     string
		status   storage.Status // "" keeps the appointment booked
		later    time.Duration  // clock advance before opening the link
		token    string         // "" is the seeded citizen link
		path     string         // after /i/<token>
		lang     string
		want     int
		text     string // the message
		bookLink bool   // a link to /b/<slug>
		tenant   bool   // names the authority and its contact
		heading  string
	}{
		{"cancelled", storage.StatusCancelled, 0, "", "", "en", http.StatusGone, "This appointment has been cancelled.", true, true, "<h1>Your appointment</h1>"},
		{"cancelled german", storage.StatusCancelled, 0, "", "/check", "de", http.StatusGone, "Dieser Termin wurde abgesagt.", true, true, "<h1>Ihr Termin</h1>"},
		{"cancelled survey arabic", storage.StatusCancelled, 0, "", "/survey", "ar", http.StatusGone, "تم إلغاء هذا الموعد.", true, true, "<h1>موعدكم</h1>"},
		{"no-show", storage.StatusNoShow, 0, "", "", "en", http.StatusGone, "This appointment has been closed.", true, true, "<h1>Your appointment</h1>"},
		{"no-show later, waiting room", storage.StatusNoShow, 2 * time.Hour, "", "/wait", "de", http.StatusGone, "Dieser Termin wurde abgeschlossen.", true, true, "<h1>Ihr Termin</h1>"},
		{"no-show ukrainian", storage.StatusNoShow, 0, "", "/call", "uk", http.StatusGone, "Цю консультацію закрито.", true, true, "<h1>Ваша консультація</h1>"},
		{"done", storage.StatusDone, 0, "", "", "en", http.StatusGone, "Your advisor has ended the call.", false, true, "<h1>Your appointment</h1>"},
		{"expired", "", 3 * time.Hour, "", "", "en", http.StatusGone, "This link has expired", false, true, "<h1>Something went wrong</h1>"},
		{"unknown token", "", 0, "AAAAAAAAAAAAAAAAAAAAAA", "", "en", http.StatusNotFound, "This link is not valid", false, false, "<h1>Something went wrong</h1>"},
		{"unknown token of a cancelled appointment's survey", storage.StatusCancelled, 0, "AAAAAAAAAAAAAAAAAAAAAA", "/survey", "en", http.StatusNotFound, "This link is not valid", false, false, "<h1>Something went wrong</h1>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCitizenServer(t)
			ctx := context.Background()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(s.db.UpdateBranding(ctx, 0, s.seeded.Tenant.ID, storage.Branding{Name: "Jobcenter Musterstadt",
				PrimaryColor: "#004b87", AccentColor: "#ffcc00", Contact: contact}))
			if tt.status != "" {
				must(s.db.SetAppointmentStatus(ctx, s.seeded.Advisor.ID, s.seeded.Appointment.ID, tt.status))
			}
			s.clock.advance(tt.later)
			token := tt.token
			if token == "" {
				token = s.seeded.JoinToken
			}
			rec := s.do(call{method: "GET", path: "/i/" + token + tt.path + "?lang=" + tt.lang})
			body := rec.Body.String()
			if rec.Code != tt.want || !strings.Contains(body, tt.text) || !strings.Contains(body, `lang="`+tt.lang+`"`) {
				t.Fatalf("%d, want %d with %q in %s:\n%s", rec.Code, tt.want, tt.text, tt.lang, body)
			}
			if !strings.Contains(body, tt.heading) {
				t.Errorf("page lacks the heading %s:\n%s", tt.heading, body)
			}
			named := strings.Contains(body, "Jobcenter Musterstadt") && strings.Contains(body, contact)
			if named != tt.tenant {
				t.Errorf("page names the authority and its contact: %v, want %v:\n%s", named, tt.tenant, body)
			}
			booking := `href="/b/` + s.seeded.Tenant.Slug + `?lang=` + tt.lang + `"`
			if strings.Contains(body, booking) != tt.bookLink {
				t.Errorf("booking link %s present: %v, want %v:\n%s", booking, !tt.bookLink, tt.bookLink, body)
			}
			if !tt.tenant && (strings.Contains(body, "Demo Bürgerin") || strings.Contains(body, s.seeded.Tenant.Slug)) {
				t.Errorf("an unknown token learned about the appointment:\n%s", body)
			}
		})
	}
}
