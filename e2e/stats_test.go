package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/metrics"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// settableClock is the storage clock while four weeks of history are
// booked and held, then real time for the pages.
type settableClock struct {
	mu sync.Mutex
	t  time.Time // zero: real time
}

func (c *settableClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *settableClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestStatisticsScreenshots seeds four weeks of appointments through the
// booking API (held with call records, no-shows, cancellations, surveys),
// books the next two weeks, holds two live calls with pion participants,
// and photographs /console/stats and /console/stats/live in Chromium for
// docs/statistics.md, checking both with axe-core. With NAHBAR_SCREENSHOTS=dir the pictures are written
// there; the test checks what the pages say either way.
func TestStatisticsScreenshots(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	ctx := context.Background()
	clock := &settableClock{}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := storage.Open(ctx, storage.Config{DataDir: t.TempDir(), Now: clock.now,
		Password: storage.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	seeded, err := db.Seed(ctx, storage.Demo{Password: "stats-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	held := seedHistory(t, db, clock, seeded)
	clock.set(time.Time{})

	store := web.NewStore(web.StoreConfig{})
	lobby := web.NewLobby(time.Now)
	mgr, err := rooms.NewManager(rooms.Config{Logger: log}, web.NewStoreAuthorizer(store, db, lobby, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	live := metrics.SourceFunc(func() metrics.Snapshot {
		s := metrics.Snapshot{Node: "nahbar-1", CapacityRooms: 20}
		for _, r := range mgr.Monitor().Rooms {
			mr := metrics.Room{ID: r.ID}
			for _, p := range r.Participants {
				mr.Participants = append(mr.Participants, metrics.Participant{Key: p.Key, Role: string(p.Role), Tier: p.Tier, Codec: p.Codec})
			}
			for _, e := range r.Encoders {
				mr.Encoders = append(mr.Encoders, metrics.Encoder{Tier: e.Tier, Codec: e.Codec, Receivers: e.Receivers})
			}
			s.Rooms = append(s.Rooms, mr)
		}
		return s
	})
	h, err := web.New(web.Config{APIKey: "e2e-test-key-0123456789", Store: store, Storage: db, Lobby: lobby, Live: live, Logger: log}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(serverIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://%s", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(cctx)
		_ = mgr.Close(cctx)
	})

	// Two calls in progress: an advisor with a citizen and an interpreter, and a group session.
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for _, call := range [][]rooms.Role{{rooms.RoleAdvisor, rooms.RoleCitizen, rooms.RoleInterpreter},
		{rooms.RoleAdvisor, rooms.RoleAttendee, rooms.RoleAttendee}} {
		room, err := store.CreateRoom("call")
		if err != nil {
			t.Fatal(err)
		}
		for i, role := range call {
			inv, err := store.Issue(room.ID, role, fmt.Sprintf("P%d", i), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			p, err := testpeer.Dial(pctx, testpeer.Options{URL: "ws://" + ln.Addr().String() + "/ws", Token: inv.Token,
				Publish: role.Publishes(), Width: 160, Height: 120, FPS: 10, NoDecode: true, Logger: log})
			if err != nil {
				t.Fatalf("%s joins: %v", role, err)
			}
			t.Cleanup(p.Close)
		}
	}
	if err := poll(20*time.Second, 100*time.Millisecond, func() (bool, string, error) {
		n := 0
		for _, r := range mgr.Monitor().Rooms {
			for _, p := range r.Participants {
				if p.Tier != "" {
					n++
				}
			}
		}
		return n == 6, fmt.Sprintf("%d receivers", n), nil
	}); err != nil {
		t.Fatal(err)
	}

	b, err := launch(t, "admin", "", "", base)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.do(20*time.Second, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/console/login?lang=en"),
		chromedp.SendKeys(chromedp.ID("email"), "demo@nahbar.local"), chromedp.SendKeys(chromedp.ID("password"), "stats-password-1"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS("header .who"))); err != nil {
		t.Fatalf("log in: %v%s", err, b.diagnose())
	}
	shots := os.Getenv("NAHBAR_SCREENSHOTS")
	for _, page := range []struct{ path, file, check string }{
		{"/console/stats", "statistics.png", `document.querySelectorAll('svg[role=img]').length + ' ' + document.querySelector('.facts dd').textContent`},
		{"/console/stats/live", "statistics-live.png", `document.querySelectorAll('tbody tr').length + ' ' + document.querySelector('.facts dd').textContent`},
	} {
		if err := b.do(20*time.Second, chromedp.Navigate(base+page.path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
			t.Fatalf("%s: %v%s", page.path, err, b.diagnose())
		}
		got, err := eval[string](b, page.check)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", page.path, got)
		if vs, err := axeSerious(b); err != nil {
			t.Errorf("axe on %s: %v", page.path, err)
		} else if len(vs) > 0 {
			t.Errorf("%s has serious accessibility violations: %v", page.path, vs)
		}
		switch page.file {
		case "statistics.png":
			// The demo appointment of today counts too.
			if want := fmt.Sprintf("7 %d", held.total+1); got != want {
				t.Errorf("stats page: %q, want 7 charts and %d appointments", got, held.total+1)
			}
		case "statistics-live.png":
			// Rows: this node, the roles, the tiers and the two calls; two calls in the first fact.
			if got != "5 2" {
				t.Errorf("live page: %q, want 5 table rows and 2 calls", got)
			}
		}
		if shots == "" {
			continue
		}
		sctx, scancel := context.WithTimeout(b.ctx, 20*time.Second)
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		scancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, page.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type history struct{ total int }

// seedHistory books the last four weeks (Monday to Friday) and the next two
// through the booking API at two locations, in six languages, and records
// what happened: 75 % held (with a call record, and a survey answer from
// most), 10 % no-shows, 15 % cancelled.
func seedHistory(t *testing.T, db *storage.Store, clock *settableClock, seeded storage.Seeded) history {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	tz, err := time.LoadLocation(seeded.Tenant.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var locs []storage.Location
	for _, name := range []string{"Nürnberg Mitte", "Fürth"} {
		l, err := db.CreateLocation(ctx, seeded.Tenant.ID, name, "")
		must(err)
		locs = append(locs, l)
		for i := 0; i < 2; i++ {
			a, err := db.CreateAdvisor(ctx, 0, storage.NewAdvisor{TenantID: seeded.Tenant.ID, LocationID: &l.ID,
				Email: fmt.Sprintf("a%d-%d@amt.example", l.ID, i), Name: fmt.Sprintf("Advisor %d-%d", l.ID, i),
				Password: "advisor-password-1", Role: storage.RoleAdvisor, Languages: []string{"de", "en", "tr", "ar", "uk", "ru"},
				Topics: []string{"general", "jobsearch"}})
			must(err)
			var ws []storage.WeeklyWindow
			for d := time.Monday; d <= time.Friday; d++ {
				ws = append(ws, storage.WeeklyWindow{Weekday: d, StartMinute: 8 * 60, EndMinute: 16 * 60})
			}
			must(db.SetWeeklyAvailability(ctx, 0, a.ID, ws))
		}
	}
	forms, err := db.CreateAppointmentType(ctx, 0, storage.NewAppointmentType{TenantID: seeded.Tenant.ID, Name: "Antragshilfe",
		Kind: storage.KindOneToOne, DurationMinutes: 45, MediaUnits: 1})
	must(err)
	must(db.SetCapacity(ctx, seeded.Tenant.ID, 0, 6))
	types := []storage.AppointmentType{seeded.Type, forms}
	langs := []string{"de", "de", "de", "de", "de", "en", "en", "tr", "ar", "uk", "ru"}
	var h history
	today := time.Now().In(tz)
	day0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, tz)
	for d := -28; d <= 14; d++ {
		day := day0.AddDate(0, 0, d)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday || d == 0 {
			continue
		}
		clock.set(day.Add(6 * time.Hour))
		if d > 0 {
			clock.set(day0.Add(-time.Hour)) // future bookings are made before today
		}
		n := 4 + rng.IntN(6)
		var booked []storage.Booking
		for i := 0; i < n; i++ {
			typ := types[rng.IntN(len(types))]
			loc := locs[rng.IntN(len(locs))]
			lang := langs[rng.IntN(len(langs))]
			slots, err := db.FreeSlots(ctx, storage.SlotQuery{TypeID: typ.ID, Topic: "general", Language: lang, LocationID: &loc.ID,
				From: day.Add(8 * time.Hour), To: day.Add(16 * time.Hour)})
			must(err)
			if len(slots) == 0 {
				continue
			}
			s := slots[rng.IntN(len(slots))]
			bk, err := db.Book(ctx, storage.BookRequest{TypeID: typ.ID, Topic: "general", Language: lang, LocationID: &loc.ID,
				Start: s.Start, Citizen: storage.Contact{Name: "Citizen", Email: fmt.Sprintf("c%d-%d@example.org", d+100, i), Language: lang}})
			must(err)
			booked = append(booked, bk)
		}
		if d > 0 {
			continue
		}
		for _, bk := range booked {
			a := bk.Appointment
			h.total++
			clock.set(a.End.Add(5 * time.Minute))
			switch r := rng.Float64(); {
			case r < 0.10:
				must(db.SetAppointmentStatus(ctx, 0, a.ID, storage.StatusNoShow))
			case r < 0.25:
				must(db.SetAppointmentStatus(ctx, 0, a.ID, storage.StatusCancelled))
			default:
				must(db.SetAppointmentStatus(ctx, 0, a.ID, storage.StatusDone))
				id := a.ID
				mins := 15 + rng.IntN(int(a.End.Sub(a.Start).Minutes())-10)
				high := 0.55 + 0.4*rng.Float64()
				audio := 0.0
				if rng.IntN(8) == 0 {
					audio = (1 - high) * rng.Float64()
				}
				low := (1 - high - audio) / 3
				_, err := db.RecordCall(ctx, storage.CallRecord{AppointmentID: &id, RoomID: web.AppointmentRoomID(id),
					Start: a.Start.Add(time.Minute), End: a.Start.Add(time.Duration(mins+1) * time.Minute), Advisors: 1, Citizens: 1,
					Interpreters:   boolInt(a.Language == "ar" || a.Language == "uk"),
					TierShares:     storage.TierShares{"high": high, "medium": 2 * low, "low": low, "audio": audio},
					WorstRTTMillis: 30 + rng.IntN(250), WorstLossPct: 4 * rng.Float64(), Reconnects: boolInt(rng.IntN(6) == 0)})
				must(err)
				if rng.IntN(10) < 6 {
					pick := func(yes, unsure float64) storage.Answer {
						switch r := rng.Float64(); {
						case r < yes:
							return storage.AnswerYes
						case r < yes+unsure:
							return storage.AnswerUnsure
						default:
							return storage.AnswerNo
						}
					}
					must(db.SubmitSurvey(ctx, bk.JoinToken, storage.SurveyAnswers{EasyToUse: pick(0.88, 0.05),
						WouldRecommend: pick(0.8, 0.1), NextByVideo: pick(0.62, 0.2)}))
				}
			}
		}
	}
	return h
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
