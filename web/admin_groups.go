package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// groupRow is one upcoming group information session.
type groupRow struct {
	ID                      uint
	When, TypeName, Advisor string
	Language, Topic         string
	Seats, SeatsLeft        int
}

type groupForm struct{ TypeID, AdvisorID, Topic, Language, Start string }

type groupsData struct {
	Sessions  []groupRow
	Types     []typeRow
	Advisors  []advisorRow
	Languages []langOption
	Form      groupForm
}

// groupHorizonAdmin is how far ahead the admin page lists sessions.
const groupHorizonAdmin = 120 * 24 * time.Hour

func (c *console) groupsPage(ctx *gin.Context) {
	c.renderGroups(ctx, http.StatusOK, groupForm{Topic: "general", Language: "de"}, "", "")
}

func (c *console) renderGroups(ctx *gin.Context, status int, f groupForm, errMsg, notice string) {
	s := current(ctx)
	rc := ctx.Request.Context()
	t, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	zone := c.tenantZone(t)
	now := c.cc.Now()
	gs, err := c.st.OpenGroupSessions(rc, s.TenantID, now, now.Add(groupHorizonAdmin), "")
	if err != nil {
		c.fail(ctx, err)
		return
	}
	types, err := c.st.AppointmentTypes(rc, s.TenantID, false)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	advs, err := c.st.Advisors(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	d := groupsData{Form: f, Languages: inviteLanguages}
	names := map[uint]string{}
	for _, a := range advs {
		names[a.ID] = a.Name
		if a.Active {
			d.Advisors = append(d.Advisors, advisorRow{ID: a.ID, Name: a.Name})
		}
	}
	typeNames := map[uint]string{}
	for _, ty := range types {
		typeNames[ty.ID] = ty.Name
		if ty.Kind == storage.KindGroup {
			d.Types = append(d.Types, typeRow{ID: ty.ID, Name: ty.Name, Minutes: ty.DurationMinutes, Seats: ty.SeatLimit})
		}
	}
	loc := c.text(ctx).loc
	for _, g := range gs {
		a := g.Appointment
		d.Sessions = append(d.Sessions, groupRow{ID: a.ID, When: a.Start.In(zone).Format("2006-01-02 15:04") + "–" + a.End.In(zone).Format("15:04"),
			TypeName: typeNames[a.TypeID], Advisor: names[a.AdvisorID], Language: a.Language, Topic: topicLabel(loc, c.cat, t.TopicNames, a.Topic),
			Seats: a.SeatLimit, SeatsLeft: g.SeatsLeft})
	}
	v := c.view(ctx, "console.groups.title", d)
	v.Error, v.Notice = errMsg, notice
	c.render(ctx, status, "groups", v)
}

// createGroup schedules a group information session: a group type, an
// advisor of this tenant, topic, language and start in the tenant's zone.
// The media capacity is checked like a booking.
func (c *console) createGroup(ctx *gin.Context) {
	s := current(ctx)
	rc := ctx.Request.Context()
	tr := c.text(ctx)
	f := groupForm{TypeID: ctx.PostForm("type"), AdvisorID: ctx.PostForm("advisor"), Topic: strings.TrimSpace(ctx.PostForm("topic")),
		Language: ctx.PostForm("language"), Start: strings.TrimSpace(ctx.PostForm("start"))}
	typeID, err1 := strconv.ParseUint(f.TypeID, 10, 32)
	advID, err2 := strconv.ParseUint(f.AdvisorID, 10, 32)
	if err1 != nil || err2 != nil {
		c.renderGroups(ctx, http.StatusUnprocessableEntity, f, tr.T("console.groups.choose"), "")
		return
	}
	typ, err1 := c.st.AppointmentType(rc, uint(typeID))
	adv, err2 := c.st.Advisor(rc, uint(advID))
	if err1 != nil || err2 != nil || typ.TenantID != s.TenantID || adv.TenantID != s.TenantID {
		c.renderGroups(ctx, http.StatusUnprocessableEntity, f, tr.T("console.groups.choose"), "")
		return
	}
	t, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	start, err := time.ParseInLocation("2006-01-02T15:04", f.Start, c.tenantZone(t))
	if err != nil {
		c.renderGroups(ctx, http.StatusUnprocessableEntity, f, tr.T("console.availability.baddate"), "")
		return
	}
	_, err = c.st.CreateGroupSession(rc, s.AdvisorID, storage.GroupSessionRequest{TypeID: typ.ID, AdvisorID: adv.ID,
		Topic: f.Topic, Language: f.Language, Start: start})
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderGroups(ctx, http.StatusUnprocessableEntity, f, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case errors.Is(err, storage.ErrSlotTaken):
		c.renderGroups(ctx, http.StatusConflict, f, tr.T("console.groups.taken"), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderGroups(ctx, http.StatusOK, groupForm{Topic: f.Topic, Language: f.Language}, "", tr.T("console.saved"))
}
