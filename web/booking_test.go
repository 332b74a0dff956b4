package web

import (
	"context"
	"github.com/nahbar/nahbar/internal/smtptest"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/storage"
)

var (
	slotLinkRE = regexp.MustCompile(`<a class="slot button" href="(/b/demo/book\?[^"]+)"`)
	dayLinkRE  = regexp.MustCompile(`<a class="day free" href="([^"]+)" aria-label="([^"]+)"`)
	inviteRE   = regexp.MustCompile(`id="invite-link" href="https://termine\.example\.org/i/([A-Za-z0-9_-]+)"`)
	manageRE   = regexp.MustCompile(`id="manage-link" href="https://termine\.example\.org(/m/[A-Za-z0-9_-]+)"`)
)

func unescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

func form(v url.Values) map[string]string {
	return map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
}

// A citizen books: choose type, topic, language → a day in the month
// calendar → a time → name and e-mail → booked, with the invitation mailed
// (real SMTP) and both links on the page; the same slot again is "just
// taken" with other free times offered.
func TestBookingJourney(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(testing.TB, storage.Config) *storage.Store
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(db.name, func(t *testing.T) { bookingJourney(t, db.open) })
	}
}

func bookingJourney(t *testing.T, open func(testing.TB, storage.Config) *storage.Store) {
	smtpSrv := smtptest.Start(t)
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.NewSMTP(notify.SMTPConfig{Host: smtpSrv.Host, Port: smtpSrv.Port, TLS: notify.TLSNone, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{Catalog: cat, Mailer: mailer, From: notify.Address{Name: "Terminservice", Email: "termine@amt.example"}})
	if err != nil {
		t.Fatal(err)
	}
	s := newCitizenServerOn(t, open, func(c *Config) { c.Console.Mailer = n })

	rec := s.do(call{method: "GET", path: "/b/demo?lang=en"})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "Book an appointment") || !strings.Contains(body, `<option value="general"`) {
		t.Fatalf("booking start page: %d\n%s", rec.Code, body)
	}
	q := url.Values{"type": {itoa(s.seeded.Type.ID)}, "topic": {"general"}, "lang_conv": {"tr"}, "lang": {"en"}}
	rec = s.do(call{method: "GET", path: "/b/demo?" + q.Encode()})
	body = rec.Body.String()
	for _, want := range []string{`role="grid"`, "March 2026", `role="gridcell"`, "Europe/Berlin"} {
		if !strings.Contains(body, want) {
			t.Errorf("month view lacks %q", want)
		}
	}
	if !strings.Contains(body, `href="/b/demo?lang=ar&amp;lang_conv=tr&amp;topic=general&amp;type=`) {
		t.Error("the language switcher drops the booking choice")
	}
	days := dayLinkRE.FindAllStringSubmatch(body, -1)
	if len(days) < 15 {
		t.Fatalf("%d bookable days in March for an advisor working weekdays", len(days))
	}
	if !strings.Contains(days[1][2], "free times") {
		t.Errorf("day label %q does not say how many times are free", days[1][2])
	}
	rec = s.do(call{method: "GET", path: unescape(days[1][1])})
	slots := slotLinkRE.FindAllStringSubmatch(rec.Body.String(), -1)
	if len(slots) != 20 {
		t.Fatalf("%d half-hour slots on a full working day (08–18), want 20", len(slots))
	}
	slot := unescape(slots[0][1])
	rec = s.do(call{method: "GET", path: slot})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Book this appointment") {
		t.Fatalf("booking form: %d\n%s", rec.Code, rec.Body)
	}
	u, _ := url.Parse(slot)
	post := u.Query()
	post.Set("name", "Ayşe Yılmaz")
	post.Set("email", "ayse@example.org")
	post.Set("language", "tr")

	// Consent is required.
	rec = s.do(call{method: "POST", path: "/b/demo/book?lang=en", body: post.Encode(), header: form(post)})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `role="alert"`) {
		t.Fatalf("without consent: %d", rec.Code)
	}
	post.Set("consent", "yes")
	rec = s.do(call{method: "POST", path: "/b/demo/book?lang=en", body: post.Encode(), header: form(post)})
	body = rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "Your appointment is booked") || !strings.Contains(body, "ayse@example.org") {
		t.Fatalf("book: %d\n%s", rec.Code, body)
	}
	inv := inviteRE.FindStringSubmatch(body)
	manage := manageRE.FindStringSubmatch(body)
	if inv == nil || manage == nil {
		t.Fatalf("links missing on the confirmation page\n%s", body)
	}
	_, appt, err := s.db.InvitationByToken(context.Background(), inv[1])
	if err != nil || appt.CitizenName != "Ayşe Yılmaz" || appt.Language != "tr" || appt.CitizenLanguage != "tr" {
		t.Fatalf("booked appointment %+v: %v", appt, err)
	}
	mails := smtpSrv.Wait(1)
	if len(mails[0].To) != 1 || mails[0].To[0] != "ayse@example.org" {
		t.Errorf("mail to %v", mails[0].To)
	}
	raw := string(mails[0].Data)
	if !strings.Contains(raw, "text/calendar") || !strings.Contains(raw, "METHOD:REQUEST") {
		t.Error("invitation mail has no calendar invitation")
	}
	text, _ := mailParts(t, mails[0].Data)
	if !strings.Contains(text, "/i/"+inv[1]) || !strings.Contains(text, manage[1]) {
		t.Errorf("mail text lacks the invitation or manage link:\n%s", text)
	}

	// The same slot again: just taken, other times offered.
	post.Set("email", "other@example.org")
	rec = s.do(call{method: "POST", path: "/b/demo/book?lang=en", body: post.Encode(), header: form(post)})
	body = rec.Body.String()
	if rec.Code != http.StatusConflict || !strings.Contains(body, "Someone else has just booked this time") {
		t.Fatalf("slot taken: %d\n%s", rec.Code, body)
	}
	if n := strings.Count(body, `class="slot button"`); n != maxAnswerSlots {
		t.Errorf("%d alternatives offered, want %d", n, maxAnswerSlots)
	}

	// Manage: reschedule to the first offered time, then cancel.
	rec = s.do(call{method: "GET", path: manage[1] + "?lang=en"})
	body = rec.Body.String()
	starts := regexp.MustCompile(`name="start" value="(\d+)"`).FindAllStringSubmatch(body, -1)
	if rec.Code != 200 || len(starts) == 0 || !strings.Contains(body, "Cancel appointment") {
		t.Fatalf("manage page: %d\n%s", rec.Code, body)
	}
	r := url.Values{"start": {starts[0][1]}}
	rec = s.do(call{method: "POST", path: manage[1] + "/reschedule?lang=en", body: r.Encode(), header: form(r)})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Your appointment has been rescheduled") {
		t.Fatalf("reschedule: %d\n%s", rec.Code, rec.Body)
	}
	smtpSrv.Wait(2)
	// Cancelling asks first; only the confirmed post cancels.
	rec = s.do(call{method: "POST", path: manage[1] + "/cancel?lang=en"})
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "Do you really want to cancel this appointment?") ||
		!strings.Contains(body, `name="confirm" value="yes"`) || strings.Contains(body, "has been cancelled") {
		t.Fatalf("cancel without confirming: %d\n%s", rec.Code, body)
	}
	if a, err := s.db.AppointmentByManageToken(context.Background(), manage[1][len("/m/"):]); err != nil || a.Status != storage.StatusBooked {
		t.Fatalf("unconfirmed cancel changed the appointment: %+v %v", a.Status, err)
	}
	c := url.Values{"confirm": {"yes"}}
	rec = s.do(call{method: "POST", path: manage[1] + "/cancel?lang=en", body: c.Encode(), header: form(c)})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Your appointment has been cancelled") {
		t.Fatalf("cancel: %d\n%s", rec.Code, rec.Body)
	}
	mails = smtpSrv.Wait(3)
	if !strings.Contains(string(mails[2].Data), "METHOD:CANCEL") {
		t.Error("cancellation mail has no calendar cancellation")
	}
	rec = s.do(call{method: "GET", path: "/i/" + inv[1] + "?lang=en"})
	if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "This appointment has been cancelled") {
		t.Errorf("invitation of a cancelled appointment: %d", rec.Code)
	}
	if _, err := s.db.AppointmentByManageToken(context.Background(), manage[1][len("/m/"):]); err != nil {
		t.Fatal(err)
	}
}

func TestBookingWeekViewAndErrors(t *testing.T) {
	s := newCitizenServer(t)
	q := url.Values{"type": {itoa(s.seeded.Type.ID)}, "topic": {"general"}, "lang_conv": {"de"}, "lang": {"ar"}, "view": {"week"}}
	rec := s.do(call{method: "GET", path: "/b/demo?" + q.Encode()})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `class="grid week"`) || !strings.Contains(body, `dir="rtl"`) {
		t.Fatalf("week view: %d\n%.600s", rec.Code, body)
	}
	// Monday 2 March from 10:30 (now 10:00 Berlin, the demo appointment until
	// 10:30) to Friday: 15 + 4*20 slots.
	if n := strings.Count(body, `class="slot"`); n != 95 {
		t.Errorf("%d slots in the week, want 95", n)
	}
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/b/nobody?lang=en", http.StatusNotFound},
		{"/b/demo/book?type=999&topic=general&lang_conv=de&start=1", http.StatusBadRequest},
		{"/b/demo/book?type=" + itoa(s.seeded.Type.ID) + "&topic=general&lang_conv=de&start=x", http.StatusBadRequest},
		{"/m/AAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound},
	} {
		if rec := s.do(call{method: "GET", path: tt.path}); rec.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.path, rec.Code, tt.want)
		}
	}
	// A slot nobody offers is answered like a taken one.
	p := url.Values{"type": {itoa(s.seeded.Type.ID)}, "topic": {"general"}, "lang_conv": {"de"}, "consent": {"yes"},
		"start": {"1773000000"}, "name": {"X"}, "email": {"x@example.org"}, "language": {"de"}}
	rec = s.do(call{method: "POST", path: "/b/demo/book?lang=en", body: p.Encode(), header: form(p)})
	if rec.Code != http.StatusConflict {
		t.Errorf("unoffered slot: %d", rec.Code)
	}
	if _, err := s.db.FreeSlots(context.Background(), storage.SlotQuery{TypeID: s.seeded.Type.ID, Topic: "general", Language: "de",
		From: s.clock.now(), To: s.clock.now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseDayAndPeriod(f *testing.F) {
	f.Add("2026-03-02", "month")
	f.Add("1999-12-31", "week")
	f.Add("garbage", "x")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	def := time.Date(2026, 3, 2, 10, 0, 0, 0, berlin)
	f.Fuzz(func(t *testing.T, day, view string) {
		d := parseDay(day, berlin, def)
		from, to := period(view, d)
		if !from.Before(to) || to.Sub(from) > 32*24*time.Hour {
			t.Fatalf("period %v–%v for %q %q", from, to, day, view)
		}
		if d.Year() < 2000 || d.Year() > 2200 {
			t.Fatalf("day %v accepted", d)
		}
	})
}

// Group information sessions: listed with seats left, registration gives
// the attendee their own link, a full session says so; the attendee's
// waiting room opens at the start without the lobby.
func TestGroupSessionRegistration(t *testing.T) {
	s := newCitizenServer(t)
	ctx := context.Background()
	typ, err := s.db.CreateAppointmentType(ctx, 0, storage.NewAppointmentType{TenantID: s.seeded.Tenant.ID,
		Name: "Infoveranstaltung", Kind: storage.KindGroup, DurationMinutes: 60, MediaUnits: 2, SeatLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	start := s.clock.now().Add(2 * time.Hour).Truncate(time.Hour)
	sess, err := s.db.CreateGroupSession(ctx, 0, storage.GroupSessionRequest{TypeID: typ.ID, AdvisorID: s.seeded.Advisor.ID,
		Topic: "jobsearch", Language: "uk", Start: start})
	if err != nil {
		t.Fatal(err)
	}
	rec := s.do(call{method: "GET", path: "/b/demo?lang=en"})
	body := rec.Body.String()
	if !strings.Contains(body, "Information sessions") || !strings.Contains(body, "Infoveranstaltung – Job search") ||
		!strings.Contains(body, "2 places left") || !strings.Contains(body, "Українська") {
		t.Fatalf("booking page does not list the session:\n%s", body)
	}
	path := "/b/demo/session/" + itoa(sess.ID) + "?lang=en"
	if rec := s.do(call{method: "GET", path: path}); rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="register"`) {
		t.Fatalf("session form: %d", rec.Code)
	}
	var token string
	for i, email := range []string{"a@example.org", "b@example.org"} {
		p := url.Values{"name": {"Olena " + email[:1]}, "email": {email}, "language": {"uk"}, "consent": {"yes"}}
		rec := s.do(call{method: "POST", path: path, body: p.Encode(), header: form(p)})
		m := regexp.MustCompile(`id="invite-link" href="https://termine\.example\.org/i/([A-Za-z0-9_-]+)"`).FindStringSubmatch(rec.Body.String())
		if rec.Code != 200 || m == nil || strings.Contains(rec.Body.String(), "manage-link") {
			t.Fatalf("registration %d: %d\n%s", i, rec.Code, rec.Body)
		}
		token = m[1]
	}
	p := url.Values{"name": {"Late"}, "email": {"c@example.org"}, "language": {"uk"}, "consent": {"yes"}}
	rec = s.do(call{method: "POST", path: path, body: p.Encode(), header: form(p)})
	if rec.Code == 200 {
		t.Fatalf("third registration of two seats accepted")
	}
	if !strings.Contains(rec.Body.String(), "fully booked") {
		t.Errorf("full session not explained: %d\n%s", rec.Code, rec.Body)
	}

	// Before the start the attendee's link does not open the room, and
	// reporting devices does not put the attendee on the advisor's list.
	if _, err := s.auth.Authorize(ctx, token); err == nil {
		t.Fatal("attendee admitted before the session starts")
	}
	dev := `{"camera":"missing","microphone":"missing","check_passed":true}`
	if rec := s.do(call{method: "POST", path: "/i/" + token + "/device", body: dev}); rec.Code != http.StatusNoContent {
		t.Errorf("device report: %d", rec.Code)
	}
	if w := s.lobby.Waiting(AppointmentRoomID(sess.ID)); len(w) != 0 {
		t.Errorf("attendee in the lobby: %+v", w)
	}
	s.clock.advance(start.Sub(s.clock.now()) + time.Minute)
	g, err := s.auth.Authorize(ctx, token)
	if err != nil || g.Role != "attendee" || g.RoomID != AppointmentRoomID(sess.ID) {
		t.Fatalf("attendee at the start: %+v %v", g, err)
	}
	rec = s.do(call{method: "GET", path: "/i/" + token + "/events"})
	if !strings.Contains(rec.Body.String(), `data: {"state":"admitted"}`) {
		t.Errorf("attendee's waiting room at the start: %q", rec.Body.String())
	}
}

// TestBookingTopicNames: the topic select shows the authority's own name for
// a key on every page language, else the catalogue's translation of a common
// key, else the key made readable; the value stays the key.
func TestBookingTopicNames(t *testing.T) {
	s := newCitizenServer(t)
	ctx := context.Background()
	if err := s.db.UpdateAdvisor(ctx, 0, s.seeded.Advisor.ID, storage.AdvisorUpdate{Name: s.seeded.Advisor.Name,
		Role: s.seeded.Advisor.Role, Active: true, Languages: []string{"de", "ar"},
		Topics: []string{"general", "jobsearch", "wohngeld", "kinder_zuschlag"}}); err != nil {
		t.Fatal(err)
	}
	option := func(key, label string) string { return `<option value="` + key + `">` + label + `</option>` }
	tests := []struct {
		name  string
		names storage.TopicNames
		lang  string
		want  []string
	}{
		{"english defaults", nil, "en", []string{option("general", "General advice"), option("jobsearch", "Job search"),
			option("wohngeld", "Wohngeld"), option("kinder_zuschlag", "Kinder zuschlag")}},
		{"german defaults", nil, "de", []string{option("general", "Allgemeine Beratung"), option("jobsearch", "Arbeitssuche")}},
		{"arabic defaults", nil, "ar", []string{option("general", "استشارة عامة"), option("jobsearch", "البحث عن عمل")}},
		{"the authority's names win, in every language", storage.TopicNames{"jobsearch": "Arbeit & Weiterbildung", "kinder_zuschlag": "Kinderzuschlag"},
			"ar", []string{option("general", "استشارة عامة"), option("jobsearch", "Arbeit &amp; Weiterbildung"),
				option("kinder_zuschlag", "Kinderzuschlag")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.db.SetTopicNames(ctx, 0, s.seeded.Tenant.ID, tt.names); err != nil {
				t.Fatal(err)
			}
			body := s.do(call{method: "GET", path: "/b/demo?lang=" + tt.lang}).Body.String()
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("booking page lacks %s:\n%s", w, body)
				}
			}
		})
	}
}
