// Package framing turns RTP packets into complete codec frames and encoded frames back
// into RTP packets, for VP8, H.264 (packetization-mode 1) and Opus.
//
// It is pure Go on github.com/pion/rtp and imports no other nahbar package, so the
// media path above it (rooms, mixer) can be tested without cgo or a network. Both
// directions reuse their buffers: nothing is allocated per packet once a stream is
// running.
package framing

import "fmt"

// Codec names the payload format a Packetizer or Assembler speaks. It is framing's own
// small enum rather than codec.Kind so that this leaf package builds on its own.
type Codec int

// The payload formats nahbar negotiates.
const (
	VP8 Codec = iota + 1
	H264
	Opus
)

// String returns the codec's usual name, for logs and errors.
func (c Codec) String() string {
	switch c {
	case VP8:
		return "vp8"
	case H264:
		return "h264"
	case Opus:
		return "opus"
	default:
		return fmt.Sprintf("codec(%d)", int(c))
	}
}

// video reports whether frames of c span several packets and end at the RTP marker.
func (c Codec) video() bool { return c == VP8 || c == H264 }
