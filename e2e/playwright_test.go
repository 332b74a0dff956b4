package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nahbar/nahbar/internal/smtptest"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"
	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/nahbar/nahbar/i18n"
	"github.com/nahbar/nahbar/notify"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

// TestPlaywrightJourney is the whole citizen journey in one run, driven by
// Playwright (playwright-core from npm, Debian's Chromium):
//
//   - a citizen books a slot on the German booking page, another on the
//     Arabic one (right to left);
//   - both invitation e-mails reach a real SMTP server (emersion/go-smtp)
//     started here, with an HTML and a text part and an .ics that
//     golang-ical parses back; its DTSTART must be the slot the citizen
//     chose;
//   - the German citizen opens the join link from the e-mail, passes the
//     device check with a fake camera and microphone and reaches the waiting
//     room in at most three clicks (counted by the script and, as trusted
//     click events, by the pages themselves);
//   - the advisor logs into the console, sees the citizen waiting, enters the
//     call and admits; each receives the other's picture;
//   - the citizen leaves, answers the survey, sees the thank-you page; this
//     test then reads the survey table and finds the answer without anything
//     that links it to a person or an appointment.
//
// The split: Go starts the real server (web + rooms + storage on SQLite),
// the SMTP server, and a small control endpoint on 127.0.0.1 from which the
// script fetches the received e-mails already taken apart (MIME walked, .ics
// parsed with golang-ical, the one calendar library the project already
// has). Node (e2e/playwright/journey.mjs) does only what a person does in a
// browser, and renders each e-mail's HTML in Chromium to check what the
// reader would see. Everything runs in the package's network namespace.
func TestPlaywrightJourney(t *testing.T) {
	if skipReason != "" {
		unavailable(t, "browser end-to-end test skipped: %s", skipReason)
	}
	node, script := playwrightTools(t)

	mails := smtptest.Start(t)
	srv := startPlaywrightServer(t, mails)
	ctl := startControl(t, mails)

	dir := t.TempDir()
	citizen := &participant{name: "citizen", colour: "blue", rgb: [3]int{0, 0, 255}, tone: 550}
	advisor := &participant{name: "advisor", colour: "red", rgb: [3]int{255, 0, 0}, tone: 440}
	for _, p := range []*participant{citizen, advisor} {
		if err := makeMedia(dir, p); err != nil {
			t.Fatal(err)
		}
	}
	de := person{Name: "Jana Schmidt", Email: "jana.schmidt@example.org", Lang: "de"}
	ar := person{Name: "ليلى حداد", Email: "layla.haddad@example.org", Lang: "ar"}
	expect, err := expectedTexts(de, ar)
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"base":     srv.base,
		"control":  ctl,
		"chromium": chromiumPath,
		"slug":     storage.DemoTenantSlug,
		"typeId":   srv.seeded.Type.ID,
		"topic":    "general",
		"advisor":  map[string]string{"email": storage.DemoAdvisorEmail, "password": "journey-password-1", "name": srv.seeded.Advisor.Name},
		"citizens": map[string]person{"de": de, "ar": ar},
		"media": map[string]map[string]any{
			"citizen": {"video": filepath.Join(dir, citizen.colour+".y4m"), "audio": filepath.Join(dir, fmt.Sprint(citizen.tone)+".wav"), "rgb": citizen.rgb},
			"advisor": {"video": filepath.Join(dir, advisor.colour+".y4m"), "audio": filepath.Join(dir, fmt.Sprint(advisor.tone)+".wav"), "rgb": advisor.rgb},
		},
		"expect":    expect,
		"maxClicks": 3,
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	result, err := runJourneyScript(t, node, script, raw, dir)
	if err != nil {
		t.Fatalf("%v\n--- server log (tail) ---\n%s", err, srv.logs.tail(40))
	}
	t.Logf("journey script finished in %v: %d clicks from the e-mail's link to the waiting room",
		time.Since(start).Round(100*time.Millisecond), result.Clicks)
	if result.Clicks < 1 || result.Clicks > 3 {
		t.Errorf("%d clicks from the invitation to the waiting room, want 1..3", result.Clicks)
	}

	// Both invitations went out once, to the right people, in their language.
	got := mails.Deliveries()
	for _, p := range []person{de, ar} {
		n := 0
		for _, m := range got {
			if slices.Contains(m.To, p.Email) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d e-mails to %s, want exactly one invitation", n, p.Email)
		}
	}

	checkSurveyUnlinkable(t, srv, result, []person{de, ar})
}

// person is a citizen the script books for.
type person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Lang  string `json:"lang"`
}

// journeyResult is what the script reports on its last line.
type journeyResult struct {
	Clicks    int               `json:"clicks"`
	Comment   string            `json:"comment"`
	Answers   map[string]string `json:"answers"`
	JoinLinks []string          `json:"joinLinks"`
}

// playwrightTools finds node and the script, and fails (not skips: make
// test installs both) when node or playwright-core is missing.
func playwrightTools(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (Node.js) not found: the Playwright journey test needs it; scripts/install-deps.sh --test (make test-deps) checks for it: %v", err)
	}
	// playwright-core 1.65 needs Node.js 20 or newer (its "engines").
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	var major int
	if _, err := fmt.Sscanf(string(out), "v%d.", &major); err != nil || major < 20 {
		t.Fatalf("node %s is too old: playwright-core 1.65 needs Node.js 20 or newer", strings.TrimSpace(string(out)))
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is not installed in e2e/node_modules: run scripts/install-deps.sh --test (make test-deps): %v", err)
	}
	script, err = filepath.Abs(filepath.Join("playwright", "journey.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	return node, script
}

// runJourneyScript runs the node script with cfg on its standard input,
// streams its output into the test log and returns the result it prints
// after "RESULT ". Past its deadline the script gets SIGTERM, on which
// Playwright closes its browsers, then SIGKILL; any Chromium still running
// from the script's temporary directory is killed afterwards.
func runJourneyScript(t *testing.T, node, script string, cfg []byte, dir string) (journeyResult, error) {
	var res journeyResult
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Stdin = bytes.NewReader(cfg)
	// Playwright's temporary browser profiles land in the test's own
	// directory: removed with it, and they name the browsers to clean up.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return res, err
	}
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "FORCE_COLOR=0") // plain error messages in the log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start %s %s: %w", node, script, err)
	}
	defer killLeftovers(t, tmp)
	var result string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if r, ok := strings.CutPrefix(line, "RESULT "); ok {
			result = r
			continue
		}
		t.Log(line)
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("journey script overran its deadline and was stopped: %w", err)
		}
		return res, fmt.Errorf("journey script failed (see the log above): %w", err)
	}
	if result == "" {
		return res, errors.New("journey script exited without a RESULT line")
	}
	if err := json.Unmarshal([]byte(result), &res); err != nil {
		return res, fmt.Errorf("journey script's result %q: %w", result, err)
	}
	return res, nil
}

// killLeftovers kills, by pid, every process whose command line names dir:
// the Chromium processes (profile under dir) of a script that was killed
// before it could close them. Playwright starts each browser in its own
// process group, so they would outlive the script otherwise.
func killLeftovers(t *testing.T, dir string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(dir)) {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(p, "/proc/%d/cmdline", &pid); err == nil && pid != os.Getpid() {
			t.Logf("killing left-over process %d: %.120s", pid, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// expectedTexts are the catalogue's texts the pages must show, so the script
// checks what the user reads without copying translations.
func expectedTexts(people ...person) (map[string]map[string]string, error) {
	cat, err := i18n.New()
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, p := range people {
		loc := cat.Localizer(p.Lang)
		out[p.Lang] = map[string]string{
			"dir":       loc.Dir(),
			"booked":    loc.T("book_confirmed_title", nil),
			"mailed":    loc.T("book_confirmed_text", map[string]any{"Email": p.Email}),
			"recording": loc.T("wait_recording_title", nil),
			"survey":    loc.T("survey_title", nil),
			"thanks":    loc.T("thanks_survey", nil),
		}
	}
	return out, nil
}

// playwrightServer is the real server wired as cmd/nahbar wires it, with
// e-mail going to the test's SMTP server.
type playwrightServer struct {
	*server
	dataDir string
	db      *storage.Store
	seeded  storage.Seeded
}

func startPlaywrightServer(t *testing.T, mails *smtptest.Server) *playwrightServer {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	clock := &testClock{}
	s := &server{
		store: web.NewStore(web.StoreConfig{Now: clock.now}),
		clock: clock,
		logs:  logs,
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	dataDir := t.TempDir()
	// The invitation opens two hours early: the earliest free slot lies up to
	// an hour ahead (after the seeded demo appointment), and the test runs at
	// any time of day.
	db, err := storage.Open(ctx, storage.Config{DataDir: dataDir, Now: clock.now, JoinEarly: 2 * time.Hour,
		Password: storage.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}, Logger: s.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	seeded, err := db.Seed(ctx, storage.Demo{Password: "journey-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	// The advisor works around the clock, so there are free slots whenever
	// the test runs.
	var week []storage.WeeklyWindow
	for d := time.Sunday; d <= time.Saturday; d++ {
		week = append(week, storage.WeeklyWindow{Weekday: d, StartMinute: 0, EndMinute: 24 * 60})
	}
	if err := db.SetWeeklyAvailability(ctx, 0, seeded.Advisor.ID, week); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	smtpc, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: mails.Port, TLS: notify.TLSNone, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.New(notify.Config{Catalog: cat, Mailer: smtpc,
		From: notify.Address{Name: "Terminservice", Email: "termine@demo.example"}, Logger: s.log})
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
		Console: web.ConsoleConfig{Mailer: mailer, Now: clock.now},
		// Pure test tones would be suppressed by echo cancellation.
		AudioProcessing: false,
		Logger:          s.log.With("component", "web")}, mgr)
	if err != nil {
		t.Fatal(err)
	}
	s.mgr.Store(mgr)
	s.handler.Store(&h)
	s.listen(t)
	return &playwrightServer{server: s, dataDir: dataDir, db: db, seeded: seeded}
}

// mailView is a received e-mail as a mail client shows it.
type mailView struct {
	Subject     string   `json:"subject"`
	To          []string `json:"to"`
	Language    string   `json:"language"` // Content-Language
	Text        string   `json:"text"`
	HTML        string   `json:"html"`
	Structure   []string `json:"structure"`
	Attachments []string `json:"attachments"`
	JoinLinks   []string `json:"joinLinks"` // the /i/ links in the text part
	ICS         icsView  `json:"ics"`
}

// icsView is the invite.ics attachment as golang-ical parses it.
type icsView struct {
	Method  string `json:"method"`
	UID     string `json:"uid"`
	Start   int64  `json:"start"` // DTSTART, Unix seconds
	End     int64  `json:"end"`
	Summary string `json:"summary"`
	URL     string `json:"url"`
}

var joinLink = regexp.MustCompile(`https?://[^\s"<>]+/i/[A-Za-z0-9_-]+`)

// startControl serves GET /mail?to=ADDRESS on 127.0.0.1: 404 until a
// message to ADDRESS has arrived, then that message taken apart.
func startControl(t *testing.T, mails *smtptest.Server) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mail", func(w http.ResponseWriter, r *http.Request) {
		to := r.URL.Query().Get("to")
		for _, m := range mails.Deliveries() {
			if !slices.Contains(m.To, to) {
				continue
			}
			v, err := viewMail(m)
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnprocessableEntity)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
			return
		}
		http.Error(w, "no mail to "+to+" yet", http.StatusNotFound)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// viewMail walks the MIME tree and parses the .ics attachment.
func viewMail(m smtptest.Delivery) (mailView, error) {
	v := mailView{To: m.To}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return v, fmt.Errorf("read message: %w", err)
	}
	if v.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return v, fmt.Errorf("decode subject: %w", err)
	}
	v.Language = msg.Header.Get("Content-Language")
	var ics []byte
	var walk func(ctype, cte, disp string, body io.Reader) error
	walk = func(ctype, cte, disp string, body io.Reader) error {
		mt, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			return fmt.Errorf("content type %q: %w", ctype, err)
		}
		v.Structure = append(v.Structure, mt)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return fmt.Errorf("part of %s: %w", mt, err)
				}
				if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p); err != nil {
					return err
				}
			}
		}
		switch strings.ToLower(cte) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		data, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("read %s: %w", mt, err)
		}
		if d, dp, err := mime.ParseMediaType(disp); err == nil && d == "attachment" {
			v.Attachments = append(v.Attachments, dp["filename"])
			if strings.HasSuffix(dp["filename"], ".ics") {
				ics = data
			}
			return nil
		}
		switch mt {
		case "text/plain":
			v.Text = string(data)
		case "text/html":
			v.HTML = string(data)
		}
		return nil
	}
	if err := walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body); err != nil {
		return v, err
	}
	v.JoinLinks = joinLink.FindAllString(v.Text, -1)
	if ics == nil {
		return v, fmt.Errorf("no .ics attachment (parts %v)", v.Structure)
	}
	cal, err := ical.ParseCalendar(bytes.NewReader(ics))
	if err != nil {
		return v, fmt.Errorf("parse .ics: %w\n%s", err, ics)
	}
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ical.PropertyMethod) {
			v.ICS.Method = p.Value
		}
	}
	evs := cal.Events()
	if len(evs) != 1 {
		return v, fmt.Errorf(".ics has %d events, want 1", len(evs))
	}
	ev := evs[0]
	startAt, err := ev.GetStartAt()
	if err != nil {
		return v, fmt.Errorf(".ics DTSTART: %w", err)
	}
	endAt, err := ev.GetEndAt()
	if err != nil {
		return v, fmt.Errorf(".ics DTEND: %w", err)
	}
	v.ICS.Start, v.ICS.End, v.ICS.UID = startAt.Unix(), endAt.Unix(), ev.Id()
	if p := ev.GetProperty(ical.ComponentPropertySummary); p != nil {
		v.ICS.Summary = p.Value
	}
	if p := ev.GetProperty(ical.ComponentPropertyUrl); p != nil {
		v.ICS.URL = p.Value
	}
	return v, nil
}

// newlineStripper drops line breaks, which base64 bodies carry every 76
// characters.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		c, err := n.r.Read(p)
		k := 0
		for _, b := range p[:c] {
			if b != '\r' && b != '\n' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// identityColumn matches column names that would tie an answer to a person,
// an appointment or a moment: none may exist in the survey table.
var identityColumn = regexp.MustCompile(`(?i)name|mail|appointment|invitation|invite|token|hash|ip|addr|user|citizen|advisor|participant|room|call|phone|created|updated|time|seq`)

// checkSurveyUnlinkable reads the survey table straight from the SQLite file:
// exactly the one answer given, and nothing in it (columns or values) that
// names the citizen, the appointment or the link.
func checkSurveyUnlinkable(t *testing.T, srv *playwrightServer, res journeyResult, people []person) {
	t.Helper()
	gdb, err := gorm.Open(sqlite.Open(filepath.Join(srv.dataDir, "nahbar.db")+"?_pragma=busy_timeout(5000)"),
		&gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open the database file: %v", err)
	}
	if sqlDB, err := gdb.DB(); err == nil {
		defer sqlDB.Close()
	}
	cols, err := gdb.Migrator().ColumnTypes("survey_responses")
	if err != nil {
		t.Fatalf("survey_responses columns: %v", err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name())
		if identityColumn.MatchString(c.Name()) {
			t.Errorf("survey_responses has column %q, which could link an answer to a person or appointment", c.Name())
		}
	}
	var rows []map[string]any
	if err := gdb.Table("survey_responses").Find(&rows).Error; err != nil {
		t.Fatalf("read survey_responses: %v", err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d survey rows, want exactly the one answer given: %v", len(rows), rows)
	}
	row := rows[0]
	t.Logf("stored survey answer: columns %v, row %v", names, row)
	for q, want := range map[string]string{"easy_to_use": res.Answers["easy"], "would_recommend": res.Answers["recommend"],
		"next_by_video": res.Answers["next"], "free_text": res.Comment} {
		if got := fmt.Sprint(row[q]); got != want {
			t.Errorf("stored %s = %q, want %q (what the citizen answered)", q, got, want)
		}
	}
	// No value carries an identity: not a name, address, appointment id,
	// link token or its hash.
	var ids []string
	for _, p := range people {
		ids = append(ids, p.Name, p.Email)
	}
	for _, l := range res.JoinLinks {
		tok := l[strings.LastIndex(l, "/")+1:]
		ids = append(ids, tok)
	}
	var appts []struct {
		ID uint
	}
	if err := gdb.Table("appointments").Select("id").Find(&appts).Error; err != nil {
		t.Fatalf("read appointments: %v", err)
	}
	if len(appts) < 3 {
		t.Errorf("%d appointments stored, want the demo's and the two booked", len(appts))
	}
	var invs []map[string]any
	if err := gdb.Table("invitations").Find(&invs).Error; err != nil {
		t.Fatalf("read invitations: %v", err)
	}
	for _, inv := range invs {
		for k, v := range inv {
			if s, ok := v.(string); ok && strings.Contains(k, "hash") && s != "" {
				ids = append(ids, s)
			}
		}
	}
	for k, v := range row {
		s := fmt.Sprint(v)
		for _, id := range ids {
			if id != "" && strings.Contains(s, id) {
				t.Errorf("survey column %s = %q contains an identity value %q", k, s, id)
			}
		}
		for _, a := range appts {
			if k != "tenant_id" && s == fmt.Sprint(a.ID) {
				t.Errorf("survey column %s = %q equals appointment id %d", k, s, a.ID)
			}
		}
	}
}
