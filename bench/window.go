package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Window is what one measurement window saw: the server's cost and what the
// receivers got, for one load.
type Window struct {
	Label   string  `json:"label"`
	Load    int     `json:"load"` // calls, publishers or attendees, by scenario
	Seconds float64 `json:"seconds"`

	ServerCPU   float64 `json:"server_cpu_pct"` // % of one core
	ServerRSSMB float64 `json:"server_rss_mb"`
	// ServerCPUPerFrame is the server's CPU time per composed frame delivered
	// (each (view, tier) output counted once): the cost of the work actually
	// done, which holds even when the server was starved of CPU.
	ServerCPUPerFrame float64 `json:"server_cpu_ms_per_output_frame"`
	ServerThreads     int     `json:"server_threads"`
	// The server's own counters over the window (GET /api/v1/stats): RTP
	// packets it wrote to receivers, and from them and the process's CPU time
	// the cost of one packet sent — the unit the cost of a group session
	// grows with — and the heap allocations per packet (all of the process's
	// allocations, so an upper bound for the send path's).
	ServerPacketsPerSec   float64 `json:"server_packets_per_s,omitempty"`
	ServerCPUUsPerPacket  float64 `json:"server_cpu_us_per_packet,omitempty"`
	ServerAllocsPerPacket float64 `json:"server_allocs_per_packet,omitempty"`
	// Per receiver: packets per second and server CPU in % of a core.
	ServerPacketsPerRecv float64 `json:"server_packets_per_s_per_receiver,omitempty"`
	ServerCPUPerRecv     float64 `json:"server_cpu_pct_per_receiver,omitempty"`
	BenchCPU             float64 `json:"bench_cpu_pct"` // the load generator itself, % of one core
	OtherCPU             float64 `json:"other_cpu_pct"` // everything else on the machine (other users' work), % of one core
	LoadAvg              string  `json:"load_average"`  // at the end of the window

	VideoEncoders  int    `json:"video_encoders"`
	AudioEncoders  int    `json:"audio_encoders,omitempty"`
	EncodersSource string `json:"encoders_source"`

	Receivers       int            `json:"receivers"`
	Tiers           map[string]int `json:"tiers"` // receivers per picture size of their last layout message (their tier)
	FPSMean         float64        `json:"fps_mean"`
	FPSP10          float64        `json:"fps_p10"`
	FPSMin          float64        `json:"fps_min"`
	DecoderDropped  uint64         `json:"decoder_dropped_frames"`  // analysing receivers whose decoder fell behind (load generator starved)
	NoVideo         int            `json:"receivers_without_video"` // got no frame in the window (not yet joined, or moved to audio only)
	DownKbpsMean    float64        `json:"down_kbps_mean"`          // video + audio RTP per receiver
	DownVideoKbps   float64        `json:"down_video_kbps_mean"`
	VideoLossPct    float64        `json:"video_loss_pct"` // RTP sequence numbers skipped, over all receivers
	UpKbpsMean      float64        `json:"up_kbps_per_publisher"`
	SFUDownKbpsMean float64        `json:"sfu_down_kbps_mean"` // what forwarding every stream would send each receiver
	SFURatio        float64        `json:"sfu_ratio"`          // SFU / nahbar downstream

	LatencyCount   uint64  `json:"latency_samples"`
	LatencyP50     float64 `json:"latency_p50_ms"`
	LatencyP95     float64 `json:"latency_p95_ms"`
	LatencyP99     float64 `json:"latency_p99_ms"`
	SendP50        float64 `json:"latency_from_send_p50_ms"` // the latency minus the camera's encode time of each frame
	SendP95        float64 `json:"latency_from_send_p95_ms"`
	SendP99        float64 `json:"latency_from_send_p99_ms"`
	PubEncodeP50   float64 `json:"publisher_encode_ms_p50"` // live cameras' encode time, included in the latency
	PubEncodeP95   float64 `json:"publisher_encode_ms_p95"`
	FreshFPS       float64 `json:"fresh_fps_per_source"` // new source frames per second per cell
	PSNRMean       float64 `json:"psnr_mean_db"`
	PSNRMin        float64 `json:"psnr_min_db"`
	PSNRCount      int     `json:"psnr_samples"`
	StampsRead     int     `json:"stamps_read"`
	Unreadable     int     `json:"stamps_unreadable"`
	LayoutMismatch int     `json:"layout_mismatches"`
	LastMismatch   string  `json:"last_mismatch,omitempty"`

	JoinP50 float64 `json:"join_ms_p50"` // invitation → first composed frame decoded (decoding receivers)
	JoinP95 float64 `json:"join_ms_p95"`
	JoinAll float64 `json:"join_ms_p50_all"` // every receiver, first complete frame for counting ones

	Healthy     bool    `json:"healthy"`
	Retried     bool    `json:"retried,omitempty"`       // measured twice: the first window missed the frame rate
	FirstFPSP10 float64 `json:"first_fps_p10,omitempty"` // what the first window saw
}

type counters struct {
	frames, videoBytes, audioBytes, packets, lost, dropped uint64
}

func (m *member) recv() counters {
	r := m.peer.Stats()
	return counters{r.Frames.Load(), r.VideoBytes.Load(), r.AudioBytes.Load(), r.VideoPackets.Load(), r.VideoLost.Load(), r.DroppedFrames.Load()}
}

// measureSpec says what to measure.
type measureSpec struct {
	label   string
	load    int
	members []*member
	dur     time.Duration
	step    int                // join times count for members that joined in this step
	isRecv  func(*member) bool // who counts as a receiver for fps and bandwidth; nil: everyone
}

// measure watches the members for spec.dur and returns the window.
func (e *env) measure(ctx context.Context, spec measureSpec) Window {
	w := Window{Label: spec.label, Load: spec.load}
	ms, receiverFilter := spec.members, spec.isRecv
	for _, m := range ms {
		if m.analyser != nil {
			m.analyser.Reset()
			m.analyser.SetMeasuring(true)
		}
	}
	for _, m := range ms {
		if m.pub != nil && m.pub.Live() {
			m.pub.EncodeTimes()
		}
	}
	before := make([]counters, len(ms))
	up0 := make([]uint64, len(ms))
	for i, m := range ms {
		before[i] = m.recv()
		if m.pub != nil {
			v, a := m.pub.SentBytes()
			up0[i] = v + a
		}
	}
	var st0 ServerStats
	var st0err error = errNoStats
	if e.hasStats {
		st0, st0err = e.api.Stats(ctx)
	}
	now := e.clock.Now()
	s0, _ := ReadProc(e.serverPID, now)
	b0, _ := ReadProc(procSelf, now)
	m0, merr := MachineCPU()
	t0 := now
	e.wait(ctx, spec.dur)
	now = e.clock.Now()
	s1, _ := ReadProc(e.serverPID, now)
	b1, _ := ReadProc(procSelf, now)
	m1, merr1 := MachineCPU()
	secs := now.Sub(t0).Seconds()
	w.LoadAvg = loadAverage()
	if ctx.Err() != nil {
		w.Label += " (cut short: the run's deadline)"
	}
	w.Seconds = round(secs, 2)
	for _, m := range ms {
		if m.analyser != nil {
			m.analyser.SetMeasuring(false)
		}
	}
	if e.serverPID != 0 {
		w.ServerCPU = round(CPUPercent(s0, s1), 1)
		w.ServerRSSMB = round(float64(s1.RSS)/(1<<20), 1)
		w.ServerThreads = s1.Threads
	}
	w.BenchCPU = round(CPUPercent(b0, b1), 1)
	if merr == nil && merr1 == nil && secs > 0 {
		machine := 100 * (m1 - m0).Seconds() / secs
		own := w.BenchCPU
		if e.serverPID != 0 {
			own += CPUPercent(s0, s1)
		}
		w.OtherCPU = round(max(machine-own, 0), 1)
	}

	// Upstream per publisher, then per room, for the SFU comparison.
	upKbps := make([]float64, len(ms))
	roomUp := map[int]float64{}
	var upSum float64
	pubs := 0
	for i, m := range ms {
		if m.pub == nil {
			continue
		}
		v, a := m.pub.SentBytes()
		upKbps[i] = float64(v+a-up0[i]) * 8 / secs / 1000
		roomUp[m.room] += upKbps[i]
		upSum += upKbps[i]
		pubs++
	}
	if pubs > 0 {
		w.UpKbpsMean = round(upSum/float64(pubs), 1)
	}

	var enc Histogram
	for _, m := range ms {
		if m.pub != nil && m.pub.Live() {
			h := m.pub.EncodeTimes()
			enc.Merge(&h)
		}
	}
	w.PubEncodeP50, w.PubEncodeP95 = enc.Percentile(50), enc.Percentile(95)
	var fps, down, downVideo, sfu []float64
	var pkts, lost uint64
	var joins, joinsAll []float64
	var hist, send Histogram
	var fresh, cells float64
	var psnrSum float64
	// A (view, tier) is one encoder on the server: the layout message names the
	// view and gives the picture size of the receiver's tier (the track ids
	// stay the same when the server switches a receiver's tier).
	outputs := map[string]uint64{} // output → most frames one of its receivers got
	w.Tiers = map[string]int{}
	for i, m := range ms {
		out := m.peer.VideoTrack()
		if l, ok := m.peer.Layout(); ok {
			out = fmt.Sprintf("%s@%dx%d", l.View, l.Width, l.Height)
		}
		if out != "" {
			outputs[out] = max(outputs[out], m.recv().frames-before[i].frames)
		}
		if receiverFilter != nil && !receiverFilter(m) {
			continue
		}
		if l, ok := m.peer.Layout(); ok {
			w.Tiers[fmt.Sprintf("%dx%d", l.Width, l.Height)]++
		} else {
			w.Tiers["no layout"]++
		}
		c := m.recv()
		pkts += c.packets - before[i].packets
		lost += c.lost - before[i].lost
		w.DecoderDropped += c.dropped - before[i].dropped
		fps = append(fps, float64(c.frames-before[i].frames)/secs)
		if c.frames == before[i].frames {
			w.NoVideo++
		}
		vk := float64(c.videoBytes-before[i].videoBytes) * 8 / secs / 1000
		ak := float64(c.audioBytes-before[i].audioBytes) * 8 / secs / 1000
		down = append(down, vk+ak)
		downVideo = append(downVideo, vk)
		sfu = append(sfu, roomUp[m.room]-upKbps[i])
		if j := m.joinMs(); j >= 0 && m.step == spec.step {
			joinsAll = append(joinsAll, j)
			if m.analyser != nil {
				joins = append(joins, j)
			}
		}
		if m.analyser == nil {
			continue
		}
		r := m.analyser.Snapshot()
		hist.Merge(&r.Latency)
		send.Merge(&r.FromSend)
		w.StampsRead += r.StampsRead
		w.Unreadable += r.Unreadable
		w.LayoutMismatch += r.LayoutMismatches
		if r.LastMismatch != "" {
			w.LastMismatch = r.LastMismatch
		}
		fresh += float64(r.FreshFrames)
		cells += float64(r.Cells) / math.Max(float64(r.Frames), 1)
		psnrSum += r.PSNRSum
		if r.PSNRCount > 0 && (w.PSNRCount == 0 || r.PSNRMin < w.PSNRMin) {
			w.PSNRMin = round(r.PSNRMin, 1)
		}
		w.PSNRCount += r.PSNRCount
	}
	w.Receivers = len(fps)
	if pkts+lost > 0 {
		w.VideoLossPct = round(100*float64(lost)/float64(pkts+lost), 2)
	}
	w.FPSMean = round(mean(fps), 1)
	w.FPSP10 = round(percentile(fps, 10), 1)
	w.FPSMin = round(percentile(fps, 0), 1)
	w.DownKbpsMean = round(mean(down), 1)
	w.DownVideoKbps = round(mean(downVideo), 1)
	w.SFUDownKbpsMean = round(mean(sfu), 1)
	if w.DownKbpsMean > 0 {
		w.SFURatio = round(w.SFUDownKbpsMean/w.DownKbpsMean, 2)
	}
	w.LatencyCount = hist.Count()
	w.LatencyP50 = hist.Percentile(50)
	w.LatencyP95 = hist.Percentile(95)
	w.LatencyP99 = hist.Percentile(99)
	w.SendP50, w.SendP95, w.SendP99 = send.Percentile(50), send.Percentile(95), send.Percentile(99)
	if cells > 0 {
		w.FreshFPS = round(fresh/secs/cells, 1)
	}
	if w.PSNRCount > 0 {
		w.PSNRMean = round(psnrSum/float64(w.PSNRCount), 1)
	}
	w.JoinP50 = round(percentile(joins, 50), 0)
	w.JoinP95 = round(percentile(joins, 95), 0)
	w.JoinAll = round(percentile(joinsAll, 50), 0)
	w.VideoEncoders, w.EncodersSource = len(outputs), "distinct (view, picture size) pairs in the receivers' layout messages"
	var frames uint64
	for _, n := range outputs {
		frames += n
	}
	if frames > 0 && e.serverPID != 0 && s0.Readable && s1.Readable {
		w.ServerCPUPerFrame = round(float64(s1.CPU-s0.CPU)/float64(time.Millisecond)/float64(frames), 2)
	}
	if e.hasStats {
		if st, err := e.api.Stats(ctx); err == nil {
			w.VideoEncoders, w.AudioEncoders, w.EncodersSource = st.VideoEncoders, st.AudioEncoders, "server /api/v1/stats"
			if st0err == nil {
				w.perPacket(st0, st, s1.CPU-s0.CPU, secs, s0.Readable && s1.Readable)
			}
		}
	}
	if w.Receivers > 0 && w.ServerCPU > 0 {
		w.ServerCPUPerRecv = round(w.ServerCPU/float64(w.Receivers), 3)
	}
	w.Healthy = w.Receivers > 0 && w.FPSP10 >= 0.9*SourceFPS && ctx.Err() == nil
	return w
}

// perPacket fills the per-packet figures from two readings of the server's
// counters around the window. The stats are read just outside the /proc
// window, so packets and CPU cover the same span to within an HTTP call.
func (w *Window) perPacket(a, b ServerStats, cpu time.Duration, secs float64, cpuKnown bool) {
	if b.PacketsSent <= a.PacketsSent || secs <= 0 {
		return
	}
	pkts := float64(b.PacketsSent - a.PacketsSent)
	w.ServerPacketsPerSec = round(pkts/secs, 0)
	if w.Receivers > 0 {
		w.ServerPacketsPerRecv = round(pkts/secs/float64(w.Receivers), 1)
	}
	if cpuKnown && cpu > 0 {
		w.ServerCPUUsPerPacket = round(float64(cpu)/float64(time.Microsecond)/pkts, 1)
	}
	if b.HeapAllocs >= a.HeapAllocs && b.HeapAllocs > 0 {
		w.ServerAllocsPerPacket = round(float64(b.HeapAllocs-a.HeapAllocs)/pkts, 2)
	}
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// percentile is the nearest-rank percentile of v (0 for the minimum).
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
