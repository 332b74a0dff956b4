package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConsoleLogin(t *testing.T) {
	e := newConsoleEnv(t, nil)
	tests := []struct {
		name, email, password string
		want                  int
		says                  string
	}{
		{"wrong password", "demo@nahbar.local", "not-the-password", http.StatusUnauthorized, "password is not correct"},
		{"unknown account", "nobody@amt.example", consoleAdminPW, http.StatusUnauthorized, "password is not correct"},
		{"empty", "", "", http.StatusBadRequest, "Please enter your e-mail address"},
		{"success, e-mail in capitals", "DEMO@nahbar.local", consoleAdminPW, http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			p := b.login(tt.email, tt.password).status(t, tt.want)
			if tt.says != "" {
				consoleMustContain(t, p.body, tt.says, `role="alert"`)
			}
			if p.code == http.StatusSeeOther {
				day := b.get("/console")
				consoleMustContain(t, day.body, "Today&#39;s appointments", "Demo Bürgerin", "Log out")
			}
		})
	}
	if strings.Contains(e.logs.String(), "not-the-password") || strings.Contains(e.logs.String(), consoleAdminPW) {
		t.Error("a password reached the log")
	}
	if !strings.Contains(e.logs.String(), "console login failed") {
		t.Error("failed logins are not logged")
	}
	if !consoleHas(e.auditActions(), "console.login") {
		t.Error("login not audited")
	}
}

func TestConsoleLoginGerman(t *testing.T) {
	e := newConsoleEnv(t, nil)
	req, _ := http.NewRequest("GET", e.srv.URL+"/console/login", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	p := e.browser().do(req)
	consoleMustContain(t, p.body, `lang="de"`, "Anmeldung für Beratende", `<label for="password">Passwort</label>`)
}

func TestConsolePagesNeedSession(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	for _, path := range []string{"/console", "/console/appointments/1", "/console/admin", "/console/admin/advisors"} {
		if p := b.get(path); p.code != http.StatusSeeOther || p.location != "/console/login" {
			t.Errorf("GET %s without session: %d %q", path, p.code, p.location)
		}
	}
	if p := b.post("/console/appointments/1/end", url.Values{"csrf": {"x"}}); p.code != http.StatusSeeOther || p.location != "/console/login" {
		t.Errorf("POST without session: %d %q", p.code, p.location)
	}
	if p := b.get("/console/events?a=1"); p.code != http.StatusUnauthorized {
		t.Errorf("events without session: %d", p.code)
	}
}

func TestConsoleCookies(t *testing.T) {
	e := newConsoleEnv(t, func(c *Config) { c.PublicURL = "https://termine.example.org" })
	b := e.browser()
	b.get("/console/login")
	// The jar will not send a Secure cookie over http, so submit by hand.
	form := url.Values{"email": {"demo@nahbar.local"}, "password": {consoleAdminPW}, "csrf": {b.csrf}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: loginCSRFCookie, Value: b.csrf})
	p := b.do(req)
	if p.code != http.StatusSeeOther {
		t.Fatalf("login %d\n%s", p.code, p.body)
	}
	var found bool
	for _, c := range p.header.Values("Set-Cookie") {
		if !strings.HasPrefix(c, sessionCookie+"=") {
			continue
		}
		found = true
		for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/console"} {
			if !strings.Contains(c, want) {
				t.Errorf("session cookie %q lacks %s", c, want)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie set")
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
}

func TestConsoleLoginCSRF(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.get("/console/login")
	p := b.post("/console/login", url.Values{"email": {"demo@nahbar.local"}, "password": {consoleAdminPW}, "csrf": {"forged"}})
	if p.code != http.StatusForbidden {
		t.Fatalf("login with a forged form token: %d", p.code)
	}
	consoleMustContain(t, p.body, "This form has expired")
	// A fresh browser that never saw the form (a cross-site post) has no cookie.
	p = e.browser().post("/console/login", url.Values{"email": {"demo@nahbar.local"}, "password": {consoleAdminPW}})
	if p.code != http.StatusForbidden {
		t.Fatalf("login without the form cookie: %d", p.code)
	}
}

func TestConsoleCSRF(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	id := e.seed.Appointment.ID
	for _, tok := range []string{"", "wrong-token"} {
		p := b.post("/console/appointments/"+itoaU(id)+"/end", url.Values{"csrf": {tok}})
		if p.code != http.StatusForbidden {
			t.Errorf("end with csrf %q: %d", tok, p.code)
		}
	}
	a, _ := e.st.Appointment(t.Context(), id)
	if a.Status != "booked" {
		t.Fatalf("a forged post changed the appointment to %s", a.Status)
	}
	// Another session's token does not work either.
	other := e.browser()
	other.mustLogin("demo@nahbar.local", consoleAdminPW)
	if p := b.post("/console/appointments/"+itoaU(id)+"/end", url.Values{"csrf": {other.csrf}}); p.code != http.StatusForbidden {
		t.Errorf("end with another session's token: %d", p.code)
	}
	// The header form is accepted (scripts).
	req, _ := http.NewRequest("POST", e.srv.URL+"/console/appointments/"+itoaU(id)+"/end", nil)
	req.Header.Set("X-CSRF-Token", b.csrf)
	if p := b.do(req); p.code != http.StatusSeeOther {
		t.Errorf("end with X-CSRF-Token: %d", p.code)
	}
}

func TestConsoleLoginRateLimit(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	for i := range 5 {
		if p := b.login("demo@nahbar.local", "wrong-password-"+itoaU(uint(i))); p.code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, p.code)
		}
	}
	// Now even the right password is refused, with a clear answer.
	p := b.login("demo@nahbar.local", consoleAdminPW)
	if p.code != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: %d, want 429", p.code)
	}
	consoleMustContain(t, p.body, "Too many failed attempts", "try again in about 15 min")
	if p.header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q", p.header.Get("Retry-After"))
	}
	e.clock.advance(15 * time.Minute)
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
}

func TestConsoleSessionExpiry(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	e.clock.advance(29 * time.Minute)
	if p := b.get("/console"); p.code != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", p.code)
	}
	e.clock.advance(30 * time.Minute)
	if p := b.get("/console"); p.code != http.StatusSeeOther || p.location != "/console/login" {
		t.Fatalf("after 30 idle minutes: %d %q", p.code, p.location)
	}
}

func TestConsoleLogout(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	var cookie string
	u, _ := url.Parse(e.srv.URL + "/console")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			cookie = c.Value
		}
	}
	if p := b.post("/console/logout", nil); p.code != http.StatusSeeOther || p.location != "/console/login" {
		t.Fatalf("logout: %d %q", p.code, p.location)
	}
	// The old cookie value is dead on the server too.
	req, _ := http.NewRequest("GET", e.srv.URL+"/console", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	if p := e.browser().do(req); p.code != http.StatusSeeOther {
		t.Fatalf("old session cookie after logout: %d", p.code)
	}
}

func itoaU(v uint) string { return strconv.FormatUint(uint64(v), 10) }

func TestConsoleLoginRateLimitPerAddress(t *testing.T) {
	e := newConsoleEnv(t, func(c *Config) { c.Console.LoginFailuresPerIP = 3 })
	b := e.browser()
	// Three different accounts from one address: the address is blocked,
	// even for an account with no failures of its own.
	for _, acct := range []string{"a@amt.example", "b@amt.example", "c@amt.example"} {
		if p := b.login(acct, "wrong-password"); p.code != http.StatusUnauthorized {
			t.Fatalf("%s: %d", acct, p.code)
		}
	}
	if p := b.login("demo@nahbar.local", consoleAdminPW); p.code != http.StatusTooManyRequests {
		t.Fatalf("4th failure from one address: %d, want 429", p.code)
	}
}
