package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// journeyServer is the real server with storage (SQLite in a temp dir), the
// lobby and the storage-backed authorizer, as cmd/nahbar wires them.
type journeyServer struct {
	*server
	db     *storage.Store
	lobby  *web.Lobby
	seeded storage.Seeded
}

func startJourneyServer(t *testing.T) *journeyServer {
	t.Helper()
	logs := &syncBuffer{}
	clock := &testClock{}
	s := &server{
		store: web.NewStore(web.StoreConfig{Now: clock.now}),
		clock: clock,
		logs:  logs,
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	db, err := storage.Open(context.Background(), storage.Config{DataDir: t.TempDir(), Now: clock.now,
		Password: storage.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}, Logger: s.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	seeded, err := db.Seed(context.Background(), storage.Demo{Password: "journey-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	lobby := web.NewLobby(clock.now)
	mgr, err := rooms.NewManager(rooms.Config{Logger: s.log.With("component", "rooms")},
		web.NewStoreAuthorizer(s.store, db, lobby, clock.now))
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{APIKey: "e2e-test-key-0123456789", Store: s.store, Storage: db, Lobby: lobby,
		Logger: s.log.With("component", "web")}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	s.mgr.Store(mgr)
	s.handler.Store(&h)
	s.listen(t)
	return &journeyServer{server: s, db: db, lobby: lobby, seeded: seeded}
}

// TestCitizenJourney walks the citizen's way as a person would: the
// invitation link (first in Arabic, right to left), the device check with a
// real camera, microphone and connection measurement, the waiting room
// (two clicks from the invitation), the advisor admits from the lobby, the
// call page joins by itself and the two see each other, the citizen leaves
// and answers the survey.
func TestCitizenJourney(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startJourneyServer(t)
	citizen := &participant{name: "Citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 550, role: rooms.RoleCitizen}
	advisor := &participant{name: "Advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440, role: rooms.RoleAdvisor}
	parts := []*participant{citizen, advisor}
	startBrowsers(t, srv.server, parts...)
	invite := srv.base + "/i/" + srv.seeded.JoinToken
	roomID := web.AppointmentRoomID(srv.seeded.Appointment.ID)

	// Arabic is right to left.
	if err := citizen.b.do(20*time.Second, chromedp.Navigate(invite+"?lang=ar"), chromedp.WaitVisible(chromedp.ID("start"))); err != nil {
		fatal(t, srv.server, parts, "open invitation: %v", err)
	}
	dir, err := eval[string](citizen.b, `document.documentElement.dir + ' ' + document.documentElement.lang + ' ' + getComputedStyle(document.body).direction`)
	if err != nil || dir != "rtl ar rtl" {
		fatal(t, srv.server, parts, "Arabic invitation: dir/lang/direction %q (%v), want rtl ar rtl", dir, err)
	}

	// In English: click 1, the device check.
	clicks := 0
	if err := citizen.b.do(20*time.Second, chromedp.Navigate(invite+"?lang=en"), chromedp.Click(chromedp.ID("start"))); err != nil {
		fatal(t, srv.server, parts, "start the device check: %v", err)
	}
	clicks++
	var check string
	err = poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		check, err = eval[string](citizen.b, `(() => { const c = document.getElementById('check'); if (!c) return 'no check';
			const r = (id) => { const e = document.getElementById(id); return e ? e.dataset.result + ': ' + e.textContent : id + ' not loaded yet'; };
			const f = document.getElementById('conn-figures');
			return [c.dataset.done, r('browser-result'), r('camera-result'), r('mic-result'), r('conn-result'),
				f ? f.textContent : ''].join(' | '); })()`) // the page may still be loading
		return strings.HasPrefix(check, "true"), check, err
	})
	if err != nil {
		fatal(t, srv.server, parts, "device check: %v", err)
	}
	t.Logf("device check: %s", check)
	for _, want := range []string{"ok: Your browser is supported", "ok: Your camera is working", "ok: Your microphone is working", "Download "} {
		if !strings.Contains(check, want) {
			fatal(t, srv.server, parts, "device check %q lacks %q", check, want)
		}
	}
	level, err := eval[float64](citizen.b, `document.getElementById('level').value`)
	if err != nil || level <= 0 {
		fatal(t, srv.server, parts, "microphone level meter shows %v (%v) for a %d Hz tone", level, err, citizen.tone)
	}

	// Click 2: the waiting room.
	if err := citizen.b.do(10*time.Second, chromedp.Click(chromedp.ID("continue"))); err != nil {
		fatal(t, srv.server, parts, "go to the waiting room: %v", err)
	}
	clicks++
	var entry web.WaitingEntry
	err = poll(15*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		w := srv.lobby.Waiting(roomID)
		if len(w) != 1 {
			return false, fmt.Sprintf("%d waiting", len(w)), nil
		}
		entry = w[0]
		return entry.Device.CheckPassed, fmt.Sprintf("%+v", entry), nil
	})
	if err != nil {
		fatal(t, srv.server, parts, "the advisor does not see the citizen's passed device check: %v", err)
	}
	t.Logf("%d clicks from the invitation to the waiting room; advisor sees %+v", clicks, entry.Device)
	if clicks > 3 {
		t.Errorf("%d clicks to the waiting room, want at most 3", clicks)
	}
	notice, err := eval[string](citizen.b, `document.getElementById('recording-notice').textContent`)
	if err != nil || !strings.Contains(notice, "must not record") {
		fatal(t, srv.server, parts, "recording notice %q (%v)", notice, err)
	}

	// The advisor is in the appointment's room; the citizen's token does not
	// open it before the advisor admits.
	if _, err := srv.store.EnsureRoom(roomID, "Demo appointment"); err != nil {
		t.Fatal(err)
	}
	adv, err := srv.store.Issue(roomID, rooms.RoleAdvisor, "Participant Advisor", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := advisor.b.do(20*time.Second, chromedp.Navigate(srv.base+"/j/"+adv.Token), chromedp.WaitEnabled(chromedp.ID("join")),
		chromedp.Click(chromedp.ID("join"))); err != nil {
		fatal(t, srv.server, parts, "advisor joins: %v", err)
	}
	if err := srv.lobby.Admit(roomID, entry.ID); err != nil {
		t.Fatal(err)
	}

	// The citizen's page goes to the call by itself and joins.
	err = poll(30*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		st, err := eval[string](citizen.b, `location.pathname + ' ' + (window.nahbar ? window.nahbar.state + ' ' + window.nahbar.roster.length : '-')`)
		return strings.HasSuffix(st, "connected 2"), st, err
	})
	if err != nil {
		fatal(t, srv.server, parts, "citizen in the call: %v", err)
	}
	err = poll(20*time.Second, 200*time.Millisecond, func() (bool, string, error) {
		n, err := eval[int](citizen.b, `(async () => { const st = await window.nahbar.pc.getStats(); let n = 0;
			st.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = r.framesDecoded || 0; }); return n; })()`)
		return n > 10, fmt.Sprintf("%d frames decoded", n), err
	})
	if err != nil {
		fatal(t, srv.server, parts, "citizen receives no picture: %v", err)
	}

	// Leave → the survey → thanks.
	if err := citizen.b.do(20*time.Second, chromedp.Click(chromedp.ID("leave")), chromedp.WaitVisible(chromedp.ID("survey"))); err != nil {
		fatal(t, srv.server, parts, "leave to the survey: %v", err)
	}
	if err := citizen.b.do(20*time.Second,
		chromedp.Click(chromedp.CSS(`input[name="easy"][value="yes"]`)),
		chromedp.Click(chromedp.CSS(`input[name="recommend"][value="yes"]`)),
		chromedp.Click(chromedp.CSS(`input[name="next"][value="unsure"]`)),
		chromedp.SendKeys(chromedp.ID("comment"), "Sehr einfach."),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("thanks"))); err != nil {
		fatal(t, srv.server, parts, "answer the survey: %v", err)
	}
	thanks, err := eval[string](citizen.b, `document.getElementById('thanks').textContent`)
	if err != nil || !strings.Contains(thanks, "Thank you for your feedback") {
		fatal(t, srv.server, parts, "thank-you page says %q (%v)", thanks, err)
	}
	now := srv.clock.now()
	sum, err := srv.db.Survey(context.Background(), srv.seeded.Tenant.ID,
		now.AddDate(0, 0, -2).Format(time.DateOnly), now.AddDate(0, 0, 2).Format(time.DateOnly))
	if err != nil || sum.Responses != 1 || sum.EasyToUse[storage.AnswerYes] != 1 {
		fatal(t, srv.server, parts, "stored survey %+v (%v), want one response", sum, err)
	}
}

// TestBookingCalendarKeyboard: the month calendar is one tab stop; arrow
// keys move by day and week (mirrored in Arabic), Enter opens the day's
// free times, and a time leads to the booking form.
func TestBookingCalendarKeyboard(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	srv := startJourneyServer(t)
	b, err := launch(t, "booker", "", "", srv.base)
	if err != nil {
		t.Fatal(err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"%s\n--- server log ---\n%s", append(args, b.diagnose(), srv.logs.tail(30))...)
	}
	focused := func() string {
		d, err := eval[string](b, `(document.activeElement.closest('td') || {dataset: {}}).dataset.date || document.activeElement.id || document.activeElement.tagName`)
		if err != nil {
			fail("read focus: %v", err)
		}
		return d
	}
	// A month with weekdays ahead: the month after the demo appointment's.
	next := srv.seeded.Appointment.Start.AddDate(0, 1, 0)
	from := time.Date(next.Year(), next.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		lang, forward string
	}{{"en", kb.ArrowRight}, {"ar", kb.ArrowLeft}} {
		url := fmt.Sprintf("%s/b/demo?type=%d&topic=general&lang_conv=de&view=month&from=%s&lang=%s",
			srv.base, srv.seeded.Type.ID, from.Format(time.DateOnly), tt.lang)
		if err := b.do(20*time.Second, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("grid"))); err != nil {
			fail("open calendar: %v", err)
		}
		stops, err := eval[int](b, `document.querySelectorAll('#grid [tabindex="0"]').length`)
		if err != nil || stops != 1 {
			fail("%s: %d tab stops in the grid (%v), want 1", tt.lang, stops, err)
		}
		if _, err := eval[bool](b, `document.querySelector('#grid [tabindex="0"]').focus(), true`); err != nil {
			fail("focus the grid: %v", err)
		}
		first := focused()
		day, _ := time.Parse(time.DateOnly, first)
		if err := b.do(5*time.Second, chromedp.KeyEvent(tt.forward)); err != nil {
			fail("key: %v", err)
		}
		if got, want := focused(), day.AddDate(0, 0, 1).Format(time.DateOnly); got != want {
			fail("%s: the forward arrow from %s focuses %s, want %s", tt.lang, first, got, want)
		}
		if err := b.do(5*time.Second, chromedp.KeyEvent(kb.ArrowDown)); err != nil {
			fail("key: %v", err)
		}
		if got, want := focused(), day.AddDate(0, 0, 8).Format(time.DateOnly); got != want {
			fail("%s: ArrowDown focuses %s, want %s", tt.lang, got, want)
		}
	}
	// Enter on a free weekday opens its times; a time opens the form.
	if _, err := eval[bool](b, `document.querySelector('#grid a.day.free').focus(), true`); err != nil {
		fail("focus a free day: %v", err)
	}
	if err := b.do(10*time.Second, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("day"))); err != nil {
		fail("Enter on a free day: %v", err)
	}
	if err := b.do(10*time.Second, chromedp.Click(chromedp.CSS(`#day a.slot`)), chromedp.WaitVisible(chromedp.ID("book"))); err != nil {
		fail("choose a time: %v", err)
	}
	label, err := eval[string](b, `document.querySelector('label[for="email"]').textContent`)
	if err != nil || label == "" {
		fail("booking form has no label for the e-mail field (%q, %v)", label, err)
	}
}
