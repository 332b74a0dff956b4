package web

import (
	"encoding/base64"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// loginData is the login form's view.
type loginData struct {
	Email      string
	LoginToken string
	RetryMin   int
}

// loginForm shows the form with a fresh double-submit token: the same random
// value in a cookie and in a hidden field, so a cross-site page cannot log
// an advisor into an attacker's account.
func (c *console) loginForm(ctx *gin.Context) {
	if ck, err := ctx.Cookie(sessionCookie); err == nil {
		if _, ok := c.sessions.get(ck); ok {
			seeOther(ctx, consolePrefix)
			return
		}
	}
	c.renderLogin(ctx, http.StatusOK, loginData{}, "")
}

func (c *console) renderLogin(ctx *gin.Context, status int, d loginData, errID string) {
	tok, err := c.loginToken(ctx)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	d.LoginToken = tok
	v := c.view(ctx, "console.login.title", d)
	if errID != "" {
		v.Error = v.T(errID)
	}
	c.render(ctx, status, "login", v)
}

// loginToken reuses the browser's login cookie or sets a new one.
func (c *console) loginToken(ctx *gin.Context) (string, error) {
	if v, err := ctx.Cookie(loginCSRFCookie); err == nil && len(v) == 43 {
		return v, nil
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(c.cc.Rand, b); err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	c.setCookie(ctx, loginCSRFCookie, tok, 3600)
	return tok, nil
}

func (c *console) setCookie(ctx *gin.Context, name, value string, maxAge int) {
	http.SetCookie(ctx.Writer, &http.Cookie{Name: name, Value: value, Path: consolePrefix, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure || ctx.Request.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// login checks the double-submit token, the rate limit, then the password.
// The password is never logged; failures are logged with the account and
// the address so an operator sees an attack.
func (c *console) login(ctx *gin.Context) {
	email := strings.ToLower(strings.TrimSpace(ctx.PostForm("email")))
	password := ctx.PostForm("password")
	d := loginData{Email: email}
	ck, _ := ctx.Cookie(loginCSRFCookie)
	if !csrfEqual(ctx.PostForm(csrfField), ck) {
		c.log.Warn("console login without a valid form token", "remote", ctx.ClientIP())
		c.renderLogin(ctx, http.StatusForbidden, d, "console.error.csrf")
		return
	}
	ipKey, acctKey := "ip:"+ctx.ClientIP(), "acct:"+email
	wait, blocked := c.limiter.blocked(acctKey)
	if w, b := c.ipLimit.blocked(ipKey); b {
		wait, blocked = max(wait, w), true
	}
	if blocked {
		c.log.Warn("console login rate limited", "remote", ctx.ClientIP(), "account", email)
		d.RetryMin = int(math.Ceil(wait.Minutes()))
		ctx.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		c.renderLogin(ctx, http.StatusTooManyRequests, d, "console.login.limited")
		return
	}
	if email == "" || password == "" || len(email) > 254 || len(password) > 1024 {
		c.renderLogin(ctx, http.StatusBadRequest, d, "console.login.missing")
		return
	}
	adv, err := c.st.Authenticate(ctx.Request.Context(), email, password)
	if errors.Is(err, storage.ErrBadCredentials) {
		c.limiter.fail(acctKey)
		c.ipLimit.fail(ipKey)
		c.log.Warn("console login failed", "remote", ctx.ClientIP(), "account", email)
		c.cfg.Events.LoginFailed()
		c.renderLogin(ctx, http.StatusUnauthorized, d, "console.login.failed")
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.limiter.reset(acctKey)
	id, _, err := c.sessions.create(session{AdvisorID: adv.ID, TenantID: adv.TenantID, Name: adv.Name,
		Admin: adv.Role == storage.RoleAdmin})
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if err := c.st.Audit(ctx.Request.Context(), adv.TenantID, adv.ID, "console.login", "advisor", strconv.Itoa(int(adv.ID))); err != nil {
		c.log.Error("audit login", "advisor", adv.ID, "err", err)
	}
	c.log.Info("console login", "advisor", adv.ID, "remote", ctx.ClientIP())
	c.setCookie(ctx, loginCSRFCookie, "", -1)
	c.setCookie(ctx, sessionCookie, id, 0)
	seeOther(ctx, consolePrefix)
}

// logout ends the session on the server, not just the cookie.
func (c *console) logout(ctx *gin.Context) {
	s := current(ctx)
	if ck, err := ctx.Cookie(sessionCookie); err == nil {
		c.sessions.delete(ck)
	}
	if err := c.st.Audit(ctx.Request.Context(), s.TenantID, s.AdvisorID, "console.logout", "advisor", strconv.Itoa(int(s.AdvisorID))); err != nil {
		c.log.Error("audit logout", "advisor", s.AdvisorID, "err", err)
	}
	c.setCookie(ctx, sessionCookie, "", -1)
	seeOther(ctx, consolePrefix+"/login")
}

// requireSession lets a request through only with a live session; pages
// and forms redirect to the login form, scripts get 401.
func (c *console) requireSession(ctx *gin.Context) {
	ck, err := ctx.Cookie(sessionCookie)
	if err == nil {
		if s, ok := c.sessions.get(ck); ok {
			ctx.Set("session", s)
			ctx.Next()
			return
		}
	}
	if strings.HasSuffix(ctx.Request.URL.Path, "/events") || ctx.GetHeader("X-CSRF-Token") != "" {
		ctx.AbortWithStatus(http.StatusUnauthorized) // scripts
		return
	}
	seeOther(ctx, consolePrefix+"/login") // a page or a form after the session ended: log in again
}

// requireCSRF checks the session's synchroniser token on every request that
// changes state. GET and HEAD never change anything in the console.
func (c *console) requireCSRF(ctx *gin.Context) {
	switch ctx.Request.Method {
	case http.MethodGet, http.MethodHead:
		ctx.Next()
		return
	}
	got := ctx.GetHeader("X-CSRF-Token")
	if got == "" {
		got = ctx.PostForm(csrfField)
	}
	if !csrfEqual(got, current(ctx).CSRF) {
		c.log.Warn("console request without a valid CSRF token", "path", ctx.Request.URL.Path, "remote", ctx.ClientIP())
		v := c.view(ctx, "console.error.title", nil)
		v.Error = v.T("console.error.csrf")
		c.render(ctx, http.StatusForbidden, "error", v)
		ctx.Abort()
		return
	}
	ctx.Next()
}

// requireAdmin guards the admin pages.
func (c *console) requireAdmin(ctx *gin.Context) {
	if !current(ctx).Admin {
		v := c.view(ctx, "console.error.title", nil)
		v.Error = v.T("console.error.forbidden")
		c.render(ctx, http.StatusForbidden, "error", v)
		ctx.Abort()
		return
	}
	ctx.Next()
}

// sessionEnded is how deactivating an advisor or resetting a password takes
// effect at once.
func (c *console) sessionEnded(advisorID uint) { c.sessions.deleteAdvisor(advisorID) }
