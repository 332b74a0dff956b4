package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// registerAdmin mounts the admin pages (role admin) under /console/admin.
func registerAdmin(g *gin.RouterGroup, c *console) {
	g.GET("", c.adminHome)
	g.POST("/capacity", c.setCapacity)
	g.POST("/branding", c.setBranding)
	g.POST("/topics", c.setTopicNames)
	g.GET("/advisors", c.advisorsPage)
	g.POST("/advisors", c.createAdvisor)
	g.POST("/advisors/:id/active", c.setAdvisorActive)
	g.POST("/advisors/:id/password", c.resetPassword)
	g.POST("/advisors/:id/update", c.updateAdvisor)
	g.GET("/advisors/:id/availability", c.availabilityPage)
	g.POST("/advisors/:id/weekly", c.setWeekly)
	g.POST("/advisors/:id/exceptions", c.addException)
	g.POST("/advisors/:id/exceptions/:eid/delete", c.deleteException)
	g.GET("/types", c.typesPage)
	g.POST("/types", c.createType)
	g.POST("/types/:id/active", c.setTypeActive)
	g.GET("/groups", c.groupsPage)
	g.GET("/audit", c.auditPage)
	g.POST("/groups", c.createGroup)
}

// adminHomeData is the admin overview: capacity and branding.
type adminHomeData struct {
	Capacity int
	Branding brandingForm
	Topics   []topicNameRow
}

// topicNameRow is one topic key of the tenant's advisors with the name
// citizens see for it (empty: Default, the standard label).
type topicNameRow struct{ Key, Name, Default string }

type brandingForm struct{ Name, LogoURL, Primary, Accent, Contact string }

func (c *console) adminHome(ctx *gin.Context) { c.renderAdminHome(ctx, http.StatusOK, nil, "", "") }

// renderAdminHome shows the overview; form, when set, keeps what was typed.
func (c *console) renderAdminHome(ctx *gin.Context, status int, form *brandingForm, errMsg, notice string) {
	c.renderAdminHomeTopics(ctx, status, form, nil, errMsg, notice)
}

// renderAdminHomeTopics is renderAdminHome keeping typed topic names too.
func (c *console) renderAdminHomeTopics(ctx *gin.Context, status int, form *brandingForm, topics storage.TopicNames, errMsg, notice string) {
	s := current(ctx)
	rc := ctx.Request.Context()
	units, err := c.st.Capacity(rc)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	t, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	d := adminHomeData{Capacity: units, Branding: brandingForm{Name: t.Name, LogoURL: t.LogoURL, Primary: t.PrimaryColor, Accent: t.AccentColor, Contact: t.Contact}}
	if form != nil {
		d.Branding = *form
	}
	if d.Topics, err = c.topicRows(ctx, t, topics); err != nil {
		c.fail(ctx, err)
		return
	}
	v := c.view(ctx, "console.admin.title", d)
	v.Error, v.Notice = errMsg, notice
	c.render(ctx, status, "admin", v)
}

func (c *console) setCapacity(ctx *gin.Context) {
	s := current(ctx)
	tr := c.text(ctx)
	units, err := strconv.Atoi(strings.TrimSpace(ctx.PostForm("units")))
	if err != nil || units < 0 || units > 10_000_000 {
		c.renderAdminHome(ctx, http.StatusUnprocessableEntity, nil, tr.T("console.admin.capacity.invalid"), "")
		return
	}
	if err := c.st.SetCapacity(ctx.Request.Context(), s.TenantID, s.AdvisorID, units); err != nil {
		c.fail(ctx, err)
		return
	}
	c.renderAdminHome(ctx, http.StatusOK, nil, "", tr.T("console.saved"))
}

func (c *console) setBranding(ctx *gin.Context) {
	s := current(ctx)
	tr := c.text(ctx)
	f := brandingForm{Name: strings.TrimSpace(ctx.PostForm("name")), LogoURL: strings.TrimSpace(ctx.PostForm("logo_url")),
		Primary: strings.ToLower(strings.TrimSpace(ctx.PostForm("primary"))), Accent: strings.ToLower(strings.TrimSpace(ctx.PostForm("accent"))),
		Contact: strings.TrimSpace(ctx.PostForm("contact"))}
	if msg := validateBranding(tr, f); msg != "" {
		c.renderAdminHome(ctx, http.StatusUnprocessableEntity, &f, msg, "")
		return
	}
	rc := ctx.Request.Context()
	t, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	err = c.st.UpdateBranding(rc, s.AdvisorID, s.TenantID, storage.Branding{Name: f.Name, LogoURL: f.LogoURL,
		Logo: t.Logo, LogoType: t.LogoType, PrimaryColor: f.Primary, AccentColor: f.Accent, Contact: f.Contact})
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAdminHome(ctx, http.StatusUnprocessableEntity, &f, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderAdminHome(ctx, http.StatusOK, nil, "", tr.T("console.saved"))
}

// topicRows lists the topic keys of the tenant's advisors and the keys it
// has named, with their names (typed, when given, else stored).
func (c *console) topicRows(ctx *gin.Context, t storage.Tenant, typed storage.TopicNames) ([]topicNameRow, error) {
	advs, err := c.st.Advisors(ctx.Request.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, a := range advs {
		for _, tp := range a.Topics {
			keys[tp.Topic] = true
		}
	}
	for k := range t.TopicNames {
		keys[k] = true
	}
	names := t.TopicNames
	if typed != nil {
		names = typed
	}
	loc := c.text(ctx).loc
	rows := make([]topicNameRow, 0, len(keys))
	for _, k := range sortedKeys(keys) {
		rows = append(rows, topicNameRow{Key: k, Name: names.Name(k), Default: topicLabel(loc, c.cat, nil, k)})
	}
	return rows, nil
}

// setTopicNames saves the names citizens see for the topic keys (the form
// sends each key with its name; an empty name goes back to the standard label).
func (c *console) setTopicNames(ctx *gin.Context) {
	s := current(ctx)
	tr := c.text(ctx)
	keys, vals := ctx.PostFormArray("key"), ctx.PostFormArray("name")
	if len(keys) != len(vals) {
		c.renderAdminHome(ctx, http.StatusUnprocessableEntity, nil, tr.T("console.invalid"), "")
		return
	}
	names := make(storage.TopicNames, len(keys))
	for i, k := range keys {
		names[k] = vals[i]
	}
	err := c.st.SetTopicNames(ctx.Request.Context(), s.AdvisorID, s.TenantID, names)
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAdminHomeTopics(ctx, http.StatusUnprocessableEntity, nil, names, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderAdminHome(ctx, http.StatusOK, nil, "", tr.T("console.saved"))
}

// validateBranding checks what storage cannot judge: the logo must be an
// http(s) URL (never javascript:), and white text on the primary colour
// must be readable (WCAG AA contrast 4.5:1), because citizen pages put
// their buttons and header in it.
func validateBranding(tr *consoleText, f brandingForm) string {
	if f.Name == "" {
		return tr.T("console.admin.branding.name")
	}
	if f.LogoURL != "" {
		u, err := url.Parse(f.LogoURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return tr.T("console.admin.branding.logo")
		}
	}
	p, ok := parseColor(f.Primary)
	if _, ok2 := parseColor(f.Accent); !ok || !ok2 {
		return tr.T("console.admin.branding.color")
	}
	if contrast(p, [3]float64{1, 1, 1}) < 4.5 {
		return tr.T("console.admin.branding.contrast")
	}
	return ""
}

// parseColor reads #rrggbb into linear RGB.
func parseColor(s string) ([3]float64, bool) {
	var out [3]float64
	if len(s) != 7 || s[0] != '#' {
		return out, false
	}
	for i := range 3 {
		v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return out, false
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			out[i] = c / 12.92
		} else {
			out[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return out, true
}

// contrast is the WCAG contrast ratio of two linear-RGB colours.
func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 { return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2] }
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// pathID parses a numeric path parameter.
func pathID(ctx *gin.Context, name string) (uint, error) {
	v, err := strconv.ParseUint(ctx.Param(name), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("path parameter %s: %w", name, err)
	}
	return uint(v), nil
}

// notFound renders the console's 404 page.
func (c *console) notFound(ctx *gin.Context) {
	v := c.view(ctx, "console.error.title", nil)
	v.Error = v.T("console.error.notfound")
	c.render(ctx, http.StatusNotFound, "error", v)
	ctx.Abort()
}
