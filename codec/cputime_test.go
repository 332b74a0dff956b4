package codec

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The machine running benchmarks is shared, so wall-clock fps moves with other people's
// load. cpuMeter also reports what the benchmark loop cost in CPU time of its own thread
// (the goroutine is locked to it, and cgo calls run on it): "cpu-fps" is the rate one
// idle core would reach.
type cpuMeter struct{ start time.Duration }

const rusageThread = 1 // RUSAGE_THREAD on Linux

func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPU locks the goroutine to its thread and starts measuring; call right before the loop.
func startCPU(b *testing.B) cpuMeter {
	runtime.LockOSThread()
	b.ResetTimer()
	return cpuMeter{start: threadCPUTime()}
}

// stop ends the measurement and reports wall and CPU rates in unit (e.g. "fps").
func (m cpuMeter) stop(b *testing.B, unit string) {
	used := threadCPUTime() - m.start
	b.StopTimer()
	runtime.UnlockOSThread()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	if used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "cpu-"+unit)
	}
}
