package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Report is everything one run measured; report.json is this struct.
type Report struct {
	Command         string        `json:"command"`
	Mode            string        `json:"mode"`
	Started         time.Time     `json:"started"`
	Finished        time.Time     `json:"finished"`
	DurationSeconds float64       `json:"duration_seconds"`
	Machine         Machine       `json:"machine"`
	Server          string        `json:"server"`
	Source          string        `json:"source"`
	UpKbps          int           `json:"up_kbps"`
	Idle            Window        `json:"idle"`
	FFmpeg          *FFmpegResult `json:"ffmpeg,omitempty"`
	Rooms           []Window      `json:"rooms,omitempty"`
	Calls           *RampResult   `json:"calls,omitempty"`
	Group           *RampResult   `json:"group,omitempty"`
	Headlines       Headlines     `json:"headlines"`
	TierChanges     *TierChanges  `json:"tier_changes,omitempty"` // from the started server's log
	Notes           []string      `json:"notes,omitempty"`
}

// Machine describes where the figures come from.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
	FFmpeg    string `json:"ffmpeg"`
	LoadStart string `json:"load_average_start"`
	LoadAfter string `json:"load_average_end"`
}

// Headlines are the figures the issue asks for, taken from the scenarios.
type Headlines struct {
	CallsHealthy       int     `json:"calls_healthy"`               // concurrent 1:1 calls at ≥ 90 % fps
	CallsLimited       string  `json:"calls_limited_by"`            // why the ramp stopped
	RoomPublishers     int     `json:"room_publishers"`             // the room the CPU figures are for
	RoomServerCPU      float64 `json:"room_server_cpu_pct"`         // % of one core
	FFmpegCPU          float64 `json:"ffmpeg_cpu_pct"`              // the same media work on the ffmpeg command line
	CPURatio           float64 `json:"cpu_ratio_nahbar_ffmpeg"`     // nahbar ÷ ffmpeg, CPU time per composed output frame
	CPURatioPct        float64 `json:"cpu_ratio_pct_nahbar_ffmpeg"` // nahbar ÷ ffmpeg, % of a core at the frame rate each achieved
	RoomCPUPerFrame    float64 `json:"room_server_cpu_ms_per_output_frame"`
	FFmpegCPUPerFrame  float64 `json:"ffmpeg_cpu_ms_per_output_frame"`
	SFURatioRoom       float64 `json:"sfu_ratio_room"` // SFU downstream ÷ nahbar downstream per receiver
	SFURatioGroup      float64 `json:"sfu_ratio_group"`
	GroupBandwidthFrom string  `json:"group_bandwidth_from"`
	AttendeesHealthy   int     `json:"attendees_healthy"`
	AttendeesLimited   string  `json:"attendees_limited_by"`
	GroupFirstLoad     int     `json:"group_first_step_attendees"`
	GroupLastLoad      int     `json:"group_last_step_attendees"`
	GroupCPUFirst      float64 `json:"group_cpu_first_step_pct"`
	GroupCPULast       float64 `json:"group_cpu_last_step_pct"`
	GroupEncFirst      int     `json:"group_encoders_first_step"`
	GroupEncLast       int     `json:"group_encoders_last_step"`
	GroupUsPktFirst    float64 `json:"group_cpu_us_per_packet_first_step,omitempty"`
	GroupUsPktLast     float64 `json:"group_cpu_us_per_packet_last_step,omitempty"`
	GroupAllocPktLast  float64 `json:"group_allocs_per_packet_last_step,omitempty"`
	LatencyP50         float64 `json:"latency_p50_ms"`
	LatencyP95         float64 `json:"latency_p95_ms"`
	LatencyP99         float64 `json:"latency_p99_ms"`
	LatencyFrom        string  `json:"latency_from"`
	SendP50            float64 `json:"latency_from_send_p50_ms"`
	SendP95            float64 `json:"latency_from_send_p95_ms"`
	SendP99            float64 `json:"latency_from_send_p99_ms"`
	JoinP50            float64 `json:"join_ms_p50"`
	JoinP95            float64 `json:"join_ms_p95"`
	JoinFrom           string  `json:"join_from"`
	PSNR               float64 `json:"psnr_db"`
	LayoutMismatches   int     `json:"layout_mismatches"`
	StampsUnreadable   int     `json:"stamps_unreadable"`
	StampsRead         int     `json:"stamps_read"`
	DownKbpsRoom       float64 `json:"down_kbps_room"`
	SFUDownKbpsRoom    float64 `json:"sfu_down_kbps_room"`
	DownKbpsGroup      float64 `json:"down_kbps_group"`
	SFUDownKbpsGroup   float64 `json:"sfu_down_kbps_group"`
	ServerRSSMaxMB     float64 `json:"server_rss_max_mb"`
	OtherCPUMean       float64 `json:"other_cpu_mean_pct"` // other processes on the machine during the windows
	ReceiversAnalysed  int     `json:"windows_measured"`
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("ffmpeg", "-version").Output(); err == nil {
		m.FFmpeg, _, _ = strings.Cut(string(out), "\n")
	}
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// summarise fills the headlines from the scenarios.
func (r *Report) summarise() {
	h := &r.Headlines
	var windows []Window
	if r.Calls != nil {
		h.CallsHealthy, h.CallsLimited = r.Calls.LastHealthy, r.Calls.Stopped
		windows = append(windows, r.Calls.Steps...)
	}
	var room *Window
	for i := range r.Rooms {
		if room == nil || (r.FFmpeg != nil && r.Rooms[i].Load == r.FFmpeg.Publishers) {
			room = &r.Rooms[i]
		}
	}
	windows = append(windows, r.Rooms...)
	if room != nil {
		h.RoomPublishers, h.RoomServerCPU = room.Load, room.ServerCPU
		h.SFURatioRoom, h.DownKbpsRoom, h.SFUDownKbpsRoom = room.SFURatio, room.DownKbpsMean, room.SFUDownKbpsMean
		h.LatencyP50, h.LatencyP95, h.LatencyP99 = room.LatencyP50, room.LatencyP95, room.LatencyP99
		h.LatencyFrom = room.Label
		h.SendP50, h.SendP95, h.SendP99 = room.SendP50, room.SendP95, room.SendP99
		h.JoinP50, h.JoinP95, h.JoinFrom = room.JoinP50, room.JoinP95, room.Label
		h.PSNR = room.PSNRMean
	}
	if r.FFmpeg != nil && r.FFmpeg.Error == "" {
		h.FFmpegCPU = r.FFmpeg.CPUPctAt15FPS
		h.FFmpegCPUPerFrame = r.FFmpeg.CPUPerFrame
		if room != nil && room.Load == r.FFmpeg.Publishers && h.FFmpegCPU > 0 && room.ServerCPU > 0 {
			h.CPURatioPct = round(room.ServerCPU/h.FFmpegCPU, 2)
			h.RoomCPUPerFrame = room.ServerCPUPerFrame
			if r.FFmpeg.CPUPerFrame > 0 {
				h.CPURatio = round(room.ServerCPUPerFrame/r.FFmpeg.CPUPerFrame, 2)
			}
		}
	}
	if g := r.Group; g != nil {
		h.AttendeesHealthy, h.AttendeesLimited = g.LastHealthy, g.Stopped
		windows = append(windows, g.Steps...)
		if n := len(g.Steps); n > 0 {
			first, last := g.Steps[0], g.Steps[n-1]
			h.GroupFirstLoad, h.GroupLastLoad = first.Load, last.Load
			h.GroupCPUFirst, h.GroupCPULast = first.ServerCPU, last.ServerCPU
			h.GroupEncFirst, h.GroupEncLast = first.VideoEncoders, last.VideoEncoders
			h.GroupUsPktFirst, h.GroupUsPktLast = first.ServerCPUUsPerPacket, last.ServerCPUUsPerPacket
			h.GroupAllocPktLast = last.ServerAllocsPerPacket
			// Bandwidth from the step where attendees got the most video: a step
			// where many were moved to audio only would flatter the ratio.
			best := first
			for _, s := range g.Steps {
				if s.FPSMean > best.FPSMean {
					best = s
				}
			}
			h.GroupBandwidthFrom = best.Label
			h.SFURatioGroup, h.DownKbpsGroup, h.SFUDownKbpsGroup = best.SFURatio, best.DownKbpsMean, best.SFUDownKbpsMean
		}
	}
	if room == nil && r.Calls != nil && len(r.Calls.Steps) > 0 {
		first := r.Calls.Steps[0]
		h.LatencyP50, h.LatencyP95, h.LatencyP99, h.LatencyFrom = first.LatencyP50, first.LatencyP95, first.LatencyP99, "1:1, "+first.Label
		h.SendP50, h.SendP95, h.SendP99 = first.SendP50, first.SendP95, first.SendP99
		h.JoinP50, h.JoinP95, h.JoinFrom = first.JoinP50, first.JoinP95, "1:1, "+first.Label
		h.PSNR = first.PSNRMean
	}
	lowered := 0
	for _, w := range windows {
		for size, n := range w.Tiers {
			if size != fmt.Sprintf("%dx%d", SourceWidth, SourceHeight) {
				lowered = max(lowered, n)
			}
		}
	}
	if lowered > 0 {
		r.addNote(fmt.Sprintf("Up to %d receivers of a window were on a lower tier than 640x360 (see the tiers column), although loopback has no bandwidth limit: "+
			"the server's per-receiver adaptation (GCC on transport-wide feedback) took delay from CPU contention on this shared machine for congestion. "+
			"Their lower frame rate (12 or 10 fps by tier) counts against the 15 fps target, as a user would see it.", lowered) + r.tierEvidence())
	}
	var other []float64
	for _, w := range windows {
		other = append(other, w.OtherCPU)
		h.LayoutMismatches += w.LayoutMismatch
		h.StampsUnreadable += w.Unreadable
		h.StampsRead += w.StampsRead
		h.ServerRSSMaxMB = max(h.ServerRSSMaxMB, w.ServerRSSMB)
	}
	h.ReceiversAnalysed = len(windows)
	h.OtherCPUMean = round(mean(other), 1)
}

// tierEvidence is what the server's log says about its tier switches.
func (r *Report) tierEvidence() string {
	t := r.TierChanges
	if t == nil || t.Down == 0 {
		return ""
	}
	s := fmt.Sprintf(" The server's log: %d switches down and %d up in the run; at the switches down GCC's estimate was %.0f kbit/s (median; at most %.0f) and the loss the receivers reported at most %.1f %%",
		t.Down, t.Up, t.DownEstimateP50, t.DownEstimateMax, 100*t.DownLossMax)
	if t.DownLossMax < 0.02 {
		return s + " — a delay-based estimate falling without loss, on a link with no limit."
	}
	return s + " (loss on loopback is a socket buffer that overflowed while its reader waited for the CPU)."
}

// addNote adds a note once (a re-rendered report summarises again).
func (r *Report) addNote(n string) {
	for _, old := range r.Notes {
		if old == n {
			return
		}
	}
	r.Notes = append(r.Notes, n)
}

// Render rewrites report.md and the charts of dir from its report.json, with
// the headlines summarised again: for a report made by an older version of
// the tool, or after changing the Markdown.
func Render(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("render %s: %w", dir, err)
	}
	r.Headlines = Headlines{}
	r.summarise()
	return r.write(dir)
}

// write saves report.json, report.md and the charts in dir.
func (r *Report) write(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report.json: %w", err)
	}
	charts, err := r.charts(dir)
	if err != nil {
		r.Notes = append(r.Notes, "charts: "+err.Error())
	}
	var md strings.Builder
	r.markdown(&md, charts)
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644); err != nil {
		return fmt.Errorf("write report.md: %w", err)
	}
	return nil
}

// printHeadlines writes the headline figures, one per line.
func (r *Report) printHeadlines(w io.Writer) {
	h := r.Headlines
	fmt.Fprintf(w, "nahbar bench (%s) on %d cores, %s, load %s → %s\n", r.Mode, r.Machine.Cores, r.Machine.CPU, r.Machine.LoadStart, r.Machine.LoadAfter)
	if r.Calls != nil {
		fmt.Fprintf(w, "  concurrent 1:1 calls at 640x360@15:          %d (%s)\n", h.CallsHealthy, h.CallsLimited)
	}
	if h.RoomPublishers > 0 {
		fmt.Fprintf(w, "  server CPU of a %d-publisher room:            %.1f %% of one core\n", h.RoomPublishers, h.RoomServerCPU)
	}
	if h.FFmpegCPU > 0 {
		fmt.Fprintf(w, "  ffmpeg command line, same media work:        %.1f %% of one core (%.2f ms CPU per output frame)\n", h.FFmpegCPU, h.FFmpegCPUPerFrame)
		fmt.Fprintf(w, "  CPU ratio nahbar ÷ ffmpeg per output frame:  %.2f (%.2f vs %.2f ms); per %% of a core: %.2f\n", h.CPURatio, h.RoomCPUPerFrame, h.FFmpegCPUPerFrame, h.CPURatioPct)
	}
	if r.Group != nil {
		fmt.Fprintf(w, "  receive-only attendees of one session:       %d (%s)\n", h.AttendeesHealthy, h.AttendeesLimited)
		fmt.Fprintf(w, "    from %d to %d attendees: server CPU %.1f %% → %.1f %%, video encoders %d → %d\n", h.GroupFirstLoad, h.GroupLastLoad, h.GroupCPUFirst, h.GroupCPULast, h.GroupEncFirst, h.GroupEncLast)
		if h.GroupUsPktLast > 0 {
			fmt.Fprintf(w, "    server CPU per RTP packet sent: %.1f µs → %.1f µs; %.2f heap allocations per packet at %d\n", h.GroupUsPktFirst, h.GroupUsPktLast, h.GroupAllocPktLast, h.GroupLastLoad)
		}
	}
	if h.SFURatioRoom > 0 {
		fmt.Fprintf(w, "  downstream per receiver, room:               %.0f kbit/s vs %.0f SFU-style → ratio %.2f\n", h.DownKbpsRoom, h.SFUDownKbpsRoom, h.SFURatioRoom)
	}
	if h.SFURatioGroup > 0 {
		fmt.Fprintf(w, "  downstream per attendee, group (%s): %.0f kbit/s vs %.0f SFU-style → ratio %.2f\n", h.GroupBandwidthFrom, h.DownKbpsGroup, h.SFUDownKbpsGroup, h.SFURatioGroup)
	}
	if h.LatencyFrom != "" {
		fmt.Fprintf(w, "  latency, camera stamp → decoded (%s): p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n", h.LatencyFrom, h.LatencyP50, h.LatencyP95, h.LatencyP99)
		fmt.Fprintf(w, "    from the encoded frame's send:             p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n", h.SendP50, h.SendP95, h.SendP99)
		fmt.Fprintf(w, "  join time, invitation → first decoded frame: p50 %.0f ms, p95 %.0f ms\n", h.JoinP50, h.JoinP95)
		fmt.Fprintf(w, "  PSNR of the received composite:              %.1f dB\n", h.PSNR)
	}
	fmt.Fprintf(w, "  stamps read %d, unreadable %d, layout mismatches %d\n", h.StampsRead, h.StampsUnreadable, h.LayoutMismatches)
	fmt.Fprintf(w, "  other processes on the machine during the windows: %.0f %% of one core on average\n", h.OtherCPUMean)
}
