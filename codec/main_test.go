package codec

import (
	"flag"
	"log/slog"
	"os"
	"testing"
)

// testFFmpegLogger is where FFmpeg's lines go during tests (nil: nowhere).
var testFFmpegLogger *slog.Logger

// TestMain keeps FFmpeg's console chatter (encoder statistics, decoder complaints about the
// corrupt input the tests feed on purpose) out of the test output unless -v is given.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Verbose() {
		testFFmpegLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	SetLogger(testFFmpegLogger)
	os.Exit(m.Run())
}
