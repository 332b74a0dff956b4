package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nahbar/nahbar/storage"
)

// consoleClock is a clock the test moves by hand, safe to read from handler
// goroutines.
type consoleClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *consoleClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *consoleClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// consoleEnv is a real server (httptest on 127.0.0.1) over real SQLite
// storage with the demo data: an admin with an appointment now, plus a plain
// advisor of the same tenant.
type consoleEnv struct {
	t       *testing.T
	srv     *httptest.Server
	st      *storage.Store
	lobby   *Lobby
	store   *Store
	clock   *consoleClock
	logs    *syncBuffer
	seed    storage.Seeded
	advisor storage.Advisor
}

const (
	consoleAdminPW   = "admin-password-123"
	consoleAdvisorPW = "advisor-password-456"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newConsoleEnv(t *testing.T, mutate func(*Config)) *consoleEnv {
	t.Helper()
	clk := &consoleClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Config{DataDir: t.TempDir(), Now: clk.now,
		Password: storage.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	seed, err := st.Seed(ctx, storage.Demo{Password: consoleAdminPW})
	if err != nil {
		t.Fatal(err)
	}
	adv, err := st.CreateAdvisor(ctx, 0, storage.NewAdvisor{TenantID: seed.Tenant.ID, Email: "berater@amt.example",
		Name: "Bernd Berater", Password: consoleAdvisorPW, Role: storage.RoleAdvisor, Languages: []string{"de"}, Topics: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	store := NewStore(StoreConfig{Now: clk.now})
	lobby := NewLobby(clk.now)
	cfg := Config{Store: store, Storage: st, Lobby: lobby,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := New(cfg, noSignalling{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &consoleEnv{t: t, srv: srv, st: st, lobby: lobby, store: store, clock: clk, logs: logs, seed: seed, advisor: adv}
}

// consoleBrowser is one browser: its own cookie jar, redirects not followed
// so the test sees each answer.
type consoleBrowser struct {
	env  *consoleEnv
	c    *http.Client
	csrf string
}

func (e *consoleEnv) browser() *consoleBrowser {
	jar, _ := cookiejar.New(nil)
	return &consoleBrowser{env: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type cpage struct {
	code     int
	body     string
	location string
	header   http.Header
}

func (b *consoleBrowser) do(req *http.Request) cpage {
	b.env.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.env.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := cpage{code: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), header: resp.Header}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *consoleBrowser) get(path string) cpage {
	req, _ := http.NewRequest("GET", b.env.srv.URL+path, nil)
	return b.do(req)
}

// status fails the test unless the page came back with code, showing its body.
func (p cpage) status(t *testing.T, code int) cpage {
	t.Helper()
	if p.code != code {
		t.Fatalf("status %d, want %d\n%s", p.code, code, p.body)
	}
	return p
}

// post sends a form; the session's CSRF token is added unless the form
// already has a "csrf" entry (tests of forged posts set it to "").
func (b *consoleBrowser) post(path string, form url.Values) cpage {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.env.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login fills the login form like a person: open it, then submit.
func (b *consoleBrowser) login(email, password string) cpage {
	b.env.t.Helper()
	if p := b.get("/console/login"); p.code != http.StatusOK {
		b.env.t.Fatalf("login form: %d", p.code)
	}
	return b.post("/console/login", url.Values{"email": {email}, "password": {password}})
}

func (b *consoleBrowser) mustLogin(email, password string) {
	b.env.t.Helper()
	p := b.login(email, password)
	if p.code != http.StatusSeeOther || p.location != "/console" {
		b.env.t.Fatalf("login: %d %q, want 303 to /console\n%s", p.code, p.location, p.body)
	}
	if day := b.get("/console"); day.code != http.StatusOK {
		b.env.t.Fatalf("day page after login: %d", day.code)
	}
}

func consoleMustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func (e *consoleEnv) auditActions() []string {
	e.t.Helper()
	es, err := e.st.AuditLog(context.Background(), e.seed.Tenant.ID, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range es {
		out = append(out, a.Action)
	}
	return out
}

func consoleHas(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
