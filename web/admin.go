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
}

type brandingForm struct{ Name, LogoURL, Primary, Accent, Contact string }

func (c *console) adminHome(ctx *gin.Context) { c.renderAdminHome(ctx, http.StatusOK, nil, "", "") }

// renderAdminHome shows the overview; form, when set, keeps what was typed.
func (c *console) renderAdminHome(ctx *gin.Context, status int, form *brandingForm, errMsg, notice string) {
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
