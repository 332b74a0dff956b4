package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportRendersWhatWasMeasured writes a report of made-up windows and
// checks that the Markdown states the headline figures the windows give and
// that every chart exists.
func TestReportRendersWhatWasMeasured(t *testing.T) {
	step := func(load int, cpu, fps float64, healthy bool) Window {
		return Window{Label: "step", Load: load, Seconds: 3, ServerCPU: cpu, ServerRSSMB: 100 + float64(load), Receivers: 2 * load,
			FPSMean: fps, FPSP10: fps, DownKbpsMean: 450, SFUDownKbpsMean: 900, SFURatio: 2, Healthy: healthy,
			Tiers: map[string]int{"640x360": 2 * load}, VideoEncoders: 2 * load, ServerCPUPerFrame: 6}
	}
	room := step(5, 50, 15, true)
	room.Label, room.LatencyCount, room.LatencyP50, room.LatencyP95, room.LatencyP99 = "room of 5", 100, 60, 90, 120
	room.SendP50, room.SendP95, room.SendP99, room.JoinP50, room.JoinP95, room.PSNRMean, room.PSNRCount = 30, 50, 70, 110, 140, 40.5, 5
	r := &Report{
		Command: "nahbar bench", Mode: "quick", Machine: Machine{Cores: 2},
		FFmpeg: &FFmpegResult{Publishers: 5, Frames: 150, CPUSeconds: 6, CPUPctAt15FPS: 60, CPUPerFrame: 8},
		Rooms:  []Window{room},
		Calls:  &RampResult{Name: "1:1 appointments", Steps: []Window{step(1, 20, 15, true), step(2, 40, 15, true), step(4, 90, 12, false)}, LastHealthy: 2, Stopped: "at 4 calls"},
		Group:  &RampResult{Name: "group", Steps: []Window{step(30, 30, 15, true), step(150, 45, 14.9, true), step(300, 60, 13, false)}, LastHealthy: 150, Stopped: "at 300"},
	}
	r.Group.Steps[2].Tiers = map[string]int{"640x360": 200, "480x270": 100}
	r.summarise()
	h := r.Headlines
	if h.CallsHealthy != 2 || h.AttendeesHealthy != 150 || h.RoomServerCPU != 50 || h.CPURatio != 0.75 || h.GroupCPUFirst != 30 || h.GroupCPULast != 60 {
		t.Fatalf("headlines %+v", h)
	}
	dir := t.TempDir()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	// Render again from the JSON, as --render does: same figures, one note.
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**2** — at 4 calls", "**50.0 %**", "**0.75**", "**150** — at 300", "p95 90 ms", "p50 **110 ms**", "30.0 % → 60.0 %", "lower tier"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if n := strings.Count(string(md), "lower tier than 640x360"); n != 1 {
		t.Errorf("the tier note appears %d times", n)
	}
	for _, c := range []string{"calls_cpu.png", "calls_fps.png", "group_cpu.png", "group_memory.png", "group_fps.png", "bandwidth.png", "latency.png", "cpu_ratio.png"} {
		if fi, err := os.Stat(filepath.Join(dir, c)); err != nil || fi.Size() == 0 {
			t.Errorf("chart %s: %v", c, err)
		}
	}
	var back Report
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &back); err != nil || back.Headlines.CallsHealthy != 2 {
		t.Fatalf("report.json: %v %+v", err, back.Headlines)
	}
}
