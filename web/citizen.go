package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/storage"
)

// langCookie remembers the language a citizen chose with ?lang=.
const langCookie = "nahbar_lang"

// citizen serves the citizen's journey over stored appointments:
// invitation → device check → waiting room → call → survey → thanks.
type citizen struct {
	cfg    Config
	db     *storage.Store
	lobby  *Lobby
	cat    *i18n.Catalog
	join   *joinPage
	static *assets
	pages  map[string]*template.Template
	csp    string
	log    *slog.Logger
	now    func() time.Time
}

// citizenPages are the page templates under assets/citizen, each rendered
// inside layout.html.
var citizenPages = []string{"invite", "check", "wait", "survey", "thanks", "error", "book", "book_form", "book_done", "manage", "session"}

// registerCitizen adds the citizen pages; it needs cfg.Storage and cfg.Lobby.
func registerCitizen(r *gin.Engine, cfg Config, join *joinPage) error {
	if cfg.Lobby == nil {
		return errors.New("web config: Lobby is required with Storage")
	}
	cat, err := i18n.New()
	if err != nil {
		return fmt.Errorf("citizen pages: %w", err)
	}
	static, err := loadAssetDir("assets/citizen/static")
	if err != nil {
		return fmt.Errorf("citizen pages: %w", err)
	}
	c := &citizen{cfg: cfg, db: cfg.Storage, lobby: cfg.Lobby, cat: cat, join: join, static: static,
		pages: make(map[string]*template.Template), log: cfg.Logger, now: cfg.Store.now}
	funcs := template.FuncMap{"args": templateArgs, "dayAria": dayAria, "freeLabel": freeLabel}
	for _, name := range citizenPages {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assetFS,
			"assets/citizen/layout.html", "assets/citizen/"+name+".html")
		if err != nil {
			return fmt.Errorf("parse citizen page %s: %w", name, err)
		}
		c.pages[name] = t
	}
	c.csp = strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"media-src 'self' blob: mediastream:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")

	r.GET("/c/:version/*file", static.serve)
	r.GET("/brand/:tenant/brand.css", c.brandCSS)
	r.GET("/brand/:tenant/logo", c.logo)
	r.GET("/i/:token", c.invite)
	r.GET("/i/:token/check", c.check)
	r.GET("/i/:token/wait", c.wait)
	r.GET("/i/:token/events", c.events)
	r.POST("/i/:token/device", limitBody(4<<10), c.device)
	r.POST("/i/:token/testcall", limitBody(1<<10), c.testCall)
	r.GET("/i/:token/probe", c.probeDown)
	r.POST("/i/:token/probe", c.probeUp)
	r.GET("/i/:token/ping", c.ping)
	r.GET("/i/:token/call", c.call)
	r.GET("/i/:token/survey", c.survey)
	r.POST("/i/:token/survey", limitBody(16<<10), c.submitSurvey)
	r.GET("/thanks", c.thanks)
	c.registerBooking(r)
	r.NoRoute(c.notFound)
	return nil
}

// notFound answers an unknown address. A person who mistyped or cut a link
// in a browser gets a page in their language (not a JSON body the browser
// shows as raw text); the API and scripts keep the JSON error.
func (c *citizen) notFound(g *gin.Context) {
	if strings.HasPrefix(g.Request.URL.Path, "/api/") || g.Request.Method != http.MethodGet ||
		!strings.Contains(g.GetHeader("Accept"), "text/html") {
		jsonError(g, http.StatusNotFound, "not_found", "no such page")
		return
	}
	loc := c.localizer(g, "")
	c.render(g, http.StatusNotFound, "error", page{L: loc, Data: errorPage{Message: loc.T("error_not_found", nil)}})
}

// templateArgs builds the data map of a message: args "Name" .Name "Count" 3.
func templateArgs(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("args: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("args: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// localizer picks the language: ?lang= (remembered in a cookie), the
// cookie, the invitation's language, then the browser's Accept-Language.
func (c *citizen) localizer(g *gin.Context, invLang string) *i18n.Localizer {
	q := g.Query("lang")
	if q != "" && len(q) <= 16 {
		loc := c.cat.Localizer(q)
		if strings.EqualFold(loc.Lang(), q) || strings.HasPrefix(strings.ToLower(q), loc.Lang()+"-") {
			http.SetCookie(g.Writer, &http.Cookie{Name: langCookie, Value: loc.Lang(), Path: "/",
				MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: g.Request.TLS != nil})
			return loc
		}
	}
	cookie, _ := g.Cookie(langCookie)
	return c.cat.Localizer(cookie, invLang, g.GetHeader("Accept-Language"))
}

// page is what every citizen template sees.
type page struct {
	L         *i18n.Localizer
	Languages []i18n.Language
	Path      string // this page's path
	LangLinks []langLink
	Static    string // prefix of the citizen static files
	Brand     brand
	Token     string
	Step      int // 1..3 of invitation → check → waiting room; 0: none
	Data      any
}

// langLink is one entry of the language switcher.
type langLink struct {
	i18n.Language
	Href    string
	Current bool
}

// brand is the tenant's look: name, logo and colours (as CSS custom
// properties in /brand/<id>/brand.css, so no inline style is needed).
type brand struct {
	TenantID uint
	Slug     string // its booking page is /b/<Slug>
	Name     string
	Contact  string // how citizens reach it; may be empty
	HasLogo  bool
	LogoURL  string
	TimeZone string
}

// loc is the tenant's time zone (appointments are shown in local time).
func (b brand) loc() *time.Location {
	if l, err := time.LoadLocation(b.TimeZone); err == nil && b.TimeZone != "" {
		return l
	}
	return time.UTC
}

func (c *citizen) render(g *gin.Context, status int, name string, p page) {
	t := c.pages[name]
	p.Languages = c.cat.Languages()
	p.Path = g.Request.URL.Path
	// The switcher keeps the page's other parameters (e.g. the booking choice).
	q := g.Request.URL.Query()
	q.Del("lang")
	for _, l := range p.Languages {
		q.Set("lang", l.Tag)
		p.LangLinks = append(p.LangLinks, langLink{Language: l, Href: p.Path + "?" + q.Encode(), Current: l.Tag == p.L.Lang()})
	}
	p.Static = "/c/" + c.static.version
	h := g.Writer.Header()
	h.Set("Content-Security-Policy", c.csp)
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), geolocation=()")
	h.Set("Cache-Control", "no-store") // pages carry the token
	h.Set("Content-Language", p.L.Lang())
	var buf strings.Builder
	if err := t.Execute(&buf, p); err != nil {
		c.log.Error("render citizen page", "page", name, "err", err)
		g.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte(p.L.T("error_server", nil)))
		return
	}
	g.Data(status, "text/html; charset=utf-8", []byte(buf.String()))
}

// errorPage says in the citizen's language what is wrong with the link,
// and where to go instead (Link, LinkText) when there is somewhere.
type errorPage struct {
	Title    string // heading; empty: "Something went wrong"
	Message  string
	Contact  string // "If you have questions, please contact <authority>."
	Details  string // the authority's contact line, when it has one
	Link     string
	LinkText string
}

// withContact adds the authority's name and contact line (b is empty for an
// unknown token, which learns nothing).
func (p errorPage) withContact(loc *i18n.Localizer, b brand) errorPage {
	if b.Name != "" {
		p.Contact = loc.T("error_contact", map[string]any{"Tenant": b.Name})
	}
	if b.Contact != "" {
		p.Details = loc.T("error_contact_details", map[string]any{"Contact": b.Contact})
	}
	return p
}

// bookAgain points to the authority's booking page.
func (p errorPage) bookAgain(loc *i18n.Localizer, b brand) errorPage {
	if b.Slug != "" {
		p.Link, p.LinkText = "/b/"+b.Slug+"?lang="+loc.Lang(), loc.T("thanks_book_again", nil)
	}
	return p
}

// callEnded answers a link of an appointment the advisor has ended (a
// reload of the call or waiting page afterwards): 410 with "Your advisor
// has ended the call", and for the citizen the way to the survey.
func (c *citizen) callEnded(g *gin.Context, loc *i18n.Localizer, b brand, inv storage.Invitation) {
	p := errorPage{Title: loc.T("book_manage_title", nil), Message: loc.T("call_ended_by_advisor", nil)}.withContact(loc, b)
	if inv.Role == storage.InviteCitizen {
		p.Link, p.LinkText = "/i/"+g.Param("token")+"/survey?ended=1&lang="+loc.Lang(), loc.T("survey_title", nil)
	}
	c.render(g, http.StatusGone, "error", page{L: loc, Brand: b, Data: p})
}

// closed answers a link of an appointment the advisor closed as a no-show:
// 410 with a kind word that it is closed and the way to book a new one.
func (c *citizen) closed(g *gin.Context, loc *i18n.Localizer, b brand) {
	// Not an error of the citizen's: the heading is "Your appointment".
	p := errorPage{Title: loc.T("book_manage_title", nil), Message: loc.T("error_appointment_closed", nil)}.withContact(loc, b).bookAgain(loc, b)
	c.render(g, http.StatusGone, "error", page{L: loc, Brand: b, Data: p})
}

// invitation loads the invitation of the :token parameter with its
// appointment and tenant. On a bad link it renders the error page itself
// and returns ok=false.
func (c *citizen) invitation(g *gin.Context) (storage.Invitation, storage.Appointment, brand, *i18n.Localizer, bool) {
	token := g.Param("token")
	inv, appt, b, loc, err := c.linkOwner(g, token)
	if err != nil {
		c.linkError(g, loc, b, err)
		return inv, appt, b, loc, false
	}
	switch appt.Status {
	case storage.StatusDone:
		c.callEnded(g, loc, b, inv)
		return inv, appt, b, loc, false
	case storage.StatusNoShow:
		c.closed(g, loc, b)
		return inv, appt, b, loc, false
	}
	if err := inv.CheckWindow(c.now()); errors.Is(err, storage.ErrTokenExpired) || appt.Status != storage.StatusBooked {
		c.linkError(g, loc, b, storage.ErrTokenExpired)
		return inv, appt, b, loc, false
	}
	return inv, appt, b, loc, true
}

// linkOwner loads the invitation of token, its appointment, the authority's
// brand and the page language. A cancelled appointment comes back with the
// error and all of these (the link is real: its holder may learn whom to
// ask); an unknown token comes back with an empty brand.
func (c *citizen) linkOwner(g *gin.Context, token string) (storage.Invitation, storage.Appointment, brand, *i18n.Localizer, error) {
	ctx := g.Request.Context()
	inv, appt, err := c.db.InvitationByToken(ctx, token)
	if err != nil && (!errors.Is(err, storage.ErrCancelled) || appt.TenantID == 0) {
		return inv, appt, brand{}, c.localizer(g, ""), err
	}
	loc := c.localizer(g, inv.Language)
	b, berr := c.brand(ctx, appt.TenantID)
	if berr != nil {
		return inv, appt, brand{}, loc, fmt.Errorf("load tenant %d: %w", appt.TenantID, berr)
	}
	return inv, appt, b, loc, err
}

func (c *citizen) linkError(g *gin.Context, loc *i18n.Localizer, b brand, err error) {
	msg, status := loc.T("error_link_invalid", nil), http.StatusNotFound
	switch {
	case errors.Is(err, storage.ErrCancelled):
		msg, status = loc.T("error_appointment_cancelled", nil), http.StatusGone
	case errors.Is(err, storage.ErrTokenExpired):
		msg, status = loc.T("error_link_expired", nil), http.StatusGone
	case errors.Is(err, storage.ErrInvalidToken), errors.Is(err, storage.ErrNotFound):
	default:
		c.log.Error("citizen page: load invitation", "err", err)
		msg, status = loc.T("error_server", nil), http.StatusInternalServerError
	}
	p := errorPage{Message: msg}.withContact(loc, b)
	if errors.Is(err, storage.ErrCancelled) {
		p.Title = loc.T("book_manage_title", nil)
		p = p.bookAgain(loc, b)
	}
	c.render(g, status, "error", page{L: loc, Brand: b, Data: p})
}

func (c *citizen) brand(ctx context.Context, tenantID uint) (brand, error) {
	t, err := c.db.Tenant(ctx, tenantID)
	if err != nil {
		return brand{}, err
	}
	b := brand{TenantID: t.ID, Slug: t.Slug, Name: t.Name, Contact: t.Contact, HasLogo: len(t.Logo) > 0, TimeZone: t.TimeZone}
	if strings.HasPrefix(t.LogoURL, "/") && !strings.HasPrefix(t.LogoURL, "//") {
		b.LogoURL = t.LogoURL // same origin only: the CSP allows no other images
	}
	return b, nil
}

// brandCSS serves the tenant's colours as custom properties, with a text
// colour on the primary colour chosen for contrast (WCAG AA).
func (c *citizen) brandCSS(g *gin.Context) {
	t, ok := c.tenant(g)
	if !ok {
		return
	}
	css := fmt.Sprintf(":root{--brand:%s;--brand-fg:%s;--brand-accent:%s;--brand-accent-fg:%s}\n",
		t.PrimaryColor, textOn(t.PrimaryColor), t.AccentColor, textOn(t.AccentColor))
	g.Header("Cache-Control", "public, max-age=300")
	g.Data(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

func (c *citizen) logo(g *gin.Context) {
	t, ok := c.tenant(g)
	if !ok {
		return
	}
	if len(t.Logo) == 0 || !strings.HasPrefix(t.LogoType, "image/") {
		g.Status(http.StatusNotFound)
		return
	}
	g.Header("Cache-Control", "public, max-age=300")
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, t.LogoType, t.Logo)
}

func (c *citizen) tenant(g *gin.Context) (storage.Tenant, bool) {
	id, err := strconv.ParseUint(g.Param("tenant"), 10, 32)
	if err != nil {
		g.Status(http.StatusNotFound)
		return storage.Tenant{}, false
	}
	t, err := c.db.Tenant(g.Request.Context(), uint(id))
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			c.log.Error("brand: load tenant", "tenant", id, "err", err)
		}
		g.Status(http.StatusNotFound)
		return storage.Tenant{}, false
	}
	return t, true
}

// textOn picks black or white text for a #rrggbb background, whichever
// contrasts more (WCAG relative luminance).
func textOn(hex string) string {
	if len(hex) != 7 || hex[0] != '#' {
		return "#ffffff"
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return "#ffffff"
	}
	lum := 0.0
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		ch := float64((v>>(16-8*i))&0xff) / 255
		if ch <= 0.03928 {
			ch /= 12.92
		} else {
			ch = math.Pow((ch+0.055)/1.055, 2.4)
		}
		lum += w * ch
	}
	// Contrast with white: 1.05/(L+0.05); with black: (L+0.05)/0.05.
	if 1.05/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#ffffff"
	}
	return "#000000"
}
