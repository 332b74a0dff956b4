package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

type typeRow struct {
	ID             uint
	Name, Kind     string
	Minutes, Units int
	Seats          int
	Active         bool
}

type typeForm struct{ Name, Kind, Minutes, Units, Seats string }

type typesData struct {
	Types []typeRow
	Form  typeForm
}

func (c *console) typesPage(ctx *gin.Context) {
	c.renderTypes(ctx, http.StatusOK, typeForm{Kind: "one_to_one", Minutes: "30", Units: "1"}, "", "")
}

func (c *console) renderTypes(ctx *gin.Context, status int, f typeForm, errMsg, notice string) {
	ts, err := c.st.AppointmentTypes(ctx.Request.Context(), current(ctx).TenantID, true)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	d := typesData{Form: f}
	for _, t := range ts {
		d.Types = append(d.Types, typeRow{ID: t.ID, Name: t.Name, Kind: string(t.Kind), Minutes: t.DurationMinutes,
			Units: t.MediaUnits, Seats: t.SeatLimit, Active: t.Active})
	}
	v := c.view(ctx, "console.types.title", d)
	v.Error, v.Notice = errMsg, notice
	c.render(ctx, status, "types", v)
}

func (c *console) createType(ctx *gin.Context) {
	s := current(ctx)
	tr := c.text(ctx)
	f := typeForm{Name: strings.TrimSpace(ctx.PostForm("name")), Kind: ctx.PostForm("kind"),
		Minutes: strings.TrimSpace(ctx.PostForm("minutes")), Units: strings.TrimSpace(ctx.PostForm("units")),
		Seats: strings.TrimSpace(ctx.PostForm("seats"))}
	minutes, err1 := strconv.Atoi(f.Minutes)
	units, err2 := strconv.Atoi(f.Units)
	seats := 0
	var err3 error
	if f.Seats != "" {
		seats, err3 = strconv.Atoi(f.Seats)
	}
	if err1 != nil || err2 != nil || err3 != nil {
		c.renderTypes(ctx, http.StatusUnprocessableEntity, f, tr.T("console.types.numbers"), "")
		return
	}
	_, err := c.st.CreateAppointmentType(ctx.Request.Context(), s.AdvisorID, storage.NewAppointmentType{TenantID: s.TenantID,
		Name: f.Name, Kind: storage.TypeKind(f.Kind), DurationMinutes: minutes, MediaUnits: units, SeatLimit: seats})
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderTypes(ctx, http.StatusUnprocessableEntity, f, tr.T("console.invalid")+" "+invalidField(err), "")
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	c.renderTypes(ctx, http.StatusOK, typeForm{Kind: "one_to_one", Minutes: "30", Units: "1"}, "", tr.T("console.saved"))
}

func (c *console) setTypeActive(ctx *gin.Context) {
	id, err := pathID(ctx, "id")
	if err != nil {
		c.notFound(ctx)
		return
	}
	s := current(ctx)
	t, err := c.st.AppointmentType(ctx.Request.Context(), id)
	if err != nil || t.TenantID != s.TenantID {
		c.notFound(ctx)
		return
	}
	if err := c.st.SetAppointmentTypeActive(ctx.Request.Context(), s.AdvisorID, id, ctx.PostForm("active") == "1"); err != nil {
		c.fail(ctx, err)
		return
	}
	c.renderTypes(ctx, http.StatusOK, typeForm{Kind: "one_to_one", Minutes: "30", Units: "1"}, "", c.text(ctx).T("console.saved"))
}
