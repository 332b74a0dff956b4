package bench

import (
	"fmt"
	"strings"
)

// markdown writes the human report: how it was made, the headlines, every
// window, the charts and what the figures do and do not say.
func (r *Report) markdown(b *strings.Builder, charts []string) {
	h := r.Headlines
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("# nahbar benchmark (%s mode)\n\n", r.Mode)
	p("Command: `%s` (run from the repository root; %.0f s).\n\n", r.Command, r.DurationSeconds)
	p("| | |\n|---|---|\n")
	p("| started | %s |\n", r.Started.Format("2006-01-02 15:04:05 MST"))
	p("| machine | %d cores, %s, Linux %s |\n", r.Machine.Cores, r.Machine.CPU, r.Machine.Kernel)
	p("| load average (1, 5, 15 min) | %s at the start, %s at the end (the machine is shared: other work competes for the same cores) |\n", r.Machine.LoadStart, r.Machine.LoadAfter)
	p("| server | %s |\n", r.Server)
	p("| synthetic camera | %s |\n", r.Source)
	p("| tools | %s, %s |\n", r.Machine.Go, r.Machine.FFmpeg)
	p("| idle server | CPU %.1f %% of one core, RSS %.0f MB |\n\n", r.Idle.ServerCPU, r.Idle.ServerRSSMB)

	p("## Headlines\n\n| figure | value |\n|---|---|\n")
	if r.Calls != nil {
		p("| concurrent 1:1 calls at 640x360@15 (10th-percentile receiver ≥ 13.5 fps) | **%d** — %s |\n", h.CallsHealthy, h.CallsLimited)
	}
	if h.RoomPublishers > 0 {
		p("| server CPU of a %d-publisher room | **%.1f %%** of one core |\n", h.RoomPublishers, h.RoomServerCPU)
	}
	if h.FFmpegCPU > 0 {
		p("| the ffmpeg command line doing the same video work | %.1f %% of one core at 15 fps, %.2f ms CPU per output frame |\n", h.FFmpegCPU, h.FFmpegCPUPerFrame)
		if h.CPURatio > 0 {
			p("| CPU ratio nahbar ÷ ffmpeg, per composed output frame | **%.2f** (%.2f vs %.2f ms; in %% of a core: %.2f) |\n", h.CPURatio, h.RoomCPUPerFrame, h.FFmpegCPUPerFrame, h.CPURatioPct)
		}
	}
	if r.Group != nil {
		p("| receive-only attendees of one session before fps drops | **%d** — %s |\n", h.AttendeesHealthy, h.AttendeesLimited)
		p("| group session from %d to %d attendees: server CPU, video encoders | %.1f %% → %.1f %%, %d → %d |\n", h.GroupFirstLoad, h.GroupLastLoad, h.GroupCPUFirst, h.GroupCPULast, h.GroupEncFirst, h.GroupEncLast)
		if h.GroupUsPktLast > 0 {
			p("| group session: server CPU per RTP packet sent, %d → %d attendees | %.1f µs → **%.1f µs**; %.2f heap allocations per packet at %d |\n", h.GroupFirstLoad, h.GroupLastLoad, h.GroupUsPktFirst, h.GroupUsPktLast, h.GroupAllocPktLast, h.GroupLastLoad)
		}
	}
	if h.SFURatioRoom > 0 {
		p("| downstream per receiver, %d-publisher room: nahbar vs SFU forwarding | %.0f vs %.0f kbit/s → ratio **%.2f** |\n", h.RoomPublishers, h.DownKbpsRoom, h.SFUDownKbpsRoom, h.SFURatioRoom)
	}
	if h.SFURatioGroup > 0 {
		p("| downstream per attendee, group session (%s) | %.0f vs %.0f kbit/s → ratio %.2f |\n", h.GroupBandwidthFrom, h.DownKbpsGroup, h.SFUDownKbpsGroup, h.SFURatioGroup)
	}
	if h.LatencyFrom != "" {
		p("| latency, camera stamp → decoded composite (%s) | p50 %.0f ms, **p95 %.0f ms**, p99 %.0f ms |\n", h.LatencyFrom, h.LatencyP50, h.LatencyP95, h.LatencyP99)
		p("| the same from the encoded frame's send | p50 %.0f ms, **p95 %.0f ms**, p99 %.0f ms |\n", h.SendP50, h.SendP95, h.SendP99)
		p("| join time, invitation API call → first composed frame decoded (%s) | p50 **%.0f ms**, p95 %.0f ms |\n", h.JoinFrom, h.JoinP50, h.JoinP95)
		p("| PSNR of the received composite against the expected picture | %.1f dB |\n", h.PSNR)
	}
	p("| stamps read / unreadable / in the wrong cell | %d / %d / %d |\n", h.StampsRead, h.StampsUnreadable, h.LayoutMismatches)
	p("| server peak RSS in any window | %.0f MB |\n", h.ServerRSSMaxMB)
	p("| other processes on the machine during the windows (mean) | %.0f %% of one core |\n\n", h.OtherCPUMean)

	if h.OtherCPUMean > 50 {
		p("> **The machine was busy with other work** during this run: other processes used %.0f %% of one core on average (of %d00 %%), and the load average was %s → %s. "+
			"The capacity figures (calls, attendees) are what was left for the server under that contention, not this machine's capacity; "+
			"the per-frame CPU ratio, the bandwidths, the stamp and layout checks do not depend on it. Rerun on a quiet machine for capacity.\n\n",
			h.OtherCPUMean, r.Machine.Cores, r.Machine.LoadStart, r.Machine.LoadAfter)
	}
	for _, c := range charts {
		p("![%s](%s)\n\n", strings.TrimSuffix(c, ".png"), c)
	}

	if f := r.FFmpeg; f != nil {
		p("## Baseline: the ffmpeg command line\n\n")
		p("The media work of a room of %d publishers — %d VP8 decodes, every source scaled once to its cell (area filter), %d compositions of the %d others on a black 640x360 canvas, %d libvpx encodes with the server's tier settings (realtime, cpu-used 12, %d kbit/s CBR, one thread) — on %d pre-encoded frames per input, as fast as it runs. CPU time from the kernel (rusage): %.2f s user+system in %.2f s wall = **%.1f %% of one core** at 15 fps, %.2f ms per output frame.",
			f.Publishers, f.Publishers, f.Publishers, f.Publishers-1, f.Publishers, tierKbps, f.Frames, f.CPUSeconds, f.WallSeconds, f.CPUPctAt15FPS, f.CPUPerFrame)
		p(" The server's figure includes everything else it does (Opus decode, mix and encode, RTP, SRTP, RTCP, ICE, signalling), so the ratio is conservative for nahbar. The ratio is taken per composed output frame (server CPU time in the window ÷ frames its outputs delivered), which stays fair when the server, on a shared machine, delivered fewer than 15 frames a second.\n\n")
		if f.Error != "" {
			p("It failed: `%s`\n\n", f.Error)
		}
		p("<details><summary>command</summary>\n\n```\n%s\n```\n</details>\n\n", shellQuote(f.Command))
	}
	if len(r.Rooms) > 0 {
		p("## Rooms\n\nEvery publisher decodes and checks what it receives; the first one's camera is live (its stamps give the latency), the others replay distinct clips.\n\n")
		windowTable(b, r.Rooms)
	}
	if r.Calls != nil {
		p("## %s\n\nThe first call is live (stamped, decoded, analysed); the others replay pre-encoded clips and count what they receive. Stopped: %s.\n\n", r.Calls.Name, r.Calls.Stopped)
		windowTable(b, r.Calls.Steps)
	}
	if r.Group != nil {
		p("## %s\n\nThe first attendees decode and analyse; the others count packets and frames. Receivers below are the attendees. The ramp measures on past the first step below 90 %% fps to its last step (the cost per attendee is the point). Limit: %s.\n\n", r.Group.Name, r.Group.Stopped)
		windowTable(b, r.Group.Steps)
		costTable(b, r.Group.Steps)
	}
	p("## How to read this\n\n")
	p("- **CPU** is the server process's user+system time from /proc/<pid>/stat over the window, in %% of one core (200 %% = both cores of this machine). The load generator runs on the same machine; its own CPU is the *bench* column, and *other* is what everything else on the machine used in the window (from /proc/stat: other people's builds and tests on a shared machine). With 2 cores, server + bench + other cannot exceed 200 %%: when *other* is large, the server was starved and its figures are a floor, not its capacity.\n")
	p("- **fps** is what each receiver got: decoded pictures for analysing receivers, complete frames (RTP marker bits) for counting ones. A step is healthy when the 10th-percentile receiver gets ≥ 90 %% of 15 fps; a step that misses it is measured a second time before it counts (the machine is shared), and the second window is reported.\n")
	p("- **Latency** is from the moment a live camera stamps a frame (frame number and send time in a block barcode, the same machine clock) to the moment a receiver has decoded a composite showing it; only the first sight of each frame counts. It includes the publisher's encode (pion/mediadevices' libvpx, which offers no speed setting, so libvpx picks its own and takes up to a frame interval), the server's jitter buffer, decode, the wait for the next mixer tick (up to 67 ms), compose, encode and the receiver's decode.\n")
	p("- **From send** is the same latency minus the camera's encode time of that very frame: from the encoded frame leaving the publisher to the composite showing it being decoded — what the server and the network add.\n")
	p("- **Join time** is from the API call that issues the invitation to the first composed frame the new participant decoded: token, WebSocket, join, offer/answer, ICE, DTLS, keyframe.\n")
	p("- **PSNR** (luma) compares a decoded composite, once a second per analysing receiver, with the picture drawn again from the stamps it shows: each source frame rendered exactly as sent, scaled into its cell, on black. Two VP8 generations and a scale lie between them.\n")
	p("- **SFU downstream** is what a receiver would get if the server forwarded every other publisher's stream: the sum of their measured upstream RTP bitrates (camera %d kbit/s target + Opus). The ratio is SFU ÷ nahbar.\n", r.UpKbps)
	p("- **Encoders**: %s.\n", encoderSource(r))
	p("- Live mediadevices encoders run only where a latency is measured: the first publisher of each room, the advisor of the first 1:1 call, the presenters of the group session. The other publishers replay 4-second clips encoded once by libvpx (same size and bitrate, one distinct clip per publisher of a room), so the load generator does not starve the server it measures.\n")
	p("- **loss %%** counts RTP sequence numbers the receivers never saw. On loopback nothing is lost in a network: a loss means a socket buffer overflowed because a sender or receiver process did not get the CPU in time.\n")
	for _, n := range r.Notes {
		p("- %s\n", n)
	}
}

func encoderSource(r *Report) string {
	for _, w := range r.Rooms {
		return w.EncodersSource
	}
	if r.Calls != nil && len(r.Calls.Steps) > 0 {
		return r.Calls.Steps[0].EncodersSource
	}
	if r.Group != nil && len(r.Group.Steps) > 0 {
		return r.Group.Steps[0].EncodersSource
	}
	return "not measured"
}

func windowTable(b *strings.Builder, ws []Window) {
	b.WriteString("| load | server CPU % | RSS MB | bench / other CPU % | video encoders | receivers (tiers; without video) | fps p10 / mean | down kbit/s | loss % | SFU kbit/s | SFU ratio | latency p50 / p95 / p99 ms | from send p50 / p95 / p99 ms | fresh fps | PSNR dB | join ms p50 / p95 | stamps read / unreadable / wrong cell | healthy |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range ws {
		lat, send, psnr, join, fresh := "–", "–", "–", "–", "–"
		if w.LatencyCount > 0 {
			lat = fmt.Sprintf("%.0f / %.0f / %.0f", w.LatencyP50, w.LatencyP95, w.LatencyP99)
			send = fmt.Sprintf("%.0f / %.0f / %.0f", w.SendP50, w.SendP95, w.SendP99)
			fresh = fmt.Sprintf("%.1f", w.FreshFPS)
		}
		if w.PSNRCount > 0 {
			psnr = fmt.Sprintf("%.1f", w.PSNRMean)
		}
		if w.JoinP50 > 0 {
			join = fmt.Sprintf("%.0f / %.0f", w.JoinP50, w.JoinP95)
		} else if w.JoinAll > 0 {
			join = fmt.Sprintf("%.0f (first frame, counting)", w.JoinAll)
		}
		healthy := "yes"
		if !w.Healthy {
			healthy = "**no**"
		}
		if w.Retried {
			healthy += fmt.Sprintf(" (2nd window; 1st: p10 %.1f fps)", w.FirstFPSP10)
		}
		fmt.Fprintf(b, "| %s | %.1f | %.0f | %.0f / %.0f | %d | %d (%s; %d) | %.1f / %.1f | %.0f | %.2f | %.0f | %.2f | %s | %s | %s | %s | %s | %d / %d / %d | %s |\n",
			w.Label, w.ServerCPU, w.ServerRSSMB, w.BenchCPU, w.OtherCPU, w.VideoEncoders, w.Receivers, formatTiers(w.Tiers), w.NoVideo, w.FPSP10, w.FPSMean, w.DownKbpsMean, w.VideoLossPct, w.SFUDownKbpsMean, w.SFURatio,
			lat, send, fresh, psnr, join, w.StampsRead, w.Unreadable, w.LayoutMismatch, healthy)
	}
	b.WriteString("\n")
}

// costTable is the server's cost per attendee and per packet sent, from its
// own counters (GET /api/v1/stats) and /proc; empty without them.
func costTable(b *strings.Builder, ws []Window) {
	if len(ws) == 0 || ws[len(ws)-1].ServerPacketsPerSec == 0 {
		return
	}
	b.WriteString("Cost per attendee and per packet (the server's RTP packet count and allocation count from `/api/v1/stats`, its CPU from /proc; see docs/group-sessions.md):\n\n")
	b.WriteString("| load | video encoders | server CPU % | CPU % per attendee | packets/s sent | packets/s per attendee | CPU µs per packet (all CPU ÷ packets) | µs per extra packet (vs the step before) | heap allocations per packet | other CPU % |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for i, w := range ws {
		marginal := "–"
		if i > 0 {
			if us, ok := marginalUsPerPacket(ws[i-1], w); ok {
				marginal = fmt.Sprintf("%.1f", us)
			}
		}
		fmt.Fprintf(b, "| %s | %d | %.1f | %.3f | %.0f | %.1f | %.1f | %s | %.2f | %.0f |\n",
			w.Label, w.VideoEncoders, w.ServerCPU, w.ServerCPUPerRecv, w.ServerPacketsPerSec, w.ServerPacketsPerRecv, w.ServerCPUUsPerPacket, marginal, w.ServerAllocsPerPacket, w.OtherCPU)
	}
	b.WriteString("\nThe first CPU-per-packet column carries the fixed cost (the encoders) on few packets at small steps; the marginal one is what one more packet costs, the part that grows with attendees.\n\n")
}

// marginalUsPerPacket is the server CPU one more packet per second cost
// between two steps: Δ CPU (µs/s) ÷ Δ packets/s.
func marginalUsPerPacket(a, b Window) (float64, bool) {
	dp := b.ServerPacketsPerSec - a.ServerPacketsPerSec
	if dp < 100 || a.ServerPacketsPerSec == 0 {
		return 0, false
	}
	return (b.ServerCPU - a.ServerCPU) * 1e4 / dp, true // 1 % of a core = 10⁴ µs per second
}

// shellQuote writes a command so it can be pasted into a shell.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`;|&<>()[]*?!{}#~=") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
