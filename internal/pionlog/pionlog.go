// Package pionlog routes pion's leveled logging into an injected slog.Logger, so a process
// has one log stream and no global logger. The server, the test client and the bench tool
// all build their pion stacks with it.
package pionlog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// Factory is a pion logging.LoggerFactory over slog. Pion's trace output goes to slog
// level Debug-4; its debug and info output to Debug, because pion logs per-packet
// estimates at info (GCC's "delaystats" many times a second per peer), which would drown
// an operator's log; its warnings go to WarnLevel, because a server may find
// them routine (a closed stream during teardown, pings before candidates) where a client
// wants to see them.
type Factory struct {
	Log       *slog.Logger
	WarnLevel slog.Level
}

// New logs pion's warnings as warnings.
func New(log *slog.Logger) Factory { return Factory{Log: log, WarnLevel: slog.LevelWarn} }

// NewLogger implements logging.LoggerFactory.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	return logger{log: f.Log.With("pion", scope), warn: f.WarnLevel}
}

type logger struct {
	log  *slog.Logger
	warn slog.Level
}

func (l logger) logf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

// logs is logf for a plain message: no variadic argument, so a disabled level
// allocates nothing (ICE traces every keepalive check of every peer).
func (l logger) logs(level slog.Level, msg string) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, msg)
	}
}

func (l logger) Trace(msg string)                  { l.logs(slog.LevelDebug-4, msg) }
func (l logger) Tracef(format string, args ...any) { l.logf(slog.LevelDebug-4, format, args...) }
func (l logger) Debug(msg string)                  { l.logs(slog.LevelDebug, msg) }
func (l logger) Debugf(format string, args ...any) { l.logf(slog.LevelDebug, format, args...) }
func (l logger) Info(msg string)                   { l.logs(slog.LevelDebug, msg) }
func (l logger) Infof(format string, args ...any)  { l.logf(slog.LevelDebug, format, args...) }
func (l logger) Warn(msg string)                   { l.logs(l.warn, msg) }
func (l logger) Warnf(format string, args ...any)  { l.logf(l.warn, format, args...) }
func (l logger) Error(msg string)                  { l.logs(slog.LevelError, msg) }
func (l logger) Errorf(format string, args ...any) { l.logf(slog.LevelError, format, args...) }
