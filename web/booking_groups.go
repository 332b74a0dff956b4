package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/storage"
)

// Group information sessions are registered for, not booked by slot: the
// booking page lists the open ones with their seats left, a form takes name
// and e-mail, and the attendee gets their own invitation link (receive-only;
// the room opens at the session's start, without the waiting room).

// groupHorizon is how far ahead open sessions are listed.
const groupHorizon = 31 * 24 * time.Hour

// sessionView is one open session in the list.
type sessionView struct {
	ID        uint
	Title     string
	When      string
	Language  string
	SeatsLeft string
	Link      string
}

// groupSessions lists a tenant's open sessions for the booking page.
func (c *citizen) groupSessions(ctx context.Context, loc *i18n.Localizer, t storage.Tenant, b brand) ([]sessionView, error) {
	now := c.now()
	gs, err := c.db.OpenGroupSessions(ctx, t.ID, now, now.Add(groupHorizon), "")
	if err != nil || len(gs) == 0 {
		return nil, err
	}
	types, err := c.db.AppointmentTypes(ctx, t.ID, true)
	if err != nil {
		return nil, err
	}
	names := map[uint]string{}
	for _, ty := range types {
		names[ty.ID] = ty.Name
	}
	langs := map[string]string{}
	for _, l := range c.cat.Languages() {
		langs[l.Tag] = l.Name
	}
	tz := b.loc()
	out := make([]sessionView, 0, len(gs))
	for _, g := range gs {
		a := g.Appointment
		lang := langs[a.Language]
		if lang == "" {
			lang = a.Language
		}
		out = append(out, sessionView{ID: a.ID, Title: names[a.TypeID] + " – " + topicLabel(loc, c.cat, t.TopicNames, a.Topic),
			When: loc.DateTimeRange(a.Start.In(tz), a.End.In(tz)), Language: lang,
			SeatsLeft: loc.T("book_seats_left", map[string]any{"Count": g.SeatsLeft}),
			Link:      "/b/" + t.Slug + "/session/" + strconv.FormatUint(uint64(a.ID), 10) + "?lang=" + loc.Lang()})
	}
	return out, nil
}

// sessionFormView is the registration form of one session.
type sessionFormView struct {
	Slug      string
	Session   sessionView
	Name      string
	Email     string
	Languages []option
	Error     string
	Full      bool
	Retention int
}

// session finds the open session of :id among the tenant's.
func (c *citizen) session(g *gin.Context, loc *i18n.Localizer, t storage.Tenant, b brand) (sessionView, bool) {
	id, err := strconv.ParseUint(g.Param("id"), 10, 32)
	if err == nil {
		list, lerr := c.groupSessions(g.Request.Context(), loc, t, b)
		if lerr != nil {
			c.log.Error("booking: group sessions", "err", lerr)
		}
		for _, s := range list {
			if s.ID == uint(id) {
				return s, true
			}
		}
	}
	c.render(g, http.StatusNotFound, "error", page{L: loc, Brand: b, Data: errorPage{Message: loc.T("book_session_full", nil)}})
	return sessionView{}, false
}

func (c *citizen) sessionForm(g *gin.Context) {
	loc := c.localizer(g, "")
	t, b, ok := c.tenantPage(g, loc)
	if !ok {
		return
	}
	s, ok := c.session(g, loc, t, b)
	if !ok {
		return
	}
	v := sessionFormView{Slug: t.Slug, Session: s, Retention: 30, Languages: c.languageOptions(loc.Lang())}
	c.render(g, http.StatusOK, "session", page{L: loc, Brand: b, Data: v})
}

func (c *citizen) languageOptions(selected string) []option {
	var out []option
	for _, l := range c.cat.Languages() {
		out = append(out, option{Value: l.Tag, Label: l.Name, Selected: l.Tag == selected})
	}
	return out
}

// register takes a seat; a full session is said so clearly.
func (c *citizen) register(g *gin.Context) {
	loc := c.localizer(g, "")
	t, b, ok := c.tenantPage(g, loc)
	if !ok {
		return
	}
	s, ok := c.session(g, loc, t, b)
	if !ok {
		return
	}
	lang := g.PostForm("language")
	v := sessionFormView{Slug: t.Slug, Session: s, Retention: 30, Languages: c.languageOptions(lang),
		Name: g.PostForm("name"), Email: g.PostForm("email")}
	switch {
	case strings.TrimSpace(v.Name) == "" || strings.TrimSpace(v.Email) == "":
		v.Error = loc.T("error_field_required", nil)
	case g.PostForm("consent") != "yes":
		v.Error = loc.T("error_form_invalid", nil)
	}
	if v.Error != "" {
		c.render(g, http.StatusUnprocessableEntity, "session", page{L: loc, Brand: b, Data: v})
		return
	}
	ctx := g.Request.Context()
	reg, err := c.db.Register(ctx, s.ID, storage.Contact{Name: v.Name, Email: v.Email, Language: lang})
	switch {
	case err == nil:
		c.cfg.Events.Booked("group")
	case errors.Is(err, storage.ErrSessionFull):
		v.Full = true
		c.render(g, http.StatusConflict, "session", page{L: loc, Brand: b, Data: v})
		return
	case errors.Is(err, storage.ErrInvalid):
		v.Error = loc.T("error_form_invalid", nil)
		if strings.Contains(err.Error(), "e-mail") {
			v.Error = loc.T("error_email_invalid", nil)
		}
		c.render(g, http.StatusUnprocessableEntity, "session", page{L: loc, Brand: b, Data: v})
		return
	default:
		c.log.Error("booking: register", "session", s.ID, "err", err)
		c.render(g, http.StatusInternalServerError, "error", page{L: loc, Brand: b, Data: errorPage{Message: loc.T("error_server", nil)}})
		return
	}
	a, err := c.db.Appointment(ctx, s.ID)
	if err != nil {
		c.log.Error("booking: load session", "session", s.ID, "err", err)
	}
	base := c.baseURL(g)
	d := doneView{When: s.When, Email: reg.Registration.Email, InviteURL: InvitationURL(base, reg.JoinToken),
		Title: loc.T("book_confirmed_title", nil)}
	if m := c.cfg.Console.Mailer; m != nil && err == nil {
		nerr := m.Notify(ctx, notify.Notice{Kind: notify.KindInvitation, Brand: notify.Brand{Name: t.Name, Color: t.PrimaryColor},
			To: notify.Address{Name: reg.Registration.Name, Email: reg.Registration.Email}, Language: reg.Registration.Language,
			Role: string(storage.InviteAttendee), UID: notify.AppointmentUID(a.ID, hostOf(base)), Start: a.Start, End: a.End,
			TimeZone: b.loc(), JoinURL: d.InviteURL})
		if nerr != nil {
			c.log.Error("booking: send session invitation", "session", s.ID, "err", nerr)
		} else {
			d.Mailed = true
			d.Text = loc.T("book_confirmed_text", map[string]any{"Email": reg.Registration.Email})
		}
	}
	c.render(g, http.StatusOK, "book_done", page{L: loc, Brand: b, Data: d})
}
