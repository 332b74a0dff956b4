package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/storage"
)

// The public booking pages of a tenant: /b/<slug> chooses type, topic and
// language and shows free slots in a month or week calendar; /b/<slug>/book
// takes name and e-mail and books; /m/<manage token> cancels or moves.

// maxAnswerSlots is how many alternatives "slot just taken" offers.
const maxAnswerSlots = 6

func (c *citizen) registerBooking(r *gin.Engine) {
	r.GET("/b/:slug", c.bookCalendar)
	r.GET("/b/:slug/book", c.bookForm)
	r.POST("/b/:slug/book", limitBody(8<<10), c.book)
	r.GET("/b/:slug/session/:id", c.sessionForm)
	r.POST("/b/:slug/session/:id", limitBody(8<<10), c.register)
	r.GET("/m/:token", c.manage)
	r.POST("/m/:token/cancel", c.cancel)
	r.POST("/m/:token/reschedule", limitBody(1<<10), c.reschedule)
}

// option is one entry of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// bookView is the booking page's data.
type bookView struct {
	Slug      string
	Types     []option
	Topics    []option
	Languages []option
	Chosen    bool // type, topic and language chosen: the calendar shows
	Calendar  calendar
	Zone      string
	Error     string
	Sessions  []sessionView // open group information sessions
}

// bookOptions loads what a tenant offers: one-to-one types, and the topics
// and languages its advisors cover.
func (c *citizen) bookOptions(ctx context.Context, loc *i18n.Localizer, t storage.Tenant, q slotQuery) (types, topics, langs []option, err error) {
	ts, err := c.db.AppointmentTypes(ctx, t.ID, false)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, ty := range ts {
		if ty.Kind != storage.KindOneToOne {
			continue
		}
		id := strconv.FormatUint(uint64(ty.ID), 10)
		types = append(types, option{Value: id, Label: ty.Name, Selected: ty.ID == q.TypeID})
	}
	advs, err := c.db.Advisors(ctx, t.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	topicSet, langSet := map[string]bool{}, map[string]bool{}
	for _, a := range advs {
		if !a.Active {
			continue
		}
		for _, tp := range a.Topics {
			topicSet[tp.Topic] = true
		}
		for _, l := range a.Languages {
			langSet[l.Language] = true
		}
	}
	names := map[string]string{}
	for _, l := range c.cat.Languages() {
		names[l.Tag] = l.Name
	}
	for _, k := range sortedKeys(topicSet) {
		topics = append(topics, option{Value: k, Label: topicLabel(loc, c.cat, t.TopicNames, k), Selected: k == q.Topic})
	}
	for _, k := range sortedKeys(langSet) {
		label := names[k]
		if label == "" {
			label = k
		}
		langs = append(langs, option{Value: k, Label: label, Selected: k == q.Language})
	}
	return types, topics, langs, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// topicLabel is what a citizen reads for a topic key: the authority's own
// name for it (set on the admin page, in its language), else the catalogue's
// translation of a common key (the demo's "general", "jobsearch"), else the
// key made readable.
func topicLabel(loc *i18n.Localizer, cat *i18n.Catalog, names storage.TopicNames, k string) string {
	if n := names.Name(k); n != "" {
		return n
	}
	if cat != nil && cat.Has("topic_"+k) {
		return loc.T("topic_"+k, nil)
	}
	if k == "" {
		return k
	}
	return strings.ToUpper(k[:1]) + strings.ReplaceAll(k[1:], "_", " ")
}

// tenantPage loads the tenant of :slug or answers 404.
func (c *citizen) tenantPage(g *gin.Context, loc *i18n.Localizer) (storage.Tenant, brand, bool) {
	t, err := c.db.TenantBySlug(g.Request.Context(), g.Param("slug"))
	if err != nil {
		status, msg := http.StatusNotFound, loc.T("error_not_found", nil)
		if !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrInvalid) {
			c.log.Error("booking: load tenant", "err", err)
			status, msg = http.StatusInternalServerError, loc.T("error_server", nil)
		}
		c.render(g, status, "error", page{L: loc, Data: errorPage{Message: msg}})
		return t, brand{}, false
	}
	b, err := c.brand(g.Request.Context(), t.ID)
	if err != nil {
		c.render(g, http.StatusInternalServerError, "error", page{L: loc, Data: errorPage{Message: loc.T("error_server", nil)}})
		return t, b, false
	}
	return t, b, true
}

func readSlotQuery(g *gin.Context) slotQuery {
	id, _ := strconv.ParseUint(g.Query("type"), 10, 32)
	if id == 0 {
		id, _ = strconv.ParseUint(g.PostForm("type"), 10, 32)
	}
	q := slotQuery{TypeID: uint(id), Topic: g.Query("topic"), Language: g.Query("lang_conv")}
	if q.Topic == "" {
		q.Topic = g.PostForm("topic")
	}
	if q.Language == "" {
		q.Language = g.PostForm("lang_conv")
	}
	return q
}

// bookCalendar is step 1 and 2: the choice, then the calendar of free slots.
func (c *citizen) bookCalendar(g *gin.Context) {
	loc := c.localizer(g, "")
	t, b, ok := c.tenantPage(g, loc)
	if !ok {
		return
	}
	ctx := g.Request.Context()
	q := readSlotQuery(g)
	v := bookView{Slug: t.Slug, Zone: t.TimeZone}
	var err error
	// Until the citizen chooses, the conversation language offered first is
	// the page's own (not the alphabetically first one).
	sel := q
	if sel.Language == "" {
		sel.Language = loc.Lang()
	}
	v.Types, v.Topics, v.Languages, err = c.bookOptions(ctx, loc, t, sel)
	if err != nil {
		c.log.Error("booking: options", "err", err)
		c.render(g, http.StatusInternalServerError, "error", page{L: loc, Brand: b, Data: errorPage{Message: loc.T("error_server", nil)}})
		return
	}
	if v.Sessions, err = c.groupSessions(ctx, loc, t, b); err != nil {
		c.log.Error("booking: group sessions", "err", err)
	}
	if q.TypeID != 0 && q.Topic != "" && q.Language != "" {
		tz := b.loc()
		view := g.DefaultQuery("view", "month")
		if view != "week" {
			view = "month"
		}
		anchor := parseDay(g.Query("from"), tz, c.now().In(tz))
		from, to := period(view, anchor)
		slots, err := c.db.FreeSlots(ctx, storage.SlotQuery{TypeID: q.TypeID, Topic: q.Topic, Language: q.Language, From: from, To: to})
		switch {
		case err == nil:
			v.Chosen = true
			path := "/b/" + t.Slug
			base := q.values()
			base.Set("lang", loc.Lang()) // links keep the page's language
			v.Calendar = buildCalendar(loc, tz, view, from, to, g.Query("day"), slots, base, path, path+"/book")
		case errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrNotFound):
			v.Error = loc.T("error_form_invalid", nil)
		default:
			c.log.Error("booking: free slots", "err", err)
			v.Error = loc.T("error_server", nil)
		}
	}
	c.render(g, http.StatusOK, "book", page{L: loc, Brand: b, Data: v})
}

// bookFormView is the contact form for a chosen slot.
type bookFormView struct {
	Slug      string
	Query     slotQuery
	Start     int64
	When      string
	TypeName  string
	Name      string
	Email     string
	Languages []option
	Error     string
	Taken     bool
	Next      []calTime // other free slots after "slot just taken"
	Retention int
	Back      string
}

func (c *citizen) bookForm(g *gin.Context) {
	loc := c.localizer(g, "")
	t, b, ok := c.tenantPage(g, loc)
	if !ok {
		return
	}
	v, ok := c.formView(g, loc, t, b)
	if !ok {
		return
	}
	c.render(g, http.StatusOK, "book_form", page{L: loc, Brand: b, Data: v})
}

// formView reads the chosen slot (query or form) and describes it.
func (c *citizen) formView(g *gin.Context, loc *i18n.Localizer, t storage.Tenant, b brand) (bookFormView, bool) {
	q := readSlotQuery(g)
	startS := g.Query("start")
	if startS == "" {
		startS = g.PostForm("start")
	}
	start, err := strconv.ParseInt(startS, 10, 64)
	typ, terr := c.db.AppointmentType(g.Request.Context(), q.TypeID)
	if err != nil || terr != nil || typ.TenantID != t.ID || q.Topic == "" || q.Language == "" {
		c.render(g, http.StatusBadRequest, "error", page{L: loc, Brand: b, Data: errorPage{Message: loc.T("error_form_invalid", nil)}})
		return bookFormView{}, false
	}
	tz := b.loc()
	st := time.Unix(start, 0).In(tz)
	v := bookFormView{Slug: t.Slug, Query: q, Start: start, TypeName: typ.Name,
		When:      loc.DateTimeRange(st, st.Add(time.Duration(typ.DurationMinutes)*time.Minute)),
		Retention: 30}
	back := q.values()
	back.Set("from", st.Format(time.DateOnly))
	back.Set("day", st.Format(time.DateOnly))
	back.Set("lang", loc.Lang())
	v.Back = "/b/" + t.Slug + "?" + back.Encode()
	for _, l := range c.cat.Languages() {
		v.Languages = append(v.Languages, option{Value: l.Tag, Label: l.Name, Selected: l.Tag == loc.Lang()})
	}
	return v, true
}

// book is the confirm step. A slot someone else took meanwhile is answered
// with the next free ones.
func (c *citizen) book(g *gin.Context) {
	loc := c.localizer(g, "")
	t, b, ok := c.tenantPage(g, loc)
	if !ok {
		return
	}
	v, ok := c.formView(g, loc, t, b)
	if !ok {
		return
	}
	v.Name, v.Email = g.PostForm("name"), g.PostForm("email")
	lang := g.PostForm("language")
	for i := range v.Languages {
		v.Languages[i].Selected = v.Languages[i].Value == lang
	}
	switch {
	case strings.TrimSpace(v.Name) == "" || strings.TrimSpace(v.Email) == "":
		v.Error = loc.T("error_field_required", nil)
	case !strings.Contains(v.Email, "@"):
		v.Error = loc.T("error_email_invalid", nil)
	case g.PostForm("consent") != "yes":
		v.Error = loc.T("error_form_invalid", nil)
	}
	if v.Error != "" {
		c.render(g, http.StatusUnprocessableEntity, "book_form", page{L: loc, Brand: b, Data: v})
		return
	}
	ctx := g.Request.Context()
	bk, err := c.db.Book(ctx, storage.BookRequest{TypeID: v.Query.TypeID, Topic: v.Query.Topic, Language: v.Query.Language,
		Start: time.Unix(v.Start, 0), Citizen: storage.Contact{Name: v.Name, Email: v.Email, Language: lang}})
	switch {
	case err == nil:
		c.cfg.Events.Booked("citizen")
	case errors.Is(err, storage.ErrSlotTaken), errors.Is(err, storage.ErrSlotNotOffered):
		v.Taken = true
		v.Next = c.nextSlots(ctx, loc, b, v.Query, time.Unix(v.Start, 0), "/b/"+t.Slug+"/book")
		c.render(g, http.StatusConflict, "book_form", page{L: loc, Brand: b, Data: v})
		return
	case errors.Is(err, storage.ErrInvalid):
		v.Error = loc.T("error_form_invalid", nil)
		if strings.Contains(err.Error(), "e-mail") {
			v.Error = loc.T("error_email_invalid", nil)
		}
		c.render(g, http.StatusUnprocessableEntity, "book_form", page{L: loc, Brand: b, Data: v})
		return
	default:
		c.log.Error("booking: book", "err", err)
		c.render(g, http.StatusInternalServerError, "error", page{L: loc, Brand: b, Data: errorPage{Message: loc.T("error_server", nil)}})
		return
	}
	done := c.confirmation(g, loc, t, b, bk)
	c.render(g, http.StatusOK, "book_done", page{L: loc, Brand: b, Data: done})
}

// nextSlots lists the next free slots from after on, for "slot just taken".
func (c *citizen) nextSlots(ctx context.Context, loc *i18n.Localizer, b brand, q slotQuery, after time.Time, bookPath string) []calTime {
	slots, err := c.db.FreeSlots(ctx, storage.SlotQuery{TypeID: q.TypeID, Topic: q.Topic, Language: q.Language,
		From: after, To: after.Add(31 * 24 * time.Hour)})
	if err != nil {
		c.log.Warn("booking: next free slots", "err", err)
		return nil
	}
	tz := b.loc()
	var out []calTime
	for _, s := range slots {
		if len(out) == maxAnswerSlots {
			break
		}
		v := q.values()
		v.Set("start", strconv.FormatInt(s.Start.Unix(), 10))
		label := loc.DateTime(s.Start.In(tz))
		out = append(out, calTime{Label: label, Aria: label, Link: bookPath + "?" + v.Encode(), Start: s.Start.Unix()})
	}
	return out
}

// doneView is the confirmation page.
type doneView struct {
	When       string
	Email      string
	InviteURL  string
	ManageURL  string
	Mailed     bool
	Title      string
	Text       string
	BookAgain  string
	ShowManage bool
}

// confirmation mails the invitation (with .ics) when mail is configured and
// shows both links on the page in any case.
func (c *citizen) confirmation(g *gin.Context, loc *i18n.Localizer, t storage.Tenant, b brand, bk storage.Booking) doneView {
	base := c.baseURL(g)
	a := bk.Appointment
	tz := b.loc()
	d := doneView{When: loc.DateTimeRange(a.Start.In(tz), a.End.In(tz)), Email: a.CitizenEmail,
		InviteURL: InvitationURL(base, bk.JoinToken), ManageURL: base + "/m/" + bk.ManageToken,
		Title: loc.T("book_confirmed_title", nil), ShowManage: true}
	if m := c.cfg.Console.Mailer; m != nil {
		err := m.Notify(g.Request.Context(), notify.Notice{Kind: notify.KindInvitation,
			Brand: notify.Brand{Name: t.Name, Color: t.PrimaryColor},
			To:    notify.Address{Name: a.CitizenName, Email: a.CitizenEmail}, Language: a.CitizenLanguage, Role: "citizen",
			UID: notify.AppointmentUID(a.ID, hostOf(base)), Start: a.Start, End: a.End, TimeZone: tz,
			JoinURL: d.InviteURL, ManageURL: d.ManageURL})
		if err != nil {
			c.log.Error("booking: send invitation", "appointment", a.ID, "err", err)
		} else {
			d.Mailed = true
			d.Text = loc.T("book_confirmed_text", map[string]any{"Email": a.CitizenEmail})
		}
	}
	return d
}

// baseURL is the configured public URL or the request's own origin.
func (c *citizen) baseURL(g *gin.Context) string {
	if c.cfg.PublicURL != "" {
		return c.cfg.PublicURL
	}
	scheme := "http"
	if g.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + g.Request.Host
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "nahbar.local"
	}
	return u.Hostname()
}

// manageView is the cancel/reschedule page.
type manageView struct {
	Token     string
	When      string
	Status    string // message after an action
	Error     string
	Changable bool
	// ConfirmCancel asks "really cancel?" before cancelling: a cancelled
	// slot may be gone for good (WCAG 3.3.4, error prevention).
	ConfirmCancel bool
	Next          []calTime
	Slug          string
}

func (c *citizen) manageAppointment(g *gin.Context) (storage.Appointment, storage.Tenant, brand, *i18n.Localizer, bool) {
	loc := c.localizer(g, "")
	a, err := c.db.AppointmentByManageToken(g.Request.Context(), g.Param("token"))
	if err != nil {
		c.linkError(g, loc, brand{}, err)
		return a, storage.Tenant{}, brand{}, loc, false
	}
	if g.Query("lang") == "" {
		cookie, _ := g.Cookie(langCookie)
		loc = c.cat.Localizer(cookie, a.CitizenLanguage, g.GetHeader("Accept-Language"))
	}
	t, err := c.db.Tenant(g.Request.Context(), a.TenantID)
	if err != nil {
		c.linkError(g, loc, brand{}, err)
		return a, t, brand{}, loc, false
	}
	b, _ := c.brand(g.Request.Context(), t.ID)
	return a, t, b, loc, true
}

func (c *citizen) manageView(g *gin.Context, loc *i18n.Localizer, a storage.Appointment, t storage.Tenant, b brand) manageView {
	tz := b.loc()
	v := manageView{Token: g.Param("token"), When: loc.DateTimeRange(a.Start.In(tz), a.End.In(tz)), Slug: t.Slug}
	v.Changable = a.Status == storage.StatusBooked && c.now().Before(a.Start)
	if v.Changable {
		v.Next = c.nextSlots(g.Request.Context(), loc, b, slotQuery{TypeID: a.TypeID, Topic: a.Topic, Language: a.Language},
			c.now(), "")
	}
	return v
}

func (c *citizen) manage(g *gin.Context) {
	a, t, b, loc, ok := c.manageAppointment(g)
	if !ok {
		return
	}
	v := c.manageView(g, loc, a, t, b)
	if a.Status == storage.StatusCancelled {
		v.Status = loc.T("book_cancelled", nil)
	} else if !v.Changable {
		v.Status = loc.T("book_too_late", nil)
	}
	c.render(g, http.StatusOK, "manage", page{L: loc, Brand: b, Data: v})
}

func (c *citizen) cancel(g *gin.Context) {
	a, t, b, loc, ok := c.manageAppointment(g)
	if !ok {
		return
	}
	if g.PostForm("confirm") != "yes" {
		v := c.manageView(g, loc, a, t, b)
		v.ConfirmCancel = v.Changable
		c.render(g, http.StatusOK, "manage", page{L: loc, Brand: b, Data: v})
		return
	}
	cancelled, err := c.db.CancelByToken(g.Request.Context(), g.Param("token"))
	if err == nil {
		a = cancelled
	}
	v := c.manageView(g, loc, a, t, b)
	status := http.StatusOK
	switch {
	case err == nil:
		v.Status, v.Changable = loc.T("book_cancelled", nil), false
		c.mailChange(g, t, b, a, notify.KindCancellation, time.Time{})
	case errors.Is(err, storage.ErrCancelled):
		v.Status, v.Changable = loc.T("book_cancelled", nil), false
	case errors.Is(err, storage.ErrTooLate):
		v.Error, status = loc.T("book_too_late", nil), http.StatusConflict
	default:
		c.log.Error("booking: cancel", "err", err)
		v.Error, status = loc.T("error_server", nil), http.StatusInternalServerError
	}
	c.render(g, status, "manage", page{L: loc, Brand: b, Data: v})
}

func (c *citizen) reschedule(g *gin.Context) {
	a, t, b, loc, ok := c.manageAppointment(g)
	if !ok {
		return
	}
	prev := a.Start
	start, perr := strconv.ParseInt(g.PostForm("start"), 10, 64)
	var err error
	if perr == nil {
		var moved storage.Appointment
		if moved, err = c.db.RescheduleByToken(g.Request.Context(), g.Param("token"), time.Unix(start, 0)); err == nil {
			a = moved
		}
	}
	v := c.manageView(g, loc, a, t, b)
	status := http.StatusOK
	switch {
	case perr != nil:
		v.Error, status = loc.T("error_form_invalid", nil), http.StatusBadRequest
	case err == nil:
		v.Status = loc.T("book_rescheduled", nil)
		c.mailChange(g, t, b, a, notify.KindReschedule, prev)
	case errors.Is(err, storage.ErrSlotTaken), errors.Is(err, storage.ErrSlotNotOffered):
		v.Error, status = loc.T("book_slot_taken", nil), http.StatusConflict
	case errors.Is(err, storage.ErrTooLate), errors.Is(err, storage.ErrCancelled):
		v.Error, status = loc.T("book_too_late", nil), http.StatusConflict
	default:
		c.log.Error("booking: reschedule", "err", err)
		v.Error, status = loc.T("error_server", nil), http.StatusInternalServerError
	}
	c.render(g, status, "manage", page{L: loc, Brand: b, Data: v})
}

// mailChange tells the citizen about a cancellation or a new time. The join
// link cannot be repeated (only its hash is stored): a reschedule mail
// points to the invitation they have.
func (c *citizen) mailChange(g *gin.Context, t storage.Tenant, b brand, a storage.Appointment, kind notify.Kind, prev time.Time) {
	m := c.cfg.Console.Mailer
	if m == nil || a.CitizenEmail == "" {
		return
	}
	base := c.baseURL(g)
	n := notify.Notice{Kind: kind, Brand: notify.Brand{Name: t.Name, Color: t.PrimaryColor},
		To: notify.Address{Name: a.CitizenName, Email: a.CitizenEmail}, Language: a.CitizenLanguage, Role: "citizen",
		UID: notify.AppointmentUID(a.ID, hostOf(base)), Sequence: notify.SequenceAt(a.UpdatedAt),
		Start: a.Start, End: a.End, TimeZone: b.loc(), PreviousStart: prev,
		ManageURL: base + "/m/" + g.Param("token"), BookURL: base + "/b/" + t.Slug}
	if kind == notify.KindReschedule {
		// Only hashes are stored: a new citizen link goes with the new time.
		_, token, err := c.db.Invite(g.Request.Context(), 0, storage.NewInvitation{AppointmentID: a.ID,
			Role: storage.InviteCitizen, DisplayName: a.CitizenName, Email: a.CitizenEmail, Language: a.CitizenLanguage})
		if err != nil {
			c.log.Error("booking: new link for a rescheduled appointment", "appointment", a.ID, "err", err)
			return
		}
		n.JoinURL = InvitationURL(base, token)
	}
	if err := m.Notify(g.Request.Context(), n); err != nil {
		c.log.Error("booking: send change notice", "appointment", a.ID, "kind", kind, "err", err)
	}
}
