package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// Viewports of the citizen pages: a desktop and a small phone (360 px is
// the narrowest common Android width).
const (
	desktopW, desktopH = 1280, 800
	phoneW, phoneH     = 360, 740
)

// axeFinding is one rule axe-core found broken, with every impact.
type axeFinding struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
	HTML   string `json:"html"`
}

func (v axeFinding) String() string {
	return fmt.Sprintf("%s (%s: %s; %d elements, first: %s)", v.ID, v.Impact, v.Help, v.Nodes, v.HTML)
}

// axeRun runs axe-core on the browser's current page with the given run
// options (a JavaScript object literal) and returns every violation,
// whatever its impact, so the test can fail on serious ones and report the
// rest.
func axeRun(b *browser, axeJS, options string) ([]axeFinding, error) {
	if _, err := eval[any](b, axeJS); err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	res, err := eval[string](b, `axe.run(document, `+options+`)
		.then((r) => JSON.stringify(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.length, html: v.nodes[0].html.slice(0, 200)}))))`)
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var vs []axeFinding
	if err := json.Unmarshal([]byte(res), &vs); err != nil {
		return nil, fmt.Errorf("axe-core result %q: %w", res, err)
	}
	return vs, nil
}

// On the desktop axe-core checks WCAG 2.1 A/AA and its best practices
// (headings, landmarks); on the phone the rules that depend on the layout:
// tap-target size (WCAG 2.2 AA), contrast and reflow.
const (
	axeDesktop = `{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}`
	axePhone   = `{runOnly: {type: 'rule', values: ['target-size', 'color-contrast', 'meta-viewport', 'scrollable-region-focusable']}}`
)

// pageAudit checks the page the browser shows: axe-core at desktop size,
// then at phone size axe-core again (with the tap-target rule) and no
// sideways scrolling; with NAHBAR_SCREENSHOTS it photographs both sizes.
type pageAudit struct {
	t        *testing.T
	b        *browser
	shots    string          // directory for screenshots, "" for none
	shotLang map[string]bool // languages photographed for every page
	srv      *journeyServer
	axeJS    string
	moderate map[string][]string // rule → pages, for the report
	pages    int
}

func (a *pageAudit) fail(format string, args ...any) {
	a.t.Helper()
	a.t.Fatalf(format+"%s\n--- server log ---\n%s", append(args, a.b.diagnose(), a.srv.logs.tail(30))...)
}

// check audits the current page; name is the screenshot's file stem and
// shot forces a screenshot in a language not in shotLang.
func (a *pageAudit) check(lang, name string, shot bool) {
	a.t.Helper()
	a.pages++
	page := name + " [" + lang + "]"
	got, err := eval[string](a.b, `document.documentElement.lang + ' ' + document.documentElement.dir`)
	if err != nil {
		a.fail("%s: %v", page, err)
	}
	wantDir := "ltr"
	if lang == "ar" {
		wantDir = "rtl"
	}
	if got != lang+" "+wantDir {
		a.t.Errorf("%s: <html lang dir> is %q, want %q", page, got, lang+" "+wantDir)
	}
	record := func(vs []axeFinding, size string) {
		a.t.Helper()
		for _, v := range vs {
			switch v.Impact {
			case "serious", "critical":
				a.t.Errorf("%s (%s): %s", page, size, v)
			default:
				a.moderate[v.ID+" ("+v.Impact+": "+v.Help+")"] = append(a.moderate[v.ID+" ("+v.Impact+": "+v.Help+")"], page)
			}
		}
	}
	vs, err := axeRun(a.b, a.axeJS, axeDesktop)
	if err != nil {
		a.fail("%s: %v", page, err)
	}
	record(vs, "desktop")
	photo := a.shots != "" && (shot || a.shotLang[lang])
	if photo {
		a.screenshot(name+"-"+lang+"-desktop.png", desktopW, desktopH, false)
	}
	if err := a.b.do(10*time.Second, chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		a.fail("%s: phone viewport: %v", page, err)
	}
	// Layout settles after the resize; then nothing may stick out sideways.
	var wide string
	err = poll(5*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		w, err := eval[string](a.b, `(() => { const vw = document.documentElement.clientWidth;
			const out = [...document.querySelectorAll('body *')].filter((e) => { const r = e.getBoundingClientRect();
				return r.width > 0 && (r.right > vw + 1 || r.left < -1) && getComputedStyle(e).position !== 'absolute'; });
			return document.documentElement.scrollWidth > vw ? document.documentElement.scrollWidth + 'px wide: ' +
				out.slice(0, 3).map((e) => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).join(', ') : ''; })()`)
		wide = w
		return w == "", w, err
	})
	if err != nil {
		a.t.Errorf("%s: scrolls sideways on a %d px phone: %s", page, phoneW, wide)
	}
	vs, err = axeRun(a.b, a.axeJS, axePhone)
	if err != nil {
		a.fail("%s: %v", page, err)
	}
	record(vs, "phone")
	if photo {
		a.screenshot(name+"-"+lang+"-phone.png", phoneW, phoneH, true)
	}
	if err := a.b.do(10*time.Second, chromedp.EmulateViewport(desktopW, desktopH)); err != nil {
		a.fail("%s: desktop viewport: %v", page, err)
	}
}

// screenshot writes the whole page at the viewport's width as a 256-colour
// PNG at the best compression, to keep docs/ small.
func (a *pageAudit) screenshot(file string, w, h int64, phone bool) {
	a.t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	ctx, cancel := context.WithTimeout(a.b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, opts...)); err != nil {
		a.fail("%s: viewport: %v", file, err)
	}
	// Let a resized video element and fonts settle before the picture.
	time.Sleep(300 * time.Millisecond)
	raw, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		a.fail("%s: screenshot: %v", file, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		a.fail("%s: decode screenshot: %v", file, err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, quantize(img)); err != nil {
		a.fail("%s: encode screenshot: %v", file, err)
	}
	if err := os.WriteFile(filepath.Join(a.shots, file), buf.Bytes(), 0o644); err != nil {
		a.fail("%s: %v", file, err)
	}
}

// TestCitizenPagesAccessibility walks every citizen page in German, Arabic
// (right to left) and English as a citizen would — booking (choice, month
// and week, a day's times, the form, the confirmation, "slot just taken"),
// managing (reschedule, cancel), a group session's registration, the
// invitation, the device check, the waiting room, the call (before joining
// and in the call with an advisor), the survey, the thank-you page and the
// error pages (invalid, expired and cancelled links, unknown address) — and
// runs axe-core on each: no serious or critical WCAG 2.1 AA violation at
// desktop size, none at 360 px (with WCAG 2.2's tap-target size) and no
// sideways scrolling on the phone. Moderate findings are logged.
// With NAHBAR_SCREENSHOTS=dir it writes the pictures of docs/citizen-pages.md.
func TestCitizenPagesAccessibility(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	axeJS, err := os.ReadFile(axePath())
	if err != nil {
		unavailable(t, "axe-core not installed (make test-deps): %v", err)
	}
	ctx := context.Background()
	srv := startJourneyServer(t)
	citizen := &participant{name: "Citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 550, role: rooms.RoleCitizen}
	startBrowsers(t, srv.server, citizen)
	b := citizen.b
	a := &pageAudit{t: t, b: b, srv: srv, axeJS: string(axeJS), shots: os.Getenv("NAHBAR_SCREENSHOTS"),
		shotLang: map[string]bool{"de": true}, moderate: map[string][]string{}}
	if a.shots != "" {
		if err := os.MkdirAll(a.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.do(10*time.Second, chromedp.EmulateViewport(desktopW, desktopH)); err != nil {
		t.Fatal(err)
	}
	nav := func(path string, ready chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := b.do(30*time.Second, chromedp.Navigate(srv.base+path), ready); err != nil {
			a.fail("open %s: %v", path, err)
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := b.do(30*time.Second, steps...); err != nil {
			a.fail("%s: %v", what, err)
		}
	}
	path := func() string {
		t.Helper()
		loc, err := eval[string](b, `location.pathname + location.search`)
		if err != nil {
			a.fail("location: %v", err)
		}
		return loc
	}

	// A group information session on the next weekday, so the booking page
	// lists it and its registration form exists.
	tz, err := time.LoadLocation(srv.seeded.Tenant.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(tz).AddDate(0, 0, 1)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, tz)
	groupType, err := srv.db.CreateAppointmentType(ctx, 0, storage.NewAppointmentType{TenantID: srv.seeded.Tenant.ID,
		Name: "Infoveranstaltung", Kind: storage.KindGroup, DurationMinutes: 60, MediaUnits: 2, SeatLimit: 20})
	if err != nil {
		t.Fatal(err)
	}
	session, err := srv.db.CreateGroupSession(ctx, 0, storage.GroupSessionRequest{TypeID: groupType.ID,
		AdvisorID: srv.seeded.Advisor.ID, Topic: "jobsearch", Language: "de", Start: day.Add(16 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	appt := srv.seeded
	for _, lang := range []string{"de", "ar", "en"} {
		q := url.Values{"type": {fmt.Sprint(srv.seeded.Type.ID)}, "topic": {"general"}, "lang_conv": {"de"},
			"from": {day.Format(time.DateOnly)}, "lang": {lang}}

		// Booking: the choice, the month, a day's times, the week.
		nav("/b/demo?lang="+lang, chromedp.WaitVisible(chromedp.ID("choice")))
		if n, err := eval[int](b, `document.querySelectorAll('#groups li').length`); err != nil || n != 1 {
			a.fail("booking page lists %d group sessions (%v), want 1", n, err)
		}
		a.check(lang, "book-choice", false)
		q.Set("view", "week")
		nav("/b/demo?"+q.Encode(), chromedp.WaitVisible(chromedp.CSS("#grid a.slot")))
		a.check(lang, "book-week", false)
		q.Set("view", "month")
		nav("/b/demo?"+q.Encode(), chromedp.WaitVisible(chromedp.CSS("#grid a.day.free")))
		a.check(lang, "book-month", lang == "ar")
		q.Set("day", day.Format(time.DateOnly))
		nav("/b/demo?"+q.Encode(), chromedp.WaitVisible(chromedp.CSS("#day a.slot")))
		a.check(lang, "book-day", lang == "ar")

		// The form, the confirmation, and the same slot again: just taken.
		do("choose a time", chromedp.Click(chromedp.CSS("#day a.slot")), chromedp.WaitVisible(chromedp.ID("book")))
		form := path()
		a.check(lang, "book-form", lang == "ar")
		fill := func() {
			t.Helper()
			do("fill the booking form", chromedp.SendKeys(chromedp.ID("name"), "Leyla Yılmaz"),
				chromedp.SendKeys(chromedp.ID("email"), "leyla-"+lang+"@example.org"),
				chromedp.Click(chromedp.ID("consent")), chromedp.Click(chromedp.ID("confirm")))
		}
		fill()
		do("confirmation", chromedp.WaitVisible(chromedp.ID("done")))
		a.check(lang, "book-done", false)
		links, err := eval[[]string](b, `[document.getElementById('invite-link').href, document.getElementById('manage-link').href]`)
		if err != nil {
			a.fail("confirmation links: %v", err)
		}
		nav(form, chromedp.WaitVisible(chromedp.ID("book")))
		fill()
		do("slot just taken", chromedp.WaitVisible(chromedp.ID("taken")))
		a.check(lang, "book-taken", false)

		// Manage: reschedule to the first time offered, then cancel (which
		// asks first).
		manage := mustPath(t, links[1])
		nav(manage, chromedp.WaitVisible(chromedp.ID("cancel-form")))
		a.check(lang, "manage", false)
		do("reschedule", chromedp.Click(chromedp.CSS("#reschedule button")), chromedp.WaitVisible(chromedp.ID("manage-status")))
		a.check(lang, "manage-rescheduled", false)
		do("cancel", chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("cancel-yes")))
		a.check(lang, "manage-confirm", false)
		do("confirm the cancellation", chromedp.Click(chromedp.ID("cancel-yes")), chromedp.WaitNotPresent(chromedp.ID("cancel-confirm")),
			chromedp.WaitVisible(chromedp.ID("manage-status")))
		a.check(lang, "manage-cancelled", false)
		nav(mustPath(t, links[0])+"?lang="+lang, chromedp.WaitVisible(chromedp.ID("error-message")))
		a.check(lang, "error-cancelled", false)

		// A group session's registration and its confirmation.
		nav(fmt.Sprintf("/b/demo/session/%d?lang=%s", session.ID, lang), chromedp.WaitVisible(chromedp.ID("register")))
		a.check(lang, "session-form", false)
		do("register", chromedp.SendKeys(chromedp.ID("name"), "Olena Koval"),
			chromedp.SendKeys(chromedp.ID("email"), "olena-"+lang+"@example.org"),
			chromedp.Click(chromedp.ID("consent")), chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("done")))
		a.check(lang, "session-done", false)

		// The journey: invitation, device check, waiting room.
		invite := "/i/" + appt.JoinToken
		roomID := web.AppointmentRoomID(appt.Appointment.ID)
		nav(invite+"?lang="+lang, chromedp.WaitVisible(chromedp.ID("start")))
		a.check(lang, "invite", false)
		do("start the device check", chromedp.Click(chromedp.ID("start")))
		err = poll(40*time.Second, 200*time.Millisecond, func() (bool, string, error) {
			s, err := eval[string](b, `(document.getElementById('check') || {dataset: {}}).dataset.done || location.pathname`)
			return s == "true", s, err
		})
		if err != nil {
			a.fail("device check: %v", err)
		}
		a.check(lang, "check", false)
		do("go to the waiting room", chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("wait-status")))
		var entry web.WaitingEntry
		err = poll(20*time.Second, 100*time.Millisecond, func() (bool, string, error) {
			w := srv.lobby.Waiting(roomID)
			if len(w) != 1 {
				return false, fmt.Sprintf("%d waiting", len(w)), nil
			}
			entry = w[0]
			return true, "", nil
		})
		if err != nil {
			a.fail("the citizen does not reach the waiting room: %v", err)
		}
		a.check(lang, "wait", lang == "ar")

		// An advisor (a pion peer with an orange camera) is in the room; the
		// citizen is admitted and the page joins the call by itself.
		if _, err := srv.store.EnsureRoom(roomID, "Termin"); err != nil {
			t.Fatal(err)
		}
		adv, err := srv.store.Issue(roomID, rooms.RoleAdvisor, "Frau Berger", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		peer, err := testpeer.Dial(pctx, testpeer.Options{URL: "ws://" + strings.TrimPrefix(srv.base, "http://") + "/ws", Token: adv.Token,
			Publish: true, Colour: color.RGBA{R: 230, G: 120, B: 20, A: 255}, Width: 320, Height: 240, FPS: 10, NoDecode: true, Logger: srv.log})
		cancel()
		if err != nil {
			a.fail("advisor peer joins: %v", err)
		}
		if err := srv.lobby.Admit(roomID, entry.ID); err != nil {
			t.Fatal(err)
		}
		err = poll(40*time.Second, 200*time.Millisecond, func() (bool, string, error) {
			st, err := eval[string](b, `location.pathname + ' ' + (window.nahbar ? window.nahbar.state + ' ' + window.nahbar.roster.length : '-')`)
			return strings.HasSuffix(st, "connected 2"), st, err
		})
		if err != nil {
			peer.Close()
			a.fail("citizen in the call: %v", err)
		}
		err = poll(20*time.Second, 200*time.Millisecond, func() (bool, string, error) {
			n, err := eval[int](b, `(async () => { const st = await window.nahbar.pc.getStats(); let n = 0;
				st.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = r.framesDecoded || 0; }); return n; })()`)
			return n > 10, fmt.Sprintf("%d frames decoded", n), err
		})
		if err != nil {
			peer.Close()
			a.fail("citizen sees no picture: %v", err)
		}
		a.check(lang, "call", lang == "ar")

		// Leave → survey → thanks.
		do("leave to the survey", chromedp.Click(chromedp.ID("leave")), chromedp.WaitVisible(chromedp.ID("survey")))
		peer.Close()
		a.check(lang, "survey", false)
		do("answer the survey",
			chromedp.Click(chromedp.CSS(`input[name="easy"][value="yes"]`)),
			chromedp.Click(chromedp.CSS(`input[name="recommend"][value="yes"]`)),
			chromedp.Click(chromedp.CSS(`input[name="next"][value="unsure"]`)),
			chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("thanks")))
		a.check(lang, "thanks", false)
		// The pages after the advisor ended the call: the citizen's survey
		// and the short page of the other participants.
		nav(invite+"/survey?ended=1&lang="+lang, chromedp.WaitVisible(chromedp.ID("ended")))
		a.check(lang, "survey-ended", false)
		nav("/thanks?ended=1&lang="+lang, chromedp.WaitVisible(chromedp.ID("ended")))
		a.check(lang, "thanks-ended", false)

		// The next language gets a fresh appointment; this one is over, so
		// its link is now expired.
		next, err := srv.db.Seed(ctx, storage.Demo{Password: "journey-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		nav(invite+"?lang="+lang, chromedp.WaitVisible(chromedp.ID("error-message")))
		a.check(lang, "error-expired", false)
		appt = next
		nav("/i/not-a-valid-link?lang="+lang, chromedp.WaitVisible(chromedp.ID("error-message")))
		a.check(lang, "error-invalid", false)
		nav("/no/such/page?lang="+lang, chromedp.WaitVisible(chromedp.ID("error-message")))
		a.check(lang, "error-404", false)
	}

	// The call page of a link made through the API (/j/<token>) before
	// joining, and the page of an invalid one.
	room, err := srv.store.CreateRoom("Beratung")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := srv.store.Issue(room.ID, rooms.RoleCitizen, "Leyla Yılmaz", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"de", "ar", "en"} {
		nav("/j/"+inv.Token+"?lang="+lang, chromedp.WaitEnabled(chromedp.ID("join")))
		a.check(lang, "join", false)
		nav("/j/not-a-valid-link?lang="+lang, chromedp.WaitVisible(chromedp.ID("invalid-title")))
		a.check(lang, "join-invalid", false)
	}
	// A link that expires while its page is open: the server refuses the
	// join, and the page says so in the page's language.
	nav("/j/"+inv.Token+"?lang=ar", chromedp.WaitEnabled(chromedp.ID("join")))
	srv.clock.advance(2 * time.Hour)
	do("join with an expired link", chromedp.Click(chromedp.ID("join")))
	var status string
	err = poll(15*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		st, err := eval[string](b, `window.nahbar.state + ' ' + document.getElementById('status').textContent`)
		status = st
		return strings.HasPrefix(st, "error "), st, err
	})
	if err != nil {
		a.fail("expired link on the call page: %v", err)
	}
	if !strings.Contains(status, "غير صالح") {
		t.Errorf("the Arabic call page explains the expired link with %q, want the Arabic text", status)
	}
	a.check("ar", "join-error", false)

	for _, rule := range slices.Sorted(maps.Keys(a.moderate)) {
		pages := a.moderate[rule]
		t.Logf("moderate/minor finding %s on %d pages: %s", rule, len(pages), strings.Join(pages, ", "))
	}
	t.Logf("%d pages checked", a.pages)
}

// mustPath is the path (and query) of an absolute link the page showed.
func mustPath(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	return u.RequestURI()
}

// quantize maps a screenshot to its 256 most frequent colours (each pixel to
// the nearest of them). Pages are mostly flat colours, so only the edges of
// anti-aliased text change, invisibly, and the PNG shrinks to about a third.
func quantize(img image.Image) *image.Paletted {
	bounds := img.Bounds()
	count := map[color.RGBA]int{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colours := slices.SortedFunc(maps.Keys(count), func(a, b color.RGBA) int {
		if d := count[b] - count[a]; d != 0 {
			return d
		}
		return int(a.R)<<16 | int(a.G)<<8 | int(a.B) - (int(b.R)<<16 | int(b.G)<<8 | int(b.B))
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range colours[:min(256, len(colours))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(bounds, pal)
	nearest := map[color.RGBA]uint8{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := nearest[c]
			if !ok {
				i = uint8(pal.Index(c))
				nearest[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}
