package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/web"
)

// TestAdvisorConsoleAdmits: the advisor logs into the console in Chromium;
// the citizen passes the device check and waits; the console shows the
// citizen with the device result without a reload (server-sent events); the
// advisor presses Admit and the citizen's page goes on to the call; the
// advisor presses End and the citizen's page says so and opens the survey.
func TestAdvisorConsoleAdmits(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startJourneyServer(t)
	citizen := &participant{name: "Citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 550, role: rooms.RoleCitizen}
	advisor := &participant{name: "Advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	parts := []*participant{citizen, advisor}
	startBrowsers(t, srv.server, parts...)
	roomID := web.AppointmentRoomID(srv.seeded.Appointment.ID)

	if err := advisor.b.do(20*time.Second, chromedp.Navigate(srv.base+"/console/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "demo@nahbar.local"), chromedp.SendKeys(chromedp.ID("password"), "journey-password-1"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS("section.appt"))); err != nil {
		fatal(t, srv.server, parts, "advisor logs in: %v", err)
	}
	lobby := func() (string, error) {
		return eval[string](advisor.b, `(() => { const l = document.querySelector('.lobby'); if (!l) return 'no lobby';
			const p = l.querySelector('.who-waits'); const dd = [...l.querySelectorAll('dd')].map((d) => d.textContent.trim());
			return (p ? p.textContent.replace(/\s+/g, ' ') : l.textContent.trim()) + ' | ' + dd.join(' | '); })()`)
	}
	if text, err := lobby(); err != nil || !strings.Contains(text, "Nobody is waiting") {
		fatal(t, srv.server, parts, "console before the citizen arrives: %q (%v)", text, err)
	}

	invite := srv.base + "/i/" + srv.seeded.JoinToken
	if err := citizen.b.do(20*time.Second, chromedp.Navigate(invite+"?lang=de"), chromedp.Click(chromedp.ID("start"))); err != nil {
		fatal(t, srv.server, parts, "start the device check: %v", err)
	}
	err := poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		done, err := eval[string](citizen.b, `(document.getElementById('check') || {dataset: {}}).dataset.done || ''`)
		return done == "true", done, err
	})
	if err != nil {
		fatal(t, srv.server, parts, "device check: %v", err)
	}
	if err := citizen.b.do(10*time.Second, chromedp.Click(chromedp.ID("continue"))); err != nil {
		fatal(t, srv.server, parts, "go to the waiting room: %v", err)
	}

	// The console updates by itself.
	var text string
	err = poll(15*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		text, err = lobby()
		return strings.Contains(text, "Demo Bürgerin") && strings.HasSuffix(text, "| passed"), text, err
	})
	if err != nil {
		fatal(t, srv.server, parts, "the console does not show the waiting citizen: %v", err)
	}
	t.Logf("console shows: %s", strings.TrimSpace(text))
	// Browser | camera | microphone | connection | check.
	for _, want := range []string{"| Chrom", "| works | works |"} {
		if !strings.Contains(text, want) {
			t.Errorf("console's waiting entry %q lacks %q", text, want)
		}
	}
	waiting := srv.lobby.Waiting(roomID)
	if len(waiting) != 1 {
		t.Fatalf("%d waiting", len(waiting))
	}

	if err := advisor.b.do(10*time.Second, chromedp.Click(chromedp.CSS(`button[data-act="admit"]`))); err != nil {
		fatal(t, srv.server, parts, "press Admit: %v", err)
	}
	err = poll(20*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		path, err := eval[string](citizen.b, `location.pathname`)
		return strings.HasSuffix(path, "/call"), path, err
	})
	if err != nil {
		fatal(t, srv.server, parts, "the admitted citizen's page does not go to the call: %v", err)
	}
	if st, _ := srv.lobby.State(waiting[0].ID); st.State != web.LobbyAdmitted {
		t.Errorf("lobby state %q after Admit", st.State)
	}
	log, err := srv.db.AuditLog(context.Background(), srv.seeded.Tenant.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range log {
		acts = append(acts, e.Action)
	}
	for _, want := range []string{"console.login", "lobby.admit"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit log %v lacks %s", acts, want)
		}
	}

	// The advisor ends the call: the citizen's page says so in German and opens the survey.
	err = poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		st, err := eval[string](citizen.b, `window.nahbar ? window.nahbar.state : ''`)
		return st == "connected", st, err
	})
	if err != nil {
		fatal(t, srv.server, parts, "the citizen is not in the call: %v", err)
	}
	page := fmt.Sprintf("%s/console/appointments/%d", srv.base, srv.seeded.Appointment.ID)
	if err := advisor.b.do(20*time.Second, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`form[action$="/end"] button`))); err != nil {
		fatal(t, srv.server, parts, "appointment page: %v", err)
	}
	// The "End this appointment?" dialog, answered yes.
	if _, err := eval[bool](advisor.b, `window.confirm = () => true; true`); err != nil {
		t.Fatal(err)
	}
	if err := advisor.b.do(10*time.Second, chromedp.Click(chromedp.CSS(`form[action$="/end"] button`))); err != nil {
		fatal(t, srv.server, parts, "press End: %v", err)
	}
	err = poll(20*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		text, err := eval[string](citizen.b, `location.pathname + ' | ' + ((document.getElementById('ended') || {}).textContent || '')`)
		if err != nil {
			return false, err.Error(), nil // the page is navigating to the survey
		}
		return strings.HasSuffix(text, "/survey | Ihre Ansprechperson hat das Gespräch beendet."), text, nil
	})
	if err != nil {
		fatal(t, srv.server, parts, "the citizen's page after the advisor ended the call: %v", err)
	}
	if st := srv.mgr.Load().Stats(); st.Rooms != 0 || st.Participants != 0 {
		t.Errorf("media after the end: %+v", st)
	}
}

// TestConsoleAccessibility runs axe-core in Chromium on every console page,
// with a citizen waiting so the live list is on the page: no serious or
// critical WCAG 2.1 AA violations.
func TestConsoleAccessibility(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	if _, err := os.Stat(axePath()); err != nil {
		unavailable(t, "axe-core not installed (make test-deps): %v", err)
	}
	srv := startJourneyServer(t)
	advisor := &participant{name: "Advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	parts := []*participant{advisor}
	startBrowsers(t, srv.server, parts...)
	id := srv.seeded.Appointment.ID
	srv.lobby.Arrive(web.AppointmentRoomID(id), web.WaitingEntry{Name: "Erika Mustermann", Role: "citizen",
		Device: web.DeviceStatus{Browser: "Firefox 128", OS: "Android", Camera: web.DeviceOK, Microphone: web.DeviceDenied, Connection: "good"}})

	// The checker itself sees a broken page (an unlabelled field, an image without text).
	if err := advisor.b.do(20*time.Second, chromedp.Navigate(`data:text/html,<!doctype html><html lang="en"><title>x</title><main><input id="q"><img src="data:,"></main></html>`)); err != nil {
		t.Fatal(err)
	}
	if vs, err := axeSerious(advisor.b); err != nil || len(vs) == 0 {
		t.Fatalf("axe-core finds nothing on a broken page: %v %v", vs, err)
	}
	if err := advisor.b.do(20*time.Second, chromedp.Navigate(srv.base+"/console/login"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		fatal(t, srv.server, parts, "login page: %v", err)
	}
	check := func(page string) {
		t.Helper()
		vs, err := axeSerious(advisor.b)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		for _, v := range vs {
			t.Errorf("%s: %s", page, v)
		}
	}
	check("login")
	if err := advisor.b.do(20*time.Second, chromedp.SendKeys(chromedp.ID("email"), "demo@nahbar.local"),
		chromedp.SendKeys(chromedp.ID("password"), "journey-password-1"), chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-act="admit"]`))); err != nil {
		fatal(t, srv.server, parts, "log in: %v", err)
	}
	check("/console")
	for _, p := range []string{fmt.Sprintf("/console/appointments/%d", id), "/console?all=1", "/console/admin", "/console/admin/advisors",
		fmt.Sprintf("/console/admin/advisors/%d/availability", srv.seeded.Advisor.ID), "/console/admin/types", "/console/admin/groups", "/console/admin/audit"} {
		if err := advisor.b.do(20*time.Second, chromedp.Navigate(srv.base+p), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
			fatal(t, srv.server, parts, "open %s: %v", p, err)
		}
		check(p)
	}
}
