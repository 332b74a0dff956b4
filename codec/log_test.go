package codec

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer safe for FFmpeg's log callback.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSetLoggerRoutesFFmpegLines(t *testing.T) {
	var out lockedBuffer
	SetLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer SetLogger(testFFmpegLogger)

	d := newDecoderT(t, KindVP8)
	if _, err := d.Decode(bytes.Repeat([]byte{0xde, 0xad}, 20)); err == nil {
		t.Fatal("garbage decoded")
	}
	got := out.String()
	if !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, "component=vp8") || !strings.Contains(got, "ffmpeg_level=error") {
		t.Fatalf("FFmpeg's error line not routed at debug with fields; log:\n%s", got)
	}

	// A logger above Debug gets nothing from a corrupt frame.
	var quiet lockedBuffer
	SetLogger(slog.New(slog.NewTextHandler(&quiet, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if _, err := d.Decode(bytes.Repeat([]byte{0xde, 0xad}, 20)); err == nil {
		t.Fatal("garbage decoded")
	}
	if s := quiet.String(); s != "" {
		t.Fatalf("info logger got FFmpeg detail: %s", s)
	}
}
