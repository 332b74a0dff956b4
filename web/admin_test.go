package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/storage"
)

func TestAdminAdvisors(t *testing.T) {
	e := newConsoleEnv(t, nil)
	admin := e.browser()
	admin.mustLogin("demo@nahbar.local", consoleAdminPW)
	tests := []struct {
		name string
		form url.Values
		want int
		says string
	}{
		{"bad e-mail", url.Values{"name": {"Anna"}, "email": {"anna"}, "password": {"long-enough-pw"}, "role": {"advisor"}}, http.StatusUnprocessableEntity, "e-mail"},
		{"short password", url.Values{"name": {"Anna"}, "email": {"anna@amt.example"}, "password": {"short"}, "role": {"advisor"}}, http.StatusUnprocessableEntity, "password"},
		{"bad role", url.Values{"name": {"Anna"}, "email": {"anna@amt.example"}, "password": {"long-enough-pw"}, "role": {"root"}}, http.StatusUnprocessableEntity, "role"},
		{"taken e-mail", url.Values{"name": {"Anna"}, "email": {"berater@amt.example"}, "password": {"long-enough-pw"}, "role": {"advisor"}}, http.StatusUnprocessableEntity, "already in use"},
		{"ok", url.Values{"name": {"Anna Admin"}, "email": {"anna@amt.example"}, "password": {"long-enough-pw"}, "role": {"admin"}, "languages": {"de, en"}, "topics": {"general"}}, http.StatusOK, "Saved."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := admin.post("/console/admin/advisors", tt.form).status(t, tt.want)
			consoleMustContain(t, p.body, tt.says)
			if tt.want != http.StatusOK {
				consoleMustContain(t, p.body, `role="alert"`, `value="`+tt.form.Get("name")+`"`)
			}
		})
	}
	anna := e.browser()
	anna.mustLogin("anna@amt.example", "long-enough-pw")
	if p := anna.get("/console/admin/advisors"); p.code != http.StatusOK || !strings.Contains(p.body, "de, en") {
		t.Fatalf("the new admin's advisor list: %d", p.code)
	}

	// Deactivating ends the advisor's session and stops their login.
	bernd := e.browser()
	bernd.mustLogin("berater@amt.example", consoleAdvisorPW)
	path := "/console/admin/advisors/" + itoaU(e.advisor.ID)
	if p := admin.post(path+"/active", url.Values{"active": {"0"}}); p.code != http.StatusOK {
		t.Fatalf("deactivate: %d", p.code)
	}
	if p := bernd.get("/console"); p.code != http.StatusSeeOther {
		t.Fatalf("a deactivated advisor's session still works: %d", p.code)
	}
	if p := bernd.login("berater@amt.example", consoleAdvisorPW); p.code != http.StatusUnauthorized {
		t.Fatalf("a deactivated advisor logged in: %d", p.code)
	}
	admin.post(path+"/active", url.Values{"active": {"1"}})
	// Reset the password: the old one stops working, the new one works.
	if p := admin.post(path+"/password", url.Values{"password": {"short"}}); p.code != http.StatusUnprocessableEntity {
		t.Fatalf("short password: %d", p.code)
	}
	if p := admin.post(path+"/password", url.Values{"password": {"a-brand-new-password"}}); p.code != http.StatusOK {
		t.Fatalf("reset: %d", p.code)
	}
	if p := bernd.login("berater@amt.example", consoleAdvisorPW); p.code != http.StatusUnauthorized {
		t.Fatalf("old password after reset: %d", p.code)
	}
	bernd.mustLogin("berater@amt.example", "a-brand-new-password")
	// Admins cannot lock themselves out.
	self := "/console/admin/advisors/" + itoaU(e.seed.Advisor.ID)
	if p := admin.post(self+"/active", url.Values{"active": {"0"}}); p.code != http.StatusUnprocessableEntity {
		t.Fatalf("self-deactivation: %d", p.code)
	}
	// Another tenant's or an unknown advisor is not found.
	if p := admin.post("/console/admin/advisors/9999/active", url.Values{"active": {"0"}}); p.code != http.StatusNotFound {
		t.Fatalf("unknown advisor: %d", p.code)
	}
	acts := e.auditActions()
	for _, want := range []string{"advisor.create", "advisor.update", "advisor.password"} {
		if !consoleHas(acts, want) {
			t.Errorf("audit lacks %s", want)
		}
	}
}

func TestAdminCapacityAndBranding(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	for _, bad := range []string{"", "-1", "many", "1e3"} {
		if p := b.post("/console/admin/capacity", url.Values{"units": {bad}}); p.code != http.StatusUnprocessableEntity {
			t.Errorf("capacity %q: %d", bad, p.code)
		}
	}
	if p := b.post("/console/admin/capacity", url.Values{"units": {"42"}}); p.code != http.StatusOK {
		t.Fatalf("capacity: %d", p.code)
	}
	if n, _ := e.st.Capacity(t.Context()); n != 42 {
		t.Fatalf("capacity %d", n)
	}
	tests := []struct {
		name                                    string
		nm, logo, primary, accent, contact, say string
		want                                    int
	}{
		{"no name", "", "", "#004b87", "#ffcc00", "", "Please enter the authority", 422},
		{"script logo", "Amt", "javascript:alert(1)", "#004b87", "#ffcc00", "", "https://", 422},
		{"bad colour", "Amt", "", "blue", "#ffcc00", "", "#004b87", 422},
		{"unreadable primary", "Amt", "", "#ffcc00", "#004b87", "", "contrast below 4.5:1", 422},
		{"contact too long", "Amt", "", "#1D4F91", "#ffcc00", strings.Repeat("0", 301), "contact", 422},
		{"ok", "Stadt Musterstadt", "https://amt.example/logo.svg", "#1D4F91", "#ffcc00", "Tel. 0800 123, termine@amt.example", "Saved.", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.post("/console/admin/branding", url.Values{"name": {tt.nm}, "logo_url": {tt.logo}, "primary": {tt.primary},
				"accent": {tt.accent}, "contact": {tt.contact}}).status(t, tt.want)
			consoleMustContain(t, p.body, tt.say)
		})
	}
	tn, _ := e.st.Tenant(t.Context(), e.seed.Tenant.ID)
	if tn.Name != "Stadt Musterstadt" || tn.LogoURL != "https://amt.example/logo.svg" || tn.PrimaryColor != "#1d4f91" ||
		tn.Contact != "Tel. 0800 123, termine@amt.example" {
		t.Fatalf("tenant %+v", tn)
	}
	acts := e.auditActions()
	for _, want := range []string{"capacity.set", "branding.update"} {
		if !consoleHas(acts, want) {
			t.Errorf("audit lacks %s", want)
		}
	}
}

func TestAdminTypes(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	tests := []struct {
		name string
		form url.Values
		want int
		says string
	}{
		{"not a number", url.Values{"name": {"Info"}, "kind": {"one_to_one"}, "minutes": {"half an hour"}, "units": {"1"}}, 422, "whole numbers"},
		{"too short", url.Values{"name": {"Info"}, "kind": {"one_to_one"}, "minutes": {"2"}, "units": {"1"}}, 422, "duration"},
		{"group without seats", url.Values{"name": {"Info"}, "kind": {"group"}, "minutes": {"60"}, "units": {"5"}}, 422, "seat limit"},
		{"ok", url.Values{"name": {"Infoveranstaltung"}, "kind": {"group"}, "minutes": {"60"}, "units": {"5"}, "seats": {"40"}}, 200, "Infoveranstaltung"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.post("/console/admin/types", tt.form).status(t, tt.want)
			consoleMustContain(t, p.body, tt.says)
		})
	}
	ts, _ := e.st.AppointmentTypes(t.Context(), e.seed.Tenant.ID, true)
	var id uint
	for _, ty := range ts {
		if ty.Name == "Infoveranstaltung" {
			id = ty.ID
		}
	}
	if p := b.post("/console/admin/types/"+itoaU(id)+"/active", url.Values{"active": {"0"}}); p.code != http.StatusOK {
		t.Fatalf("deactivate type: %d", p.code)
	}
	active, _ := e.st.AppointmentTypes(t.Context(), e.seed.Tenant.ID, false)
	for _, ty := range active {
		if ty.ID == id {
			t.Fatal("deactivated type still offered")
		}
	}
}

func TestAdminAvailability(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	path := "/console/admin/advisors/" + itoaU(e.advisor.ID)
	p := b.get(path + "/availability")
	consoleMustContain(t, p.body, "Monday", `<label class="sr-only" for="start-1">`)
	// 1 = Monday, 3 = Wednesday.
	bad := b.post(path+"/weekly", url.Values{"start_1": {"08:00"}, "end_1": {"12:00"}, "start_3": {"14:00"}, "end_3": {"09:00"}})
	if bad.code != http.StatusUnprocessableEntity {
		t.Fatalf("end before start: %d", bad.code)
	}
	consoleMustContain(t, bad.body, "Wednesday", `value="14:00"`)
	if p := b.post(path+"/weekly", url.Values{"start_1": {"08:00"}, "end_1": {"12:00"}, "start_3": {"13:00"}, "end_3": {"17:30"}}); p.code != http.StatusOK {
		t.Fatalf("weekly: %d\n%s", p.code, p.body)
	}
	ws, _, err := e.st.Availability(t.Context(), e.advisor.ID, e.clock.now(), e.clock.now().Add(time.Hour))
	if err != nil || len(ws) != 2 || ws[1].Weekday != time.Wednesday || ws[1].EndMinute != 17*60+30 {
		t.Fatalf("stored weekly plan %+v %v", ws, err)
	}
	if p := b.post(path+"/exceptions", url.Values{"kind": {"off"}, "from": {"yesterday"}, "to": {""}}); p.code != http.StatusUnprocessableEntity {
		t.Fatalf("bad exception dates: %d", p.code)
	}
	if p := b.post(path+"/exceptions", url.Values{"kind": {"off"}, "from": {"2026-03-05T00:00"}, "to": {"2026-03-04T00:00"}}); p.code != http.StatusUnprocessableEntity {
		t.Fatalf("exception ending before it starts: %d", p.code)
	}
	p = b.post(path+"/exceptions", url.Values{"kind": {"off"}, "from": {"2026-03-04T00:00"}, "to": {"2026-03-05T00:00"}, "note": {"Fortbildung"}})
	if p.code != http.StatusOK {
		t.Fatalf("exception: %d\n%s", p.code, p.body)
	}
	consoleMustContain(t, p.body, `Not available: <bdi dir="ltr">2026-03-04 00:00 – 2026-03-05 00:00</bdi> Fortbildung`)
	_, es, _ := e.st.Availability(t.Context(), e.advisor.ID, e.clock.now(), e.clock.now().AddDate(0, 0, 7))
	if len(es) != 1 || es[0].Kind != storage.ExceptionOff {
		t.Fatalf("exceptions %+v", es)
	}
	if p := b.post(path+"/exceptions/"+itoaU(es[0].ID)+"/delete", nil); p.code != http.StatusOK {
		t.Fatalf("delete exception: %d", p.code)
	}
	if p := b.post(path+"/exceptions/"+itoaU(es[0].ID)+"/delete", nil); p.code != http.StatusNotFound {
		t.Fatalf("delete it again: %d", p.code)
	}
}

func TestAdminGroupSessions(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	p := b.get("/console/admin/groups")
	consoleMustContain(t, p.body, "First create an appointment type of the kind group")
	if p := b.post("/console/admin/types", url.Values{"name": {"Infoveranstaltung"}, "kind": {"group"}, "minutes": {"60"}, "units": {"3"}, "seats": {"40"}}); p.code != http.StatusOK {
		t.Fatalf("group type: %d", p.code)
	}
	ts, _ := e.st.AppointmentTypes(t.Context(), e.seed.Tenant.ID, false)
	var group, oneToOne uint
	for _, ty := range ts {
		if ty.Kind == storage.KindGroup {
			group = ty.ID
		} else {
			oneToOne = ty.ID
		}
	}
	form := func(typ uint, adv uint, start string) url.Values {
		return url.Values{"type": {itoaU(typ)}, "advisor": {itoaU(adv)}, "topic": {"jobsearch"}, "language": {"tr"}, "start": {start}}
	}
	tests := []struct {
		name string
		form url.Values
		want int
		says string
	}{
		{"one-to-one type", form(oneToOne, e.advisor.ID, "2026-03-05T10:00"), 422, "group type"},
		{"unknown advisor", form(group, 9999, "2026-03-05T10:00"), 422, "choose a group type and an advisor"},
		{"bad date", form(group, e.advisor.ID, "Thursday"), 422, "date and time"},
		{"in the past", form(group, e.advisor.ID, "2026-03-01T10:00"), 422, "start"},
		{"ok", form(group, e.advisor.ID, "2026-03-05T10:00"), 200, "2026-03-05 10:00–11:00"},
		{"advisor busy", form(group, e.advisor.ID, "2026-03-05T10:30"), 409, "another appointment then"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.post("/console/admin/groups", tt.form).status(t, tt.want)
			consoleMustContain(t, p.body, tt.says)
		})
	}
	gs, err := e.st.OpenGroupSessions(t.Context(), e.seed.Tenant.ID, e.clock.now(), e.clock.now().AddDate(0, 1, 0), "tr")
	if err != nil || len(gs) != 1 || gs[0].SeatsLeft != 40 || gs[0].Appointment.AdvisorID != e.advisor.ID {
		t.Fatalf("stored sessions %+v %v", gs, err)
	}
	if !consoleHas(e.auditActions(), "group.create") {
		t.Error("not audited")
	}
	// The session's advisor sees it on that day.
	bernd := e.browser()
	bernd.mustLogin("berater@amt.example", consoleAdvisorPW)
	consoleMustContain(t, bernd.get("/console?day=2026-03-05").body, "Infoveranstaltung")
}

func TestAdminUpdateAdvisor(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	path := "/console/admin/advisors/" + itoaU(e.advisor.ID)
	consoleMustContain(t, b.get(path+"/availability").body, `value="Bernd Berater"`, `value="de"`, `value="general"`)
	if p := b.post(path+"/update", url.Values{"name": {""}, "role": {"advisor"}}); p.code != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", p.code)
	}
	if p := b.post(path+"/update", url.Values{"name": {"Bernd B."}, "role": {"advisor"}, "languages": {"de, tr"}, "topics": {"general jobsearch"}}); p.code != http.StatusOK {
		t.Fatalf("update: %d", p.code)
	}
	a, _ := e.st.Advisor(t.Context(), e.advisor.ID)
	langs, topics := advisorLanguagesTopics(a)
	if a.Name != "Bernd B." || strings.Join(langs, ",") != "de,tr" || strings.Join(topics, ",") != "general,jobsearch" || !a.Active {
		t.Fatalf("stored %+v %v %v", a, langs, topics)
	}
	// Promoting (or demoting) ends the advisor's session, which carries the old role.
	bernd := e.browser()
	bernd.mustLogin("berater@amt.example", consoleAdvisorPW)
	if p := bernd.get("/console/admin"); p.code != http.StatusForbidden {
		t.Fatalf("advisor on the admin page: %d", p.code)
	}
	if p := b.post(path+"/update", url.Values{"name": {"Bernd B."}, "role": {"admin"}, "languages": {"de"}, "topics": {"general"}}); p.code != http.StatusOK {
		t.Fatalf("promote: %d", p.code)
	}
	if p := bernd.get("/console"); p.code != http.StatusSeeOther {
		t.Fatalf("session with the old role still works: %d", p.code)
	}
	bernd.mustLogin("berater@amt.example", consoleAdvisorPW)
	if p := bernd.get("/console/admin"); p.code != http.StatusOK {
		t.Fatalf("new admin on the admin page: %d", p.code)
	}
	self := "/console/admin/advisors/" + itoaU(e.seed.Advisor.ID)
	if p := b.post(self+"/update", url.Values{"name": {"Demo"}, "role": {"advisor"}}); p.code != http.StatusUnprocessableEntity {
		t.Fatalf("dropping one's own admin role: %d", p.code)
	}
}

func TestAdminAuditLog(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	b.post("/console/admin/capacity", url.Values{"units": {"12"}})
	p := b.get("/console/admin/audit")
	if p.code != http.StatusOK {
		t.Fatalf("audit page: %d", p.code)
	}
	consoleMustContain(t, p.body, "<code>capacity.set</code>", "<code>console.login</code>", "Demo Beraterin", "2026-03-02 10:00:00")
	bernd := e.browser()
	bernd.mustLogin("berater@amt.example", consoleAdvisorPW)
	if p := bernd.get("/console/admin/audit"); p.code != http.StatusForbidden {
		t.Fatalf("advisor on the audit page: %d", p.code)
	}
}

// TestAdminTopicNames: the admin names the topic keys of its advisors in its
// own words; the form lists each key with its standard label as placeholder,
// keeps what was typed on an error, and the audit log notes the change.
func TestAdminTopicNames(t *testing.T) {
	e := newConsoleEnv(t, nil)
	b := e.browser()
	b.mustLogin("demo@nahbar.local", consoleAdminPW)
	p := b.get("/console/admin")
	consoleMustContain(t, p.body, `name="key" value="general"`, `name="key" value="jobsearch"`, `placeholder="Job search"`)
	tests := []struct {
		name  string
		form  url.Values
		want  int
		say   string
		names storage.TopicNames // stored afterwards
	}{
		{"names", url.Values{"key": {"general", "jobsearch"}, "name": {"", " Arbeitssuche & Bürgergeld "}}, 200, "Saved.",
			storage.TopicNames{"jobsearch": "Arbeitssuche & Bürgergeld"}},
		{"name too long keeps the typed text", url.Values{"key": {"general", "jobsearch"}, "name": {strings.Repeat("x", 101), "Neu"}}, 422, `value="Neu"`,
			storage.TopicNames{"jobsearch": "Arbeitssuche & Bürgergeld"}},
		{"bad key", url.Values{"key": {"job search"}, "name": {"Arbeit"}}, 422, "topic",
			storage.TopicNames{"jobsearch": "Arbeitssuche & Bürgergeld"}},
		{"keys and names do not pair", url.Values{"key": {"general", "jobsearch"}, "name": {"Allgemein"}}, 422, "",
			storage.TopicNames{"jobsearch": "Arbeitssuche & Bürgergeld"}},
		{"emptied: the standard label again", url.Values{"key": {"general", "jobsearch"}, "name": {"", ""}}, 200, "Saved.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.post("/console/admin/topics", tt.form).status(t, tt.want)
			consoleMustContain(t, p.body, tt.say)
			tn, err := e.st.Tenant(t.Context(), e.seed.Tenant.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(tn.TopicNames) != len(tt.names) || tn.TopicNames["jobsearch"] != tt.names["jobsearch"] {
				t.Fatalf("stored %v, want %v", tn.TopicNames, tt.names)
			}
		})
	}
	if !consoleHas(e.auditActions(), "topics.rename") {
		t.Error("audit lacks topics.rename")
	}
}
