package main

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/nahbar/nahbar/internal/testpeer"
	"github.com/nahbar/nahbar/rooms"
	"github.com/nahbar/nahbar/storage"
	"github.com/nahbar/nahbar/web"
)

func TestCallRecordFromSummary(t *testing.T) {
	start := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	id := uint(17)
	for _, c := range []struct {
		name string
		in   rooms.CallSummary
		want storage.CallRecord
	}{
		{"an appointment's call", rooms.CallSummary{RoomID: web.AppointmentRoomID(17), Start: start, End: start.Add(20 * time.Minute),
			Participants: map[rooms.Role]int{rooms.RoleAdvisor: 1, rooms.RoleCitizen: 1, rooms.RoleInterpreter: 1},
			TierShares:   map[string]float64{"high": 0.9, "audio": 0.1}, WorstRTT: 180 * time.Millisecond, WorstLossPct: 3.5, Reconnects: 2},
			storage.CallRecord{AppointmentID: &id, RoomID: "appt-17", Start: start, End: start.Add(20 * time.Minute),
				Advisors: 1, Citizens: 1, Interpreters: 1, TierShares: storage.TierShares{"high": 0.9, "audio": 0.1},
				WorstRTTMillis: 180, WorstLossPct: 3.5, Reconnects: 2}},
		{"an API room, odd figures clamped", rooms.CallSummary{RoomID: "r-abc", Start: start, End: start.Add(-time.Second),
			Participants: map[rooms.Role]int{rooms.RoleAttendee: 30, rooms.RoleGuardian: 1, rooms.RoleCounsel: 1},
			TierShares:   map[string]float64{"low": 1.5, "": 0.5, "medium": math.NaN()}, WorstLossPct: 250, Reconnects: -1},
			storage.CallRecord{RoomID: "r-abc", Start: start, End: start, Attendees: 30, Guardians: 1, Counsels: 1,
				TierShares: storage.TierShares{"low": 1}, WorstLossPct: 100}},
	} {
		got := callRecord(c.in)
		if (got.AppointmentID == nil) != (c.want.AppointmentID == nil) ||
			(got.AppointmentID != nil && *got.AppointmentID != *c.want.AppointmentID) {
			t.Errorf("%s: appointment %v, want %v", c.name, got.AppointmentID, c.want.AppointmentID)
		}
		got.AppointmentID, c.want.AppointmentID = nil, nil
		if got.RoomID != c.want.RoomID || !got.Start.Equal(c.want.Start) || !got.End.Equal(c.want.End) ||
			got.Advisors != c.want.Advisors || got.Citizens != c.want.Citizens || got.Interpreters != c.want.Interpreters ||
			got.Guardians != c.want.Guardians || got.Counsels != c.want.Counsels || got.Attendees != c.want.Attendees ||
			got.WorstRTTMillis != c.want.WorstRTTMillis || got.WorstLossPct != c.want.WorstLossPct ||
			got.Reconnects != c.want.Reconnects || len(got.TierShares) != len(c.want.TierShares) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
		for k, v := range c.want.TierShares {
			if got.TierShares[k] != v {
				t.Errorf("%s: tier %s = %v, want %v", c.name, k, got.TierShares[k], v)
			}
		}
	}
}

func TestMetricsListenSetting(t *testing.T) {
	const key = "0123456789abcdef0123"
	for _, c := range []struct {
		env  string
		args []string
		want string
		ok   bool
	}{
		{"", nil, "", true},
		{"127.0.0.1:9090", nil, "127.0.0.1:9090", true},
		{"127.0.0.1:9090", []string{"--metrics-listen", "10.0.0.5:9100"}, "10.0.0.5:9100", true},
		{"9090", nil, "", false},
	} {
		cfg, err := parseServeConfig(c.args, envOf(map[string]string{"NAHBAR_API_KEY": key, "NAHBAR_METRICS_LISTEN": c.env}), io.Discard)
		if (err == nil) != c.ok || (c.ok && cfg.Metrics.Listen != c.want) {
			t.Errorf("env %q args %v: %q, %v", c.env, c.args, cfg.Metrics.Listen, err)
		}
		if err != nil && !strings.Contains(err.Error(), "metrics listen") {
			t.Errorf("error %v does not name the setting", err)
		}
	}
}

// TestServeMetricsAndCallRecords runs the real server with the demo data,
// holds two calls with pion participants (the demo appointment's advisor
// alone, and the demo room's advisor with a citizen), reads /metrics while
// they run, then shuts down with the calls still going: both call records
// must be in storage afterwards, and the appointment's in its statistics.
func TestServeMetricsAndCallRecords(t *testing.T) {
	const key = "0123456789abcdef0123"
	dir := t.TempDir()
	base, lines, stop := startServer(t, "--demo", "--api-key", key, "--data-dir", dir)
	links := map[string]string{}
	re := regexp.MustCompile(`^\s+(Advisor|Citizen|Advisor joins the call): +http://localhost:\d+/j/(\S+)$`)
	deadline := time.After(10 * time.Second)
	for len(links) < 3 {
		select {
		case l := <-lines:
			if m := re.FindStringSubmatch(l); m != nil {
				links[m[1]] = m[2]
			}
		case <-deadline:
			t.Fatalf("demo links not printed; got %v", links)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws := "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
	var peers []*testpeer.Peer
	for _, who := range []string{"Advisor joins the call", "Advisor", "Citizen"} {
		p, err := testpeer.Dial(ctx, testpeer.Options{URL: ws, Token: links[who], Publish: true, Width: 160, Height: 120, FPS: 10,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("%s joins: %v", who, err)
		}
		peers = append(peers, p)
		defer p.Close()
	}
	for _, p := range peers {
		if err := p.Wait(ctx, func() bool { return p.FramesReceived() >= 5 }); err != nil {
			t.Fatalf("no composed video: %v", err)
		}
	}

	scrape := func(auth string) (int, map[string]float64) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("parse /metrics: %v", err)
		}
		vals := map[string]float64{}
		for name, f := range fams {
			for _, m := range f.Metric {
				k := name
				for _, l := range m.Label {
					k += "|" + l.GetName() + "=" + l.GetValue()
				}
				switch {
				case m.Gauge != nil:
					vals[k] += m.Gauge.GetValue()
				case m.Counter != nil:
					vals[k] += m.Counter.GetValue()
				case m.Histogram != nil:
					vals[k] += float64(m.Histogram.GetSampleCount())
				}
			}
		}
		return http.StatusOK, vals
	}
	for _, auth := range []string{"", "Bearer wrong-key-wrong-key", "Basic " + key} {
		if code, _ := scrape(auth); code != http.StatusUnauthorized {
			t.Errorf("/metrics with %q: %d, want 401", auth, code)
		}
	}
	code, v := scrape("Bearer " + key)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	receivers := v["nahbar_receivers|tier=high"] + v["nahbar_receivers|tier=medium"] + v["nahbar_receivers|tier=low"] + v["nahbar_receivers|tier=audio"]
	for _, c := range []struct {
		name string
		got  float64
		ok   bool
	}{
		{"nahbar_rooms", v["nahbar_rooms"], v["nahbar_rooms"] == 2},
		{"advisors", v["nahbar_participants|role=advisor"], v["nahbar_participants|role=advisor"] == 2},
		{"citizens", v["nahbar_participants|role=citizen"], v["nahbar_participants|role=citizen"] == 1},
		{"receivers", receivers, receivers == 3},
		{"video encoders", v["nahbar_encoders|codec=vp8|tier=high"], v["nahbar_encoders|codec=vp8|tier=high"] >= 2},
		{"audio mixes", v["nahbar_encoders|codec=opus|tier=audio"], v["nahbar_encoders|codec=opus|tier=audio"] >= 2},
		{"bytes in", v["nahbar_media_received_bytes_total"], v["nahbar_media_received_bytes_total"] > 1000},
		{"bytes out", v["nahbar_media_sent_bytes_total"], v["nahbar_media_sent_bytes_total"] > 1000},
		{"capacity", v["nahbar_capacity_rooms"], v["nahbar_capacity_rooms"] == defaultCapacityUnits},
		{"process memory", v["process_resident_memory_bytes"], v["process_resident_memory_bytes"] > 0},
	} {
		if !c.ok {
			t.Errorf("%s = %v", c.name, c.got)
		}
	}
	if t.Failed() {
		t.Logf("metrics: %v", v)
	}
	// The byte counters keep growing while media flows.
	seen := peers[2].FramesReceived()
	if err := peers[2].Wait(ctx, func() bool { return peers[2].FramesReceived() >= seen+10 }); err != nil {
		t.Fatal(err)
	}
	_, v2 := scrape("Bearer " + key)
	for _, name := range []string{"nahbar_media_received_bytes_total", "nahbar_media_sent_bytes_total"} {
		if v2[name] <= v[name] {
			t.Errorf("%s did not grow: %v then %v", name, v[name], v2[name])
		}
	}
	// Every participant saw composed video, so each one's join time is
	// recorded (the room loop picks it up within a second of the first frame).
	for v2["nahbar_join_seconds"] < 3 && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		_, v2 = scrape("Bearer " + key)
	}
	if v2["nahbar_join_seconds"] != 3 {
		t.Errorf("nahbar_join_seconds has %v observations, want one per participant (3)", v2["nahbar_join_seconds"])
	}
	if _, ok := v2["nahbar_link_jitter_seconds"]; !ok {
		t.Error("nahbar_link_jitter_seconds missing")
	}

	// Shut down with both calls running: the records are written before exit.
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	st, err := storage.Open(context.Background(), storage.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	recs, err := st.CallRecords(context.Background(), now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d call records, want 2: %+v", len(recs), recs)
	}
	var appt *storage.CallRecord
	for i, r := range recs {
		if r.AppointmentID != nil {
			appt = &recs[i]
		} else if r.Advisors != 1 || r.Citizens != 1 {
			t.Errorf("demo room record %+v, want one advisor and one citizen", r)
		}
		if r.End.Before(r.Start) || r.Minutes < 1 || r.TierShares["high"] <= 0 {
			t.Errorf("record %+v: want an end, a minute and time on the high tier", r)
		}
	}
	if appt == nil || appt.Advisors != 1 || appt.Citizens != 0 || "appt-"+strconv.FormatUint(uint64(*appt.AppointmentID), 10) != appt.RoomID {
		t.Fatalf("appointment's record %+v", appt)
	}
	a, err := st.Appointment(context.Background(), *appt.AppointmentID)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.CallStats(context.Background(), storage.StatsQuery{TenantID: a.TenantID, From: now.Add(-24 * time.Hour),
		To: now.Add(24 * time.Hour), Per: storage.PerDay})
	if err != nil || cs.Calls != 1 || cs.Minutes != appt.Minutes || cs.ByRole["advisor"] != 1 {
		t.Errorf("call statistics %+v, %v: want the appointment's one call", cs, err)
	}
}
