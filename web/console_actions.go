package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
)

// audit records a console action; a failure is logged, not shown: the
// action itself happened.
func (c *console) audit(ctx *gin.Context, tenantID uint, action string, apptID uint) {
	s := current(ctx)
	if err := c.st.Audit(ctx.Request.Context(), tenantID, s.AdvisorID, action, "appointment",
		strconv.FormatUint(uint64(apptID), 10)); err != nil {
		c.log.Error("audit", "action", action, "appointment", apptID, "err", err)
	}
}

// back returns to the page the form came from when it is a console page.
func back(ctx *gin.Context, apptID uint) string {
	if b := ctx.PostForm("back"); b == consolePrefix || strings.HasPrefix(b, consolePrefix+"/") && !strings.Contains(b, "//") {
		return b
	}
	return fmt.Sprintf("%s/appointments/%d", consolePrefix, apptID)
}

// enter opens the call page as the advisor: a short-lived advisor token for
// the appointment's room, issued in the in-memory token store that the
// Authorizer chain consults (storage invitations have no advisor role).
func (c *console) enter(ctx *gin.Context) {
	a, ok := c.appointment(ctx)
	if !ok {
		return
	}
	if a.Status != storage.StatusBooked {
		c.renderAppointment(ctx, http.StatusConflict, a, nil, inviteForm{}, c.text(ctx).T("console.error.notbooked"))
		return
	}
	s := current(ctx)
	room := roomID(a.ID)
	if _, err := c.cfg.Store.EnsureRoom(room, c.text(ctx).T("console.appt.title")+" "+a.Start.Format("15:04")); err != nil {
		c.fail(ctx, err)
		return
	}
	inv, err := c.cfg.Store.Issue(room, rooms.RoleAdvisor, s.Name, c.cc.AdvisorTokenTTL)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.audit(ctx, a.TenantID, "call.enter", a.ID)
	seeOther(ctx, JoinURL("", inv.Token))
}

func (c *console) admit(ctx *gin.Context)   { c.lobbyAction(ctx, "lobby.admit", c.admitTimed) }
func (c *console) decline(ctx *gin.Context) { c.lobbyAction(ctx, "lobby.decline", c.lobby.Decline) }

func (c *console) lobbyAction(ctx *gin.Context, action string, do func(roomID, id string) error) {
	a, ok := c.appointment(ctx)
	if !ok {
		return
	}
	entry := ctx.PostForm("entry")
	if a.Status != storage.StatusBooked {
		c.renderAppointment(ctx, http.StatusConflict, a, nil, inviteForm{}, c.text(ctx).T("console.error.notbooked"))
		return
	}
	if err := do(roomID(a.ID), entry); err != nil {
		if errors.Is(err, ErrNotWaiting) {
			c.renderAppointment(ctx, http.StatusConflict, a, nil, inviteForm{}, c.text(ctx).T("console.error.gone"))
			return
		}
		c.fail(ctx, err)
		return
	}
	c.audit(ctx, a.TenantID, action, a.ID)
	seeOther(ctx, back(ctx, a.ID))
}

// invite adds an interpreter, guardian or counsel: a storage invitation with
// its own token and role, mailed when a mailer is configured and the
// advisor gave an address; the link is shown once either way.
func (c *console) invite(ctx *gin.Context) {
	a, ok := c.appointment(ctx)
	if !ok {
		return
	}
	tr := c.text(ctx)
	f := inviteForm{Role: ctx.PostForm("role"), Name: strings.TrimSpace(ctx.PostForm("name")),
		Email: strings.TrimSpace(ctx.PostForm("email")), Language: ctx.PostForm("language")}
	switch f.Role {
	case "interpreter", "guardian", "counsel":
	default:
		c.renderAppointment(ctx, http.StatusUnprocessableEntity, a, nil, f, tr.T("console.invite.badrole"))
		return
	}
	s := current(ctx)
	inv, token, err := c.st.Invite(ctx.Request.Context(), s.AdvisorID, storage.NewInvitation{AppointmentID: a.ID,
		Role: storage.InvitationRole(f.Role), DisplayName: f.Name, Email: f.Email, Language: f.Language})
	switch {
	case errors.Is(err, storage.ErrInvalid):
		c.renderAppointment(ctx, http.StatusUnprocessableEntity, a, nil, f, tr.T("console.invite.invalid")+" "+invalidField(err))
		return
	case errors.Is(err, storage.ErrTooLate):
		c.renderAppointment(ctx, http.StatusConflict, a, nil, f, tr.T("console.error.notbooked"))
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	link := c.baseURL(ctx) + c.cc.InvitePath + token
	done := &invitedData{Name: inv.DisplayName, Role: tr.T("role_" + f.Role), Link: link, Email: inv.Email}
	if inv.Email != "" && c.cc.Mailer != nil {
		if err := c.mailInvite(ctx, a, inv, link); err != nil {
			c.log.Error("mail invitation", "appointment", a.ID, "invitation", inv.ID, "err", err)
			done.MailError = true
		} else {
			done.Mailed = true
		}
	}
	// Reload so the new invitation is listed.
	if fresh, err := c.st.Appointment(ctx.Request.Context(), a.ID); err == nil {
		a = fresh
	}
	c.renderAppointment(ctx, http.StatusOK, a, done, inviteForm{}, "")
}

func (c *console) mailInvite(ctx *gin.Context, a storage.Appointment, inv storage.Invitation, link string) error {
	rc := ctx.Request.Context()
	tenant, err := c.st.Tenant(rc, a.TenantID)
	if err != nil {
		return err
	}
	adv, err := c.st.Advisor(rc, a.AdvisorID)
	if err != nil {
		return err
	}
	host := "nahbar.local"
	if u, err := url.Parse(link); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	lang := inv.Language
	if lang == "" {
		lang = a.Language
	}
	return c.cc.Mailer.Notify(rc, notify.Notice{Kind: notify.KindInvitation,
		Brand: notify.Brand{Name: tenant.Name, Color: tenant.PrimaryColor, LogoURL: tenant.LogoURL},
		To:    notify.Address{Name: inv.DisplayName, Email: inv.Email}, Language: lang, Role: string(inv.Role),
		UID: notify.AppointmentUID(a.ID, host), Sequence: 0, Start: a.Start, End: a.End,
		TimeZone: c.tenantZone(tenant), AdvisorName: adv.Name, JoinURL: link})
}

// end marks the appointment done and ends the call: everyone still in the
// room hears bye{ended} (the citizen's page goes to the survey) and is
// disconnected, and no link of the appointment opens the room again.
func (c *console) end(ctx *gin.Context) { c.close(ctx, storage.StatusDone) }

// noShow records that the citizen did not come; the links stop working and
// anyone still in the room (the advisor) is disconnected too.
func (c *console) noShow(ctx *gin.Context) { c.close(ctx, storage.StatusNoShow) }

func (c *console) close(ctx *gin.Context, to storage.Status) {
	a, ok := c.appointment(ctx)
	if !ok {
		return
	}
	s := current(ctx)
	err := c.st.SetAppointmentStatus(ctx.Request.Context(), s.AdvisorID, a.ID, to)
	switch {
	case errors.Is(err, storage.ErrTooLate):
		c.renderAppointment(ctx, http.StatusConflict, a, nil, inviteForm{}, c.text(ctx).T("console.error.notbooked"))
		return
	case err != nil:
		c.fail(ctx, err)
		return
	}
	for _, e := range c.lobby.Waiting(roomID(a.ID)) {
		c.lobby.Leave(e.ID)
	}
	// The appointment is closed first, so the Authorizer already refuses a
	// rejoin while the participants are being disconnected.
	n := endRoom(ctx.Request.Context(), c.cfg.Store, c.cfg.Ender, roomID(a.ID), c.log)
	c.log.Info("call ended", "appointment", a.ID, "status", to, "participants", n)
	c.audit(ctx, a.TenantID, "call.end", a.ID)
	seeOther(ctx, back(ctx, a.ID))
}

// revoke stops one invitation's link from working (e.g. an interpreter
// invited by mistake); storage audits it.
func (c *console) revoke(ctx *gin.Context) {
	a, ok := c.appointment(ctx)
	if !ok {
		return
	}
	invID, err := pathID(ctx, "inv")
	if err != nil {
		c.notFound(ctx)
		return
	}
	found := false
	for _, inv := range a.Invitations {
		found = found || inv.ID == invID
	}
	if !found {
		c.notFound(ctx)
		return
	}
	if err := c.st.RevokeInvitation(ctx.Request.Context(), current(ctx).AdvisorID, invID); err != nil {
		c.fail(ctx, err)
		return
	}
	seeOther(ctx, back(ctx, a.ID))
}

// baseURL is the public URL, or the request's own origin when none is set.
func (c *console) baseURL(ctx *gin.Context) string {
	if c.cfg.PublicURL != "" {
		return c.cfg.PublicURL
	}
	scheme := "http"
	if ctx.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + ctx.Request.Host
}

// invalidField returns storage's message of an ErrInvalid ("e-mail: …"),
// which names the field and never echoes input.
func invalidField(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, storage.ErrInvalid.Error()+": "); i >= 0 {
		return msg[i+len(storage.ErrInvalid.Error())+2:]
	}
	return ""
}
