package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Options are the flags of `nahbar bench`.
type Options struct {
	Mode      string // "quick" or "full"
	URL       string // an existing server (else one is started)
	APIKey    string
	ServerPID int // the --url server's pid, for /proc (0: CPU and memory not measured)
	ServerCmd []string
	// ServerLogLevel is the started server's --log-level: info (default)
	// logs each receiver's tier switch, which the report summarises.
	ServerLogLevel string
	Out            string
	UpKbps         int
	FFmpeg         string
	Only           map[string]bool

	CallSteps        []int
	RoomSizes        []int
	Presenters       int
	AttendeeSteps    []int
	DecodeSample     int
	FFmpegFrames     int
	FFmpegPublishers int

	Window, RoomWindow, Settle time.Duration
	Budget                     time.Duration
	Verbose                    bool
	Render                     string // re-render this results directory and exit
}

// scenario names for --only.
var scenarioNames = []string{"ffmpeg", "room", "calls", "group"}

func (o Options) runs(name string) bool { return len(o.Only) == 0 || o.Only[name] }

// presets are the quick and full modes; flags change single values.
func preset(mode string) Options {
	o := Options{Mode: mode, UpKbps: 500, FFmpeg: "ffmpeg", Presenters: 1, DecodeSample: 5, FFmpegPublishers: 5}
	switch mode {
	case "full":
		o.CallSteps = seq(1, 40, 1)
		o.RoomSizes = []int{3, 4, 5, 6, 7, 8, 9}
		o.Presenters = 2
		o.AttendeeSteps = seq(30, 300, 30)
		o.FFmpegFrames = 300
		o.Window, o.RoomWindow, o.Settle = 8*time.Second, 10*time.Second, 3*time.Second
		o.Budget = 40 * time.Minute
	default:
		o.CallSteps = []int{1, 2, 4, 6, 8, 10, 12, 14, 16}
		o.RoomSizes = []int{5}
		o.AttendeeSteps = []int{30, 150, 300}
		o.FFmpegFrames = 150
		o.Window, o.RoomWindow, o.Settle = 3*time.Second, 5*time.Second, 1500*time.Millisecond
		o.Budget = 100 * time.Second
	}
	return o
}

func seq(from, to, step int) []int {
	var s []int
	for v := from; v <= to; v += step {
		s = append(s, v)
	}
	return s
}

// errHelp means -h was asked for; the usage has been printed.
var errHelp = errors.New("help requested")

// parseOptions reads the flags (and NAHBAR_API_KEY for --url).
func parseOptions(args []string, stderr io.Writer, getenv func(string) string) (Options, error) {
	mode := "quick"
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "full", "full=true":
			mode = "full"
		}
	}
	o := preset(mode)
	fs := flag.NewFlagSet("nahbar bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("quick", true, "quick mode, under two minutes")
	fs.Bool("full", false, "full mode: finer ramps, every room size from 3 to 9, two presenters, longer windows")
	fs.StringVar(&o.URL, "url", "", "`URL` of a running server to measure instead of starting one (needs --api-key or NAHBAR_API_KEY)")
	fs.StringVar(&o.APIKey, "api-key", "", "API `key` of the --url server (prefer NAHBAR_API_KEY: flags show in ps)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "`pid` of the --url server, to read its CPU and memory from /proc")
	nahbar := fs.String("nahbar", defaultServerCommand(), "the nahbar `binary` to start as the server")
	serverCmd := fs.String("server-cmd", "", "`command` that starts the server instead of --nahbar, e.g. \"taskset -c 1 bin/nahbar\" (serve and its flags are appended)")
	fs.StringVar(&o.ServerLogLevel, "server-log-level", "info", "--log-level of the server the bench starts (info: the report counts its tier switches from the log)")
	fs.StringVar(&o.Out, "out", "", "`directory` for the results (default bench/results/<mode>)")
	fs.IntVar(&o.UpKbps, "up-kbps", o.UpKbps, "each synthetic camera's VP8 `bitrate` in kbit/s")
	fs.StringVar(&o.FFmpeg, "ffmpeg", o.FFmpeg, "the ffmpeg `binary` of the baseline")
	only := fs.String("only", "", "comma list of scenarios to run: "+strings.Join(scenarioNames, ", ")+" (default all)")
	calls := fs.String("calls", joinInts(o.CallSteps), "steps of the 1:1 ramp, in concurrent `calls`")
	rooms := fs.String("rooms", joinInts(o.RoomSizes), "`sizes` of the rooms measured, in publishers (3–9)")
	fs.IntVar(&o.Presenters, "presenters", o.Presenters, "presenters of the group session (1–2)")
	attendees := fs.String("attendees", joinInts(o.AttendeeSteps), "steps of the group session ramp, in receive-only `attendees`")
	fs.IntVar(&o.DecodeSample, "decode-sample", o.DecodeSample, "how many attendees decode and analyse (the others only count)")
	fs.IntVar(&o.FFmpegFrames, "ffmpeg-frames", o.FFmpegFrames, "frames per input of the ffmpeg baseline")
	fs.IntVar(&o.FFmpegPublishers, "ffmpeg-publishers", o.FFmpegPublishers, "room size the ffmpeg baseline reproduces")
	fs.DurationVar(&o.Window, "window", o.Window, "measurement window of each ramp step")
	fs.DurationVar(&o.RoomWindow, "room-window", o.RoomWindow, "measurement window of each room")
	fs.DurationVar(&o.Settle, "settle", o.Settle, "wait after joins before measuring")
	fs.DurationVar(&o.Budget, "budget", o.Budget, "time budget of the whole run; ramps stop early to keep it")
	fs.BoolVar(&o.Verbose, "v", false, "log pion's and the peers' warnings")
	fs.StringVar(&o.Render, "render", "", "rewrite report.md and the charts of this results `directory` from its report.json, and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp
		}
		return o, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if o.URL == "" {
		if *serverCmd != "" {
			o.ServerCmd = strings.Fields(*serverCmd)
		} else {
			o.ServerCmd = []string{*nahbar}
		}
	} else if o.APIKey == "" {
		o.APIKey = getenv("NAHBAR_API_KEY")
		if o.APIKey == "" {
			errs = append(errs, errors.New("--url needs --api-key or NAHBAR_API_KEY"))
		}
	}
	if o.Out == "" {
		o.Out = "bench/results/" + o.Mode
	}
	var err error
	if o.CallSteps, err = parseSteps("calls", *calls, 1, 500); err != nil {
		errs = append(errs, err)
	}
	if o.RoomSizes, err = parseSteps("rooms", *rooms, 3, 9); err != nil {
		errs = append(errs, err)
	}
	if o.AttendeeSteps, err = parseSteps("attendees", *attendees, 1, 2000); err != nil {
		errs = append(errs, err)
	}
	if o.Presenters < 1 || o.Presenters > 2 {
		errs = append(errs, fmt.Errorf("--presenters %d: want 1 or 2", o.Presenters))
	}
	if o.UpKbps < 50 || o.UpKbps > 5000 {
		errs = append(errs, fmt.Errorf("--up-kbps %d: want 50–5000", o.UpKbps))
	}
	if o.FFmpegPublishers < 2 || o.FFmpegPublishers > 10 {
		errs = append(errs, fmt.Errorf("--ffmpeg-publishers %d: want 2–10", o.FFmpegPublishers))
	}
	if o.FFmpegFrames < 15 || o.FFmpegFrames > 9000 {
		errs = append(errs, fmt.Errorf("--ffmpeg-frames %d: want 15–9000", o.FFmpegFrames))
	}
	if o.Window <= 0 || o.RoomWindow <= 0 || o.Settle < 0 || o.Budget <= 0 {
		errs = append(errs, errors.New("--window, --room-window and --budget must be positive, --settle not negative"))
	}
	if *only != "" {
		o.Only = map[string]bool{}
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			if !contains(scenarioNames, n) {
				errs = append(errs, fmt.Errorf("--only: unknown scenario %q (want %s)", n, strings.Join(scenarioNames, ", ")))
			}
			o.Only[n] = true
		}
	}
	return o, errors.Join(errs...)
}

// parseSteps reads a comma list of increasing whole numbers within lo..hi.
func parseSteps(name, s string, lo, hi int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("--%s: %q is not a whole number in %d–%d", name, f, lo, hi)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("--%s: steps must increase (%d after %d)", name, n, out[len(out)-1])
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--%s: no steps", name)
	}
	return out, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// osGetenv is os.Getenv, named so Main's wiring reads plainly.
var osGetenv = os.Getenv
