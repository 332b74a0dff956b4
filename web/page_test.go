package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/rooms"
)

func TestJoinPage(t *testing.T) {
	s := newTestServer(t, nil)
	room, _ := s.store.CreateRoom("Beratung <Raum 3>")
	citizen, _ := s.store.Issue(room.ID, rooms.RoleCitizen, `Erika "E" Mustermann`, time.Hour)
	attendee, _ := s.store.Issue(room.ID, rooms.RoleAttendee, "Gast", time.Hour)

	tests := []struct {
		name     string
		token    string
		want     int
		contains []string
		absent   []string
	}{
		{"citizen", citizen.Token, 200,
			[]string{`data-token="` + citizen.Token + `"`, `data-publishes="true"`, "Recording is prohibited",
				"Erika &#34;E&#34; Mustermann", "Beratung &lt;Raum 3&gt;", `id="preview"`, `aria-live="polite"`},
			[]string{"<Raum 3>"}},
		{"attendee", attendee.Token, 200,
			[]string{`data-publishes="false"`, "Ready to watch"},
			[]string{`id="preview"`}},
		{"unknown token", strings.Repeat("A", 43), 404,
			[]string{"This link is not valid"}, []string{"app.js", "data-token"}},
		{"garbage token", "%3Cscript%3E", 404,
			[]string{"This link is not valid"}, []string{"<script>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(call{method: "GET", path: "/j/" + tt.token})
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			body := rec.Body.String()
			for _, c := range tt.contains {
				if !strings.Contains(body, c) {
					t.Errorf("page lacks %q", c)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(body, c) {
					t.Errorf("page contains %q", c)
				}
			}
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"script-src 'self'", "default-src 'none'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q allows inline or eval", csp)
			}
			if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("a page carrying a token must be no-store and no-referrer: %v", h)
			}
		})
	}
}

// TestJoinPageLanguage: an API link carries no language, so the page takes
// the browser's (or ?lang=); a client that names none keeps English.
func TestJoinPageLanguage(t *testing.T) {
	s := newTestServer(t, nil)
	room, _ := s.store.CreateRoom("Beratung")
	inv, _ := s.store.Issue(room.ID, rooms.RoleCitizen, "Leyla", time.Hour)
	tests := []struct {
		name, path, accept string
		want               []string
	}{
		{"arabic browser", "/j/" + inv.Token, "ar,en;q=0.5", []string{`lang="ar" dir="rtl"`, "الانضمام إلى الموعد", `data-i18n="{`}},
		{"?lang= wins", "/j/" + inv.Token + "?lang=de", "ar", []string{`lang="de" dir="ltr"`, "Am Termin teilnehmen"}},
		{"no preference", "/j/" + inv.Token, "", []string{`lang="en" dir="ltr"`, "Join the appointment"}},
		{"invalid link, german browser", "/j/" + strings.Repeat("A", 43), "de-DE,de;q=0.9", []string{`lang="de"`, "Das hat leider nicht geklappt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.accept != "" {
				h["Accept-Language"] = tt.accept
			}
			body := s.do(call{method: "GET", path: tt.path, header: h}).Body.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func TestIndexPage(t *testing.T) {
	s := newTestServer(t, nil)
	rec := s.do(call{method: "GET", path: "/"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "open the link from your invitation") {
		t.Errorf("index: %d %s", rec.Code, rec.Body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("index CSP %q", csp)
	}
	if rec := s.do(call{method: "HEAD", path: "/healthz"}); rec.Code != 200 {
		t.Errorf("HEAD /healthz: %d", rec.Code)
	}
}

// The CSP forbids inline script and style; the template must not rely on them.
func TestJoinTemplateHasNoInlineCode(t *testing.T) {
	for _, name := range []string{"assets/join.html", "assets/index.html"} {
		b, err := assetFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		checkNoInlineCode(t, name, string(b))
	}
}

func checkNoInlineCode(t *testing.T, name, html string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(m, ` src="`) {
			t.Errorf("%s: inline script %s", name, m)
		}
	}
	for _, re := range []string{`<style`, `\sstyle=`, `\son[a-z]+=`, `javascript:`} {
		if regexp.MustCompile(re).MatchString(html) {
			t.Errorf("%s matches %s, which the CSP blocks", name, re)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	s := newTestServer(t, nil)
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path      string
		want      int
		wantCT    string
		wantCache string
	}{
		{"/static/" + a.version + "/app.js", 200, "text/javascript", "immutable"},
		{"/static/" + a.version + "/style.css", 200, "text/css", "immutable"},
		{"/static/old/app.js", 200, "text/javascript", "no-cache"},
		{"/static/" + a.version + "/nope.js", 404, "application/json", ""},
		{"/static/" + a.version + "/../join.html", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := s.do(call{method: "GET", path: tt.path})
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantCT) {
				t.Errorf("content type %q, want %q", rec.Header().Get("Content-Type"), tt.wantCT)
			}
			if !strings.Contains(rec.Header().Get("Cache-Control"), tt.wantCache) {
				t.Errorf("cache control %q, want %q", rec.Header().Get("Cache-Control"), tt.wantCache)
			}
			if tt.want == 200 {
				etag := rec.Header().Get("ETag")
				again := s.do(call{method: "GET", path: tt.path, header: map[string]string{"If-None-Match": etag}})
				if again.Code != http.StatusNotModified {
					t.Errorf("revalidation with ETag %s: %d, want 304", etag, again.Code)
				}
			}
		})
	}
	// The page links the current version.
	room, _ := s.store.CreateRoom("r")
	inv, _ := s.store.Issue(room.ID, rooms.RoleCitizen, "x", time.Hour)
	if body := s.do(call{method: "GET", path: "/j/" + inv.Token}).Body.String(); !strings.Contains(body, "/static/"+a.version+"/app.js") {
		t.Error("join page does not link the current asset version")
	}
}
