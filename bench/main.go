package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nahbar/nahbar/internal/testpeer"
)

// Main is `nahbar bench`: it starts a server (or targets --url), runs the
// scenarios of the chosen mode, prints progress on stderr and the headline
// figures on stdout, and writes report.json, report.md and the charts under
// --out. It returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr, osGetenv)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "nahbar bench: %v\n", err)
		return 2
	}
	if opts.Render != "" {
		if err := Render(opts.Render); err != nil {
			fmt.Fprintf(stderr, "nahbar bench: %v\n", err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, append([]string{"nahbar", "bench"}, args...), stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "nahbar bench: %v\n", err)
		return 1
	}
	return 0
}

// run is the whole benchmark with its output streams injected.
func run(ctx context.Context, opts Options, command []string, stdout, stderr io.Writer) error {
	start := time.Now()
	level := slog.LevelError
	if opts.Verbose {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if !opts.Verbose {
		// pion reports every torn-down connection at error level; without -v
		// the progress lines are the output.
		log = slog.New(slog.DiscardHandler)
	}
	progress := func(format string, a ...any) {
		fmt.Fprintf(stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	ctx, cancel := context.WithDeadline(ctx, start.Add(opts.Budget+10*time.Second))
	defer cancel()
	raiseFileLimit(log)
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return fmt.Errorf("results directory: %w", err)
	}
	rep := &Report{Command: strings.Join(command, " "), Mode: opts.Mode, Started: start.UTC(), Machine: describeMachine(), UpKbps: opts.UpKbps,
		Source: fmt.Sprintf("%dx%d@%d VP8 (pion/mediadevices, libvpx) at %d kbit/s + Opus tone", SourceWidth, SourceHeight, SourceFPS, opts.UpKbps)}

	e := &env{clock: WallClock(), log: log, progress: progress, opts: opts}
	serverLog := ""
	if opts.URL == "" {
		work, err := os.MkdirTemp("", "nahbar-bench-")
		if err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
		defer os.RemoveAll(work)
		progress("starting %s", strings.Join(opts.ServerCmd, " "))
		serverLog = filepath.Join(opts.Out, "server.log")
		srv, err := StartServer(ctx, opts.ServerCmd, filepath.Join(work, "data"), serverLog, opts.ServerLogLevel, log)
		if err != nil {
			return err
		}
		defer srv.Stop()
		if e.api, err = NewAPI(srv.URL, srv.Key); err != nil {
			return err
		}
		e.serverPID = srv.PID()
		rep.Server = fmt.Sprintf("%s, started by the bench (pid %d)", strings.Join(opts.ServerCmd, " "), srv.PID())
	} else {
		var err error
		if e.api, err = NewAPI(opts.URL, opts.APIKey); err != nil {
			return err
		}
		e.serverPID = opts.ServerPID
		rep.Server = opts.URL
	}
	if _, err := e.api.Stats(ctx); err == nil {
		e.hasStats = true
	} else {
		rep.Notes = append(rep.Notes, "The server has no statistics endpoint (GET /api/v1/stats answered: "+err.Error()+"); "+
			"encoders are counted as the distinct (view, tier) pairs the bench's receivers were told about in their layout messages (view and picture size), which misses encoders no bench receiver uses.")
	}
	if err := e.prepare(ctx, progress); err != nil {
		return err
	}
	rep.Idle = e.measure(ctx, measureSpec{label: "idle", dur: time.Second})
	progress("idle server: CPU %.1f%%, RSS %.0f MB", rep.Idle.ServerCPU, rep.Idle.ServerRSSMB)

	deadline := start.Add(opts.Budget)
	e.deadline = deadline
	var errs []error
	if opts.runs("ffmpeg") {
		progress("ffmpeg baseline: %d inputs, %d frames each", opts.FFmpegPublishers, opts.FFmpegFrames)
		r, err := e.runFFmpeg(ctx, opts.FFmpegPublishers, filepath.Join(os.TempDir(), fmt.Sprintf("nahbar-bench-ffmpeg-%d", os.Getpid())))
		os.RemoveAll(filepath.Join(os.TempDir(), fmt.Sprintf("nahbar-bench-ffmpeg-%d", os.Getpid())))
		rep.FFmpeg = r
		if err != nil {
			errs = append(errs, err)
			progress("ffmpeg baseline failed: %v", err)
		} else {
			progress("ffmpeg baseline: %.2f s CPU for %d frame sets = %.1f%% of a core at 15 fps", r.CPUSeconds, r.Frames, r.CPUPctAt15FPS)
		}
	}
	if opts.runs("room") {
		for _, p := range opts.RoomSizes {
			if e.outOfTime(opts.RoomWindow) {
				rep.Notes = append(rep.Notes, fmt.Sprintf("rooms from %d publishers on were skipped: time budget", p))
				break
			}
			w, err := e.runRoom(ctx, p)
			if err != nil {
				errs = append(errs, err)
				progress("room of %d: %v", p, err)
				continue
			}
			rep.Rooms = append(rep.Rooms, w)
			e.wait(ctx, time.Second)
		}
	}
	if opts.runs("calls") && !e.outOfTime(opts.Window) {
		r, err := e.runCalls(ctx)
		rep.Calls = r
		if err != nil {
			errs = append(errs, err)
		}
		e.wait(ctx, time.Second)
	}
	if opts.runs("group") && !e.outOfTime(opts.Window) {
		r, err := e.runGroup(ctx)
		rep.Group = r
		if err != nil {
			errs = append(errs, err)
		}
	}
	if serverLog != "" {
		if tc, err := ReadTierChangesFile(serverLog); err == nil {
			rep.TierChanges = &tc
		}
	}
	rep.Finished = time.Now().UTC()
	rep.DurationSeconds = round(time.Since(start).Seconds(), 1)
	rep.Machine.LoadAfter = loadAverage()
	rep.summarise()
	if err := rep.write(opts.Out); err != nil {
		errs = append(errs, err)
	}
	rep.printHeadlines(stdout)
	progress("results in %s", opts.Out)
	return errors.Join(errs...)
}

// prepare builds the client side: the WebRTC API, the tone and the clips.
func (e *env) prepare(ctx context.Context, progress func(string, ...any)) error {
	var err error
	if e.webrtc, err = testpeer.NewSharedAPI(e.log); err != nil {
		return err
	}
	if e.audio, err = NewAudioLoop(); err != nil {
		return err
	}
	progress("encoding %d replay clips", clipCount)
	for i := range clipCount {
		c, err := NewClip(NewSource(uint8(clipBase+i)), e.opts.UpKbps)
		if err != nil {
			return err
		}
		e.clips = append(e.clips, c)
	}
	progress("replay clips: %.0f kbit/s (target %d)", e.clips[0].Kbps, e.opts.UpKbps)
	return ctx.Err()
}

// outOfTime reports whether a step of about d would overrun the budget.
func (e *env) outOfTime(d time.Duration) bool {
	if e.deadline.IsZero() {
		return false
	}
	left := time.Until(e.deadline)
	if left < d+e.opts.Settle+3*time.Second {
		e.progress("time budget: %.0f s left, skipping the rest", left.Seconds())
		return true
	}
	return false
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// participant holds a socket and a UDP port, and the server started here
// inherits the limit.
func raiseFileLimit(log *slog.Logger) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		log.Warn("read file limit", "err", err)
		return
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			log.Warn("raise file limit", "err", err)
		}
	}
}
