package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// dayRow is one weekday of the weekly plan form: one window per day, empty
// fields for a day off.
type dayRow struct {
	Weekday    int
	NameID     string
	Start, End string
}

type exceptionRow struct {
	ID                   uint
	Kind, From, To, Note string
}

type availabilityData struct {
	Advisor    advisorRow
	Days       []dayRow
	Exceptions []exceptionRow
	Exception  exceptionForm
}

type exceptionForm struct{ Kind, From, To, Note string }

// weekOrder is Monday first, as the advisors' calendars show it.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func (c *console) availabilityPage(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	c.renderAvailability(ctx, http.StatusOK, a, nil, exceptionForm{Kind: "off"}, "", "")
}

func (c *console) renderAvailability(ctx *gin.Context, status int, a storage.Advisor, days []dayRow, ef exceptionForm, errMsg, notice string) {
	rc := ctx.Request.Context()
	t, err := c.st.Tenant(rc, a.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	zone := c.tenantZone(t)
	now := c.cc.Now()
	ws, es, err := c.st.Availability(rc, a.ID, now.AddDate(0, 0, -1), now.AddDate(1, 0, 0))
	if err != nil {
		c.fail(ctx, err)
		return
	}
	langs, topics := advisorLanguagesTopics(a)
	d := availabilityData{Advisor: advisorRow{ID: a.ID, Name: a.Name, Email: a.Email, Role: string(a.Role), Active: a.Active,
		Languages: strings.Join(langs, ", "), Topics: strings.Join(topics, ", ")}, Days: days, Exception: ef}
	if d.Days == nil {
		for _, wd := range weekOrder {
			r := dayRow{Weekday: int(wd), NameID: "weekday_" + strconv.Itoa(int(wd))}
			for _, w := range ws {
				if w.Weekday == wd {
					r.Start, r.End = hhmm(w.StartMinute), hhmm(w.EndMinute)
					break
				}
			}
			d.Days = append(d.Days, r)
		}
	}
	for _, e := range es {
		d.Exceptions = append(d.Exceptions, exceptionRow{ID: e.ID, Kind: string(e.Kind),
			From: e.Start.In(zone).Format("2006-01-02 15:04"), To: e.End.In(zone).Format("2006-01-02 15:04"), Note: e.Note})
	}
	v := c.view(ctx, "console.availability.title", d)
	v.Error, v.Notice = errMsg, notice
	c.render(ctx, status, "availability", v)
}

func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// parseHHMM reads "08:30" (or "24:00") as minutes after midnight.
func parseHHMM(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// setWeekly replaces the weekly plan; every day's fields are checked and the
// form comes back with what was typed when one is wrong.
func (c *console) setWeekly(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	tr := c.text(ctx)
	var days []dayRow
	var ws []storage.WeeklyWindow
	bad := ""
	for _, wd := range weekOrder {
		key := fmt.Sprint(int(wd))
		r := dayRow{Weekday: int(wd), NameID: "weekday_" + strconv.Itoa(int(wd)),
			Start: strings.TrimSpace(ctx.PostForm("start_" + key)), End: strings.TrimSpace(ctx.PostForm("end_" + key))}
		days = append(days, r)
		if r.Start == "" && r.End == "" {
			continue
		}
		from, ok1 := parseHHMM(r.Start)
		to, ok2 := parseHHMM(r.End)
		if !ok1 || !ok2 || from >= to {
			if bad == "" {
				bad = tr.T(r.NameID)
			}
			continue
		}
		ws = append(ws, storage.WeeklyWindow{Weekday: wd, StartMinute: from, EndMinute: to})
	}
	if bad != "" {
		c.renderAvailability(ctx, http.StatusUnprocessableEntity, a, days, exceptionForm{Kind: "off"}, tr.T("console.availability.badwindow")+" "+bad, "")
		return
	}
	if err := c.st.SetWeeklyAvailability(ctx.Request.Context(), current(ctx).AdvisorID, a.ID, ws); err != nil {
		c.fail(ctx, err)
		return
	}
	c.renderAvailability(ctx, http.StatusOK, a, nil, exceptionForm{Kind: "off"}, "", tr.T("console.saved"))
}

// addException adds a day off or extra hours, entered in the tenant's zone.
func (c *console) addException(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	tr := c.text(ctx)
	f := exceptionForm{Kind: ctx.PostForm("kind"), From: strings.TrimSpace(ctx.PostForm("from")),
		To: strings.TrimSpace(ctx.PostForm("to")), Note: strings.TrimSpace(ctx.PostForm("note"))}
	t, err := c.st.Tenant(ctx.Request.Context(), a.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	zone := c.tenantZone(t)
	from, err1 := time.ParseInLocation("2006-01-02T15:04", f.From, zone)
	to, err2 := time.ParseInLocation("2006-01-02T15:04", f.To, zone)
	if err1 != nil || err2 != nil {
		c.renderAvailability(ctx, http.StatusUnprocessableEntity, a, nil, f, tr.T("console.availability.baddate"), "")
		return
	}
	_, err = c.st.AddException(ctx.Request.Context(), current(ctx).AdvisorID, a.ID, storage.ExceptionKind(f.Kind), from, to, f.Note)
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAvailability(ctx, http.StatusUnprocessableEntity, a, nil, f, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderAvailability(ctx, http.StatusOK, a, nil, exceptionForm{Kind: "off"}, "", tr.T("console.saved"))
}

func (c *console) deleteException(ctx *gin.Context) {
	a, ok := c.tenantAdvisor(ctx)
	if !ok {
		return
	}
	eid, err := pathID(ctx, "eid")
	if err != nil {
		c.notFound(ctx)
		return
	}
	err = c.st.DeleteException(ctx.Request.Context(), current(ctx).AdvisorID, a.ID, eid)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c.notFound(ctx)
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderAvailability(ctx, http.StatusOK, a, nil, exceptionForm{Kind: "off"}, "", c.text(ctx).T("console.saved"))
}
