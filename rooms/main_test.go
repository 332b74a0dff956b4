package rooms_test

import (
	"flag"
	"os"
	"testing"

	"github.com/nahbar/nahbar/codec"
)

// TestMain keeps FFmpeg's console chatter (decoder complaints about the bad
// media some tests send on purpose) out of the test output.
func TestMain(m *testing.M) {
	flag.Parse()
	codec.SetLogger(nil)
	os.Exit(m.Run())
}
