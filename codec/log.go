package codec

import (
	"context"
	"log/slog"
	"strings"

	"github.com/asticode/go-astiav"
)

// SetLogger routes FFmpeg's own log lines to l, process-wide (FFmpeg has one global log
// callback). Call it once at startup, before any codec is opened. Every failure this
// package sees is also returned as a wrapped error, so FFmpeg's lines are detail: they go
// to l at Debug level (with the FFmpeg component and level as fields), and only panic and
// fatal lines at Error. When l does not log at Debug, FFmpeg is told to format nothing
// below fatal, so a stream of corrupt frames costs no logging work.
// SetLogger(nil) silences FFmpeg entirely.
func SetLogger(l *slog.Logger) {
	if l == nil {
		astiav.SetLogLevel(astiav.LogLevelQuiet)
		astiav.ResetLogCallback()
		return
	}
	if l.Enabled(context.Background(), slog.LevelDebug) {
		astiav.SetLogLevel(astiav.LogLevelVerbose)
	} else {
		astiav.SetLogLevel(astiav.LogLevelFatal)
	}
	astiav.SetLogCallback(func(c astiav.Classer, level astiav.LogLevel, _, msg string) {
		lvl := slog.LevelDebug
		if level <= astiav.LogLevelFatal {
			lvl = slog.LevelError
		}
		component := ""
		if c != nil {
			if cl := c.Class(); cl != nil {
				// The item name is the codec ("vp8", "libx264"); the class name
				// ("AVCodecContext") is the fallback.
				if component = cl.ItemName(); component == "" {
					component = cl.Name()
				}
			}
		}
		l.Log(context.Background(), lvl, strings.TrimSpace(msg),
			slog.String("component", component), slog.String("ffmpeg_level", ffmpegLevelName(level)))
	})
}

func ffmpegLevelName(l astiav.LogLevel) string {
	switch {
	case l <= astiav.LogLevelFatal:
		return "fatal"
	case l <= astiav.LogLevelError:
		return "error"
	case l <= astiav.LogLevelWarning:
		return "warning"
	case l <= astiav.LogLevelInfo:
		return "info"
	default:
		return "verbose"
	}
}
