package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/storage"
)

// apptRow is one appointment as the console shows it; web's own shape.
type apptRow struct {
	ID          uint
	Advisor     string // on the all-advisors view
	Time        string
	Date        string
	TypeName    string
	Topic       string
	Language    string
	Status      string
	StatusText  string
	Citizen     string
	Booked      bool
	Waiting     template.HTML
	WaitCount   int
	Invitations []invRow
}

// invRow is one invitation, without its token (only the hash is stored).
type invRow struct {
	ID                       uint
	Role, Name, Email, Valid string
	Revoked                  bool
	// Lobby is the person's waiting-room state ("waiting", "admitted",
	// "declined") or "" before they arrived; LobbyID is their entry.
	Lobby, LobbyText, LobbyID string
}

// dayData is the day view.
type dayData struct {
	Today        string
	Day          string // YYYY-MM-DD of the page
	IsToday      bool
	Admin, All   bool   // All: every advisor's appointments (admins)
	Prev, Next   string // ?day= of the neighbouring days
	TodayLink    string
	Appointments []apptRow
	EventsURL    string
}

// apptData is one appointment's page.
type apptData struct {
	Appt      apptRow
	EventsURL string
	Roles     []string
	Languages []langOption
	Invited   *invitedData
	Form      inviteForm
}

// inviteForm keeps what the advisor typed when the form comes back with an error.
type inviteForm struct{ Role, Name, Email, Language string }

// invitedData is shown once after an invitation: the raw link exists only now.
type invitedData struct {
	Name, Role, Link, Email string
	Mailed                  bool
	MailError               bool
}

// langOption is a language an invitation can be written in, by its own name.
type langOption struct{ Tag, Name string }

// inviteLanguages are the languages of the citizen pages and e-mails.
var inviteLanguages = []langOption{{"de", "Deutsch"}, {"en", "English"}, {"tr", "Türkçe"}, {"ar", "العربية"},
	{"uk", "Українська"}, {"ru", "Русский"}}

// roomID is the media room of an appointment (the seam with the lobby and
// the Authorizer).
func roomID(apptID uint) string { return AppointmentRoomID(apptID) }

// day lists the advisor's appointments of today in the tenant's zone.
func (c *console) day(ctx *gin.Context) {
	s := current(ctx)
	rc := ctx.Request.Context()
	tenant, err := c.st.Tenant(rc, s.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	zone := c.tenantZone(tenant)
	now := c.cc.Now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	start := today
	if q := ctx.Query("day"); q != "" {
		// Another day (to prepare, e.g. invite an interpreter for tomorrow);
		// a year either way is plenty and bounds the query.
		d, err := time.ParseInLocation(time.DateOnly, q, zone)
		if err != nil || d.Before(today.AddDate(-1, 0, 0)) || d.After(today.AddDate(1, 0, 0)) {
			c.notFound(ctx)
			return
		}
		start = d
	}
	all := s.Admin && ctx.Query("all") == "1"
	appts, names, err := c.dayAppointments(ctx, s, all, start)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	tr := c.text(ctx)
	d := dayData{Today: tr.longDate(start), IsToday: start.Equal(today), Admin: s.Admin, All: all,
		Day: start.Format(time.DateOnly), Prev: start.AddDate(0, 0, -1).Format(time.DateOnly), Next: start.AddDate(0, 0, 1).Format(time.DateOnly)}
	ids := make([]string, 0, len(appts))
	for _, a := range appts {
		row, err := c.row(ctx, tr, s, a, zone, tenant.TopicNames)
		if err != nil {
			c.fail(ctx, err)
			return
		}
		if all {
			row.Advisor = names[a.AdvisorID]
		}
		d.Appointments = append(d.Appointments, row)
		if row.Booked && len(ids) < maxEventRooms {
			ids = append(ids, "a="+strconv.FormatUint(uint64(a.ID), 10))
		}
	}
	if len(ids) > 0 {
		d.EventsURL = consolePrefix + "/events?" + strings.Join(ids, "&")
	}
	title := "console.day.title"
	if !d.IsToday {
		title = "console.day.other"
	}
	c.render(ctx, http.StatusOK, "day", c.view(ctx, title, d))
}

// dayAppointments loads the day's appointments of the advisor, or with all
// (admins) of every advisor of the tenant, in time order, with the advisors'
// names.
func (c *console) dayAppointments(ctx *gin.Context, s session, all bool, start time.Time) ([]storage.Appointment, map[uint]string, error) {
	rc := ctx.Request.Context()
	end := start.AddDate(0, 0, 1)
	if !all {
		as, err := c.st.AdvisorAppointments(rc, s.AdvisorID, start, end)
		return as, nil, err
	}
	advs, err := c.st.Advisors(rc, s.TenantID)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[uint]string, len(advs))
	var out []storage.Appointment
	for _, a := range advs {
		names[a.ID] = a.Name
		as, err := c.st.AdvisorAppointments(rc, a.ID, start, end)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, as...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, names, nil
}

// row maps a storage appointment to the console's shape.
// Topics read as the booking page shows them (the authority's own names),
// not as their keys.
func (c *console) row(ctx *gin.Context, tr *consoleText, s session, a storage.Appointment, zone *time.Location, topics storage.TopicNames) (apptRow, error) {
	typ, err := c.st.AppointmentType(ctx.Request.Context(), a.TypeID)
	if err != nil {
		return apptRow{}, err
	}
	r := apptRow{ID: a.ID, Time: a.Start.In(zone).Format("15:04") + "–" + a.End.In(zone).Format("15:04"),
		Date: a.Start.In(zone).Format("2006-01-02"), TypeName: typ.Name, Topic: topicLabel(tr.loc, c.cat, topics, a.Topic), Language: a.Language,
		Status: string(a.Status), StatusText: tr.T("console.status." + string(a.Status)), Citizen: a.CitizenName,
		Booked: a.Status == storage.StatusBooked}
	for _, inv := range a.Invitations {
		r.Invitations = append(r.Invitations, invRow{ID: inv.ID, Role: tr.T("role_" + string(inv.Role)), Name: inv.DisplayName,
			Email: inv.Email, Valid: inv.ValidFrom.In(zone).Format("15:04") + "–" + inv.ValidUntil.In(zone).Format("15:04"),
			Revoked: inv.RevokedAt != nil})
		if e, ok := c.lobby.State(InvitationLobbyID(inv.ID)); ok && e.RoomID == roomID(a.ID) {
			last := &r.Invitations[len(r.Invitations)-1]
			last.Lobby, last.LobbyText, last.LobbyID = e.State, tr.T("console.lobby."+e.State), e.ID
		}
	}
	if r.Booked {
		r.Waiting, r.WaitCount, err = c.waitingHTML(tr, s.CSRF, a.ID)
		if err != nil {
			return apptRow{}, err
		}
	}
	return r, nil
}

// appointment loads the appointment of the :id parameter if the advisor may
// act on it: their own, or any of the tenant's for an admin. Otherwise it
// answers 404 (not 403: ids of others' appointments are not confirmed).
func (c *console) appointment(ctx *gin.Context) (storage.Appointment, bool) {
	s := current(ctx)
	id, err := strconv.ParseUint(ctx.Param("id"), 10, 32)
	if err == nil {
		a, err := c.st.Appointment(ctx.Request.Context(), uint(id))
		switch {
		case err == nil && (a.AdvisorID == s.AdvisorID || (s.Admin && a.TenantID == s.TenantID)):
			return a, true
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			c.fail(ctx, err)
			return a, false
		}
	}
	v := c.view(ctx, "console.error.title", nil)
	v.Error = v.T("console.error.notfound")
	c.render(ctx, http.StatusNotFound, "error", v)
	ctx.Abort()
	return storage.Appointment{}, false
}

// appointmentPage shows one appointment: who is waiting, invitations, the
// invite form and the buttons to enter and end the call.
func (c *console) appointmentPage(ctx *gin.Context) {
	a, ok := c.appointment(ctx)
	if !ok {
		return
	}
	c.renderAppointment(ctx, http.StatusOK, a, nil, inviteForm{}, "")
}

func (c *console) renderAppointment(ctx *gin.Context, status int, a storage.Appointment, invited *invitedData, f inviteForm, errMsg string) {
	s := current(ctx)
	tenant, err := c.st.Tenant(ctx.Request.Context(), a.TenantID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	tr := c.text(ctx)
	row, err := c.row(ctx, tr, s, a, c.tenantZone(tenant), tenant.TopicNames)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	d := apptData{Appt: row, Roles: []string{"interpreter", "guardian", "counsel"},
		Languages: inviteLanguages, Invited: invited, Form: f}
	if row.Booked {
		d.EventsURL = fmt.Sprintf("%s/events?a=%d", consolePrefix, a.ID)
	}
	v := c.view(ctx, "console.appt.title", d)
	v.Error = errMsg
	c.render(ctx, status, "appointment", v)
}

// waitingData is the waiting-list fragment, rendered into pages and pushed
// over server-sent events.
type waitingData struct {
	tr      *consoleText
	CSRF    string
	ApptID  uint
	Entries []waitRow
}

// T translates for the fragment.
func (w waitingData) T(id string) string { return w.tr.T(id) }

type waitRow struct {
	ID, Name, Role, Since            string
	Browser, Camera, Mic, Connection string
	CameraOK, MicOK, CheckPassed     bool
}

func (c *console) waitingHTML(tr *consoleText, csrf string, apptID uint) (template.HTML, int, error) {
	now := c.cc.Now()
	es := c.lobby.Waiting(roomID(apptID))
	d := waitingData{tr: tr, CSRF: csrf, ApptID: apptID}
	for _, e := range es {
		mins := int(now.Sub(e.Since).Minutes())
		browser := strings.TrimSpace(e.Device.Browser + " " + e.Device.OS)
		d.Entries = append(d.Entries, waitRow{ID: e.ID, Name: e.Name, Role: tr.T("role_" + e.Role),
			Since: strconv.Itoa(mins), Browser: browser,
			Camera: tr.T("console.device." + deviceWord(e.Device.Camera)), Mic: tr.T("console.device." + deviceWord(e.Device.Microphone)),
			Connection: connectionText(tr, e.Device.Connection), CameraOK: e.Device.Camera == DeviceOK, MicOK: e.Device.Microphone == DeviceOK,
			CheckPassed: e.Device.CheckPassed})
	}
	var buf bytes.Buffer
	if err := c.fragment.Execute(&buf, d); err != nil {
		return "", 0, fmt.Errorf("render waiting list of appointment %d: %w", apptID, err)
	}
	return template.HTML(buf.String()), len(es), nil // #nosec: rendered by html/template
}

// connectionText translates the grade the device check put first ("good 12.5/3.1 Mbit/s
// 40 ms") and keeps the measured figures as they are.
func connectionText(tr *consoleText, s string) string {
	grade, figures, _ := strings.Cut(s, " ")
	switch grade {
	case "good", "fair", "poor", "failed":
		return strings.TrimSpace(tr.T("console.connection."+grade) + " " + figures)
	}
	return s
}

// deviceWord maps a device state to a message id part; unknown or empty
// states (the check did not run yet) read as "not checked".
func deviceWord(s string) string {
	switch s {
	case DeviceOK, DeviceDenied, DeviceMissing:
		return s
	}
	return "unknown"
}
