package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// ProcSample is one reading of a process from /proc.
type ProcSample struct {
	At       time.Time
	CPU      time.Duration // user + system time so far
	RSS      int64         // resident memory, bytes (VmRSS)
	PeakRSS  int64         // VmHWM
	Threads  int
	Readable bool
}

// ReadProc reads /proc/<pid>/stat and /proc/<pid>/status.
func ReadProc(pid int, now time.Time) (ProcSample, error) {
	s := ProcSample{At: now}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("read cpu of process %d: %w", pid, err)
	}
	cpu, threads, err := parseStat(string(stat))
	if err != nil {
		return s, fmt.Errorf("process %d: %w", pid, err)
	}
	s.CPU, s.Threads = cpu, threads
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	s.RSS, s.PeakRSS = parseStatus(string(status))
	s.Readable = true
	return s, nil
}

// parseStat takes utime, stime and num_threads from a /proc/<pid>/stat line.
// The command name (field 2) may hold spaces and parentheses, so the fields
// are counted from its last ')'.
func parseStat(line string) (cpu time.Duration, threads int, err error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse stat %.40q: no command name", line)
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime 15, num_threads 20.
	if len(f) < 18 {
		return 0, 0, fmt.Errorf("parse stat: %d fields after the name, want at least 18", len(f))
	}
	var v [3]int64
	for j, k := range []int{11, 12, 17} {
		n, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("parse stat field %d %q: not a count", k+3, f[k])
		}
		v[j] = n
	}
	return time.Duration(v[0]+v[1]) * time.Second / clockTicks, int(v[2]), nil
}

// parseStatus takes VmRSS and VmHWM (kB) from /proc/<pid>/status; missing
// lines give 0.
func parseStatus(s string) (rss, hwm int64) {
	for line := range strings.Lines(s) {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if name == "VmRSS" {
			rss = n * 1024
		} else {
			hwm = n * 1024
		}
	}
	return rss, hwm
}

// CPUPercent is the CPU used between two samples in % of one core.
func CPUPercent(a, b ProcSample) float64 {
	wall := b.At.Sub(a.At)
	if wall <= 0 || !a.Readable || !b.Readable {
		return 0
	}
	return 100 * float64(b.CPU-a.CPU) / float64(wall)
}

// MachineCPU is the whole machine's busy time so far (all cores, from the
// first line of /proc/stat: everything but idle and iowait).
func MachineCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read machine cpu: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseMachineStat(line)
}

// parseMachineStat reads "cpu user nice system idle iowait irq softirq steal ...".
func parseMachineStat(line string) (time.Duration, error) {
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, fmt.Errorf("parse /proc/stat line %.40q", line)
	}
	var busy int64
	for i, v := range f[1:min(len(f), 9)] { // user..steal; guest time is already in user
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("parse /proc/stat field %d %q", i+1, v)
		}
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}
