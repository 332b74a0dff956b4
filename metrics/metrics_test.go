package metrics

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scripted is a Source whose snapshot the test changes between scrapes.
type scripted struct {
	mu sync.Mutex
	s  Snapshot
}

func (c *scripted) Snapshot() Snapshot { c.mu.Lock(); defer c.mu.Unlock(); return c.s }
func (c *scripted) set(s Snapshot)     { c.mu.Lock(); c.s = s; c.mu.Unlock() }

func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return fams
}

// value finds the sample of name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestScrapeValues(t *testing.T) {
	src := &scripted{}
	m, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	room := func(in, out uint64, parts ...Participant) Snapshot {
		for i := range parts {
			parts[i].BytesIn, parts[i].BytesOut = in, out
		}
		return Snapshot{CapacityRooms: 40, Rooms: []Room{{ID: "r1", Participants: parts, KeyframesForced: in / 100,
			Encoders: []Encoder{{"high", "vp8", 1}, {"low", "vp8", 1}, {"audio", "opus", 2}}}}}
	}
	adv := Participant{Key: "a", Role: "advisor", Tier: "high", Codec: "vp8", RTTSeconds: 0.03, LossFraction: 0.01, JitterSeconds: 0.004}
	cit := Participant{Key: "c", Role: "citizen", Tier: "low", Codec: "vp8", RTTSeconds: 0.3, JitterSeconds: 0.04}

	src.set(room(1000, 5000, adv, cit))
	steps := []struct {
		name string
		snap Snapshot
		want map[string]float64
	}{
		{"first scrape counts everything so far", room(1000, 5000, adv, cit), map[string]float64{
			"nahbar_rooms": 1, "advisor": 1, "citizen": 1, "attendee": 0, "recv high": 1, "recv low": 1,
			"enc high vp8": 1, "enc audio opus": 1, "in": 2000, "out": 10000, "kf": 10, "rtt": 2, "jitter": 2, "cap": 40}},
		{"growth is added", room(1500, 9000, adv, cit), map[string]float64{"in": 3000, "out": 18000, "kf": 15, "rtt": 4, "jitter": 4}},
		{"a leaver keeps what was counted", room(1700, 9500, adv), map[string]float64{
			"citizen": 0, "in": 3200, "out": 18500, "kf": 17, "rtt": 5, "jitter": 5}},
		{"no calls: gauges zero, counters stay", Snapshot{}, map[string]float64{
			"nahbar_rooms": 0, "advisor": 0, "in": 3200, "out": 18500, "kf": 17}},
		{"a new room counts from its start", room(100, 200, cit), map[string]float64{"in": 3300, "out": 18700, "kf": 18}},
	}
	query := map[string][]string{
		"nahbar_rooms": {"nahbar_rooms"}, "cap": {"nahbar_capacity_rooms"},
		"advisor":   {"nahbar_participants", "role", "advisor"},
		"citizen":   {"nahbar_participants", "role", "citizen"},
		"attendee":  {"nahbar_participants", "role", "attendee"},
		"recv high": {"nahbar_receivers", "tier", "high"}, "recv low": {"nahbar_receivers", "tier", "low"},
		"enc high vp8":   {"nahbar_encoders", "tier", "high", "codec", "vp8"},
		"enc audio opus": {"nahbar_encoders", "tier", "audio", "codec", "opus"},
		"in":             {"nahbar_media_received_bytes_total"}, "out": {"nahbar_media_sent_bytes_total"},
		"kf": {"nahbar_keyframes_forced_total"}, "rtt": {"nahbar_link_rtt_seconds"},
		"jitter": {"nahbar_link_jitter_seconds"},
	}
	for _, st := range steps {
		src.set(st.snap)
		fams := scrape(t, m)
		for k, want := range st.want {
			q := query[k]
			got, ok := value(fams, q[0], q[1:]...)
			if !ok || got != want {
				t.Errorf("%s: %s = %v (found %v), want %v", st.name, k, got, ok, want)
			}
		}
	}
}

// TestJitterSampling: a participant whose receiver reports have not arrived
// yet adds no jitter observation; one with reports adds its own figure.
func TestJitterSampling(t *testing.T) {
	src := &scripted{}
	src.set(Snapshot{Rooms: []Room{{ID: "r", Participants: []Participant{
		{Key: "a", Role: "advisor", Tier: "high", RTTSeconds: 0.05, JitterSeconds: 0.012},
		{Key: "f", Role: "citizen"}, // just joined: no report, no RTT, no jitter
	}}}})
	m, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	h := scrape(t, m)["nahbar_link_jitter_seconds"]
	if h == nil || len(h.Metric) != 1 {
		t.Fatalf("nahbar_link_jitter_seconds missing: %v", h)
	}
	if c, s := h.Metric[0].Histogram.GetSampleCount(), h.Metric[0].Histogram.GetSampleSum(); c != 1 || s != 0.012 {
		t.Errorf("jitter histogram: %d samples summing to %v, want 1 of 0.012 s", c, s)
	}
}

func TestEvents(t *testing.T) {
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Events.Booked("citizen")
	m.Events.Booked("citizen")
	m.Events.Booked("console")
	m.Events.LoginFailed()
	m.Events.Admitted(42 * time.Second)
	m.Events.Admitted(-time.Second) // a clock step: ignored
	m.Events.Joined(700 * time.Millisecond)
	m.Events.Joined(4 * time.Second)
	var nilEvents *Events
	nilEvents.Booked("api") // a server without metrics records nothing and does not panic
	nilEvents.Joined(time.Second)
	fams := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"nahbar_bookings_total", []string{"channel", "citizen"}, 2},
		{"nahbar_bookings_total", []string{"channel", "console"}, 1},
		{"nahbar_console_failed_logins_total", nil, 1},
		{"nahbar_join_wait_seconds", nil, 1},
		{"nahbar_join_seconds", nil, 2},
	} {
		if got, ok := value(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, std := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines"} {
		if _, ok := fams[std]; !ok {
			t.Errorf("standard metric %s missing", std)
		}
	}
}

// TestNamingConventions runs promlint, the checker behind `promtool check
// metrics`, over everything the registry exposes with every series present.
func TestNamingConventions(t *testing.T) {
	src := &scripted{}
	src.set(Snapshot{Rooms: []Room{{ID: "r", Participants: []Participant{{Key: "p", Role: "advisor", Tier: "high", RTTSeconds: 0.05}},
		Encoders: []Encoder{{"high", "vp8", 1}}}}})
	m, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Events.Booked("citizen")
	m.Events.LoginFailed()
	problems, err := testutil.GatherAndLint(m.Gatherer())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestPromtool pipes a full exposition through `promtool check metrics` when
// Debian's prometheus package provides it (promlint above runs everywhere).
func TestPromtool(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	src := &scripted{}
	src.set(Snapshot{Rooms: []Room{{ID: "r", Participants: []Participant{{Key: "p", Role: "citizen", Tier: "low", RTTSeconds: 0.2}},
		Encoders: []Encoder{{"low", "h264", 1}}}}})
	m, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Events.Booked("citizen")
	m.Events.Admitted(time.Minute)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = resp.Body
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestDashboardUsesExportedMetrics keeps docker/grafana-dashboard.json and
// docker/prometheus.yml honest: every nahbar_* series a panel queries exists.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	b, err := os.ReadFile("../docker/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	src := &scripted{}
	src.set(Snapshot{Rooms: []Room{{ID: "r", Encoders: []Encoder{{"high", "vp8", 1}}}}})
	m, err := New(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Events.Booked("citizen")
	m.Events.LoginFailed()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		known[f.GetName()] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			known[f.GetName()+"_bucket"] = true
		}
	}
	re := regexp.MustCompile(`\b((?:nahbar|process|go)_[a-z_]+)`)
	used := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, name := range re.FindAllString(tg.Expr, -1) {
				used++
				if !known[name] {
					t.Errorf("panel %q queries %s, which nahbar does not export", p.Title, name)
				}
			}
		}
	}
	if used < 15 {
		t.Errorf("only %d metric references in the dashboard", used)
	}
}

// TestPrometheusConfig checks docker/prometheus.yml with `promtool check
// config`, its key file path pointed at a temporary file.
func TestPrometheusConfig(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	b, err := os.ReadFile("../docker/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "nahbar_api_key")
	if err := os.WriteFile(key, []byte("0123456789abcdef0123\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "prometheus.yml")
	text := strings.ReplaceAll(string(b), "/etc/prometheus/secrets/nahbar_api_key", key)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "check", "config", conf).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}
