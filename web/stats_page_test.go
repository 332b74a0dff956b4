package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nahbar/nahbar/metrics"
	"github.com/nahbar/nahbar/storage"
)

func TestParseStatsFilter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		q       string
		ok      bool
		from    string
		to      string
		per     storage.Period
		loc     uint
		daysLen int
	}{
		{"", true, "2026-02-01", "2026-03-02", storage.PerDay, 0, 30},
		{"from=2026-01-01&to=2026-12-31", true, "2026-01-01", "2026-12-31", storage.PerWeek, 0, 365},
		{"from=2024-01-01&to=2026-01-01&location=3", true, "2024-01-01", "2026-01-01", storage.PerMonth, 3, 732},
		{"from=2026-02-01&to=2026-02-03&per=month", true, "2026-02-01", "2026-02-03", storage.PerMonth, 0, 3},
		{"from=2026-02-03&to=2026-02-01", false, "", "", "", 0, 0},
		{"from=yesterday", false, "", "", "", 0, 0},
		{"per=year", false, "", "", "", 0, 0},
		{"location=-1", false, "", "", "", 0, 0},
		{"from=2020-01-01&to=2026-01-01", false, "", "", "", 0, 0},
	} {
		q, _ := url.ParseQuery(c.q)
		f, err := parseStatsFilter(q, now, time.UTC)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok %v", c.q, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if f.FromDay != c.from || f.ToDay != c.to || f.Per != c.per || f.Location != c.loc ||
			int(f.To.Sub(f.From).Hours()/24) != c.daysLen {
			t.Errorf("%q: %+v", c.q, f)
		}
	}
}

func TestCSVCellDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"=SUM(A1)": "'=SUM(A1)", "+49 1": "'+49 1", "@x": "'@x", "-3": "-3",
		"-": "'-", "Nürnberg": "Nürnberg", "": ""} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCharts(t *testing.T) {
	svg := string(barChart("c1", "Calls <&>", "minutes per day", []string{"Mon", "Tue"},
		[]series{{"held", []float64{3, 0}}, {"no-show", []float64{1, 2}}}, 5, "capacity"))
	for _, want := range []string{`role="img"`, `aria-labelledby="c1-t c1-d"`, `<title id="c1-t">Calls &lt;&amp;&gt;</title>`,
		`<desc id="c1-d">minutes per day</desc>`, `stroke-dasharray`, `>capacity<`, `Mon held: 3`} {
		if !strings.Contains(svg, want) {
			t.Errorf("bar chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Count(svg, "<rect") != 3+2 { // three bars with values, two legend keys
		t.Errorf("bar chart has %d rects, want 5", strings.Count(svg, "<rect"))
	}
	sc := string(shareChart("c2", "Survey", "shares", []share{{"easy", 0.75, "(3 / 4)"}, {"bad", 7, ""}}))
	if !strings.Contains(sc, "75.0 % (3 / 4)") || !strings.Contains(sc, "100.0 %") {
		t.Errorf("share chart: %s", sc)
	}
	for v, want := range map[float64]float64{0: 1, 0.5: 1, 3: 5, 7: 10, 12: 20, 240: 250, 1e9: 1e9} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

func TestAppointmentOfRoom(t *testing.T) {
	for room, want := range map[string]uint{AppointmentRoomID(42): 42, "appt-0": 0, "appt-": 0, "appt-07": 0, "api-room": 0,
		"appt-99999999999": 0} {
		got, ok := AppointmentOfRoom(room)
		if got != want || ok != (want != 0) {
			t.Errorf("AppointmentOfRoom(%q) = %d, %v", room, got, ok)
		}
	}
}

// TestStatisticsPages holds a call, answers the survey and fails a login,
// then checks what an admin sees on /console/stats, in its CSV and on the
// live view, and that advisors are kept out.
func TestStatisticsPages(t *testing.T) {
	reg, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	live := metrics.Snapshot{Node: "node-a", CapacityRooms: 4, Rooms: []metrics.Room{{ID: "appt-1",
		Participants: []metrics.Participant{{Key: "a", Role: "advisor", Tier: "high"}, {Key: "c", Role: "citizen", Tier: "audio"}},
		Encoders:     []metrics.Encoder{{Tier: "high", Codec: "vp8", Receivers: 1}, {Tier: "audio", Codec: "opus", Receivers: 2}}}}}
	e := newConsoleEnv(t, func(c *Config) {
		c.Events = reg.Events
		c.Live = metrics.SourceFunc(func() metrics.Snapshot { return live })
	})
	ctx := context.Background()
	appt := e.seed.Appointment
	if err := e.st.SubmitSurvey(ctx, e.seed.JoinToken, storage.SurveyAnswers{EasyToUse: storage.AnswerYes,
		WouldRecommend: storage.AnswerNo, NextByVideo: storage.AnswerUnsure}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetAppointmentStatus(ctx, 0, appt.ID, storage.StatusDone); err != nil {
		t.Fatal(err)
	}
	id := appt.ID
	if _, err := e.st.RecordCall(ctx, storage.CallRecord{AppointmentID: &id, RoomID: AppointmentRoomID(id),
		Start: appt.Start, End: appt.Start.Add(25 * time.Minute), Advisors: 1, Citizens: 1,
		TierShares: storage.TierShares{"high": 0.75, "audio": 0.25}, Reconnects: 1, WorstRTTMillis: 120}); err != nil {
		t.Fatal(err)
	}

	// A wrong password is counted for /metrics.
	intruder := e.browser()
	if p := intruder.login("demo@nahbar.local", "wrong password!"); p.code != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", p.code)
	}
	if got := counterValue(t, reg, "nahbar_console_failed_logins_total"); got != 1 {
		t.Errorf("failed logins metric %v, want 1", got)
	}

	adv := e.browser()
	adv.mustLogin("berater@amt.example", consoleAdvisorPW)
	for _, path := range []string{"/console/stats", "/console/stats/live", "/console/stats?format=csv&table=minutes"} {
		if p := adv.get(path); p.code != http.StatusForbidden {
			t.Errorf("advisor GET %s: %d, want 403", path, p.code)
		}
	}

	admin := e.browser()
	admin.mustLogin("demo@nahbar.local", consoleAdminPW)
	p := admin.get("/console/stats")
	if p.code != http.StatusOK {
		t.Fatalf("stats page: %d\n%s", p.code, p.body)
	}
	consoleMustContain(t, p.body, "<svg", `role="img"`, "Appointments over time", "Call minutes",
		"<dt>Call minutes</dt><dd>25</dd>", "<dt>Survey responses</dt><dd>1</dd>", "<dt>Held</dt><dd>100.0 %</dd>",
		"<dt>Audio-only share</dt><dd>25.0 %</dd>",
		// Survey: easy yes 1/1, recommend 0/1, video open (unsure) 1/1.
		"<th scope=\"row\">Found it easy to use</th><td>1</td><td>0</td><td>0</td><td>1</td><td>100.0 %</td>",
		"<th scope=\"row\">Would recommend it</th><td>0</td><td>1</td><td>0</td><td>1</td><td>0.0 %</td>",
		"Capacity use, next 14 days", "format=csv")

	csvGet := func(table string) [][]string {
		t.Helper()
		r := admin.get("/console/stats?format=csv&table=" + table)
		if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv %s: %d %v", table, r.code, r.header)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatalf("csv %s: %v\n%s", table, err, r.body)
		}
		if strings.Contains(r.body, "Demo Bürgerin") || strings.Contains(r.body, "citizen@nahbar.local") {
			t.Errorf("csv %s names the citizen", table)
		}
		return rows
	}
	minutes := csvGet("minutes")
	total := 0
	for _, r := range minutes[1:] {
		if r[1] != "0" {
			total++
			if r[1] != "25" {
				t.Errorf("minutes row %v, want 25", r)
			}
		}
	}
	if total != 1 || len(minutes) != 31 {
		t.Errorf("minutes CSV has %d rows (%d with minutes), want a header, 30 days and one day with the call", len(minutes), total)
	}
	rates := csvGet("rates")
	if rates[1][1] != "1" || rates[1][2] != "100.0 %" {
		t.Errorf("rates CSV %v", rates)
	}
	quality := csvGet("quality")
	if quality[1][1] != "75.0 %" || quality[4][1] != "25.0 %" || quality[6][1] != "1" {
		t.Errorf("quality CSV %v", quality)
	}
	survey := csvGet("survey")
	if len(survey) != 4 || survey[3][3] != "1" || survey[3][5] != "100.0 %" {
		t.Errorf("survey CSV %v", survey)
	}
	for _, table := range []string{"outcomes", "appointments", "capacity"} {
		if rows := csvGet(table); len(rows) < 2 {
			t.Errorf("%s CSV has no rows", table)
		}
	}
	if r := admin.get("/console/stats?format=csv&table=nope"); r.code != http.StatusNotFound {
		t.Errorf("unknown table: %d", r.code)
	}
	if r := admin.get("/console/stats?from=tomorrow"); r.code != http.StatusBadRequest || !strings.Contains(r.body, "last 30 days") {
		t.Errorf("bad filter: %d", r.code)
	}

	lv := admin.get("/console/stats/live")
	if lv.code != http.StatusOK {
		t.Fatalf("live: %d", lv.code)
	}
	consoleMustContain(t, lv.body, "node-a", "<dd>25.0 %</dd>", "appt-1", "audio/opus 1, high/vp8 1")
}

func counterValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			v := 0.0
			for _, s := range f.Metric {
				v += s.GetCounter().GetValue()
			}
			return v
		}
	}
	return 0
}

// FuzzParseStatsFilter feeds arbitrary query strings to the filter parser:
// it must never panic, and what it accepts must be a usable period.
func FuzzParseStatsFilter(f *testing.F) {
	for _, s := range []string{"", "from=2026-01-01&to=2026-01-31&per=week&location=2", "from=2026-02-30", "per=%00",
		"location=18446744073709551616", "from=0001-01-01&to=9999-12-31", "to=2026-01-01&from=2026-01-01&per=day"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := parseStatsFilter(q, now, berlin)
		if err != nil {
			return
		}
		if !fl.From.Before(fl.To) || !fl.Per.Valid() || fl.To.Sub(fl.From) > 3*366*24*time.Hour {
			t.Errorf("%q accepted as %+v", raw, fl)
		}
	})
}

// FuzzCSVCell checks that no cell leaves the exporter starting with a
// formula character unless it is a plain number.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"=1+1", "-5", "+", "@SUM(A1)", "\tx", "Nürnberg", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := csvCell(s)
		if out != "" && strings.ContainsRune("=+-@\t\r", rune(out[0])) {
			if _, err := strconv.ParseFloat(out, 64); err != nil {
				t.Errorf("csvCell(%q) = %q starts a formula", s, out)
			}
		}
	})
}
