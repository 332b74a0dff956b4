package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/storage"
)

// console is the advisor console and the admin pages: server-rendered
// forms, one small script for the live waiting list, no inline code.
type console struct {
	cfg      Config
	cc       ConsoleConfig
	st       *storage.Store
	lobby    *Lobby
	log      *slog.Logger
	cat      *i18n.Catalog
	sessions *sessionStore
	limiter  *loginLimiter // per account
	ipLimit  *loginLimiter // per client address
	pages    map[string]*template.Template
	fragment *template.Template
	files    map[string]asset
	version  string
	secure   bool
	csp      string
}

// Cookie names. The session cookie is scoped to /console so the citizen
// pages never see it.
const (
	sessionCookie    = "nahbar_console"
	loginCSRFCookie  = "nahbar_login"
	consolePrefix    = "/console"
	consoleAssetRoot = "assets/console"
)

// registerConsole mounts /console when storage is configured.
func registerConsole(r *gin.Engine, cfg Config) error {
	if cfg.Storage == nil {
		return nil
	}
	if cfg.Lobby == nil {
		return errors.New("web config: Lobby is required with Storage (console)")
	}
	cc := cfg.Console
	if cc.Now == nil {
		cc.Now = cfg.Store.now // one clock for tokens, lobby and sessions
	}
	if err := cc.setDefaults(); err != nil {
		return err
	}
	c := &console{cfg: cfg, cc: cc, st: cfg.Storage, lobby: cfg.Lobby, log: cfg.Logger.With("component", "console"),
		sessions: newSessionStore(cc.Now, cc.Rand, cc.SessionIdle, cc.SessionMax, cc.MaxSessions),
		limiter:  newLoginLimiter(cc.Now, cc.LoginFailures, cc.LoginWindow, 100_000),
		ipLimit:  newLoginLimiter(cc.Now, cc.LoginFailuresPerIP, cc.LoginWindow, 100_000),
		secure:   strings.HasPrefix(cfg.PublicURL, "https://"),
	}
	if c.cat = cc.Catalog; c.cat == nil {
		cat, err := i18n.New()
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		c.cat = cat
	}
	if err := c.loadTemplates(); err != nil {
		return err
	}
	if err := c.loadFiles(); err != nil {
		return err
	}
	c.csp = strings.Join([]string{
		"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
		"connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
	}, "; ")

	g := r.Group(consolePrefix, c.headers, limitBody(cfg.MaxBodyBytes))
	g.GET("/assets/:version/*file", c.serveFile)
	g.GET("/login", c.loginForm)
	g.POST("/login", c.login)

	in := g.Group("", c.requireSession, c.requireCSRF)
	in.GET("", c.day)
	in.GET("/", c.day)
	in.POST("/logout", c.logout)
	in.GET("/events", c.events)
	in.GET("/appointments/:id", c.appointmentPage)
	in.POST("/appointments/:id/enter", c.enter)
	in.POST("/appointments/:id/admit", c.admit)
	in.POST("/appointments/:id/decline", c.decline)
	in.POST("/appointments/:id/invite", c.invite)
	in.POST("/appointments/:id/end", c.end)
	in.POST("/appointments/:id/noshow", c.noShow)
	in.POST("/appointments/:id/invitations/:inv/revoke", c.revoke)

	ad := in.Group("/admin", c.requireAdmin)
	registerAdmin(ad, c)
	registerStats(in.Group("/stats", c.requireAdmin), c)
	return nil
}

// headers sets the console's CSP and keeps every answer out of caches.
func (c *console) headers(ctx *gin.Context) {
	h := ctx.Writer.Header()
	h.Set("Content-Security-Policy", c.csp)
	if !strings.HasPrefix(ctx.Request.URL.Path, consolePrefix+"/assets/") {
		h.Set("Cache-Control", "no-store")
	}
	ctx.Next()
}

func (c *console) loadTemplates() error {
	base, err := template.New("base").ParseFS(assetFS, consoleAssetRoot+"/layout.html", consoleAssetRoot+"/waiting.html")
	if err != nil {
		return fmt.Errorf("parse console layout: %w", err)
	}
	c.fragment = base.Lookup("waiting")
	c.pages = make(map[string]*template.Template)
	names, err := fs.Glob(assetFS, consoleAssetRoot+"/page_*.html")
	if err != nil {
		return fmt.Errorf("list console pages: %w", err)
	}
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(assetFS, n)
		if err != nil {
			return fmt.Errorf("parse console page %s: %w", n, err)
		}
		key := strings.TrimSuffix(strings.TrimPrefix(path.Base(n), "page_"), ".html")
		c.pages[key] = t
	}
	return nil
}

// loadFiles reads the console's CSS and script; they are served under a
// content hash so a new release changes their URLs.
func (c *console) loadFiles() error {
	c.files = make(map[string]asset)
	all := sha256.New()
	for _, n := range []string{"console.css", "console.js"} {
		body, err := assetFS.ReadFile(consoleAssetRoot + "/" + n)
		if err != nil {
			return fmt.Errorf("load console asset %s: %w", n, err)
		}
		sum := sha256.Sum256(body)
		c.files[n] = asset{body: body, contentType: mime.TypeByExtension(path.Ext(n)), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		all.Write(sum[:])
	}
	c.version = hex.EncodeToString(all.Sum(nil)[:6])
	return nil
}

func (c *console) serveFile(ctx *gin.Context) {
	f, ok := c.files[strings.TrimPrefix(ctx.Param("file"), "/")]
	if !ok {
		ctx.Status(http.StatusNotFound)
		return
	}
	if ctx.Param("version") == c.version {
		ctx.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		ctx.Header("Cache-Control", "no-cache")
	}
	ctx.Header("ETag", f.etag)
	ctx.Data(http.StatusOK, f.contentType, f.body)
}

// view is what every console template gets: the page's own data plus the
// language, the session and its CSRF token.
type view struct {
	tr      *consoleText
	Version string
	Title   string
	Session *session
	CSRF    string
	Error   string
	Notice  string
	Data    any
}

// T translates a message id of the console.
func (v view) T(id string) string { return v.tr.T(id) }

// Lang and Dir are for <html lang dir>.
func (v view) Lang() string { return v.tr.lang }

// Dir is the writing direction of the chosen language.
func (v view) Dir() string { return v.tr.dir }

func (c *console) view(ctx *gin.Context, titleID string, data any) view {
	v := view{tr: c.text(ctx), Version: c.version, Data: data}
	v.Title = v.T(titleID)
	if s, ok := ctx.Get("session"); ok {
		sess := s.(session)
		v.Session = &sess
		v.CSRF = sess.CSRF
	}
	return v
}

// render executes a page template into a buffer first, so a template error
// becomes a clean 500 and never half a page.
func (c *console) render(ctx *gin.Context, status int, page string, v view) {
	t, ok := c.pages[page]
	if !ok {
		c.fail(ctx, fmt.Errorf("no console page %q", page))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.fail(ctx, fmt.Errorf("render console page %s: %w", page, err))
		return
	}
	ctx.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// fail logs an internal error and answers with a plain 500 page.
func (c *console) fail(ctx *gin.Context, err error) {
	c.log.Error("console", "path", ctx.Request.URL.Path, "err", err)
	ctx.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal server error\n"))
	ctx.Abort()
}

// seeOther redirects after a successful POST, so a reload does not repeat it.
func seeOther(ctx *gin.Context, to string) {
	ctx.Redirect(http.StatusSeeOther, to)
	ctx.Abort()
}

// current returns the request's session; requireSession guarantees one.
func current(ctx *gin.Context) session {
	s, _ := ctx.Get("session")
	sess, _ := s.(session)
	return sess
}

// tenantZone is the tenant's time zone for "today" and for showing times.
func (c *console) tenantZone(t storage.Tenant) *time.Location {
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
