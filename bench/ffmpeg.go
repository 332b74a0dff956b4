package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nahbar/nahbar/codec"
)

// tierKbps and the encoder options below are the server's default tier
// (mixer.DefaultTier: 640x360@15, 400 kbit/s) and codec's libvpx settings, so
// the command line does the same work the server does.
const tierKbps = 400

// FFmpegResult is the baseline: the ffmpeg command line doing the media work
// of a room of P publishers — P VP8 decodes, each source scaled once to its
// cell size, P compositions of the P-1 others, P VP8 encodes — as fast as it
// can, with its CPU time taken from the kernel (rusage).
type FFmpegResult struct {
	Publishers    int      `json:"publishers"`
	Frames        int      `json:"frames_per_output"`
	CPUSeconds    float64  `json:"cpu_seconds"`
	WallSeconds   float64  `json:"wall_seconds"`
	CPUPctAt15FPS float64  `json:"cpu_pct_at_15fps"` // CPU time per frame set × 15, in % of one core
	CPUPerFrame   float64  `json:"cpu_ms_per_output_frame"`
	Command       []string `json:"command"`
	Error         string   `json:"error,omitempty"`
}

// runFFmpeg writes p pre-encoded inputs (the sources' frames, VP8 at the
// publishers' bitrate) into dir and times the command line on them.
func (e *env) runFFmpeg(ctx context.Context, p int, dir string) (*FFmpegResult, error) {
	res := &FFmpegResult{Publishers: p, Frames: e.opts.FFmpegFrames}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("ffmpeg baseline: %w", err)
	}
	var inputs []string
	for i := range p {
		path := filepath.Join(dir, fmt.Sprintf("input%d.ivf", i))
		if err := encodeInput(path, NewSource(uint8(i)), e.opts.UpKbps, e.opts.FFmpegFrames); err != nil {
			return res, err
		}
		inputs = append(inputs, path)
	}
	args := ffmpegArgs(inputs)
	res.Command = append([]string{e.opts.FFmpeg}, args...)
	cmd := exec.CommandContext(ctx, e.opts.FFmpeg, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	res.WallSeconds = round(time.Since(start).Seconds(), 2)
	if err != nil {
		msg := stderr.String()
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		res.Error = fmt.Sprintf("%v: %s", err, msg)
		return res, fmt.Errorf("ffmpeg baseline: %w", err)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	res.CPUSeconds = round(cpu.Seconds(), 2)
	res.CPUPctAt15FPS = round(100*cpu.Seconds()/float64(e.opts.FFmpegFrames)*SourceFPS, 1)
	res.CPUPerFrame = round(float64(cpu)/float64(time.Millisecond)/float64(e.opts.FFmpegFrames*p), 2)
	return res, nil
}

// encodeInput writes n frames of src as VP8 in an IVF file.
func encodeInput(path string, src Source, kbps, n int) error {
	enc, err := codec.NewVideoEncoder(codec.VideoEncoderConfig{Kind: codec.KindVP8, Width: SourceWidth, Height: SourceHeight, FPS: SourceFPS, BitrateKbps: kbps})
	if err != nil {
		return fmt.Errorf("ffmpeg input %s: %w", path, err)
	}
	defer enc.Close()
	pic := codec.NewPicture(SourceWidth, SourceHeight)
	frames := make([][]byte, 0, n)
	for k := range n {
		src.Render(pic, uint16(k), uint32(k*1000/SourceFPS))
		f, err := enc.Encode(pic, k == 0)
		if err != nil {
			return fmt.Errorf("ffmpeg input %s: frame %d: %w", path, k, err)
		}
		frames = append(frames, append([]byte(nil), f.Data...))
	}
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("ffmpeg input: %w", err)
	}
	if err := writeIVF(fh, SourceWidth, SourceHeight, SourceFPS, frames); err != nil {
		fh.Close()
		return fmt.Errorf("ffmpeg input %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("ffmpeg input %s: %w", path, err)
	}
	return nil
}

// ffmpegArgs builds the command line: every input decoded once (one thread)
// and scaled once to the cell size of a grid of len(inputs)-1 (area filter,
// as the server's scaler), then for each output the others overlaid on a
// black 640x360 canvas and encoded with libvpx as the server's tier encoder.
func ffmpegArgs(inputs []string) []string {
	p := len(inputs)
	args := []string{"-hide_banner", "-nostats", "-loglevel", "error", "-filter_complex_threads", "1"}
	for _, in := range inputs {
		args = append(args, "-threads", "1", "-c:v", "vp8", "-i", in)
	}
	const w, h = 640, 360
	cells := gridCells(p-1, w, h)
	pic := FitPicture(CellPixels(cells[0], w, h), SourceWidth, SourceHeight)
	var g strings.Builder
	for i := range p {
		fmt.Fprintf(&g, "[%d:v]scale=%d:%d:flags=area,split=%d", i, pic.Dx(), pic.Dy(), p-1)
		for j := range p {
			if j != i {
				fmt.Fprintf(&g, "[s%d_%d]", i, j)
			}
		}
		g.WriteString(";")
	}
	for j := range p {
		fmt.Fprintf(&g, "color=c=black:s=%dx%d:r=%d[bg%d];", w, h, SourceFPS, j)
		prev := fmt.Sprintf("bg%d", j)
		k := 0
		for i := range p {
			if i == j {
				continue
			}
			r := FitPicture(CellPixels(cells[k], w, h), SourceWidth, SourceHeight)
			next := fmt.Sprintf("c%d_%d", j, k)
			fmt.Fprintf(&g, "[%s][s%d_%d]overlay=%d:%d:shortest=1[%s];", prev, i, j, r.Min.X, r.Min.Y, next)
			prev = next
			k++
		}
		fmt.Fprintf(&g, "[%s]null[out%d];", prev, j)
	}
	args = append(args, "-filter_complex", strings.TrimSuffix(g.String(), ";"))
	bps := strconv.Itoa(tierKbps * 1000)
	for j := range p {
		args = append(args, "-map", fmt.Sprintf("[out%d]", j),
			"-c:v", "libvpx", "-threads", "1", "-deadline", "realtime", "-cpu-used", "12",
			"-b:v", bps, "-minrate", bps, "-maxrate", bps, "-bufsize", bps, "-g", "150",
			"-lag-in-frames", "0", "-auto-alt-ref", "0", "-error-resilient", "default",
			"-qmin", "2", "-qmax", "56", "-max-intra-rate", "300", "-undershoot-pct", "100", "-overshoot-pct", "15",
			"-f", "null", "-")
	}
	return args
}
