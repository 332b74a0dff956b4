package bench

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// Field 2 may hold spaces and parentheses; utime 14 = 250, stime 15 = 50 ticks, 7 threads.
	line := "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 7 0 100 2000 300"
	cpu, threads, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if cpu != 3*time.Second || threads != 7 {
		t.Fatalf("cpu %v threads %d, want 3s and 7", cpu, threads)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 50 0 0 20 0 7"} {
		if _, _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
	rss, hwm := parseStatus("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n")
	if rss != 1024*1024 || hwm != 2048*1024 {
		t.Fatalf("rss %d hwm %d", rss, hwm)
	}
}

func TestReadProcOfItself(t *testing.T) {
	now := time.Now()
	s, err := ReadProc(os.Getpid(), now)
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 || s.Threads <= 0 || !s.Readable {
		t.Fatalf("%+v", s)
	}
	later := s
	later.At = now.Add(time.Second)
	later.CPU += 500 * time.Millisecond
	if got := CPUPercent(s, later); got != 50 {
		t.Fatalf("CPUPercent = %v, want 50", got)
	}
	if _, err := ReadProc(-1, now); err == nil {
		t.Fatal("ReadProc(-1) gave no error")
	}
}

func TestParseOptions(t *testing.T) {
	env := func(k string) string {
		if k == "NAHBAR_API_KEY" {
			return "0123456789abcdef"
		}
		return ""
	}
	for _, tc := range []struct {
		name  string
		args  []string
		check func(o Options) bool
		err   string
	}{
		{"quick by default", nil, func(o Options) bool {
			return o.Mode == "quick" && o.Out == "bench/results/quick" && len(o.ServerCmd) == 1 && o.Budget < 2*time.Minute
		}, ""},
		{"full", []string{"--full"}, func(o Options) bool { return o.Mode == "full" && o.Presenters == 2 && len(o.RoomSizes) == 7 }, ""},
		{"url takes the key from the environment", []string{"--url", "http://127.0.0.1:1"}, func(o Options) bool { return o.APIKey == "0123456789abcdef" && o.ServerCmd == nil }, ""},
		{"server command", []string{"--server-cmd", "taskset -c 1 bin/nahbar"}, func(o Options) bool { return len(o.ServerCmd) == 4 }, ""},
		{"steps", []string{"--calls", "1, 3,5", "--attendees", "10"}, func(o Options) bool { return len(o.CallSteps) == 3 && o.AttendeeSteps[0] == 10 }, ""},
		{"steps must increase", []string{"--calls", "3,2"}, nil, "must increase"},
		{"room size", []string{"--rooms", "12"}, nil, "3–9"},
		{"unknown scenario", []string{"--only", "calls,dance"}, nil, "unknown scenario"},
		{"presenters", []string{"--presenters", "3"}, nil, "1 or 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(tc.args, io.Discard, env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o) {
				t.Fatalf("options %+v", o)
			}
		})
	}
}

func TestFFmpegArgs(t *testing.T) {
	args := ffmpegArgs([]string{"a.ivf", "b.ivf", "c.ivf", "d.ivf", "e.ivf"})
	joined := strings.Join(args, " ")
	if n := strings.Count(joined, " -i "); n != 5 {
		t.Errorf("%d inputs, want 5", n)
	}
	if n := strings.Count(joined, "-c:v libvpx "); n != 5 {
		t.Errorf("%d encoders, want 5", n)
	}
	// Each output composes the four others at the corners of a 2x2 grid.
	for _, want := range []string{"scale=320:180:flags=area,split=4", "overlay=320:180", "[bg0][s1_0]overlay=0:0"} {
		if !strings.Contains(joined, want) {
			t.Errorf("command lacks %q", want)
		}
	}
	if strings.Contains(joined, "[s0_0]") {
		t.Error("an output shows its own publisher")
	}
}

func TestWriteIVF(t *testing.T) {
	var b bytes.Buffer
	if err := writeIVF(&b, 640, 360, 15, [][]byte{{1, 2, 3}, {4}}); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if string(out[:4]) != "DKIF" || string(out[8:12]) != "VP80" || binary.LittleEndian.Uint16(out[12:]) != 640 || len(out) != 32+12+3+12+1 {
		t.Fatalf("ivf %x", out)
	}
	if binary.LittleEndian.Uint32(out[32:]) != 3 || binary.LittleEndian.Uint64(out[47+4:]) != 1 {
		t.Fatalf("frame headers %x", out[32:])
	}
}

func TestPercentileAndMean(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3}
	for _, tc := range []struct{ p, want float64 }{{0, 1}, {10, 1}, {50, 3}, {100, 5}} {
		if got := percentile(v, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if mean(v) != 3 || mean(nil) != 0 || percentile(nil, 50) != 0 {
		t.Error("mean or empty percentile wrong")
	}
}

func TestParseMachineStat(t *testing.T) {
	busy, err := parseMachineStat("cpu  100 5 50 1000 20 3 2 10 7 0")
	if err != nil {
		t.Fatal(err)
	}
	// user+nice+system+irq+softirq+steal = 100+5+50+3+2+10 ticks.
	if busy != 1700*time.Millisecond {
		t.Fatalf("busy %v, want 1.7s", busy)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5"} {
		if _, err := parseMachineStat(bad); err == nil {
			t.Errorf("parseMachineStat(%q) accepted", bad)
		}
	}
	if _, err := MachineCPU(); err != nil {
		t.Fatal(err)
	}
}

// TestReadTierChanges reads the rooms' "tier changed" lines as slog's text
// handler writes them.
func TestReadTierChanges(t *testing.T) {
	log := `time=2026-12-04T19:00:00.000Z level=INFO msg="tier changed" room=r participant=p1 from=high to=medium estimate_kbps=310 loss=0
time=2026-12-04T19:00:01.000Z level=INFO msg="tier changed" room=r participant=p2 from=medium to=low estimate_kbps=150 loss=0.02
time=2026-12-04T19:00:02.000Z level=INFO msg="tier changed" room=r participant=p1 from=medium to=high estimate_kbps=900 loss=0
time=2026-12-04T19:00:03.000Z level=WARN msg="something else" from=high to=low
garbage line without fields
`
	got, err := ReadTierChanges(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := TierChanges{Down: 2, Up: 1, DownEstimateP50: 150, DownEstimateMax: 310, DownLossMax: 0.02}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
