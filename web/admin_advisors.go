package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// advisorRow is one advisor on the admin page.
type advisorRow struct {
	ID                uint
	Name, Email, Role string
	Languages, Topics string
	Active, Self      bool
}

type advisorForm struct{ Name, Email, Role, Languages, Topics string }

type advisorsData struct {
	Advisors []advisorRow
	Form     advisorForm
}

func (c *console) advisorsPage(ctx *gin.Context) {
	c.renderAdvisors(ctx, http.StatusOK, advisorForm{Role: "advisor"}, "", "")
}

func (c *console) renderAdvisors(ctx *gin.Context, status int, f advisorForm, errMsg, notice string) {
	s := current(ctx)
	as, err := c.st.Advisors(ctx.Request.Context(), s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	d := advisorsData{Form: f}
	for _, a := range as {
		r := advisorRow{ID: a.ID, Name: a.Name, Email: a.Email, Role: string(a.Role), Active: a.Active, Self: a.ID == s.AdvisorID}
		var ls, ts []string
		for _, l := range a.Languages {
			ls = append(ls, l.Language)
		}
		for _, t := range a.Topics {
			ts = append(ts, t.Topic)
		}
		r.Languages, r.Topics = strings.Join(ls, ", "), strings.Join(ts, ", ")
		d.Advisors = append(d.Advisors, r)
	}
	v := c.view(ctx, "console.advisors.title", d)
	v.Error, v.Notice = errMsg, notice
	c.render(ctx, status, "advisors", v)
}

// splitList reads "de, en tr" into its items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

func (c *console) createAdvisor(ctx *gin.Context) {
	s := current(ctx)
	tr := c.text(ctx)
	f := advisorForm{Name: strings.TrimSpace(ctx.PostForm("name")), Email: strings.TrimSpace(ctx.PostForm("email")),
		Role: ctx.PostForm("role"), Languages: ctx.PostForm("languages"), Topics: ctx.PostForm("topics")}
	if f.Role != string(storage.RoleAdvisor) && f.Role != string(storage.RoleAdmin) {
		c.renderAdvisors(ctx, http.StatusUnprocessableEntity, f, tr.T("console.invalid")+" role", "")
		return
	}
	_, err := c.st.CreateAdvisor(ctx.Request.Context(), s.AdvisorID, storage.NewAdvisor{TenantID: s.TenantID,
		Email: f.Email, Name: f.Name, Password: ctx.PostForm("password"), Role: storage.Role(f.Role),
		Languages: splitList(f.Languages), Topics: splitList(f.Topics)})
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAdvisors(ctx, http.StatusUnprocessableEntity, f, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderAdvisors(ctx, http.StatusOK, advisorForm{Role: "advisor"}, "", tr.T("console.saved"))
}

// tenantAdvisor loads the :id advisor if it belongs to the admin's tenant.
func (c *console) tenantAdvisor(ctx *gin.Context) (storage.Advisor, bool) {
	id, err := pathID(ctx, "id")
	if err == nil {
		a, err := c.st.Advisor(ctx.Request.Context(), id)
		if err == nil && a.TenantID == current(ctx).TenantID {
			return a, true
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			c.fail(ctx, err)
			return a, false
		}
	}
	c.notFound(ctx)
	return storage.Advisor{}, false
}

// setAdvisorActive deactivates or reactivates an advisor; a deactivated
// advisor's sessions end at once. Admins cannot deactivate themselves, so a
// tenant is never locked out by a slip.
func (c *console) setAdvisorActive(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	s := current(ctx)
	tr := c.text(ctx)
	active := ctx.PostForm("active") == "1"
	if a.ID == s.AdvisorID && !active {
		c.renderAdvisors(ctx, http.StatusUnprocessableEntity, advisorForm{Role: "advisor"}, tr.T("console.advisors.self"), "")
		return
	}
	langs, topics := advisorLanguagesTopics(a)
	err := c.st.UpdateAdvisor(ctx.Request.Context(), s.AdvisorID, a.ID, storage.AdvisorUpdate{Name: a.Name,
		LocationID: a.LocationID, Role: a.Role, Active: active, Languages: langs, Topics: topics})
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if !active {
		c.sessionEnded(a.ID)
	}
	c.renderAdvisors(ctx, http.StatusOK, advisorForm{Role: "advisor"}, "", tr.T("console.saved"))
}

// resetPassword sets a new password and ends the advisor's sessions.
func (c *console) resetPassword(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	s := current(ctx)
	tr := c.text(ctx)
	err := c.st.SetPassword(ctx.Request.Context(), s.AdvisorID, a.ID, ctx.PostForm("password"))
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAdvisors(ctx, http.StatusUnprocessableEntity, advisorForm{Role: "advisor"}, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	if a.ID != s.AdvisorID {
		c.sessionEnded(a.ID)
	}
	c.renderAdvisors(ctx, http.StatusOK, advisorForm{Role: "advisor"}, "", tr.T("console.advisors.passwordset"))
}

// advisorLanguagesTopics returns an advisor's languages and topics as plain lists.
func advisorLanguagesTopics(a storage.Advisor) (langs, topics []string) {
	for _, l := range a.Languages {
		langs = append(langs, l.Language)
	}
	for _, t := range a.Topics {
		topics = append(topics, t.Topic)
	}
	return langs, topics
}

// updateAdvisor changes name, role, languages and topics (what booking
// matches citizens against); the active flag stays as it is.
func (c *console) updateAdvisor(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	s := current(ctx)
	tr := c.text(ctx)
	role := ctx.PostForm("role")
	if role != string(storage.RoleAdvisor) && role != string(storage.RoleAdmin) {
		c.renderAvailability(ctx, http.StatusUnprocessableEntity, a, nil, exceptionForm{Kind: "off"}, tr.T("console.invalid")+" role", "")
		return
	}
	if a.ID == s.AdvisorID && role != string(storage.RoleAdmin) {
		c.renderAvailability(ctx, http.StatusUnprocessableEntity, a, nil, exceptionForm{Kind: "off"}, tr.T("console.advisors.selfrole"), "")
		return
	}
	err := c.st.UpdateAdvisor(ctx.Request.Context(), s.AdvisorID, a.ID, storage.AdvisorUpdate{Name: ctx.PostForm("name"),
		LocationID: a.LocationID, Role: storage.Role(role), Active: a.Active,
		Languages: splitList(ctx.PostForm("languages")), Topics: splitList(ctx.PostForm("topics"))})
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAvailability(ctx, http.StatusUnprocessableEntity, a, nil, exceptionForm{Kind: "off"}, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	if storage.Role(role) != a.Role && a.ID != s.AdvisorID {
		c.sessionEnded(a.ID) // a session carries the role it logged in with
	}
	if a, ok = c.tenantAdvisor(ctx); ok {
		c.renderAvailability(ctx, http.StatusOK, a, nil, exceptionForm{Kind: "off"}, "", tr.T("console.saved"))
	}
}
