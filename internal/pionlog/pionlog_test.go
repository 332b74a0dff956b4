package pionlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLevels checks where each pion level lands in slog, and that a server can demote
// pion's warnings to info.
func TestLevels(t *testing.T) {
	tests := []struct {
		name string
		f    func(log *slog.Logger) Factory
		want string
	}{
		{"client", New, "level=WARN"},
		{"server", func(log *slog.Logger) Factory { return Factory{Log: log, WarnLevel: slog.LevelInfo} }, "level=INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			l := tt.f(log).NewLogger("ice")
			l.Debugf("hidden %d", 1)
			l.Infof("delaystats %d", 2)
			l.Warnf("closed %s", "stream")
			out := buf.String()
			if strings.Contains(out, "hidden") || strings.Contains(out, "delaystats") {
				t.Errorf("pion debug or info output was logged at the handler's info level: %q", out)
			}
			if !strings.Contains(out, tt.want) || !strings.Contains(out, `msg="closed stream"`) || !strings.Contains(out, "pion=ice") {
				t.Errorf("warning logged as %q, want %s with the message and scope", out, tt.want)
			}
		})
	}
}

// TestDisabledTraceAllocatesNothing: ICE traces every keepalive of every
// peer; with tracing off that must cost no allocation.
func TestDisabledTraceAllocatesNothing(t *testing.T) {
	l := New(slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelInfo}))).NewLogger("ice")
	msg := strings.Repeat("Checking keepalive ", 2) // not a constant, as pion's messages may be
	if n := testing.AllocsPerRun(100, func() { l.Trace(msg) }); n != 0 {
		t.Errorf("%.0f allocations per disabled Trace", n)
	}
}
