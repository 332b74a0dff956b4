package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// recovery turns a panic in a handler into a 500 and a log line, so one bad
// request cannot take the server down. http.ErrAbortHandler keeps its meaning.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(p)
			}
			log.Error("handler panic", "method", c.Request.Method, "path", redactPath(c.Request.URL.Path),
				"panic", p, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				jsonError(c, http.StatusInternalServerError, "internal", "internal server error")
			}
			c.Abort()
		}()
		c.Next()
	}
}

// requestLogger logs one line per request. It never logs secrets: the token
// in /j/<token> is redacted, the query string (which could carry a token) and
// request headers (Authorization) are not logged at all.
func requestLogger(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case c.Request.URL.Path == "/healthz" || strings.HasPrefix(c.Request.URL.Path, "/static/"):
			level = slog.LevelDebug
		}
		log.LogAttrs(c.Request.Context(), level, "http request",
			slog.String("method", c.Request.Method),
			slog.String("path", redactPath(c.Request.URL.Path)),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.ClientIP()),
		)
	}
}

// redactPath hides the invitation token in join links.
func redactPath(p string) string {
	if strings.HasPrefix(p, "/j/") {
		return "/j/[redacted]"
	}
	// Invitation (/i/) and manage (/m/) links carry their token as the
	// second segment; keep the page name after it for the log's sake.
	for _, prefix := range []string{"/i/", "/m/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				return prefix + "[redacted]" + rest[i:]
			}
			return prefix + "[redacted]"
		}
	}
	return p
}

// securityHeaders sets the defaults for every response; the join page
// widens the Content-Security-Policy just enough for itself.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Next()
	}
}

// limitBody caps request bodies; decoding then fails with a clear 413.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// apiError is the JSON shape of every error the API returns.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func jsonError(c *gin.Context, status int, code, msg string) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, apiError{Error: code, Message: msg})
}

// crossSiteGuard refuses state-changing requests another site's page made a
// browser send (CSRF), with Go's http.CrossOriginProtection: the browser's
// Sec-Fetch-Site header, or Origin against Host for older browsers. The
// citizen forms (booking, cancel, reschedule, survey, device report) carry
// no session to protect with a synchronizer token; their secret is the token
// in the path, and this keeps another site from posting them at all. The
// console has its session's token on top. The API (bearer key, no cookies)
// is exempt. publicURL, when set, is trusted as an origin (a proxy may
// rewrite Host).
func crossSiteGuard(publicURL string, log *slog.Logger) (gin.HandlerFunc, error) {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("/api/v1/")
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil {
			return nil, fmt.Errorf("cross-site guard: public URL: %w", err)
		}
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("cross-site guard: %w", err)
		}
	}
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			log.Warn("cross-site request refused", "method", c.Request.Method, "path", redactPath(c.Request.URL.Path),
				"origin", c.GetHeader("Origin"), "fetch_site", c.GetHeader("Sec-Fetch-Site"))
			c.Header("Cache-Control", "no-store")
			c.Data(http.StatusForbidden, "text/plain; charset=utf-8",
				[]byte("403: this form was sent from another website and was refused. Please use the form on our own page.\n"))
			c.Abort()
			return
		}
		c.Next()
	}, nil
}
